"""Every route of the durable management API, with Azure's status codes and JSON."""

import json
from pathlib import Path

import requests

from devhost.testing import DevhostClient


def test_management_api_needs_the_system_key(devhost: DevhostClient) -> None:
    r = requests.get(f"{devhost.mgmt}/instances", timeout=10)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/problem+json")
    wrong = requests.get(f"{devhost.mgmt}/instances", params={"code": "nope"}, timeout=10)
    assert wrong.status_code == 401


def test_start_answers_202_with_check_status_links(devhost: DevhostClient, uid: str) -> None:
    r = devhost.mgmt_call("POST", f"orchestrators/hello_sequence/{uid}",
                          json=json.dumps(["X"]))
    assert r.status_code == 202
    body = r.json()
    assert body["id"] == uid
    assert r.headers["Location"] == body["statusQueryGetUri"]
    assert f"code={devhost.system_key}" in body["statusQueryGetUri"]
    for key in ("sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri",
                "restartPostUri", "suspendPostUri", "resumePostUri"):
        assert uid in body[key]
    status = requests.get(body["statusQueryGetUri"], timeout=10)
    assert status.status_code in (200, 202)


def test_start_with_timeout_waits_for_the_output(devhost: DevhostClient) -> None:
    r = devhost.mgmt_call("POST", "orchestrators/hello_sequence", json=json.dumps(["W"]),
                          params={"timeout": "20", "pollingInterval": "1"})
    assert r.status_code == 200
    assert r.json() == ["Hello W!"]


