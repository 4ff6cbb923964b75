"""Entities, Event Grid and health: the views the management API has no endpoint for."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from devhost.durable.entities import split_entity_id
from devhost.durable.history import status_time
from devhost.eventgrid import delivery
from devhost.monitor.state import State
from devhost.monitor.util import NotFound, decode_token, encode_token, int_arg, payload
from devhost.records import Batch

if TYPE_CHECKING:
    from devhost.server import Server

WINDOW = 3600.0


def entities(server: Server, q: Mapping[str, str]) -> dict[str, Any]:
    store = server.rt.store
    top = int_arg(q.get("top"), 50, 1, 500, "top")
    offset = decode_token(q.get("token"))
    name = (q.get("name") or "").lower() or None
    rows = store.entities(name, top + 1, offset)
    items = []
    for r in rows[:top]:
        ename, key = split_entity_id(r["entity_id"])
        queued = [w for w in store.pending_work(r["entity_id"]) if w.kind == "entity"]
        items.append({"entityId": r["entity_id"], "name": ename, "key": key,
                      "state": payload(r["state"]), "lastOperation": r["last_op"],
                      "lastOperationTime": status_time(r["last_op"]),
                      "queuedOperations": len(queued)})
    names = sorted(f.durable_name or f.name for f in server.app.by_kind("entityTrigger"))
    return {"items": items, "names": names,
            "next": encode_token(offset + top) if len(rows) > top else ""}


def eventgrid(server: Server) -> dict[str, Any]:
    store, rt = server.rt.store, server.rt
    deliveries = [dict(r) for r in store.deliveries(200)]
    summary: dict[str, dict[str, int]] = defaultdict(lambda: {"delivered": 0, "retrying": 0,
                                                              "dead-lettered": 0})
    for d in deliveries:
        summary[d["function"]][d["outcome"]] = summary[d["function"]].get(d["outcome"], 0) + 1
    subscribers = sorted(f.name for f in rt.eventgrid.subscribers)
    queued: dict[str, int] = defaultdict(int)
    for sub in subscribers:
        queued[sub] = sum(1 for w in store.pending_work(sub) if w.kind == "eventgrid")
    dead = [{"id": r["id"], "function": r["function"], "event": payload(r["event"]),
             "eventId": _event_id(r["event"]), "reason": r["reason"], "attempts": r["attempts"],
             "at": r["at"]} for r in store.deadletters()]
    return {"subscribers": [{"function": s, "queued": queued[s], **summary.get(s, {})}
                            for s in subscribers] if subscribers else [],
            "summary": {k: dict(v) for k, v in summary.items()},
            "deliveries": deliveries, "deadletters": dead,
            "policy": {"maxAttempts": rt.eventgrid.policy.max_attempts}}


def _event_id(text: str) -> str | None:
    try:
        ev = json.loads(text)
    except ValueError:
        return None
    return str(ev.get("id")) if isinstance(ev, dict) and ev.get("id") is not None else None


async def replay_deadletter(server: Server, dl_id: int) -> dict[str, Any]:
    """Queue the dead-lettered event again (attempt 1), then drop the dead letter."""
    rt = server.rt
    row = next((r for r in rt.store.deadletters() if r["id"] == dl_id), None)
    if row is None:
        raise NotFound(f"no dead letter {dl_id}")
    work = delivery(row["function"], json.loads(row["event"]), rt.clock.now())
    await rt.commit(Batch(work=[work]))  # the delivery is stored before the dead letter goes
    rt.store.delete_deadletter(dl_id)
    return {"replayed": dl_id, "function": row["function"]}


def discard_deadletter(server: Server, dl_id: int) -> dict[str, Any]:
    if not any(r["id"] == dl_id for r in server.rt.store.deadletters()):
        raise NotFound(f"no dead letter {dl_id}")
    server.rt.store.delete_deadletter(dl_id)
    return {"discarded": dl_id}


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def health(server: Server, live: State, now_wall: float) -> dict[str, Any]:
    since = now_wall - WINDOW
    samples = [s for s in live.samples if s[0] >= since]
    minutes = 60
    buckets: dict[str, list[int]] = {k: [0] * minutes for k in
                                     ("orchestrations", "episodes", "activities", "entities")}
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    failures: dict[tuple[str, str], int] = defaultdict(int)
    for at, kind, name, ms, outcome in samples:
        slot = min(minutes - 1, int((at - since) // 60))
        if kind == "orchestration":
            buckets["episodes"][slot] += 1
            if outcome in ("completed", "failed"):
                buckets["orchestrations"][slot] += 1
        elif kind == "activity":
            buckets["activities"][slot] += 1
        elif kind == "entity":
            buckets["entities"][slot] += 1
        durations[(kind, name)].append(ms)
        if outcome == "failed":
            failures[(kind, name)] += 1
    functions = []
    for (kind, name), values in sorted(durations.items()):
        values.sort()
        functions.append({"kind": kind, "name": name, "count": len(values),
                          "failed": failures[(kind, name)],
                          "p50": round(_percentile(values, 50), 2),
                          "p99": round(_percentile(values, 99), 2),
                          "max": round(values[-1], 2)})
    return {"windowSeconds": WINDOW, "since": since, "perMinute": buckets,
            "totals": {k: sum(v) for k, v in buckets.items()},
            "functions": functions, "backlog": backlog(server, live)}


def backlog(server: Server, live: State) -> dict[str, Any]:
    rt = server.rt
    now = rt.clock.now()
    counts = rt.store.work_counts(now)
    return {"work": counts, "dueTimers": counts.get("orch", {}).get("waiting", 0),
            "nextDue": rt.store.next_due(), "now": now,
            "inflight": {"orchestrations": len(live.busy.get("orch", ())),
                         "entities": len(live.busy.get("entity", ())),
                         "activities": len(live.inflight.get("activity", ())),
                         "eventgrid": len(live.inflight.get("eventgrid", ()))},
            "limits": live.limits}
