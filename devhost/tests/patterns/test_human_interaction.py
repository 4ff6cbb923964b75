"""Human interaction: an approval that waits for an event or times out (durable time moves)."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "human_interaction"
REQUEST = {"item": "laptop", "manager": "grace"}
Follow = Callable[..., dict[str, Any]]


def _start(devhost: DevhostClient, follow: Follow) -> str:
    started = devhost.http("POST", "api/orchestrators/approval_workflow", json=REQUEST)
    iid = str(follow(started, until=("Running",))["instanceId"])
    devhost.wait_history(iid, "TimerCreated")  # waiting for the manager now
    return iid


def test_an_approval_before_the_deadline_wins(devhost: DevhostClient, follow: Follow) -> None:
    iid = _start(devhost, follow)
    r = devhost.http("POST", f"api/approvals/{iid}", json={"approved": True, "approver": "grace"})
    assert r.status_code == 202
    status = devhost.wait(iid)
    assert status["output"] == "Approved by grace"


def test_a_rejection_ends_it_too(devhost: DevhostClient, follow: Follow) -> None:
    iid = _start(devhost, follow)
    devhost.http("POST", f"api/approvals/{iid}", json={"approved": False, "approver": "grace"})
    assert devhost.wait(iid)["output"] == "Rejected by grace"


def test_nobody_answers_for_72_hours_and_it_escalates(devhost: DevhostClient,
                                                      follow: Follow) -> None:
    iid = _start(devhost, follow)
    devhost.advance(72 * 3600 + 1)
    status = devhost.wait(iid, history=True)
    assert status["output"] == "Escalated"
    assert "TimerFired" in [e["EventType"] for e in status["historyEvents"]]
    # A late answer changes nothing.
    devhost.http("POST", f"api/approvals/{iid}", json={"approved": True, "approver": "grace"})
    assert devhost.wait(iid)["output"] == "Escalated"