def test_start_errors(devhost: DevhostClient, uid: str) -> None:
    unknown = devhost.mgmt_call("POST", "orchestrators/no_such_orchestrator")
    assert unknown.status_code == 400
    assert "doesn't exist" in unknown.json()["ExceptionMessage"]
    bad_json = devhost.mgmt_call("POST", "orchestrators/hello_sequence", data=b"{not json",
                                 headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    devhost.start("approval", {"timeoutSeconds": 3600}, uid)
    again = devhost.mgmt_call("POST", f"orchestrators/approval/{uid}")
    assert again.status_code == 409
    devhost.action(uid, "terminate", "cleanup")


def test_status_codes_follow_the_runtime_status(devhost: DevhostClient, uid: str) -> None:
    assert devhost.mgmt_call("GET", "instances/does-not-exist").status_code == 404
    assert devhost.mgmt_call("GET", "instances/does-not-exist").content == b""
    devhost.start("approval", {"timeoutSeconds": 3600}, uid)
    running = devhost.mgmt_call("GET", f"instances/{uid}")
    assert running.status_code == 202
    assert "Location" in running.headers
    devhost.raise_event(uid, "Approval", True)
    devhost.wait(uid)
    done = devhost.mgmt_call("GET", f"instances/{uid}", params={"showInput": "false"})
    assert done.status_code == 200
    assert done.json()["input"] is None


def test_history_merges_schedule_and_completion(devhost: DevhostClient) -> None:
    iid = devhost.start("hello_sequence", ["H"])
    devhost.wait(iid)
    status = devhost.status(iid, history=True, output=True)
    assert status is not None
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert kinds == ["ExecutionStarted", "TaskCompleted", "ExecutionCompleted"]
    done = status["historyEvents"][1]
    assert done["FunctionName"] == "say_hello"
    assert done["Result"] == "Hello H!"
    assert "ScheduledTime" in done
    assert status["historyEvents"][2]["OrchestrationStatus"] == "Completed"
    quiet = devhost.status(iid, history=True, output=False)
    assert quiet is not None and "Result" not in quiet["historyEvents"][1]


def test_list_filters_and_pages(devhost: DevhostClient, uid: str) -> None:
    ids = [devhost.start("hello_sequence", ["L"], f"{uid}-{i}") for i in range(5)]
    for i in ids:
        devhost.wait(i)
    r = devhost.mgmt_call("GET", "instances", params={"instanceIdPrefix": uid, "top": "2"})
    assert r.status_code == 200
    seen = [s["instanceId"] for s in r.json()]
    token = r.headers["x-ms-continuation-token"]
    while token:
        r = devhost.mgmt_call("GET", "instances", params={"instanceIdPrefix": uid, "top": "2"},
                              headers={"x-ms-continuation-token": token})
        seen += [s["instanceId"] for s in r.json()]
        token = r.headers["x-ms-continuation-token"]
    assert sorted(seen) == sorted(ids)
    running = devhost.mgmt_call("GET", "instances", params={"instanceIdPrefix": uid,
                                                            "runtimeStatus": "Running,Pending"})
    assert running.json() == []
    bad = devhost.mgmt_call("GET", "instances", params={"runtimeStatus": "Sleeping"})
    assert bad.status_code == 400
    future = devhost.mgmt_call("GET", "instances", params={
        "instanceIdPrefix": uid, "createdTimeFrom": "2999-01-01T00:00:00Z"})
    assert future.json() == []


def test_terminate_then_410(devhost: DevhostClient) -> None:
    iid = devhost.start("approval", {"timeoutSeconds": 3600})
    assert devhost.action(iid, "terminate", "no longer needed").status_code == 202
    status = devhost.wait(iid)
    assert status["runtimeStatus"] == "Terminated"
    assert status["output"] == "no longer needed"
    assert devhost.action(iid, "terminate", "again").status_code == 410
    assert devhost.raise_event(iid, "Approval", True).status_code == 410
    assert devhost.action("no-such-instance", "terminate").status_code == 404


def test_suspend_holds_events_until_resume(devhost: DevhostClient) -> None:
    iid = devhost.start("approval", {"timeoutSeconds": 3600})
    devhost.wait(iid, until=["Running"])
    assert devhost.action(iid, "suspend", "hold on").status_code == 202
    devhost.wait(iid, until=["Suspended"])
    assert devhost.raise_event(iid, "Approval", "while suspended").status_code == 202
    assert devhost.action(iid, "suspend").status_code == 500  # already suspended, as in Azure
    status = devhost.status(iid)
    assert status is not None and status["runtimeStatus"] == "Suspended"
    assert devhost.action(iid, "resume", "go on").status_code == 202
    assert devhost.wait(iid)["output"] == {"approved": "while suspended"}


def test_purge_single_and_by_filter(devhost: DevhostClient, uid: str) -> None:
    running = devhost.start("approval", {"timeoutSeconds": 3600}, f"{uid}-run")
    assert devhost.purge(running).status_code == 412
    devhost.action(running, "terminate")
    devhost.wait(running)
    assert devhost.purge(running).json() == {"instancesDeleted": 1}
    assert devhost.status(running) is None
    assert devhost.purge(running).status_code == 404
    done = devhost.start("hello_sequence", ["P"], f"{uid}-done")
    devhost.wait(done)
    no_from = devhost.mgmt_call("DELETE", "instances", params={"runtimeStatus": "Completed"})
    assert no_from.status_code == 400
    r = devhost.mgmt_call("DELETE", "instances", params={
        "createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "Completed"})
    assert r.status_code == 200 and r.json()["instancesDeleted"] >= 1
    assert devhost.status(done) is None
    nothing = devhost.mgmt_call("DELETE", "instances", params={
        "createdTimeFrom": "2999-01-01T00:00:00Z"})
    assert nothing.status_code == 404


def test_restart_with_new_and_same_id(devhost: DevhostClient, uid: str) -> None:
    iid = devhost.start("hello_sequence", ["R"], uid)
    devhost.wait(iid)
    r = devhost.action(iid, "restart", restartWithNewInstanceId="true")
    assert r.status_code == 202
    new_id = r.json()["id"]
    assert new_id != iid
    assert devhost.wait(new_id)["output"] == ["Hello R!"]
    same = devhost.action(iid, "restart", restartWithNewInstanceId="false")
    assert same.json()["id"] == iid
    assert devhost.wait(iid)["output"] == ["Hello R!"]
    assert devhost.action("never-existed", "restart").status_code == 400


def test_rewind_reruns_the_failed_activity(devhost: DevhostClient, tmp_path: Path) -> None:
    spec = {"marker": str(tmp_path / "count"), "succeedOn": 2, "attempts": 1}
    iid = devhost.start("retrying", spec)
    assert devhost.wait(iid)["runtimeStatus"] == "Failed"
    assert devhost.action(iid, "rewind", "fixed the cause").status_code == 202
    status = devhost.wait(iid, until=["Completed"])  # the rewind is queued, not immediate
    assert status["output"] == ["ok after 2", "Hello after-retry!"]
    assert devhost.action(iid, "rewind").status_code == 410


def test_entity_listing_and_state(devhost: DevhostClient, uid: str) -> None:
    devhost.signal("Counter", uid, "add", 2)
    devhost.wait_entity("Counter", uid, lambda s: s == 2)
    r = devhost.mgmt_call("GET", "entities/Counter", params={"fetchState": "true"})
    assert r.status_code == 200
    mine = [e for e in r.json() if e["entityId"]["key"] == uid]
    assert mine and mine[0]["entityId"]["name"] == "counter" and mine[0]["state"] == 2
    assert "lastOperationTime" in mine[0]
    assert devhost.mgmt_call("GET", "entities/Counter/never-touched").status_code == 404


def test_unknown_route_is_404(devhost: DevhostClient) -> None:
    assert devhost.mgmt_call("GET", "nothing/here").status_code == 404


def test_instance_ids_with_reserved_characters(devhost: DevhostClient, uid: str) -> None:
    odd = f"{uid}%41 with space+plus"
    assert devhost.start("hello_sequence", ["Odd"], odd) == odd
    assert devhost.wait(odd)["output"] == ["Hello Odd!"]
    assert devhost.status(f"{uid}A with space+plus") is None  # %41 is not decoded twice
    assert devhost.purge(odd).status_code == 200
