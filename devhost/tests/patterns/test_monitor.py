"""The monitor pattern: poll with durable timers until a condition or an expiry; and an eternal
orchestration that restarts itself with continue_as_new."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient, poll

APP = "monitor"
Follow = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def devhost_env(jobs: Path) -> dict[str, str]:
    return {"JOBS_DIRECTORY": str(jobs)}


def _start(devhost: DevhostClient, follow: Follow, job: dict[str, Any]) -> str:
    started = devhost.http("POST", "api/orchestrators/E3_Monitor", json=job)
    return str(follow(started, until=("Running",))["instanceId"])


def test_it_polls_until_the_job_completes_then_alerts(devhost: DevhostClient, follow: Follow,
                                                       jobs: Path) -> None:
    iid = _start(devhost, follow, {"jobId": "job-1", "pollingIntervalSeconds": 60,
                                   "expirySeconds": 3600})
    devhost.wait_history(iid, "TimerCreated")
    devhost.advance(61)
    devhost.wait_history(iid, "TimerCreated", count=2)  # polled again: still running
    assert devhost.status(iid)["customStatus"] == {"jobId": "job-1", "lastStatus": "Running"}
    (jobs / "job-1").write_text("Completed")
    devhost.advance(61)
    status = devhost.wait(iid)
    assert status["output"] == "Completed"
    assert status["customStatus"] == {"jobId": "job-1", "lastStatus": "Completed"}
    assert (jobs / "job-1.alert").read_text() == "Job job-1 completed\n"


def test_it_gives_up_at_the_expiry(devhost: DevhostClient, follow: Follow, jobs: Path) -> None:
    iid = _start(devhost, follow, {"jobId": "job-2", "pollingIntervalSeconds": 600,
                                   "expirySeconds": 1800})
    devhost.wait_history(iid, "TimerCreated")
    devhost.advance(1801)
    assert devhost.wait(iid)["output"] == "Expired"
    assert not (jobs / "job-2.alert").exists()


def test_an_eternal_orchestration_runs_every_hour(devhost: DevhostClient) -> None:
    iid = devhost.start("periodic_cleanup", 0)

    def runs() -> Any:
        status = devhost.status(iid) or {}
        return (status.get("customStatus") or {}).get("runs")

    for expected in (1, 2, 3):
        poll(runs, lambda n, e=expected: n == e, 30, lambda n: f"runs stayed {n}")
        devhost.wait_history(iid, "TimerCreated")
        devhost.advance(3601)
    poll(runs, lambda n: n == 4, 30, lambda n: f"runs stayed {n}")
    status = devhost.status(iid, history=True)
    assert status["runtimeStatus"] == "Running"
    # continue_as_new keeps the history to the current run.
    assert sum(e["EventType"] == "TimerCreated" for e in status["historyEvents"]) <= 1
    devhost.action(iid, "terminate", reason="test over")
    assert devhost.wait(iid)["runtimeStatus"] == "Terminated"
