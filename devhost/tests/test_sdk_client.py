"""Every DurableOrchestrationClient call, made by app code through devhost's RPC endpoint.

Each test runs twice: with the client's calls answered in process (the default) and over the
loopback RPC listener the binding names (`DEVHOST_DURABLE_CLIENT=http`), which must agree.
"""

from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient


@pytest.fixture(scope="module", params=["inproc", "http"])
def devhost_env(event_dir: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    return {"SAMPLE_OUT_DIR": str(event_dir), "DEVHOST_DURABLE_CLIENT": request.param}


def call(devhost: DevhostClient, method: str, **args: Any) -> Any:
    r = devhost.http("POST", f"api/client/{method}", json=args)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_start_and_status_with_history(devhost: DevhostClient, uid: str) -> None:
    assert call(devhost, "start", name="hello_sequence", id=uid, input=["C"]) == uid
    devhost.wait(uid)
    status = call(devhost, "status", id=uid, history=True)
    assert status["runtimeStatus"] == "Completed" and status["output"] == ["Hello C!"]
    assert status["history"][0]["EventType"] == "ExecutionStarted"
    assert call(devhost, "status", id="no-such-instance") is None


def test_status_all_and_by_filter(devhost: DevhostClient, uid: str) -> None:
    call(devhost, "start", name="approval", id=uid, input={"timeoutSeconds": 3600})
    devhost.wait(uid, until=["Running"])
    assert uid in call(devhost, "status_all")
    assert uid in call(devhost, "status_by", statuses=["Running"])
    assert uid not in call(devhost, "status_by", statuses=["Completed"])
    call(devhost, "terminate", id=uid, reason="cleanup")
    devhost.wait(uid)


def test_raise_event_delivers_the_json_text_string(devhost: DevhostClient, uid: str) -> None:
    call(devhost, "start", name="approval", id=uid, input={"timeoutSeconds": 3600})
    call(devhost, "raise", id=uid, event="Approval", data={"by": "bob"})
    # Azure delivers json.dumps(data) from the Python client (azure-functions-durable-python#295).
    assert devhost.wait(uid)["output"] == {"approved": '{"by": "bob"}'}


def test_suspend_resume_terminate_and_purge(devhost: DevhostClient, uid: str) -> None:
    call(devhost, "start", name="approval", id=uid, input={"timeoutSeconds": 3600})
    devhost.wait(uid, until=["Running"])
    call(devhost, "suspend", id=uid)
    devhost.wait(uid, until=["Suspended"])
    call(devhost, "resume", id=uid)
    devhost.wait(uid, until=["Running"])
    call(devhost, "terminate", id=uid, reason="done here")
    assert devhost.wait(uid)["runtimeStatus"] == "Terminated"
    call(devhost, "terminate", id=uid)  # 410 counts as success for the SDK
    assert call(devhost, "purge", id=uid) == 1
    assert call(devhost, "purge", id=uid) == 0


def test_purge_by_filter(devhost: DevhostClient, uid: str) -> None:
    call(devhost, "start", name="approval", id=uid, input={"timeoutSeconds": 3600})
    call(devhost, "terminate", id=uid)
    devhost.wait(uid)
    assert call(devhost, "purge_by") >= 1
    assert devhost.status(uid) is None


def test_restart_returns_the_new_instance(devhost: DevhostClient, uid: str) -> None:
    call(devhost, "start", name="hello_sequence", id=uid, input=["R"])
    devhost.wait(uid)
    restarted = call(devhost, "restart", id=uid)
    new_id = restarted["id"] if isinstance(restarted, dict) else restarted
    assert new_id != uid
    assert devhost.wait(new_id)["output"] == ["Hello R!"]


def test_signal_and_read_entity(devhost: DevhostClient, uid: str) -> None:
    assert call(devhost, "read_entity", entity="Counter", key=uid) == {"exists": False,
                                                                        "state": None}
    call(devhost, "signal", entity="Counter", key=uid, op="add", input=6)
    devhost.wait_entity("Counter", uid, lambda s: s == 6)
    assert call(devhost, "read_entity", entity="Counter", key=uid) == {"exists": True,
                                                                        "state": 6}


def test_rewind_through_the_client(devhost: DevhostClient, uid: str, tmp_path: Any) -> None:
    spec = {"marker": str(tmp_path / "c"), "succeedOn": 2, "attempts": 1}
    call(devhost, "start", name="retrying", id=uid, input=spec)
    assert devhost.wait(uid)["runtimeStatus"] == "Failed"
    call(devhost, "rewind", id=uid, reason="try again")
    assert devhost.wait(uid, until=["Completed"])["output"][0] == "ok after 2"
