"""The durable HTTP API: one handler for the SDK's RPC base and the public management webhook.

Routes, query parameters, status codes and JSON follow the extension's HttpApiHandler
(durable-protocol.md §4.3); the SDK's client depends on the exact codes (404 bodies empty, 410
as success for terminate, 404 from purge-by-filter when nothing was deleted, ...).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from devhost.durable.client import ClientError, DurableClientOps
from devhost.durable.entities import split_entity_id
from devhost.durable.history import status_time
from devhost.durable.inproc import InProcessRequest
from devhost.durable.replay import entity_scheduler_id
from devhost.durable.status import parse_stored, status_json
from devhost.problems import unavailable
from devhost.records import InstanceFilter, runtime_statuses
from devhost.storage.faults import fault_of

JSON = "application/json; charset=utf-8"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(),
                        content_type="application/json",
                        charset="utf-8", headers=headers)


def _answer(request: web.Request, body: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> web.Response:
    """`_json`, except to the app's own client in this process (a command API's long poll reads
    a status ten times a second): it takes the body as values instead of JSON text. `body` must
    be values of this answer's own that JSON decoding would give (built afresh from decoded
    JSON and strings), so that skipping the round trip changes nothing the client sees."""
    if isinstance(request, InProcessRequest):
        request.decoded = body
        return _status_only(status)
    return _json(body, status, headers)


@functools.cache
def _status_only(status: int) -> web.Response:
    """The in-process client's answer besides its values: only the status code, since the
    SDK's client reads no header. Shared, so never sent nor changed."""
    return web.Response(status=status)


