import logging
import os
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

JOBS = Path(os.getenv("JOBS_DIRECTORY", "jobs"))


@myApp.route(route="orchestrators/{functionName}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    instance_id = await client.start_new(req.route_params["functionName"],
                                         client_input=req.get_json())
    logging.info(f"Started orchestration with ID = '{instance_id}'.")
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def E3_Monitor(context: df.DurableOrchestrationContext):
    job = context.get_input()
    job_id = job["jobId"]
    polling_interval = job["pollingIntervalSeconds"]
    expiry_time = context.current_utc_datetime + timedelta(seconds=job["expirySeconds"])

    while context.current_utc_datetime < expiry_time:
        job_status = yield context.call_activity("E3_GetJobStatus", job_id)
        context.set_custom_status({"jobId": job_id, "lastStatus": job_status})
        if job_status == "Completed":
            # Perform an action when a condition is met.
            yield context.call_activity("E3_SendAlert", job_id)
            return "Completed"

        # Orchestration sleeps until this time.
        next_check = context.current_utc_datetime + timedelta(seconds=polling_interval)
        yield context.create_timer(next_check)

    return "Expired"


@myApp.activity_trigger(input_name="jobId")
def E3_GetJobStatus(jobId: str) -> str:
    status_file = JOBS / jobId
    return status_file.read_text().strip() if status_file.exists() else "Running"


@myApp.activity_trigger(input_name="jobId")
def E3_SendAlert(jobId: str) -> None:
    (JOBS / f"{jobId}.alert").write_text(f"Job {jobId} completed\n")


# An eternal orchestration: a periodic clean-up that never ends, restarting itself with
# continue_as_new so that its history stays small.
@myApp.orchestration_trigger(context_name="context")
def periodic_cleanup(context: df.DurableOrchestrationContext):
    runs = context.get_input() or 0
    yield context.call_activity("cleanup", runs + 1)
    context.set_custom_status({"runs": runs + 1})
    next_cleanup = context.current_utc_datetime + timedelta(hours=1)
    yield context.create_timer(next_cleanup)
    context.continue_as_new(runs + 1)


@myApp.activity_trigger(input_name="run")
def cleanup(run: int) -> None:
    logging.info(f"Clean-up run {run}.")
