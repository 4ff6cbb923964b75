import json
import logging

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.entity_trigger(context_name="context")
def Counter(context: df.DurableEntityContext):
    current_value = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        amount = context.get_input()
        current_value += amount
    elif operation == "reset":
        current_value = 0
    elif operation == "get":
        context.set_result(current_value)
    context.set_state(current_value)


@myApp.route(route="counters/{key}/{operation}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def signal_counter(req: func.HttpRequest, client):
    entity_id = df.EntityId("Counter", req.route_params["key"])
    body = req.get_body()
    await client.signal_entity(entity_id, req.route_params["operation"],
                               json.loads(body) if body else None)
    return func.HttpResponse(status_code=202)


@myApp.route(route="counters/{key}", methods=["GET"])
@myApp.durable_client_input(client_name="client")
async def read_counter(req: func.HttpRequest, client):
    entity_id = df.EntityId("Counter", req.route_params["key"])
    state = await client.read_entity_state(entity_id)
    if not state.entity_exists:
        return func.HttpResponse("No such counter", status_code=404)
    return func.HttpResponse(json.dumps(state.entity_state), mimetype="application/json")


@myApp.route(route="orchestrators/{functionName}/{key}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    instance_id = await client.start_new(req.route_params["functionName"],
                                         client_input=req.route_params["key"])
    logging.info(f"Started orchestration with ID = '{instance_id}'.")
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def counter_orchestrator(context: df.DurableOrchestrationContext):
    entity_id = df.EntityId("Counter", context.get_input())
    context.signal_entity(entity_id, "add", 3)
    state = yield context.call_entity(entity_id, "get")
    return state
