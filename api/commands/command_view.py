"""A command's status in our own shape (docs/api.md, Command status), from its orchestration's
status and sealed input: for ``GET /api/commands/{id}`` and the caller's list alike."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from api import consistency
from contracts.wire import format_timestamp

RUNNING = {"Pending": "pending", "Running": "running", "ContinuedAsNew": "running",
           "Suspended": "running"}
INTERRUPTED = {"code": "InternalError", "message": "The command could not be completed."}


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return format_timestamp(value if value.tzinfo else value.astimezone())
    return str(value) if value else None


def parsed_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def runtime_of(status: Any) -> str:
    return str(getattr(status.runtime_status, "value", status.runtime_status))


def command_view(status: Any, envelope: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(status)
    view: dict[str, Any] = {
        "commandId": envelope.get("commandId"),
        "type": envelope.get("type"),
        **(envelope.get("subject") or {}),
        "createdAt": _time(status.created_time),
        "updatedAt": _time(status.last_updated_time),
    }
    if runtime in RUNNING:
        return {**view, "status": RUNNING[runtime]}
    outcome = parsed_json(status.output)
    if runtime == "Completed" and isinstance(outcome, dict) and "status" in outcome:
        view["status"] = outcome["status"]
        for key in ("version", "result", "error"):
            if key in outcome:
                view[key] = outcome[key]
        return view
    return {**view, "status": "failed", "error": INTERRUPTED}


def with_token(view: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
    """A succeeded command's view with its ``consistencyToken`` (read-your-writes)."""
    if view.get("status") != "succeeded":
        return view
    token = consistency.issue(envelope.get("subject") or {}, int(view.get("version") or 0))
    return {**view, "consistencyToken": token} if token else view
