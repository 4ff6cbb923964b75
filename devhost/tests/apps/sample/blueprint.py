import azure.durable_functions as df

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context")
def from_blueprint(context: df.DurableOrchestrationContext):
    value = yield context.call_activity("echo", context.get_input())
    return {"got": value}


@bp.activity_trigger(input_name="value")
def echo(value):
    return value
