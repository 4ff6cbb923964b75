"""Orchestration telemetry runs once per workflow, never on replay; Azure Monitor only in Azure."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from obs_metrics import points, reader

from observability import azure_monitor, durable

ENVELOPE = {"type": "ShipOrder", "subject": {"orderId": "o-7"}, "correlationId": "b" * 32,
            "acceptedAt": "2026-01-01T00:00:00.000Z"}


@dataclass
class FakeContext:
    is_replaying: bool
    instance_id: str = "cmd-7"
    custom_status: Any = None
    calls: list[Any] = field(default_factory=list)

    def set_custom_status(self, status: Any) -> None:
        self.custom_status = status


def _results(outcome: str) -> float:
    return sum(p.value for p in points("orders_command_results")
               if p.attributes.get("command_type") == "ShipOrder"
               and p.attributes.get("outcome") == outcome)


def test_replayed_episodes_log_and_count_nothing(caplog: pytest.LogCaptureFixture) -> None:
    reader()
    before = _results("failed")
    replaying = FakeContext(is_replaying=True)
    with caplog.at_level(logging.INFO):
        durable.observe_start(replaying, ENVELOPE)
        durable.observe_end(replaying, ENVELOPE, {"status": "failed"})
    assert replaying.custom_status == {"correlationId": "b" * 32}  # set on every episode
    assert not caplog.records and _results("failed") == before


def test_the_live_episode_logs_once_and_counts_the_result(
        caplog: pytest.LogCaptureFixture) -> None:
    reader()
    before = _results("failed")
    live = FakeContext(is_replaying=False)
    result = {"status": "failed", "error": {"code": "OrderCancelled", "message": "m"}}
    with caplog.at_level(logging.INFO):
        durable.observe_start(live, ENVELOPE)
        assert durable.observe_end(live, ENVELOPE, result) is result
    started, finished = (json.loads(r.getMessage()) for r in caplog.records)
    assert started["event"] == "orchestration.started"
    assert finished["event"] == "orchestration.finished" and finished["code"] == "OrderCancelled"
    for line in (started, finished):
        assert (line["correlationId"], line["instanceId"], line["orderId"]) == (
            "b" * 32, "cmd-7", "o-7")
    assert _results("failed") == before + 1


def test_azure_monitor_is_configured_only_with_a_connection_string() -> None:
    assert azure_monitor.configure(None, "Authorization=AAD") is False
    assert azure_monitor.credential_for(None) is None
    assert azure_monitor.credential_for("Authorization=Key") is None
    credential = azure_monitor.credential_for("Authorization=AAD;ClientId=1234")
    assert type(credential).__name__ == "ManagedIdentityCredential"
