"""Run one activity (or the built-in HTTP activity) and report its result to the orchestration."""

from __future__ import annotations

import json
import traceback
from typing import Any

import aiohttp
from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.durable import history as h
from devhost.durable.parts import WorkParts
from devhost.records import TERMINAL, Batch, NewWork, WorkItem


def _unknown_activity(parts: WorkParts, name: str) -> str:
    known = [f"'{f.durable_name}'" for f in parts.app.by_kind("activityTrigger")]
    info = (f"The following are the known activity functions: {', '.join(known)}."
            if known else "No activity functions are currently registered!")
    return (f"The function '{name}' doesn't exist, is disabled, or is not an activity function. "
            f"Additional info: {info}")


async def run_activity(parts: WorkParts, item: WorkItem) -> Batch:
    """At least once: the result is committed together with the deletion of the request."""
    p = item.payload
    batch = Batch(done=[item.id])
    state = parts.store.instance_state(item.target)
    if state is None or state[0] in TERMINAL or state[1] != p["execution"]:
        return batch  # the orchestration moved on; a late result has nowhere to go
    name, task_id = p["name"], p["taskId"]
    parts.stats.activity_started(item.target, p["execution"], task_id, parts.clock.now())
    try:
        if name == h.HTTP_ACTIVITY:
            result: dict[str, Any] = await _http_activity(p.get("http") or {}, task_id)
        else:
            result = await _user_activity(parts, name, p.get("input"), task_id, item, batch)
    finally:
        parts.stats.activity_finished(item.target, p["execution"], task_id)
    batch.work.append(NewWork("orch", item.target, {
        "type": "event", "execution": p["execution"], "event": result}, parts.clock.now()))
    return batch


async def _user_activity(parts: WorkParts, name: str, payload: str | None, task_id: int,
                         item: WorkItem, batch: Batch) -> dict[str, Any]:
    fn = parts.app.durable("activityTrigger", name)
    if fn is None:
        return _failed(task_id, _unknown_activity(parts, name), None)
    value = (None if payload is None else
             ActivityTriggerConverter.decode(meta.Datum(payload, "string"), trigger_metadata={}))
    inv = await parts.invoker.invoke(fn, {fn.trigger["name"]: value}, item.target)
    if inv.error is None:
        try:
            encoded = ActivityTriggerConverter.encode(inv.value, expected_type=None).value
        except ValueError as exc:
            inv.error = exc
        else:
            batch.work += parts.eventgrid.fanout(fn, inv.outputs, parts.clock.now())
            return {"EventType": h.TASK_COMPLETED, "TaskScheduledId": task_id, "Result": encoded}
    details = "".join(traceback.format_exception(inv.error))
    return _failed(task_id, f"Activity function '{name}' failed: {inv.error_text()}", details)


def _failed(task_id: int, reason: str, details: str | None) -> dict[str, Any]:
    return {"EventType": h.TASK_FAILED, "TaskScheduledId": task_id, "Reason": reason,
            "Details": details}


async def _http_activity(req: dict[str, Any], task_id: int) -> dict[str, Any]:
    """`call_http`: one request, first response returned as is (no 202 polling, §5.12)."""
    headers = dict(req.get("headers") or {})
    content = req.get("content")
    try:
        async with aiohttp.ClientSession() as session, session.request(
                str(req.get("method", "GET")), str(req["uri"]), headers=headers,
                data=content.encode() if isinstance(content, str) else None) as resp:
            body = await resp.text()
            out_headers: dict[str, Any] = {}
            for k, v in resp.headers.items():
                prev = out_headers.get(k)
                out_headers[k] = v if prev is None else [*([prev] if isinstance(
                    prev, str) else prev), v]
            result = {"statusCode": resp.status, "headers": out_headers, "content": body}
    except (aiohttp.ClientError, KeyError, ValueError, TimeoutError) as exc:
        return _failed(task_id, f"Activity function '{h.HTTP_ACTIVITY}' failed: "
                       f"{type(exc).__name__}: {exc}", None)
    return {"EventType": h.TASK_COMPLETED, "TaskScheduledId": task_id,
            "Result": json.dumps(result)}
