"""The v1 programming model (function.json folders): a counter entity called from an
orchestration that an HTTP starter starts with a durable client binding passed as a string."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "v1_counter"


def test_the_functions_are_indexed_from_their_folders(devhost: DevhostClient) -> None:
    out = devhost.host.output()
    assert "DurableTrigger: [POST,GET]" in out and "/api/orchestrators/{functionName}" in out
    assert "Counter: entityTrigger 'Counter'" in out
    assert "DurableOrchestration: orchestrationTrigger 'DurableOrchestration'" in out


def test_an_orchestration_signals_and_calls_the_v1_entity(
        devhost: DevhostClient, follow: Callable[..., dict[str, Any]]) -> None:
    status = follow(devhost.http("POST", "api/orchestrators/DurableOrchestration"))
    assert status["output"] == 3
    status = follow(devhost.http("GET", "api/orchestrators/DurableOrchestration"))
    assert status["output"] == 6
    assert devhost.entity("Counter", "myCounter") == 6
