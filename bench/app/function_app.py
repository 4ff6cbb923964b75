"""The benchmark app: the classic Durable Functions performance shapes."""

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def hello_sequence5(context: df.DurableOrchestrationContext):
    out = []
    for city in ("Tokyo", "Seattle", "London", "Paris", "Cairo"):
        out.append((yield context.call_activity("hello", city)))
    return out


@app.orchestration_trigger(context_name="context")
def sequential(context: df.DurableOrchestrationContext):
    total = 0
    for i in range(context.get_input()):
        total += yield context.call_activity("double", i)
    return total


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    values = yield context.task_all([context.call_activity("double", i)
                                     for i in range(context.get_input())])
    return sum(values)


@app.orchestration_trigger(context_name="context")
def entity_load(context: df.DurableOrchestrationContext):
    entity = df.EntityId("Counter", context.instance_id)
    for _ in range(context.get_input()):
        context.signal_entity(entity, "add", 1)
    return (yield context.call_entity(entity, "get"))


@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return f"Hello {city}!"


@app.activity_trigger(input_name="n")
def double(n: int) -> int:
    return 2 * n


@app.entity_trigger(context_name="context", entity_name="Counter")
def counter(context: df.DurableEntityContext):
    value = context.get_state(lambda: 0)
    if context.operation_name == "add":
        context.set_state(value + context.get_input())
    else:
        context.set_result(value)
