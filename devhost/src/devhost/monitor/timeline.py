"""The history as Gantt spans: one per activity, timer, sub-orchestration and entity call."""

from __future__ import annotations

import json
from collections.abc import Callable
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


class _Spans:
    """The spans of one history, built event by event (`_HANDLERS` says what each type adds)."""

    def __init__(self, inst: Instance, events: list[dict[str, Any]]) -> None:
        self.inst = inst
        self.by_task: dict[int, dict[str, Any]] = {}
        self.by_request: dict[str, dict[str, Any]] = {}
        self.cancelled = set(inst.engine.get("cancelled") or [])
        # Ids the orchestrator's own actions got; the host allocates the others for retries.
        self.own = set(inst.engine.get("ids") or [])
        first = next((event_time(e) for e in events if event_time(e) is not None), None)
        self.orchestration: dict[str, Any] = {"kind": "orchestration", "name": inst.name,
                                              "start": first or inst.created_at, "end": None,
                                              "outcome": "running"}
        self.out: list[dict[str, Any]] = [self.orchestration]

    def implicit(self, tid: int) -> bool:
        return bool(self.own) and tid not in self.own

    def open(self, span: dict[str, Any]) -> None:
        self.by_task[span["taskId"]] = span
        self.out.append(span)

    def task_scheduled(self, ev: dict[str, Any], at: float | None) -> None:
        retry = " (retry)" if self.implicit(ev["EventId"]) else ""
        self.open({"kind": "activity", "name": f"{ev.get('Name')}{retry}",
                   "taskId": ev["EventId"], "start": at, "end": None, "outcome": "pending",
                   "input": payload(ev.get("Input"))})

    def sub_created(self, ev: dict[str, Any], at: float | None) -> None:
        self.open({"kind": "suborchestration", "name": ev.get("Name"), "taskId": ev["EventId"],
                   "instanceId": ev.get("InstanceId"), "start": at, "end": None,
                   "outcome": "pending", "input": payload(ev.get("Input"))})

    def timer_created(self, ev: dict[str, Any], at: float | None) -> None:
        tid, fire = ev["EventId"], ev.get("FireAt")
        self.open({"kind": "timer", "name": "retry delay" if self.implicit(tid) else "timer",
                   "taskId": tid, "start": at, "end": None, "fireAt": fire, "due": _parse(fire),
                   "outcome": "cancelled" if tid in self.cancelled else "pending"})

    def event_sent(self, ev: dict[str, Any], at: float | None) -> None:
        req = _request(ev)
        signal = bool(req.get("signal"))
        span = {"kind": "entity", "name": f"{ev.get('InstanceId')} {req.get('op')}",
                "entityId": ev.get("InstanceId"), "operation": req.get("op"),
                "taskId": ev["EventId"], "start": at, "end": at if signal else None,
                "outcome": "signalled" if signal else "pending",
                "input": payload(req.get("input"))}
        if not signal and req.get("id"):
            self.by_request[str(req["id"])] = span
        self.out.append(span)

    def task_done(self, ev: dict[str, Any], at: float | None) -> None:
        done = self.by_task.get(ev.get("TaskScheduledId", -1))
        if done is not None:
            done["end"], done["outcome"] = at, _DONE[ev["EventType"]]
            done["result"] = payload(ev.get("Result"))
            done["reason"] = ev.get("Reason")

    def timer_fired(self, ev: dict[str, Any], at: float | None) -> None:
        fired = self.by_task.get(ev.get("TimerId", -1))
        if fired is not None:
            fired["end"], fired["outcome"] = at, "fired"

    def event_raised(self, ev: dict[str, Any], at: float | None) -> None:
        answered = self.by_request.get(str(ev.get("Name")))
        if answered is None:
            self.out.append({"kind": "event", "name": ev.get("Name"), "start": at, "end": at,
                             "outcome": "received", "input": payload(ev.get("Input"))})
            return
        response = _request(ev)
        answered["end"] = at
        answered["outcome"] = "failed" if response.get("exceptionType") else "completed"
        answered["result"] = payload(json.dumps(response.get("result"))
                                     if "result" in response else None)

    def control(self, ev: dict[str, Any], at: float | None) -> None:
        et = ev["EventType"]
        self.out.append({"kind": "control", "name": h.EVENT_NAMES[et], "start": at, "end": at,
                         "outcome": "suspended" if et == h.EXECUTION_SUSPENDED else "resumed",
                         "reason": ev.get("Reason")})

    def ended(self, ev: dict[str, Any], at: float | None) -> None:
        self.orchestration["end"] = at
        self.orchestration["outcome"] = self.inst.status.lower()


_HANDLERS: dict[int, Callable[[_Spans, dict[str, Any], float | None], None]] = {
    h.TASK_SCHEDULED: _Spans.task_scheduled,
    h.SUB_CREATED: _Spans.sub_created,
    h.TIMER_CREATED: _Spans.timer_created,
    h.EVENT_SENT: _Spans.event_sent,
    **{done: _Spans.task_done for done in _DONE},
    h.TIMER_FIRED: _Spans.timer_fired,
    h.EVENT_RAISED: _Spans.event_raised,
    h.EXECUTION_SUSPENDED: _Spans.control,
    h.EXECUTION_RESUMED: _Spans.control,
    h.EXECUTION_COMPLETED: _Spans.ended,
    h.EXECUTION_TERMINATED: _Spans.ended,
}


def spans(inst: Instance, events: list[dict[str, Any]],
          started: dict[int, float] | None = None) -> list[dict[str, Any]]:
    """Spans in scheduling order; `end` is None while a step is still open.

    `started` maps task ids to the host time an activity started running, when the runtime
    recorded it: it splits an activity's span into time queued and time running.
    """
    started = started or {}
    built = _Spans(inst, events)
    for ev in events:
        handler = _HANDLERS.get(ev["EventType"])
        if handler is not None:
            handler(built, ev, event_time(ev))
    for span in built.out:
        if span["kind"] == "activity" and span["taskId"] in started:
            span["started"] = started[span["taskId"]]
    orchestration = built.orchestration
    if orchestration["end"] is None and inst.terminal:
        orchestration["end"], orchestration["outcome"] = inst.updated_at, inst.status.lower()
    return built.out


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
