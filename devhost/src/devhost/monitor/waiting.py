""""Why is it waiting?": what a Pending, Running or Suspended instance waits for, and since when.

The host does not record waits directly; they are derived from the history (steps scheduled and
not finished), the queued work (activities ahead in the queue, timers' due times, messages not yet
processed) and, for external events, the event names the replay engine recorded, if it did.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from devhost.durable import history as h
from devhost.monitor.util import event_time, payload
from devhost.records import Instance, WorkItem
from devhost.store import Store

QUEUE_SCAN = 10_000


@dataclass
class Context:
    store: Store
    now: float
    running_activities: set[int]
    busy_orchestrations: set[str]
    started: dict[int, float]


def explain(inst: Instance, events: list[dict[str, Any]], ctx: Context) -> dict[str, Any]:
    """A summary line and one entry per thing the instance waits for."""
    if inst.terminal:
        return {"summary": f"Not waiting: the instance is {inst.status}.", "items": []}
    work = ctx.store.pending_work(inst.instance_id)
    items: list[dict[str, Any]] = []
    if inst.status == "Suspended":
        since = next((event_time(e) for e in reversed(events)
                      if e["EventType"] == h.EXECUTION_SUSPENDED), inst.updated_at)
        items.append({"kind": "suspended", "text": "Suspended: it waits to be resumed.",
                      "since": since})
    if inst.status == "Pending" or not inst.engine.get("started"):
        items.append(_start_item(inst, ctx))
    items += _steps(inst, events, work, ctx)
    items += _unprocessed(inst, work, ctx)
    if inst.status != "Pending" and inst.engine.get("started"):
        items += _external_events(inst, events, items)
    return {"summary": _summary(inst, items), "items": items,
            "customStatus": payload(inst.custom_status)}


def _start_item(inst: Instance, ctx: Context) -> dict[str, Any]:
    if inst.instance_id in ctx.busy_orchestrations:
        return {"kind": "start", "text": "Starting: its first episode is running now.",
                "since": inst.created_at}
    return {"kind": "start", "text": "Waiting for the dispatcher to start it.",
            "since": inst.created_at, "waited": ctx.now - inst.created_at}


def _steps(inst: Instance, events: list[dict[str, Any]], work: list[WorkItem],
           ctx: Context) -> list[dict[str, Any]]:
    open_steps: dict[int, dict[str, Any]] = {}
    answered: set[str] = set()
    for ev in events:
        et = ev["EventType"]
        if et in (h.TASK_SCHEDULED, h.SUB_CREATED, h.TIMER_CREATED, h.EVENT_SENT):
            open_steps[ev["EventId"]] = ev
        elif et in (h.TASK_COMPLETED, h.TASK_FAILED, h.SUB_COMPLETED, h.SUB_FAILED):
            open_steps.pop(ev.get("TaskScheduledId", -1), None)
        elif et == h.TIMER_FIRED:
            open_steps.pop(ev.get("TimerId", -1), None)
        elif et == h.EVENT_RAISED:
            answered.add(str(ev.get("Name")))
    cancelled = set(inst.engine.get("cancelled") or [])
    retries = inst.engine.get("retries") or {}
    activities = {w.payload.get("taskId"): w for w in work if w.kind == "activity"}
    timers = {w.tag: w for w in work if w.kind == "orch" and w.tag}
    items: list[dict[str, Any]] = []
    for tid, ev in open_steps.items():
        at = event_time(ev)
        et = ev["EventType"]
        if et == h.TASK_SCHEDULED:
            items.append(_activity_item(tid, ev, at, activities.get(tid), retries, ctx))
        elif et == h.TIMER_CREATED and tid not in cancelled:
            items.append(_timer_item(inst, tid, ev, at, timers, retries, ctx))
        elif et == h.SUB_CREATED:
            child = ctx.store.instance(str(ev.get("InstanceId")))
            items.append({"kind": "suborchestration", "name": ev.get("Name"),
                          "instanceId": ev.get("InstanceId"),
                          "childStatus": child.status if child else None,
                          "text": f"Sub-orchestration {ev.get('Name')} ({ev.get('InstanceId')}) "
                                  f"is {child.status if child else 'not created yet'}.",
                          "since": at, "waited": _ago(ctx.now, at)})
        elif et == h.EVENT_SENT:
            item = _entity_item(ev, at, answered, ctx)
            if item is not None:
                items.append(item)
    return items


def _activity_item(tid: int, ev: dict[str, Any], at: float | None, queued: WorkItem | None,
                   retries: dict[str, Any], ctx: Context) -> dict[str, Any]:
    name = ev.get("Name")
    item: dict[str, Any] = {"kind": "activity", "name": name, "taskId": tid, "since": at,
                            "waited": _ago(ctx.now, at)}
    retry = retries.get(str(tid))
    attempt = f" (attempt {retry['attempt']} of {retry['max']})" if retry else ""
    if queued is None:
        item["state"] = "finished"
        item["text"] = (f"Activity {name}{attempt} finished; the orchestrator has not processed "
                        "its result yet.")
    elif queued.id in ctx.running_activities:
        item["state"] = "running"
        started = ctx.started.get(tid)
        if started is not None:
            item["queued"] = max(0.0, started - at) if at is not None else None
            item["running"] = max(0.0, ctx.now - started)  # started by another process's clock
        item["text"] = f"Activity {name}{attempt} is running."
    else:
        ahead = _ahead("activity", queued, ctx)
        item["state"] = "queued"
        item["ahead"] = ahead
        item["text"] = (f"Activity {name}{attempt} is queued behind {_count(ahead)} other "
                        f"activit{'y' if ahead == 1 else 'ies'}.")
    return item


def _timer_item(inst: Instance, tid: int, ev: dict[str, Any], at: float | None,
                timers: dict[str, WorkItem], retries: dict[str, Any],
                ctx: Context) -> dict[str, Any]:
    fire = ev.get("FireAt")
    retry = retries.get(str(tid))
    label = (f"Retry delay before attempt {retry['attempt'] + 1} of {retry['max']} of "
             f"{retry['name']}" if retry and retry.get("phase") == "timer" else "Timer")
    armed = any(tag.endswith(f":{tid}") for tag in timers)
    due = _due(fire)
    when = "is due now" if due is not None and due <= ctx.now else f"fires at {fire}"
    return {"kind": "timer", "taskId": tid, "fireAt": fire, "due": due, "since": at,
            "waited": _ago(ctx.now, at), "armed": armed,
            "text": f"{label} {when}." + ("" if armed else " (no armed timer message found)")}


def _entity_item(ev: dict[str, Any], at: float | None, answered: set[str],
                 ctx: Context) -> dict[str, Any] | None:
    try:
        req = json.loads(ev.get("Input") or "{}")
    except ValueError:
        req = {}
    if not isinstance(req, dict) or req.get("signal") or str(req.get("id")) in answered:
        return None
    target = str(ev.get("InstanceId"))
    queue = [w for w in ctx.store.pending_work(target) if w.kind == "entity"]
    position = next((i for i, w in enumerate(queue) if w.payload.get("id") == req.get("id")),
                    None)
    if position is None:
        state = "the entity answered; the orchestrator has not processed the answer yet"
    else:
        state = f"queued behind {_count(position)} other operation(s) on the entity"
    return {"kind": "entity", "entityId": target, "operation": req.get("op"),
            "ahead": position, "since": at, "waited": _ago(ctx.now, at),
            "text": f"Entity call {target} '{req.get('op')}': {state}."}


def _unprocessed(inst: Instance, work: list[WorkItem], ctx: Context) -> list[dict[str, Any]]:
    ready = [w for w in work if w.kind in ("orch", "ctrl") and w.due <= ctx.now]
    if not ready:
        return []
    busy = inst.instance_id in ctx.busy_orchestrations
    kinds = Counter(_message_kind(w) for w in ready)
    text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    if inst.status == "Suspended":
        text += " held while suspended"
    return [{"kind": "messages", "count": len(ready), "since": min(w.due for w in ready),
             "waited": ctx.now - min(w.due for w in ready),
             "text": f"Messages queued for the orchestrator: {text}"
                     + (" (an episode is running now)." if busy else ".")}]


def _message_kind(w: WorkItem) -> str:
    if w.kind == "ctrl":
        return str(w.payload.get("type", "control"))
    if w.payload.get("type") == "start":
        return "start"
    name = h.EVENT_NAMES.get(w.payload.get("event", {}).get("EventType"), "event")
    return name


def _external_events(inst: Instance, events: list[dict[str, Any]],
                     found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Named waits the replay engine recorded (engine 'waits'), less the events already raised.

    Without that record, an instance with nothing but timers outstanding is said to possibly wait
    for an event too (the usual "event or timeout" pattern).
    """
    waits = inst.engine.get("waits")
    if waits is None:
        if inst.status != "Running" or any(i["kind"] != "timer" for i in found):
            return []
        return [{"kind": "event", "name": None,
                 "text": "An external event, most likely (the host does not record event names; "
                         "see the custom status)."
                         if found else "An external event (name unknown to the host)."}]
    raised = Counter(str(e.get("Name")) for e in events if e["EventType"] == h.EVENT_RAISED)
    out = []
    for name, n in Counter(str(w) for w in waits).items():
        if n > raised.get(name, 0):
            out.append({"kind": "event", "name": name,
                        "text": f"External event '{name}' (raise it with the action above)."})
    return out


def _summary(inst: Instance, items: list[dict[str, Any]]) -> str:
    if not items:
        return f"The instance is {inst.status}; nothing is scheduled or queued."
    kinds = Counter(i["kind"] for i in items)
    parts = [f"{n} {k}" + ("s" if n > 1 else "") for k, n in kinds.items()]
    return f"Waiting on: {', '.join(parts)}."


def _ahead(kind: str, item: WorkItem, ctx: Context) -> int:
    queue = ctx.store.due_work(kind, ctx.now, set(), QUEUE_SCAN)
    return sum(1 for w in queue if w.id < item.id and w.id not in ctx.running_activities)


def _ago(now: float, at: float | None) -> float | None:
    return None if at is None else max(0.0, now - at)


def _due(text: Any) -> float | None:
    try:
        return h.parse_time(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _count(n: int) -> str:
    return f"{n}+" if n >= QUEUE_SCAN else str(n)
