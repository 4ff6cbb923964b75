import datetime
import logging

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


# Every five minutes, and once when the app starts: start the clean-up orchestration.
@app.timer_trigger(schedule="0 */5 * * * *", arg_name="mytimer", run_on_startup=True,
                   use_monitor=False)
@app.durable_client_input(client_name="client")
async def start_cleanup(mytimer: func.TimerRequest, client) -> None:
    utc_timestamp = datetime.datetime.utcnow().replace(tzinfo=datetime.timezone.utc).isoformat()
    if mytimer.past_due:
        logging.info("The timer is past due!")
    instance_id = await client.start_new("cleanup_orchestrator",
                                         client_input={"pastDue": mytimer.past_due})
    logging.info("Python timer trigger function ran at %s, started orchestration %s.",
                 utc_timestamp, instance_id)


# A report at 06:30 on weekdays, named as NCRONTAB allows; its schedule comes from a setting.
@app.timer_trigger(schedule="%REPORT_SCHEDULE%", arg_name="timer")
def weekday_report(timer: func.TimerRequest) -> None:
    logging.info("Weekday report, past due: %s", timer.past_due)


@app.orchestration_trigger(context_name="context")
def cleanup_orchestrator(context: df.DurableOrchestrationContext):
    removed = yield context.call_activity("remove_expired", context.get_input())
    return removed


@app.activity_trigger(input_name="request")
def remove_expired(request: dict) -> dict:
    return {"removed": 0, "pastDue": request["pastDue"]}
