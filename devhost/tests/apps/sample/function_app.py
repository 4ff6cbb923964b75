"""A Durable Functions app that exercises every devhost feature; knows nothing of devhost."""

import datetime
import json
import logging
import os

import azure.durable_functions as df
import azure.functions as func
from blueprint import bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
GREETING = os.environ["SAMPLE_GREETING"]  # settings are exported before import


@app.route(route="orchestrators/{name}/{id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(req.route_params["name"], req.route_params.get("id"),
                                         payload)
    return client.create_check_status_response(req, instance_id)


@app.route(route="wait/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start_wait(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"], None, req.get_json())
    return await client.wait_for_completion_or_create_check_status_response(
        req, instance_id, timeout_in_milliseconds=20000)


@app.route(route="items/{id:int}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"id": int(req.route_params["id"]),
                                         "q": req.params.get("q")}),
                             mimetype="application/json", headers={"X-Item": "yes"})


@app.route(route="secure/ping", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def secure_ping(req: func.HttpRequest) -> str:
    return "pong"


@app.route(route="admin-only", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> str:
    return "admin"


@app.route(route="whoami", methods=["GET"])
def whoami(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({k: v for k, v in req.headers.items()
                                         if k.startswith("x-ms-client-principal")}),
                             mimetype="application/json")


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("secret detail that must not reach the client")


@app.route(route="publish", methods=["POST"])
@app.event_grid_output(arg_name="out", topic_endpoint_uri="EG_TOPIC_URI",
                       topic_key_setting="EG_TOPIC_KEY")
def publish(req: func.HttpRequest, out: func.Out[func.EventGridOutputEvent]) -> str:
    out.set(_output_event(req.get_json()))
    return "queued"


def _output_event(body: dict) -> func.EventGridOutputEvent:
    return func.EventGridOutputEvent(
        id=body["id"], data=body.get("data", {}), subject=body.get("subject", "sample"),
        event_type=body.get("type", "Sample.Event"), event_time=datetime.datetime.now(datetime.UTC),
        data_version="1.0")


@app.orchestration_trigger(context_name="context")
def publish_via_activity(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("emit_events", context.get_input()))


@app.activity_trigger(input_name="events")
@app.event_grid_output(arg_name="out", topic_endpoint_uri="EG_TOPIC_URI",
                       topic_key_setting="EG_TOPIC_KEY")
def emit_events(events: list, out: func.Out[list[func.EventGridOutputEvent]]) -> int:
    out.set([_output_event(body) for body in events])
    return len(events)


@app.event_grid_trigger(arg_name="event")
def record_event(event: func.EventGridEvent) -> None:
    data = event.get_json()
    gate = data.get("failUnlessExists")
    if gate and not os.path.exists(gate):
        raise RuntimeError("consumer rejected the event")
    _record(event, f"{event.id}.json")


@app.event_grid_trigger(arg_name="event")
def audit_event(event: func.EventGridEvent) -> None:
    """Subscribed to a few event types only (DEVHOST_EVENTGRID_SUBSCRIPTIONS)."""
    _record(event, f"{event.id}.audit_event.json")


def _record(event: func.EventGridEvent, name: str) -> None:
    if os.environ.get("SAMPLE_OUT_DIR"):
        with open(os.path.join(os.environ["SAMPLE_OUT_DIR"], name), "a") as fh:
            kind = getattr(event, "event_type", None) or getattr(event, "type", None)
            fh.write(json.dumps({"id": event.id, "type": kind, "data": event.get_json()}) + "\n")


@app.orchestration_trigger(context_name="context")
def hello_sequence(context: df.DurableOrchestrationContext):
    cities = context.get_input() or ["Tokyo", "Seattle", "London"]
    results = []
    for city in cities:
        results.append((yield context.call_activity("say_hello", city)))
    return results


@app.orchestration_trigger(context_name="context", orchestration="FanOutFanIn")
def fan_out_fan_in(context: df.DurableOrchestrationContext):
    count = context.get_input() or 5
    tasks = [context.call_activity("square", i) for i in range(count)]
    values = yield context.task_all(tasks)
    return sum(values)


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    timeout = (context.get_input() or {}).get("timeoutSeconds", 3600)
    context.set_custom_status({"stage": "waiting"})
    deadline = context.current_utc_datetime + datetime.timedelta(seconds=timeout)
    timer = context.create_timer(deadline)
    event = context.wait_for_external_event("Approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        context.set_custom_status({"stage": "approved"})
        return {"approved": event.result}
    context.set_custom_status({"stage": "timed out"})
    return {"approved": False}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    opts = df.RetryOptions(first_retry_interval_in_milliseconds=100,
                           max_number_of_attempts=spec["attempts"])
    result = yield context.call_activity_with_retry("flaky", opts, spec)
    after = yield context.call_activity("say_hello", "after-retry")
    return [result, after]


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    first = yield context.call_sub_orchestrator("hello_sequence", ["A", "B"])
    child_id = "child-" + context.instance_id
    second = yield context.call_sub_orchestrator("hello_sequence", ["C"], child_id)
    try:
        yield context.call_sub_orchestrator("failing", None)
        failed = None
    except Exception as exc:
        failed = str(exc).split("\n")[0]
    return {"first": first, "second": second, "failed": failed}


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("say_hello", "x")
    raise ValueError("boom from orchestrator")


@app.orchestration_trigger(context_name="context")
def eternal(context: df.DurableOrchestrationContext):
    n = context.get_input() or 0
    yield context.call_activity("say_hello", str(n))
    if n < 3:
        context.continue_as_new(n + 1)
        return None
    return n


@app.orchestration_trigger(context_name="context")
def counter_user(context: df.DurableOrchestrationContext):
    key = context.get_input()
    entity = df.EntityId("Counter", key)
    context.signal_entity(entity, "add", 5)
    yield context.call_entity(entity, "add", 2)
    value = yield context.call_entity(entity, "get")
    try:
        yield context.call_entity(entity, "explode")
        error = None
    except Exception as exc:
        error = str(exc)
    return {"value": value, "error": error}


@app.orchestration_trigger(context_name="context")
def logger_orch(context: df.DurableOrchestrationContext):
    logging.getLogger("sample.orchestrator").info("orchestrator-log-line %s", context.instance_id)
    yield context.call_activity("say_hello", "log")
    yield context.call_activity("say_hello", "log2")
    return "logged"


@app.orchestration_trigger(context_name="context")
def nondeterministic(context: df.DurableOrchestrationContext):
    # Decides by a file that the test creates between episodes: a classic replay bug.
    name = "square" if os.path.exists(context.get_input()) else "say_hello"
    yield context.call_activity(name, 1)
    yield context.wait_for_external_event("go")
    yield context.call_activity("say_hello", "done")
    return "done"


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"{GREETING} {city}!"


@app.activity_trigger(input_name="n")
async def square(n: int) -> int:
    return n * n


@app.activity_trigger(input_name="spec", activity="flaky")
def flaky_activity(spec: dict) -> str:
    marker = spec["marker"]
    count = 0
    if os.path.exists(marker):
        with open(marker) as fh:
            count = int(fh.read())
    with open(marker, "w") as fh:
        fh.write(str(count + 1))
    if count + 1 < spec["succeedOn"]:
        raise RuntimeError(f"transient failure {count + 1}")
    return f"ok after {count + 1}"


@app.entity_trigger(context_name="context", entity_name="Counter")
def counter(context: df.DurableEntityContext):
    value = context.get_state(lambda: 0)
    op = context.operation_name
    if op == "add":
        value += context.get_input()
        context.set_state(value)
    elif op == "get":
        context.set_result(value)
    elif op == "reset":
        context.set_state(0)
    elif op == "delete":
        context.destruct_on_exit()
    elif op == "explode":
        raise ValueError("entity op failed")


@app.orchestration_trigger(context_name="context")
def slow_sequence(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    done = []
    for step in range(spec["steps"]):
        done.append((yield context.call_activity("nap", {**spec, "step": step})))
    return done


@app.activity_trigger(input_name="spec")
def nap(spec: dict) -> int:
    import time

    time.sleep(spec["seconds"])
    with open(spec["log"], "a") as fh:  # one line per execution: proves at-least-once
        fh.write(f"{spec['id']}:{spec['step']}\n")
    return spec["step"]


@app.orchestration_trigger(context_name="context")
def http_caller(context: df.DurableOrchestrationContext):
    response = yield context.call_http("GET", context.get_input())
    return {"status": response["statusCode"], "body": json.loads(response["content"])}


@app.orchestration_trigger(context_name="context")
def sub_with_retry(context: df.DurableOrchestrationContext):
    opts = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=3)
    spec = context.get_input()
    result = yield context.call_sub_orchestrator_with_retry("flaky_child", opts, spec)
    return result


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    opts = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=1)
    return (yield context.call_activity_with_retry("flaky", opts, spec))


def _status_json(status) -> dict:
    return {"name": status.name, "instanceId": status.instance_id,
            "runtimeStatus": status.runtime_status.value if status.runtime_status else None,
            "output": status.output, "customStatus": status.custom_status,
            "input": status.input_, "history": getattr(status, "historyEvents", None)}


@app.route(route="client/{op}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def client_ops(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    """Every DurableOrchestrationClient call, driven over HTTP by the tests."""
    op, a = req.route_params["op"], req.get_json()
    since = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    result: object = None
    if op == "start":
        result = await client.start_new(a["name"], a.get("id"), a.get("input"))
    elif op == "status":
        status = await client.get_status(a["id"], show_history=a.get("history", False),
                                         show_history_output=a.get("history", False),
                                         show_input=True)
        result = _status_json(status) if status else None
    elif op == "status_all":
        result = [s.instance_id for s in await client.get_status_all()]
    elif op == "status_by":
        statuses = await client.get_status_by(
            created_time_from=since, runtime_status=[
                df.OrchestrationRuntimeStatus(s) for s in a["statuses"]])
        result = [s.instance_id for s in statuses]
    elif op == "raise":
        await client.raise_event(a["id"], a["event"], a.get("data"))
    elif op in ("terminate", "suspend", "resume", "rewind"):
        await getattr(client, op)(a["id"], a.get("reason", "by test"))
    elif op == "restart":
        result = await client.restart(a["id"], a.get("newId", True))
    elif op == "purge":
        result = (await client.purge_instance_history(a["id"])).instances_deleted
    elif op == "purge_by":
        result = (await client.purge_instance_history_by(
            created_time_from=since, runtime_status=[df.OrchestrationRuntimeStatus.Terminated])
        ).instances_deleted
    elif op == "signal":
        await client.signal_entity(df.EntityId(a["entity"], a["key"]), a["op"], a.get("input"))
    elif op == "read_entity":
        state = await client.read_entity_state(df.EntityId(a["entity"], a["key"]))
        result = {"exists": state.entity_exists, "state": state.entity_state}
    else:
        return func.HttpResponse(status_code=404)
    return func.HttpResponse(json.dumps({"result": result}), mimetype="application/json")


@app.orchestration_trigger(context_name="context")
def pinger(context: df.DurableOrchestrationContext):
    """Asks an activity holding a durable client to signal an entity, then reads it."""
    key = context.get_input()
    yield context.call_activity("signal_from_activity", key)
    return key


@app.activity_trigger(input_name="key")
@app.durable_client_input(client_name="client")
async def signal_from_activity(key: str, client: df.DurableOrchestrationClient) -> str:
    await client.signal_entity(df.EntityId("Counter", key), "add", 11)
    return key


@app.route(route="setting/{name}", methods=["GET"])
def read_setting(req: func.HttpRequest) -> str:
    return os.environ.get(req.route_params["name"], "<unset>")
