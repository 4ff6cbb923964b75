"""One orchestration episode: append new events, replay through the SDK, schedule new actions.

This is the host side of durable-protocol.md §2.8. The SDK predicts task ids; the host must
allocate the same ones (§2.6), detect non-determinism (§2.9) and turn actions into work.
The function here is pure: it reads an instance and its history and returns what to commit.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import importlib
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import dateutil.parser
from azure.durable_functions.models import DurableOrchestrationContext

from devhost.durable import history as h
from devhost.records import Instance, NewWork

MARKER = "\n\n$OutOfProcData$:"
_replay = threading.local()


# Two host-side speed-ups that leave every value the SDK computes unchanged (the profile in
# durable-protocol.md names both): the SDK parses every history timestamp with dateutil on
# every episode (half of all replay time), and builds a new namedtuple class per episode.
_DEVHOST_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{6}))?Z")
_STAMP_TZ = dateutil.parser.parse("2000-01-01T00:00:00.000000Z").tzinfo  # what dateutil gives


@functools.lru_cache(maxsize=16384)  # the timestamps of a few hundred instances in flight
def parse_history_time(text: str) -> dt.datetime:
    """dateutil's result for a timestamp; devhost's own formats skip the tokenizer."""
    m = _DEVHOST_STAMP.fullmatch(text)
    if m is None:
        return dateutil.parser.parse(text)  # type: ignore[no-any-return]
    year, month, day, hour, minute, second, micro = (int(g or 0) for g in m.groups())
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=_STAMP_TZ)


_history_event_module: Any = importlib.import_module(
    "azure.durable_functions.models.history.HistoryEvent")
_history_event_module.dt_parse = parse_history_time
# The durable client parses status times (`createdTime`, ...) the same way.
_status_module: Any = importlib.import_module(
    "azure.durable_functions.models.DurableOrchestrationStatus")
_status_module.dt_parse = parse_history_time
_executor_module: Any = importlib.import_module(
    "azure.durable_functions.models.TaskOrchestrationExecutor")
_executor_module.namedtuple = functools.lru_cache(maxsize=None)(collections.namedtuple)

_original_from_json = DurableOrchestrationContext.from_json.__func__  # type: ignore[attr-defined]


_PREPARED = "devhost:prepared-context"


def _recording_from_json(cls: Any, json_string: str) -> DurableOrchestrationContext:
    prepared = getattr(_replay, "prepared", None)
    if json_string == _PREPARED and prepared is not None:
        # The dict the SDK would get from json.loads(json.dumps(prepared)): devhost builds it
        # from JSON-decoded history, so skipping the round trip changes no value.
        ctx: DurableOrchestrationContext = cls(**prepared)
    else:
        ctx = _original_from_json(cls, json_string)
    _replay.context = ctx
    return ctx


# Remember the context the SDK builds so log records emitted while it replays can be dropped,
# and hand it the prepared context without encoding the whole history to JSON and back.
DurableOrchestrationContext.from_json = classmethod(_recording_from_json)  # type: ignore[assignment]


class ReplayLogFilter(logging.Filter):
    """Drops the app's log records emitted while an orchestrator replays past events."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = getattr(_replay, "context", None)
        if ctx is None or record.name.startswith("devhost"):
            return True
        return not ctx.is_replaying


@dataclass
class ChildStart:
    instance_id: str
    name: str
    input: str | None
    parent: dict[str, Any]


@dataclass
class Episode:
    """What one episode changes; the runtime commits it in one transaction."""

    instance: Instance
    appended: list[dict[str, Any]] = field(default_factory=list)
    work: list[NewWork] = field(default_factory=list)
    children: list[ChildStart] = field(default_factory=list)
    cancel_tags: list[str] = field(default_factory=list)
    reset_history: bool = False
    outcome: str = "running"


def timer_tag(instance_id: str, execution_id: str, timer_id: int | str) -> str:
    return f"timer:{instance_id}:{execution_id}:{timer_id}"


