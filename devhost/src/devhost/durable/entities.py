"""Run a batch of operations on one entity and answer the orchestrations that called it (§3)."""

from __future__ import annotations

import json
import time
from typing import Any

import azure.functions as func

from devhost.durable import history as h
from devhost.durable.parts import WorkParts
from devhost.invoker import Invocation, log_invocation
from devhost.records import Batch, NewWork, WorkItem


def split_entity_id(scheduler_id: str) -> tuple[str, str]:
    """`@name@key` → (name, key); keys may themselves contain `@`."""
    name, key = scheduler_id[1:].split("@", 1)
    return name, key


def _error_results(count: int, message: str) -> list[dict[str, Any]]:
    return [{"isError": True, "result": json.dumps(message)} for _ in range(count)]


async def run_entity_batch(parts: WorkParts, target: str, items: list[WorkItem],
                           now: float) -> Batch:
    name, key = split_entity_id(target)
    batch = Batch(done=[i.id for i in items])
    reqs = [i.payload for i in items]
    fn = parts.app.durable("entityTrigger", name)
    if fn is None:
        results = _error_results(len(reqs), f"The function '{name}' doesn't exist, is disabled, "
                                            "or is not an entity function.")
    else:
        row = parts.store.entity(target)
        request = {"self": {"name": name, "key": key}, "exists": row is not None,
                   "state": row["state"] if row else None,
                   "batch": [{"name": r.get("op"), "input": r.get("input"),
                              "isSignal": bool(r.get("signal"))} for r in reqs]}
        inv = Invocation(function=fn.name, invocation_id=f"{target}:{items[0].id}")
        t0 = time.perf_counter()
        try:
            out = json.loads(await parts.invoker.run_replay(
                fn.callable, context=func.EntityContext(json.dumps(request))))
            results = out.get("results") or []
            if out.get("entityExists"):
                batch.entities.append((target, name, key, out.get("entityState"), now))
            else:
                batch.entity_deletes.append(target)
        except Exception as exc:  # the whole batch failed; state is left as it was
            inv.error = exc
            results = _error_results(len(reqs), f"{type(exc).__name__}: {exc}")
        inv.duration_ms = (time.perf_counter() - t0) * 1000
        parts.stats.add("entity", fn.durable_name or name, inv.duration_ms,
                          "failed" if inv.error else "succeeded")
        log_invocation(inv, target, operations=len(reqs))
    for req, res in zip(reqs, results, strict=False):
        if req.get("signal") or not req.get("parent"):
            continue
        response: dict[str, Any] = {"result": res.get("result")}
        if res.get("isError"):
            response["exceptionType"] = "Error"
        batch.work.append(NewWork("orch", req["parent"], {
            "type": "event", "execution": req.get("parentExecution"),
            "event": {"EventType": h.EVENT_RAISED, "Name": req["id"],
                      "Input": json.dumps(response)}}, now))
    return batch
