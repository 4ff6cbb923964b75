"""Counters as Durable Entities: signalled and read from HTTP triggers, called from an
orchestration."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient, poll

APP = "counter"


def _value(devhost: DevhostClient, key: str) -> Any:
    r = devhost.http("GET", f"api/counters/{key}")
    return r.json() if r.status_code == 200 else r.status_code


def test_signals_from_http_add_up_and_reset(devhost: DevhostClient) -> None:
    assert _value(devhost, "cart") == 404
    for amount in (1, 2, 3, 4):
        assert devhost.http("POST", "api/counters/cart/add", json=amount).status_code == 202
    poll(lambda: _value(devhost, "cart"), lambda v: v == 10, 30, lambda v: f"counter is {v}")
    devhost.http("POST", "api/counters/cart/reset")
    poll(lambda: _value(devhost, "cart"), lambda v: v == 0, 30, lambda v: f"counter is {v}")
    assert devhost.entity("Counter", "cart") == 0  # the management API's view


def test_an_orchestration_signals_then_calls_the_entity(
        devhost: DevhostClient, follow: Callable[..., dict[str, Any]]) -> None:
    status = follow(devhost.http("POST", "api/orchestrators/counter_orchestrator/orch"))
    # The signal and the call go to one entity from one orchestration: they arrive in order.
    assert status["output"] == 3
    status = follow(devhost.http("POST", "api/orchestrators/counter_orchestrator/orch"))
    assert status["output"] == 6
