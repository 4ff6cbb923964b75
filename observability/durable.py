"""Orchestrations: the correlation id in custom status, replay-safe log lines, command results.

Orchestrator code runs again on every replay, so its log lines and metrics are emitted only when
``context.is_replaying`` is false: once when the workflow starts and once when it ends. Nothing
here is bound to a context variable, because orchestrator episodes run on pooled threads and a
generator suspended between episodes could never reset it; every line names its fields.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from observability import correlation, instruments
from observability.logs import get_logger

log = get_logger("orders.orchestrations")
_SUBJECT = ("orderId", "customerId", "sku")


class OrchestrationContext(Protocol):
    """The part of ``df.DurableOrchestrationContext`` used here."""

    @property
    def instance_id(self) -> str: ...

    @property
    def is_replaying(self) -> bool: ...

    def set_custom_status(self, status: Any) -> None: ...


def correlation_id_of(envelope: Mapping[str, Any]) -> str | None:
    value = envelope.get("correlationId")
    return value if correlation.is_correlation_id(value) else None


def log_fields(context: OrchestrationContext, envelope: Mapping[str, Any]) -> dict[str, Any]:
    subject = envelope.get("subject") or {}
    fields: dict[str, Any] = {"correlationId": correlation_id_of(envelope),
                              "instanceId": context.instance_id,
                              "commandType": envelope.get("type")}
    fields.update({k: subject[k] for k in _SUBJECT if k in subject})
    return fields


def observe_start(context: OrchestrationContext, envelope: Mapping[str, Any]) -> None:
    """Call first thing in each episode: custom status every time, the log line once."""
    cid = correlation_id_of(envelope)
    if cid:
        context.set_custom_status({"correlationId": cid})
    if not context.is_replaying:
        log.info("%s started", envelope.get("type"), event="orchestration.started",
                 **log_fields(context, envelope))


def _completion_ms(envelope: Mapping[str, Any]) -> float | None:
    accepted = envelope.get("acceptedAt")
    if not isinstance(accepted, str):
        return None
    try:
        started = datetime.fromisoformat(accepted.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return (time.time() - started) * 1000.0


def observe_end(context: OrchestrationContext, envelope: Mapping[str, Any],
                result: dict[str, Any]) -> dict[str, Any]:
    """Record and log the command's result once (not on replay); returns ``result``."""
    if context.is_replaying:
        return result
    command_type = str(envelope.get("type") or "unknown")
    outcome = str(result.get("status") or "unknown")
    code = (result.get("error") or {}).get("code")
    millis = _completion_ms(envelope)
    with correlation.activate(correlation_id_of(envelope)):
        instruments.record_command_result(command_type, outcome, code, millis)
    log.info("%s %s", command_type, outcome, event="orchestration.finished", outcome=outcome,
             code=code, completionMs=None if millis is None else round(millis, 2),
             **log_fields(context, envelope))
    return result