def invoke_orchestrator(handle: Any, context: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Call the SDK's handle like the worker does; returns (state, error)."""
    try:
        _replay.prepared = context
        try:
            out = handle(context=func.OrchestrationContext(_PREPARED))
        finally:
            _replay.context = _replay.prepared = None
    except Exception as exc:  # the SDK reports orchestrator failures by raising
        text = str(exc)
        if MARKER in text:
            prefix, suffix = text.split(MARKER, 1)
            state = json.loads(suffix)
            return state, state.get("error") or prefix
        return {"isDone": False, "actions": [[]]}, f"{type(exc).__name__}: {exc}"
    return json.loads(out), None


class EpisodeRunner:
    """Builds and runs one episode for an instance; `run` is called on a worker thread."""

    def __init__(self, handle: Any, inst: Instance, history: list[dict[str, Any]],
                 events: list[dict[str, Any]], now: float) -> None:
        self.handle = handle
        self.inst = inst
        self.history = history
        self.events = events
        self.eng = inst.engine
        self.ep = Episode(instance=inst)
        last = self.eng.get("last_ts", 0.0)
        self.now = max(now, last)
        self.ts = h.timestamp(self.now)

    # -- helpers --------------------------------------------------------------------------------

    def _append(self, ev: dict[str, Any]) -> None:
        self.ep.appended.append(ev)

    def _next_id(self) -> int:
        nid = int(self.eng.get("next_id", 0))
        self.eng["next_id"] = nid + 1
        return nid

    def _to_self(self, ev: dict[str, Any], due: float, tag: str | None = None) -> None:
        self.ep.work.append(NewWork("orch", self.inst.instance_id, {
            "type": "event", "execution": self.inst.execution_id, "event": ev}, due, tag))

    def _arm_timer(self, timer_id: int, fire_at: str) -> None:
        due = h.parse_time(fire_at)
        self._to_self({"EventType": h.TIMER_FIRED, "TimerId": timer_id, "FireAt": fire_at}, due,
                      timer_tag(self.inst.instance_id, self.inst.execution_id, timer_id))

    # -- the episode ----------------------------------------------------------------------------

    def run(self) -> Episode:
        inst, eng = self.inst, self.eng
        self._append(h.event(h.ORCHESTRATOR_STARTED, self.ts))
        if not eng.get("started"):
            eng["started"] = True
            inst.status = "Running"
            self._append(h.event(
                h.EXECUTION_STARTED, self.ts, Name=inst.name, Version="", Input=inst.input,
                OrchestrationInstance={"InstanceId": inst.instance_id,
                                       "ExecutionId": inst.execution_id},
                ParentInstance=self._parent_instance(), Tags=None))
        for ev in self.events:
            self._append({**ev, "EventId": -1, "IsPlayed": False, "Timestamp": self.ts})
            self._retry_bookkeeping(ev)
        eng["last_ts"] = self.now
        state, error = self._replay()
        self._apply(state, error)
        return self.ep

    def _parent_instance(self) -> dict[str, Any] | None:
        p = self.inst.parent
        if not p:
            return None
        return {"Name": p.get("name"), "Version": "", "TaskScheduleId": p["taskId"],
                "OrchestrationInstance": {"InstanceId": p["instanceId"],
                                          "ExecutionId": p["executionId"]}}

    def _replay(self) -> tuple[dict[str, Any], str | None]:
        events = self.history + self.ep.appended
        played = len(self.history)
        for i, ev in enumerate(events):
            ev["IsPlayed"] = i < played
        ctx = {"history": events,
               "input": json.loads(self.inst.input) if self.inst.input is not None else None,
               "instanceId": self.inst.instance_id, "isReplaying": False,
               "parentInstanceId": (self.inst.parent or {}).get("instanceId"),
               "upperSchemaVersion": 1, "upperSchemaVersionNew": 2}
        state, error = invoke_orchestrator(self.handle, ctx)
        for ev in self.ep.appended:
            ev["IsPlayed"] = False
        return state, error

    def _apply(self, state: dict[str, Any], error: str | None) -> None:
        inst, eng = self.inst, self.eng
        custom = state.get("customStatus")
        inst.custom_status = json.dumps(custom) if custom is not None else None
        flat = h.flatten(state.get("actions"))
        sched = [a for a in flat if a.get("actionType") in h.ID_CONSUMING]
        sigs: list[list[Any]] = eng.setdefault("sigs", [])
        ids: list[int] = eng.setdefault("ids", [])
        error = error or self._determinism(sched, sigs)
        # What the orchestrator waits for by name (the monitor's "why is it waiting").
        eng["waits"] = [a.get("externalEventName") for a in flat
                        if a.get("actionType") == h.WAIT_EVENT]
        if error is None:
            self._cancel_timers(sched, ids)
            for a in sched[len(sigs):]:
                ids.append(self._schedule(a, len(sigs)))
                sigs.append(h.signature(a))
        self._append(h.event(h.ORCHESTRATOR_COMPLETED, self.ts))
        if error is not None:
            self._complete("Failed", f"Orchestrator function '{inst.name}' failed: {error}")
        elif state.get("isDone"):
            can = next((a for a in sched if a["actionType"] == h.CONTINUE_AS_NEW_ACTION), None)
            if can is not None:
                self._continue_as_new(can.get("input"))
            else:
                self._complete("Completed", state.get("output"))

    def _determinism(self, sched: list[dict[str, Any]], sigs: list[list[Any]]) -> str | None:
        for k, old in enumerate(sigs):
            if k >= len(sched):
                return None  # a failing replay may stop early; DTFx does not flag that either
            new = h.signature(sched[k])
            if new != old:
                return (f"Non-Deterministic workflow detected: action {k} was "
                        f"'{h.describe(old)}' in the history, but the orchestrator now schedules "
                        f"'{h.describe(new)}' in its place")
        return None

    def _cancel_timers(self, sched: list[dict[str, Any]], ids: list[int]) -> None:
        cancelled: list[int] = self.eng.setdefault("cancelled", [])
        for k, tid in enumerate(ids):
            a = sched[k] if k < len(sched) else None
            if a and a["actionType"] == h.CREATE_TIMER and a.get("isCanceled") \
                    and tid not in cancelled:
                cancelled.append(tid)
                self.ep.cancel_tags.append(
                    timer_tag(self.inst.instance_id, self.inst.execution_id, tid))

    # -- scheduling -----------------------------------------------------------------------------

    def _schedule(self, a: dict[str, Any], k: int) -> int:
        t = a["actionType"]
        tid = self._next_id()
        if t in (h.CALL_ACTIVITY, h.CALL_ACTIVITY_RETRY):
            self._schedule_activity(tid, a["functionName"], a.get("input"))
        elif t in (h.CALL_SUB, h.CALL_SUB_RETRY):
            self._schedule_sub(tid, a["functionName"], a.get("input"), a.get("instanceId"))
        elif t == h.CREATE_TIMER:
            self._append(h.event(h.TIMER_CREATED, self.ts, tid, FireAt=a["fireAt"]))
            if not a.get("isCanceled"):
                self._arm_timer(tid, a["fireAt"])
        elif t in (h.CALL_ENTITY, h.SIGNAL_ENTITY):
            self._schedule_entity(tid, a, signal=t == h.SIGNAL_ENTITY)
        elif t == h.CALL_HTTP:
            self._append(h.event(h.TASK_SCHEDULED, self.ts, tid, Name=h.HTTP_ACTIVITY, Version="",
                                 Input=json.dumps(a.get("httpRequest"))))
            self._activity_work(tid, h.HTTP_ACTIVITY, None, http=a.get("httpRequest"))
        if t in (h.CALL_ACTIVITY_RETRY, h.CALL_SUB_RETRY):
            opts = a.get("retryOptions") or {}
            retry = {
                "kind": "activity" if t == h.CALL_ACTIVITY_RETRY else "sub",
                "name": a["functionName"], "input": a.get("input"),
                "instanceId": a.get("instanceId"), "attempt": 1,
                "max": int(opts.get("maxNumberOfAttempts", 1)),
                "interval": float(opts.get("firstRetryIntervalInMilliseconds", 1000)) / 1000,
                "phase": "running"}
            self.eng.setdefault("retries", {})[str(tid)] = retry
            self.eng.setdefault("retry_actions", {})[str(tid)] = retry  # kept for rewind
        return tid

    def _activity_work(self, tid: int, name: str, payload: str | None,
                       http: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"name": name, "input": payload, "taskId": tid,
                                "execution": self.inst.execution_id}
        if http is not None:
            body["http"] = http
        self.ep.work.append(NewWork("activity", self.inst.instance_id, body, self.now))

    def _schedule_activity(self, tid: int, name: str, payload: str | None) -> None:
        self._append(h.event(h.TASK_SCHEDULED, self.ts, tid, Name=name, Version="", Input=payload))
        self._activity_work(tid, name, payload)

    def _schedule_sub(self, tid: int, name: str, payload: str | None,
                      instance_id: str | None) -> None:
        child = instance_id or f"{self.inst.execution_id}:{tid}"
        self._append(h.event(h.SUB_CREATED, self.ts, tid, Name=name, Version="", InstanceId=child,
                             Input=payload))
        self.ep.children.append(ChildStart(child, name, payload, {
            "instanceId": self.inst.instance_id, "executionId": self.inst.execution_id,
            "taskId": tid, "name": self.inst.name}))

    def _schedule_entity(self, tid: int, a: dict[str, Any], signal: bool) -> None:
        req: dict[str, Any] = {"op": a.get("operation"), "id": str(uuid.uuid4()),
                               "parent": self.inst.instance_id,
                               "parentExecution": self.inst.execution_id}
        if signal:
            req["signal"] = True
        if a.get("input") is not None:
            req["input"] = json.dumps(a["input"])
        target = entity_scheduler_id(a["instanceId"])
        self._append(h.event(h.EVENT_SENT, self.ts, tid, InstanceId=target, Name="op",
                             Input=json.dumps(req)))
        self.ep.work.append(NewWork("entity", target, req, self.now))

    # -- retries (§2.6: implicit ids come before the episode's new actions) ---------------------

    def _retry_bookkeeping(self, ev: dict[str, Any]) -> None:
        retries: dict[str, Any] = self.eng.get("retries") or {}
        et = ev["EventType"]
        key = str(ev.get("TimerId") if et == h.TIMER_FIRED else ev.get("TaskScheduledId"))
        r = retries.get(key)
        if r is None:
            return
        if et in (h.TASK_COMPLETED, h.SUB_COMPLETED):
            retries.pop(key)
        elif et in (h.TASK_FAILED, h.SUB_FAILED) and r["phase"] == "running":
            retries.pop(key)
            tid = self._next_id()
            last = r["attempt"] >= r["max"]
            fire = h.timestamp(self.now + (0 if last else r["interval"]))
            self._append(h.event(h.TIMER_CREATED, self.ts, tid, FireAt=fire))
            self._arm_timer(tid, fire)
            retries[str(tid)] = {**r, "phase": "timer", "last": last}
        elif et == h.TIMER_FIRED and r["phase"] == "timer":
            retries.pop(key)
            if not r["last"]:
                nid = self._next_id()
                if r["kind"] == "activity":
                    self._schedule_activity(nid, r["name"], r["input"])
                else:
                    self._schedule_sub(nid, r["name"], r["input"], r["instanceId"])
                retries[str(nid)] = {**r, "phase": "running", "attempt": r["attempt"] + 1}

    # -- completion -----------------------------------------------------------------------------

    def _complete(self, status: str, output: Any) -> None:
        inst = self.inst
        inst.status = status
        inst.output = json.dumps(output)
        self._append(h.event(h.EXECUTION_COMPLETED, self.ts, OrchestrationStatus=h.STATUS_CODES[
            status], Result=output if isinstance(output, str) and status != "Completed"
            else json.dumps(output)))
        self.ep.outcome = status.lower()
        self.ep.work.extend(completion_work(inst, status, output, self.now))

    def _continue_as_new(self, new_input: str | None) -> None:
        inst = self.inst
        inst.execution_id = uuid.uuid4().hex
        inst.input = json.dumps(new_input) if new_input is not None else None
        inst.engine = {"started": False, "last_ts": self.now}
        inst.status = "Running"
        self.ep.reset_history = True
        self.ep.appended = []
        self.ep.outcome = "continued"
        self.ep.work.append(NewWork("orch", inst.instance_id,
                                    {"type": "start", "execution": inst.execution_id}, self.now))


def completion_work(inst: Instance, status: str, output: Any, now: float) -> list[NewWork]:
    """Notify a waiting parent that its sub-orchestration ended."""
    p = inst.parent
    if not p:
        return []
    if status == "Completed":
        ev: dict[str, Any] = {"EventType": h.SUB_COMPLETED, "TaskScheduledId": p["taskId"],
                              "Result": json.dumps(output)}
    else:
        reason = output if isinstance(output, str) else json.dumps(output)
        if status == "Terminated":
            reason = f"Orchestrator function '{inst.name}' was terminated: {reason}"
        ev = {"EventType": h.SUB_FAILED, "TaskScheduledId": p["taskId"], "Reason": reason,
              "Details": None}
    return [NewWork("orch", p["instanceId"],
                    {"type": "event", "execution": p["executionId"], "event": ev}, now)]


def entity_scheduler_id(raw: str) -> str:
    """`@Name@key` → `@name@key`: names are case-insensitive, keys are not (§3.1)."""
    if raw.startswith("@") and raw.count("@") >= 2:
        name, key = raw[1:].split("@", 1)
        return f"@{name.lower()}@{key}"
    return raw