def _error(status: int, message: str) -> web.Response:
    if status == 404 and not message:
        return web.Response(status=404)
    return _json({"Message": "One or more of the arguments submitted is incorrect"
                  if status == 400 else "Something went wrong while processing your request",
                  "ExceptionMessage": message, "ExceptionType": "System.ArgumentException"
                  if status == 400 else "System.InvalidOperationException",
                  "StackTrace": None}, status)


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _time(value: str, name: str) -> float:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClientError(400, f"'{name}' is not a valid date and time: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _filters(q: Any) -> InstanceFilter:
    """The list and purge filters of the management API's query string."""
    created_from = _time(q["createdTimeFrom"], "createdTimeFrom") \
        if q.get("createdTimeFrom") else None
    created_to = _time(q["createdTimeTo"], "createdTimeTo") if q.get("createdTimeTo") else None
    statuses = None
    if q.get("runtimeStatus"):
        statuses, unknown = runtime_statuses(q["runtimeStatus"])
        if unknown:
            raise ClientError(400, f"Unknown runtimeStatus value(s): {', '.join(unknown)}")
    return InstanceFilter(prefix=q.get("instanceIdPrefix") or "", name=q.get("name") or "",
                          created_from=created_from, created_to=created_to, statuses=statuses)


def _page(request: web.Request) -> tuple[int, int]:
    try:
        top = int(request.query.get("top", "100"))
        token = request.headers.get("x-ms-continuation-token") or ""
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise ClientError(400, "Invalid 'top' or continuation token.") from None
    if top < 1:
        raise ClientError(400, "'top' must be a positive number.")
    return min(top, 1000), max(offset, 0)


def _next_token(offset: int, top: int, returned: int) -> str:
    if returned < top:
        return ""
    return base64.urlsafe_b64encode(str(offset + top).encode()).decode()


async def _body(request: web.Request) -> tuple[bool, Any]:
    raw = await request.read()
    if not raw:
        return False, None
    try:
        return True, json.loads(raw)
    except ValueError:
        raise ClientError(400, "Invalid JSON content") from None


class DurableApi:
    """Serves `<base>/...`; `links` builds the check-status payload for an instance."""

    def __init__(self, ops: DurableClientOps, hub: str, system_key: str) -> None:
        self.ops = ops
        self.hub = hub
        self.system_key = system_key

    def links(self, base_url: str, instance_id: str) -> dict[str, str]:
        base = f"{base_url}/instances/{quote(instance_id, safe='')}"
        qs = f"taskHub={self.hub}&connection=Storage&code={self.system_key}"
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{base}?{qs}",
            "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{qs}",
            "terminatePostUri": f"{base}/terminate?reason={{text}}&{qs}",
            "rewindPostUri": f"{base}/rewind?reason={{text}}&{qs}",
            "purgeHistoryDeleteUri": f"{base}?{qs}",
            "restartPostUri": f"{base}/restart?{qs}",
            "suspendPostUri": f"{base}/suspend?reason={{text}}&{qs}",
            "resumePostUri": f"{base}/resume?reason={{text}}&{qs}",
        }

    async def handle(self, request: web.Request, path: str, public_base: str) -> web.Response:
        parts = [unquote(p) for p in path.split("/")]
        try:
            return await self._route(request, parts, public_base)
        except ClientError as exc:
            return _error(exc.status, exc.message)
        except Exception as exc:
            fault = fault_of(exc)
            if fault is None:
                raise
            return unavailable(fault)

    async def _route(self, request: web.Request, parts: list[str], base: str) -> web.Response:
        m = request.method
        head = parts[0].lower() if parts else ""
        if head == "orchestrators" and m == "POST" and 2 <= len(parts) <= 3:
            return await self._start(request, parts[1], parts[2] if len(parts) == 3 else None,
                                     base)
        if head == "instances":
            rest = [p for p in parts[1:] if p != ""]
            if not rest:
                if m == "GET":
                    return self._list(request)
                if m == "DELETE":
                    return await self._purge_by(request)
            elif len(rest) == 1 and m == "GET":
                return await self._status(request, rest[0])
            elif len(rest) == 1 and m == "DELETE":
                return _json({"instancesDeleted": await self.ops.purge(rest[0])})
            elif m == "POST":
                return await self._instance_action(request, rest, base)
        if head == "entities":
            return await self._entities(request, [p for p in parts[1:] if p != ""])
        return _error(404, "")

    async def _start(self, request: web.Request, name: str, instance_id: str | None,
                     base: str) -> web.Response:
        has, value = await _body(request)
        iid = await self.ops.start(name, instance_id, json.dumps(value) if has else None)
        timeout = request.query.get("timeout")
        if timeout is not None:
            inst = await self.ops.wait(iid, float(timeout))
            if inst is not None and inst.status == "Completed":
                return web.Response(status=200, body=(inst.output or "null").encode(),
                                    content_type="application/json")
            if inst is not None and inst.status in ("Failed", "Terminated", "Canceled"):
                return _json(status_json(inst), 200)
        links = self.links(base, iid)
        return _answer(request, links, 202,
                       {"Location": links["statusQueryGetUri"], "Retry-After": "10"})

    def _list(self, request: web.Request) -> web.Response:
        match = _filters(request.query)
        top, offset = _page(request)
        show_input = _flag(request.query.get("showInput"), True)
        items = self.ops.store.query_instances(match, top, offset, engine=False)
        body = [status_json(i, show_input=show_input) for i in items]
        return _json(body, headers={"x-ms-continuation-token": _next_token(offset, top,
                                                                            len(items))})

    async def _purge_by(self, request: web.Request) -> web.Response:
        if not request.query.get("createdTimeFrom"):
            raise ClientError(400, "Please provide value for 'createdTimeFrom' parameter.")
        deleted = await self.ops.purge_by(_filters(request.query))
        if deleted == 0:
            return web.Response(status=404)
        return _json({"instancesDeleted": deleted})

    async def _status(self, request: web.Request, instance_id: str) -> web.Response:
        inst = self.ops.store.instance_status(instance_id)
        if inst is None:
            return web.Response(status=404)
        q = request.query
        history = (self.ops.store.history(inst)
                   if _flag(q.get("showHistory"), False) else None)
        body = status_json(inst, history, _flag(q.get("showInput"), True),
                           _flag(q.get("showHistoryOutput"), False))
        if inst.status in ("Running", "Pending", "ContinuedAsNew", "Suspended"):
            status = 202
        else:
            failed_500 = inst.status == "Failed" and _flag(
                q.get("returnInternalServerErrorOnFailure"), False)
            status = 500 if failed_500 else 200
        if history is None and isinstance(request, InProcessRequest):
            return _answer(request, body, status)  # no headers: the SDK reads none
        headers = {"Location": str(request.url), "Retry-After": "5"} if status == 202 else None
        # With history the body shares the store's cached events: encoded, never handed out.
        return _json(body, status, headers)

    async def _instance_action(self, request: web.Request, rest: list[str],
                               base: str) -> web.Response:
        iid, action = rest[0], rest[1].lower() if len(rest) > 1 else ""
        reason = request.query.get("reason", "")
        if action == "raiseevent" and len(rest) == 3:
            ctype = (request.content_type or "").lower()
            if ctype != "application/json":
                raise ClientError(400, "Only application/json request content is supported")
            has, value = await _body(request)
            await self.ops.raise_event(iid, rest[2], json.dumps(value) if has else None)
            return web.Response(status=202)
        if action in ("terminate", "suspend", "resume", "rewind") and len(rest) == 2:
            try:
                await self.ops.control(iid, action, reason)
            except ClientError as exc:
                if exc.status == 404:
                    return web.Response(status=404)
                raise
            return web.Response(status=202)
        if action == "restart" and len(rest) == 2:
            new_id = _flag(request.query.get("restartWithNewInstanceId"), True)
            new = await self.ops.restart(iid, new_id)
            links = self.links(base, new)
            return _json(links, 202, {"Location": links["statusQueryGetUri"]})
        return _error(404, "")

    # -- entities -------------------------------------------------------------------------------

    async def _entities(self, request: web.Request, rest: list[str]) -> web.Response:
        m = request.method
        if len(rest) == 2:
            name, key = rest[0], "" if rest[1] == "$" else rest[1]
            if m == "GET":
                row = self.ops.store.entity(entity_scheduler_id(f"@{name}@{key}"))
                if row is None:
                    return web.Response(status=404)
                return _json(parse_stored(row["state"]))
            if m in ("POST", "DELETE"):
                op = "delete" if m == "DELETE" else request.query.get("op", "")
                has, value = await self._entity_input(request)
                await self.ops.signal_entity(name, key, op, value, has)
                return web.Response(status=202)
        if len(rest) <= 1 and m == "GET":
            return self._list_entities(request, rest[0].lower() if rest else None)
        return _error(404, "")

    async def _entity_input(self, request: web.Request) -> tuple[bool, Any]:
        raw = await request.read()
        if not raw:
            return False, None
        if (request.content_type or "").lower() == "application/json":
            try:
                return True, json.loads(raw)
            except ValueError as exc:
                raise ClientError(400, f"Could not parse JSON content: {exc}") from None
        return True, raw.decode("utf-8", errors="replace")

    def _list_entities(self, request: web.Request, name: str | None) -> web.Response:
        top, offset = _page(request)
        fetch = _flag(request.query.get("fetchState"), False)
        rows = self.ops.store.entities(name, top, offset)
        body = []
        for r in rows:
            ename, key = split_entity_id(r["entity_id"])
            item: dict[str, Any] = {"entityId": {"name": ename, "key": key},
                                    "lastOperationTime": status_time(r["last_op"])}
            if fetch:
                item["state"] = parse_stored(r["state"])
            body.append(item)
        return _json(body, headers={"x-ms-continuation-token": _next_token(offset, top,
                                                                            len(rows))})
