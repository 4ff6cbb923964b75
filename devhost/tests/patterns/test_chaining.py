"""Function chaining, as samples-v2/function_chaining writes it."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "chaining"


def test_the_http_starter_runs_the_chain(devhost: DevhostClient,
                                        follow: Callable[..., dict[str, Any]]) -> None:
    started = devhost.http("GET", "api/orchestrators/my_orchestrator")
    status = follow(started)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def test_the_activities_ran_in_order(devhost: DevhostClient) -> None:
    iid = devhost.start("my_orchestrator")
    history = devhost.wait(iid, history=True)["historyEvents"]
    scheduled = [e["FunctionName"] for e in history if e["EventType"] == "TaskCompleted"]
    assert scheduled == ["say_hello"] * 3
    results = [e["Result"] for e in history if e["EventType"] == "TaskCompleted"]
    assert results == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
