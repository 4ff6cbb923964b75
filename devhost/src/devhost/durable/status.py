"""Orchestration status JSON as the extension serves it (durable-protocol.md §4.4)."""

from __future__ import annotations

import json
from typing import Any

from devhost.durable import history as h
from devhost.records import Instance

_COMPLETIONS = {h.TASK_COMPLETED, h.TASK_FAILED, h.SUB_COMPLETED, h.SUB_FAILED}
_SCHEDULED = {h.TASK_SCHEDULED, h.SUB_CREATED}


def parse_stored(text: str | None) -> Any:
    """Stored JSON text back to JSON; text that is not JSON is returned as a string."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def status_json(inst: Instance, history: list[dict[str, Any]] | None = None,
                show_input: bool = True, show_history_output: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": inst.name, "instanceId": inst.instance_id, "runtimeStatus": inst.status,
        "input": parse_stored(inst.input) if show_input else None,
        "customStatus": parse_stored(inst.custom_status),
        "output": parse_stored(inst.output),
        "createdTime": h.status_time(inst.created_at),
        "lastUpdatedTime": h.status_time(inst.updated_at),
    }
    if history is not None:
        body["historyEvents"] = history_json(history, show_input, show_history_output)
    return body


def history_json(events: list[dict[str, Any]], show_input: bool,
                 show_output: bool) -> list[dict[str, Any]]:
    """The extension's friendlier history: names, merged schedule/completion pairs."""
    completed = {e.get("TaskScheduledId") for e in events if e["EventType"] in _COMPLETIONS}
    scheduled = {e["EventId"]: e for e in events if e["EventType"] in _SCHEDULED}
    out: list[dict[str, Any]] = []
    for ev in events:
        et = ev["EventType"]
        if et in (h.ORCHESTRATOR_STARTED, h.ORCHESTRATOR_COMPLETED):
            continue
        if et in _SCHEDULED and ev["EventId"] in completed:
            continue
        item = {k: v for k, v in ev.items() if k not in ("EventId", "IsPlayed", "EventType")}
        item = {"EventType": h.EVENT_NAMES.get(et, str(et)), **item}
        if et in _COMPLETIONS:
            src = scheduled.get(ev.get("TaskScheduledId"), {})
            item["FunctionName"] = src.get("Name")
            item["ScheduledTime"] = src.get("Timestamp")
            if show_input:
                item["Input"] = src.get("Input")
            item.pop("TaskScheduledId", None)
        elif et == h.EXECUTION_STARTED:
            item["FunctionName"] = item.pop("Name", None)
            for k in ("OrchestrationInstance", "ParentInstance", "Version", "Tags"):
                item.pop(k, None)
        elif et == h.EXECUTION_COMPLETED:
            code = item.get("OrchestrationStatus")
            item["OrchestrationStatus"] = next(
                (n for n, c in h.STATUS_CODES.items() if c == code), code)
        elif et == h.TIMER_FIRED:
            item.pop("TimerId", None)
        elif et in _SCHEDULED:
            item.pop("Version", None)
        if "Result" in item:
            if show_output:
                item["Result"] = parse_stored(item["Result"])
            else:
                item.pop("Result")
        if not show_input:
            item.pop("Input", None)
        out.append(item)
    return out
