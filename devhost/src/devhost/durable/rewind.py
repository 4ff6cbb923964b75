"""Rewind a failed instance: forget the failure and run the failed steps again.

The history is cut just before the episode that first delivered a failure (or, when the
orchestrator code itself raised, before its last episode), the replay bookkeeping is rebuilt
from what is kept, and every step that is then unfinished is scheduled again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from devhost.durable import history as h
from devhost.durable.replay import timer_tag
from devhost.records import Batch, Instance, NewWork

_FAILURES = (h.TASK_FAILED, h.SUB_FAILED)
_SCHEDULING = (h.TASK_SCHEDULED, h.SUB_CREATED, h.TIMER_CREATED, h.EVENT_SENT)


def _cut_index(history: list[dict[str, Any]]) -> int:
    starts = [i for i, ev in enumerate(history) if ev["EventType"] == h.ORCHESTRATOR_STARTED]
    first_failure = next((i for i, ev in enumerate(history) if ev["EventType"] in _FAILURES),
                         None)
    if first_failure is None:
        return starts[-1] if starts else len(history)
    return max((i for i in starts if i < first_failure), default=0)


def _finished(kept: list[dict[str, Any]]) -> set[Any]:
    done: set[Any] = set()
    for ev in kept:
        if ev["EventType"] in (h.TASK_COMPLETED, h.SUB_COMPLETED):
            done.add(ev["TaskScheduledId"])
        elif ev["EventType"] == h.TIMER_FIRED:
            done.add(ev["TimerId"])
        elif ev["EventType"] == h.EVENT_RAISED:
            done.add(ev.get("Name"))
    return done


def rewind(inst: Instance, history: list[dict[str, Any]], batch: Batch, reason: str,
           now: float, new_instance: Callable[..., Any]) -> None:
    kept = history[:_cut_index(history)]
    batch.history = [x for x in batch.history if x[0] != inst.instance_id]
    batch.history_resets.append(inst.instance_id)
    batch.history += [(inst.instance_id, i, ev) for i, ev in enumerate(kept)]
    history[:] = kept
    scheduled = {ev["EventId"]: ev for ev in kept if ev["EventType"] in _SCHEDULING}
    eng = inst.engine
    eng["next_id"] = max(scheduled, default=-1) + 1
    keep_k = [k for k, tid in enumerate(eng.get("ids", [])) if tid in scheduled]
    eng["ids"] = [eng["ids"][k] for k in keep_k]
    eng["sigs"] = [eng["sigs"][k] for k in keep_k]
    eng["cancelled"] = [t for t in eng.get("cancelled", []) if t in scheduled]
    done = _finished(kept)
    pending = [ev for eid, ev in scheduled.items() if eid not in done]
    retry_actions = eng.get("retry_actions", {})
    eng["retries"] = {str(ev["EventId"]): dict(retry_actions[str(ev["EventId"])])
                      for ev in pending if str(ev["EventId"]) in retry_actions}
    inst.status, inst.output = "Running", None
    for ev in pending:
        _reschedule(inst, ev, batch, now, new_instance)
    if not any(ev["EventType"] != h.TIMER_CREATED for ev in pending):
        # Nothing to wait for: replay once more so the orchestrator code runs again.
        batch.work.append(NewWork("orch", inst.instance_id, {
            "type": "event", "execution": inst.execution_id,
            "event": {"EventType": 17, "Data": f"rewind: {reason}"}}, now))


def _reschedule(inst: Instance, ev: dict[str, Any], batch: Batch, now: float,
                new_instance: Callable[..., Any]) -> None:
    et, eid = ev["EventType"], ev["EventId"]
    if et == h.TASK_SCHEDULED:
        body: dict[str, Any] = {"name": ev["Name"], "input": ev.get("Input"), "taskId": eid,
                                "execution": inst.execution_id}
        if ev["Name"] == h.HTTP_ACTIVITY:
            body["http"] = json.loads(ev.get("Input") or "{}")
        batch.work.append(NewWork("activity", inst.instance_id, body, now))
    elif et == h.SUB_CREATED:
        new_instance(batch, ev["Name"], ev["InstanceId"],
                     json.dumps(ev.get("Input")) if ev.get("Input") is not None else None, now,
                     parent={"instanceId": inst.instance_id, "executionId": inst.execution_id,
                             "taskId": eid, "name": inst.name})
    elif et == h.TIMER_CREATED and eid not in inst.engine.get("cancelled", []):
        batch.work.append(NewWork("orch", inst.instance_id, {
            "type": "event", "execution": inst.execution_id,
            "event": {"EventType": h.TIMER_FIRED, "TimerId": eid, "FireAt": ev["FireAt"]}},
            h.parse_time(ev["FireAt"]), timer_tag(inst.instance_id, inst.execution_id, eid)))
    elif et == h.EVENT_SENT:
        req = json.loads(ev["Input"])
        if not req.get("signal"):
            batch.work.append(NewWork("entity", ev["InstanceId"], req, now))
