"""The history as Gantt spans: one per activity, timer, sub-orchestration and entity call."""

from __future__ import annotations

import json
from typing import Any

from devhost.durable import history as h
from devhost.monitor.util import event_time, payload
from devhost.records import Instance

_DONE = {h.TASK_COMPLETED: "completed", h.TASK_FAILED: "failed",
         h.SUB_COMPLETED: "completed", h.SUB_FAILED: "failed"}


def _request(ev: dict[str, Any]) -> dict[str, Any]:
    try:
        req = json.loads(ev.get("Input") or "{}")
    except ValueError:
        return {}
    return req if isinstance(req, dict) else {}


def spans(inst: Instance, events: list[dict[str, Any]],
          started: dict[int, float] | None = None) -> list[dict[str, Any]]:
    """Spans in scheduling order; `end` is None while a step is still open.

    `started` maps task ids to the host time an activity started running, when the runtime
    recorded it: it splits an activity's span into time queued and time running.
    """
    started = started or {}
    out: list[dict[str, Any]] = []
    by_task: dict[int, dict[str, Any]] = {}
    by_request: dict[str, dict[str, Any]] = {}
    cancelled = set(inst.engine.get("cancelled") or [])
    # Ids the orchestrator's own actions got; the host allocates the others for retries.
    own = set(inst.engine.get("ids") or [])

    def implicit(tid: int) -> bool:
        return bool(own) and tid not in own

    first = next((event_time(e) for e in events if event_time(e) is not None), None)
    orchestration: dict[str, Any] = {"kind": "orchestration", "name": inst.name,
                                     "start": first or inst.created_at, "end": None,
                                     "outcome": "running"}
    out.append(orchestration)
    for ev in events:
        et, at = ev["EventType"], event_time(ev)
        if et == h.TASK_SCHEDULED:
            retry = " (retry)" if implicit(ev["EventId"]) else ""
            span = {"kind": "activity", "name": f"{ev.get('Name')}{retry}",
                    "taskId": ev["EventId"],
                    "start": at, "end": None, "outcome": "pending",
                    "input": payload(ev.get("Input"))}
            by_task[ev["EventId"]] = span
            out.append(span)
        elif et == h.SUB_CREATED:
            span = {"kind": "suborchestration", "name": ev.get("Name"), "taskId": ev["EventId"],
                    "instanceId": ev.get("InstanceId"), "start": at, "end": None,
                    "outcome": "pending", "input": payload(ev.get("Input"))}
            by_task[ev["EventId"]] = span
            out.append(span)
        elif et == h.TIMER_CREATED:
            tid = ev["EventId"]
            fire = ev.get("FireAt")
            span = {"kind": "timer", "name": "retry delay" if implicit(tid) else "timer",
                    "taskId": tid, "start": at, "end": None,
                    "fireAt": fire, "due": _parse(fire),
                    "outcome": "cancelled" if tid in cancelled else "pending"}
            by_task[tid] = span
            out.append(span)
        elif et == h.EVENT_SENT:
            req = _request(ev)
            signal = bool(req.get("signal"))
            span = {"kind": "entity", "name": f"{ev.get('InstanceId')} {req.get('op')}",
                    "entityId": ev.get("InstanceId"), "operation": req.get("op"),
                    "taskId": ev["EventId"], "start": at, "end": at if signal else None,
                    "outcome": "signalled" if signal else "pending",
                    "input": payload(req.get("input"))}
            if not signal and req.get("id"):
                by_request[str(req["id"])] = span
            out.append(span)
        elif et in _DONE:
            done = by_task.get(ev.get("TaskScheduledId", -1))
            if done is not None:
                done["end"], done["outcome"] = at, _DONE[et]
                done["result"] = payload(ev.get("Result"))
                done["reason"] = ev.get("Reason")
        elif et == h.TIMER_FIRED:
            fired = by_task.get(ev.get("TimerId", -1))
            if fired is not None:
                fired["end"], fired["outcome"] = at, "fired"
        elif et == h.EVENT_RAISED:
            answered = by_request.get(str(ev.get("Name")))
            if answered is not None:
                response = _request(ev)
                answered["end"] = at
                answered["outcome"] = "failed" if response.get("exceptionType") else "completed"
                answered["result"] = payload(json.dumps(response.get("result"))
                                             if "result" in response else None)
            else:
                out.append({"kind": "event", "name": ev.get("Name"), "start": at, "end": at,
                            "outcome": "received", "input": payload(ev.get("Input"))})
        elif et in (h.EXECUTION_SUSPENDED, h.EXECUTION_RESUMED):
            out.append({"kind": "control", "name": h.EVENT_NAMES[et], "start": at, "end": at,
                        "outcome": "suspended" if et == h.EXECUTION_SUSPENDED else "resumed",
                        "reason": ev.get("Reason")})
        elif et in (h.EXECUTION_COMPLETED, h.EXECUTION_TERMINATED):
            orchestration["end"] = at
            orchestration["outcome"] = inst.status.lower()
    for span in out:
        if span["kind"] == "activity" and span["taskId"] in started:
            span["started"] = started[span["taskId"]]
    if orchestration["end"] is None and inst.terminal:
        orchestration["end"], orchestration["outcome"] = inst.updated_at, inst.status.lower()
    return out


def _parse(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return h.parse_time(text)
    except ValueError:
        return None


def history_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The raw history for the table: type names, and payload fields parsed for display."""
    rows = []
    for i, ev in enumerate(events):
        details = {k: v for k, v in ev.items()
                   if k not in ("EventType", "EventId", "Timestamp", "IsPlayed")}
        for key in ("Input", "Result"):
            if isinstance(details.get(key), str):
                details[key] = payload(details[key])
        rows.append({"seq": i, "type": h.EVENT_NAMES.get(ev["EventType"], str(ev["EventType"])),
                     "eventId": ev.get("EventId"), "timestamp": ev.get("Timestamp"),
                     "name": ev.get("Name") or ev.get("InstanceId"),
                     "taskId": ev.get("TaskScheduledId", ev.get("TimerId")),
                     "details": details})
    return rows
