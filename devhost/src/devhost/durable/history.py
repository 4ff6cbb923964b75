"""History events as DTFx writes them, and the action bookkeeping replay needs."""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any

# DTFx EventType numbers (durable-protocol.md §2.2).
EXECUTION_STARTED = 0
EXECUTION_COMPLETED = 1
EXECUTION_TERMINATED = 3
TASK_SCHEDULED = 4
TASK_COMPLETED = 5
TASK_FAILED = 6
SUB_CREATED = 7
SUB_COMPLETED = 8
SUB_FAILED = 9
TIMER_CREATED = 10
TIMER_FIRED = 11
ORCHESTRATOR_STARTED = 12
ORCHESTRATOR_COMPLETED = 13
EVENT_SENT = 14
EVENT_RAISED = 15
CONTINUE_AS_NEW = 16
EXECUTION_SUSPENDED = 19
EXECUTION_RESUMED = 20

EVENT_NAMES = {
    0: "ExecutionStarted", 1: "ExecutionCompleted", 2: "ExecutionFailed",
    3: "ExecutionTerminated", 4: "TaskScheduled", 5: "TaskCompleted", 6: "TaskFailed",
    7: "SubOrchestrationInstanceCreated", 8: "SubOrchestrationInstanceCompleted",
    9: "SubOrchestrationInstanceFailed", 10: "TimerCreated", 11: "TimerFired",
    12: "OrchestratorStarted", 13: "OrchestratorCompleted", 14: "EventSent", 15: "EventRaised",
    16: "ContinueAsNew", 17: "GenericEvent", 18: "HistoryState", 19: "ExecutionSuspended",
    20: "ExecutionResumed",
}

# DTFx OrchestrationStatus numbers used in ExecutionCompleted.
STATUS_CODES = {"Running": 0, "Completed": 1, "ContinuedAsNew": 2, "Failed": 3,
                "Canceled": 4, "Terminated": 5, "Pending": 6, "Suspended": 7}

# Action types (§2.4) and the ones that consume a task id.
CALL_ACTIVITY, CALL_ACTIVITY_RETRY, CALL_SUB, CALL_SUB_RETRY = 0, 1, 2, 3
CONTINUE_AS_NEW_ACTION, CREATE_TIMER, WAIT_EVENT, CALL_ENTITY = 4, 5, 6, 7
CALL_HTTP, SIGNAL_ENTITY, WHEN_ANY, WHEN_ALL = 8, 9, 11, 12
ID_CONSUMING = frozenset({0, 1, 2, 3, 4, 5, 7, 8, 9})
HTTP_ACTIVITY = "BuiltIn::HttpActivity"

_FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(epoch: float) -> str:
    """The SDK's own timestamp format; always carries a zone (naive stamps break replay)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime(_FMT)


def parse_time(text: str) -> float:
    """Parse an RFC 3339 time (as the SDK writes `fireAt`) to epoch seconds; naive means UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def status_time(epoch: float) -> str:
    """Status JSON times: `ToString("s") + "Z"`, no fraction, as the extension writes them."""
    # Every status read formats two times, and strftime is most of a read's cost: the text
    # depends on the whole second only, so it is made once per second. `fromtimestamp` rounds
    # to the microsecond (half to even), which carries into the next second from .9999995 on:
    # a fraction below .999999 cannot carry, anything else (and a negative time) takes the
    # exact path.
    fraction, whole = math.modf(epoch)
    if 0.0 <= fraction < 0.999999:
        return _second_text(int(whole))
    return _status_time(epoch)


def _status_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)  # the created and updated seconds of the instances polled
def _second_text(second: int) -> str:
    return _status_time(second)


def event(event_type: int, ts: str, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {"EventType": event_type, "EventId": event_id, "IsPlayed": False, "Timestamp": ts,
            **fields}


def flatten(actions: Any) -> list[dict[str, Any]]:
    """Depth-first flattening of the V2/V3 action list (compound actions expanded)."""
    out: list[dict[str, Any]] = []

    def walk(items: list[Any]) -> None:
        for a in items:
            if isinstance(a, list):
                walk(a)
            elif a.get("actionType") in (WHEN_ANY, WHEN_ALL):
                walk(a.get("compoundActions") or [])
            else:
                out.append(a)

    walk(actions or [])
    return out


def signature(action: dict[str, Any]) -> list[Any]:
    """What must stay the same across replays of an action (DTFx compares no inputs)."""
    t = action["actionType"]
    if t in (CALL_ACTIVITY, CALL_ACTIVITY_RETRY):
        return ["activity", action.get("functionName")]
    if t in (CALL_SUB, CALL_SUB_RETRY):
        return ["suborchestration", action.get("functionName")]
    if t in (CALL_ENTITY, SIGNAL_ENTITY):
        return ["call entity" if t == CALL_ENTITY else "signal entity",
                action.get("instanceId"), action.get("operation")]
    if t == CREATE_TIMER:
        return ["timer"]
    if t == CALL_HTTP:
        return ["http", (action.get("httpRequest") or {}).get("uri")]
    return ["continue_as_new"]


def describe(sig: list[Any]) -> str:
    kind, *rest = sig
    return f"{kind} {' '.join(str(r) for r in rest)}".strip()
