"""Orchestration patterns replayed through the real SDK on a devhost process."""

import json
from pathlib import Path

from devhost.testing import DevhostClient


def test_chaining_runs_activities_in_order(devhost: DevhostClient, uid: str) -> None:
    iid = devhost.start("hello_sequence", ["Tokyo", "Seattle", "London"], uid)
    status = devhost.wait(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    # Started like the SDK's client does: the status shows the input as JSON text.
    assert json.loads(status["input"]) == ["Tokyo", "Seattle", "London"]


def test_fan_out_fan_in_collects_every_result(devhost: DevhostClient) -> None:
    iid = devhost.start("FanOutFanIn", 60)
    status = devhost.wait(iid)
    assert status["output"] == sum(i * i for i in range(60))


def test_durable_names_are_case_insensitive(devhost: DevhostClient) -> None:
    iid = devhost.start("fanoutfanin", 3)
    assert devhost.wait(iid)["output"] == 5


def test_blueprint_functions_are_served(devhost: DevhostClient) -> None:
    iid = devhost.start("from_blueprint", {"k": 1})
    assert devhost.wait(iid)["output"] == {"got": {"k": 1}}


def test_external_event_completes_a_waiting_orchestration(devhost: DevhostClient) -> None:
    iid = devhost.start("approval", {"timeoutSeconds": 3600})
    devhost.wait(iid, until=["Running"])
    assert devhost.raise_event(iid, "Approval", {"by": "alice"}).status_code == 202
    status = devhost.wait(iid)
    assert status["output"] == {"approved": {"by": "alice"}}
    assert status["customStatus"] == {"stage": "approved"}


def test_event_raised_before_the_wait_is_not_lost(devhost: DevhostClient) -> None:
    iid = devhost.start("approval", {"timeoutSeconds": 3600})
    devhost.raise_event(iid, "Approval", "early")
    assert devhost.wait(iid)["output"] == {"approved": "early"}


def test_durable_timer_fires_when_the_clock_is_advanced(devhost: DevhostClient) -> None:
    iid = devhost.start("approval", {"timeoutSeconds": 7 * 24 * 3600})
    status = devhost.wait(iid, until=["Running"])
    assert status["customStatus"] == {"stage": "waiting"}
    devhost.advance(7 * 24 * 3600 + 1)
    status = devhost.wait(iid)
    assert status["output"] == {"approved": False}
    assert status["customStatus"] == {"stage": "timed out"}


def test_retry_succeeds_after_transient_failures(devhost: DevhostClient, tmp_path: Path) -> None:
    spec = {"marker": str(tmp_path / "count"), "succeedOn": 3, "attempts": 4}
    iid = devhost.start("retrying", spec)
    status = devhost.wait(iid, history=True)
    assert status["output"] == ["ok after 3", "Hello after-retry!"]
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert kinds.count("TaskFailed") == 2
    assert kinds.count("TimerFired") == 2


def test_retry_gives_up_after_the_last_attempt(devhost: DevhostClient, tmp_path: Path) -> None:
    spec = {"marker": str(tmp_path / "count"), "succeedOn": 10, "attempts": 2}
    iid = devhost.start("retrying", spec)
    status = devhost.wait(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "Activity function 'flaky' failed: RuntimeError: transient failure 2" in \
        status["output"]
    assert (tmp_path / "count").read_text() == "2"


def test_sub_orchestrations_return_results_and_failures(devhost: DevhostClient, uid: str) -> None:
    iid = devhost.start("parent", None, uid)
    status = devhost.wait(iid)
    assert status["output"]["first"] == ["Hello A!", "Hello B!"]
    assert status["output"]["second"] == ["Hello C!"]
    assert status["output"]["failed"].startswith(
        "Orchestrator function 'failing' failed: boom from orchestrator")
    child = devhost.status(f"child-{uid}")
    assert child is not None and child["runtimeStatus"] == "Completed"


def test_failing_orchestrator_reports_its_error(devhost: DevhostClient) -> None:
    status = devhost.wait(devhost.start("failing"))
    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == "Orchestrator function 'failing' failed: boom from orchestrator"


def test_continue_as_new_restarts_with_new_input(devhost: DevhostClient) -> None:
    status = devhost.wait(devhost.start("eternal", 0), history=True)
    assert status["output"] == 3
    started = [e for e in status["historyEvents"] if e["EventType"] == "ExecutionStarted"]
    assert len(started) == 1  # only the last execution's history is kept


def test_nondeterministic_replay_fails_with_what_differed(devhost: DevhostClient,
                                                          tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    iid = devhost.start("nondeterministic", str(flag))
    devhost.wait(iid, until=["Running"])
    devhost.wait_history(iid, "TaskCompleted")
    flag.write_text("now the orchestrator takes the other branch")
    assert devhost.raise_event(iid, "go").status_code == 202
    status = devhost.wait(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "Non-Deterministic workflow detected" in status["output"]
    assert "'activity say_hello'" in status["output"]
    assert "'activity square'" in status["output"]


def test_entities_process_calls_and_signals_in_order(devhost: DevhostClient, uid: str) -> None:
    status = devhost.wait(devhost.start("counter_user", uid))
    assert status["output"] == {"value": 7, "error": "entity op failed"}
    assert devhost.entity("Counter", uid) == 7


def test_client_signals_update_entity_state(devhost: DevhostClient, uid: str) -> None:
    assert devhost.signal("Counter", uid, "add", 3).status_code == 202
    assert devhost.signal("counter", uid, "add", 4).status_code == 202
    assert devhost.wait_entity("Counter", uid, lambda s: s == 7) == 7
    assert devhost.mgmt_call("DELETE", f"entities/Counter/{uid}").status_code == 202
    assert devhost.wait_entity("Counter", uid, lambda s: s is None) is None


def test_unknown_entity_is_refused(devhost: DevhostClient) -> None:
    r = devhost.signal("NoSuchEntity", "k", "add", 1)
    assert r.status_code == 400
    assert "is not an entity function" in r.json()["ExceptionMessage"]


def test_orchestrator_logs_are_not_repeated_on_replay(devhost: DevhostClient) -> None:
    iid = devhost.start("logger_orch")
    assert devhost.wait(iid)["output"] == "logged"
    # All three episodes have logged once the last one has.
    devhost.host.wait_output(f'"instanceId": "{iid}", "outcome": "completed"')
    lines = [line for line in devhost.host.output().splitlines()
             if f"orchestrator-log-line {iid}" in line]
    assert len(lines) == 1  # three episodes ran; only the first was not a replay


def test_every_invocation_logs_one_structured_line(devhost: DevhostClient) -> None:
    iid = devhost.start("hello_sequence", ["Log"])
    devhost.wait(iid)
    devhost.host.wait_output(f'"instanceId": "{iid}"')
    records = [json.loads(line.split(" ", 4)[4]) for line in devhost.host.output().splitlines()
               if '"event": "invocation"' in line and iid in line]
    assert len(records) == 1
    record = records[0]
    assert record["function"] == "say_hello" and record["outcome"] == "succeeded"
    assert record["instanceId"] == iid and record["invocationId"]
    assert isinstance(record["durationMs"], float | int)


def test_call_http_returns_the_response(devhost: DevhostClient) -> None:
    iid = devhost.start("http_caller", f"{devhost.url}/api/items/7?q=durable")
    assert devhost.wait(iid)["output"] == {"status": 200, "body": {"id": 7, "q": "durable"}}


def test_sub_orchestration_retry_starts_fresh_children(devhost: DevhostClient,
                                                       tmp_path: Path) -> None:
    spec = {"marker": str(tmp_path / "count"), "succeedOn": 3, "attempts": 1}
    iid = devhost.start("sub_with_retry", spec)
    status = devhost.wait(iid, history=True)
    assert status["output"] == "ok after 3"
    created = [e for e in status["historyEvents"]
               if e["EventType"].startswith("SubOrchestrationInstance")]
    assert [e["EventType"] for e in created].count("SubOrchestrationInstanceFailed") == 2


def test_activities_can_use_a_durable_client(devhost: DevhostClient, uid: str) -> None:
    assert devhost.wait(devhost.start("pinger", uid))["runtimeStatus"] == "Completed"
    assert devhost.wait_entity("Counter", uid, lambda s: s == 11) == 11


def test_wait_idle_returns_once_queued_work_is_done(devhost: DevhostClient) -> None:
    iid = devhost.start("FanOutFanIn", 30)
    devhost.wait_idle()
    status = devhost.status(iid)
    assert status is not None and status["runtimeStatus"] == "Completed"
    assert devhost.backlog().get("activity", 0) == 0
