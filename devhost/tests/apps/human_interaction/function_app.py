import json
import logging
import os
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

APPROVAL_TIMEOUT_HOURS = int(os.getenv("APPROVAL_TIMEOUT_HOURS", "72"))


@myApp.route(route="orchestrators/{functionName}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    instance_id = await client.start_new(req.route_params["functionName"],
                                         client_input=req.get_json())
    logging.info(f"Started orchestration with ID = '{instance_id}'.")
    return client.create_check_status_response(req, instance_id)


@myApp.route(route="approvals/{instanceId}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def approve(req: func.HttpRequest, client):
    instance_id = req.route_params["instanceId"]
    await client.raise_event(instance_id, "ApprovalEvent", req.get_json())
    return func.HttpResponse(status_code=202)


@myApp.orchestration_trigger(context_name="context")
def approval_workflow(context: df.DurableOrchestrationContext):
    request = context.get_input()
    yield context.call_activity("request_approval", request)

    due_time = context.current_utc_datetime + timedelta(hours=APPROVAL_TIMEOUT_HOURS)
    durable_timeout_task = context.create_timer(due_time)
    approval_event_task = context.wait_for_external_event("ApprovalEvent")

    winning_task = yield context.task_any([approval_event_task, durable_timeout_task])

    if approval_event_task == winning_task:
        durable_timeout_task.cancel()
        # The Python client's raise_event delivers its data as JSON text.
        decision = json.loads(approval_event_task.result)
        if decision.get("approved"):
            yield context.call_activity("process_approval", request)
            return f"Approved by {decision.get('approver')}"
        return f"Rejected by {decision.get('approver')}"

    yield context.call_activity("escalate", request)
    return "Escalated"


@myApp.activity_trigger(input_name="request")
def request_approval(request: dict) -> None:
    logging.info(f"Approval requested for {request['item']} from {request['manager']}.")


@myApp.activity_trigger(input_name="request")
def process_approval(request: dict) -> str:
    return f"Processed {request['item']}"


@myApp.activity_trigger(input_name="request")
def escalate(request: dict) -> str:
    logging.warning(f"Nobody approved {request['item']} in time: escalating.")
    return "escalated"
