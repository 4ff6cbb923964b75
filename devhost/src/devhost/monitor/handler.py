"""Routing for `<durable base>/monitor[/...]`: the page, its static assets and `api/...` JSON."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from devhost.durable.status import status_json
from devhost.monitor import instances, state, timeline, views, waiting
from devhost.monitor.util import BadRequest, NotFound, int_arg, payload

if TYPE_CHECKING:
    from devhost.server import Server

log = logging.getLogger("devhost.monitor")
STATIC = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
         ".png": "image/png", ".html": "text/html"}
# Nothing but this host's own assets: no inline script, no other origin (defence in depth
# against payloads that would try to get into the page).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
_IMPORT = re.compile(r"""(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(["'])(\./[\w./-]+\.js)\2""")
_ASSET = re.compile(r"^[\w-]+(/[\w-]+)*\.(js|css|svg|png)$")

Api = Callable[[web.Request], Awaitable[Any]]


class Monitor:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.routes: dict[tuple[str, str], Api] = {
            ("GET", "instances"): self._instances,
            ("GET", "instance"): self._instance,
            ("GET", "entities"): self._entities,
            ("GET", "eventgrid"): self._eventgrid,
            ("POST", "eventgrid/replay"): self._replay,
            ("POST", "eventgrid/discard"): self._discard,
            ("GET", "health"): self._health,
            ("GET", "info"): self._info,
        }

    async def handle(self, request: web.Request, rest: str) -> web.StreamResponse:
        rest = rest.strip("/")
        if rest in ("", "index.html"):
            return self._page(request)
        if rest.startswith("static/"):
            return self._asset(request, rest[len("static/"):])
        if rest.startswith("api/"):
            return await self._api(request, rest[len("api/"):])
        return _error(404, f"no monitor route '{rest}'")

    # -- page and assets ------------------------------------------------------------------------

    def _base(self, request: web.Request) -> str:
        path = request.path.rstrip("/")
        return path[:-len("/index.html")] if path.endswith("/index.html") else path

    def _code(self, request: web.Request) -> str:
        return request.query.get("code") or request.headers.get("x-functions-key") or ""

    def _page(self, request: web.Request) -> web.Response:
        text = (STATIC / "index.html").read_text(encoding="utf-8")
        text = text.replace("%BASE%", html.escape(quote(self._base(request)), quote=True))
        text = text.replace("%CODE%", html.escape(quote(self._code(request), safe=""),
                                                  quote=True))
        return web.Response(text=text, content_type="text/html", charset="utf-8",
                            headers=SECURITY_HEADERS)

    def _asset(self, request: web.Request, name: str) -> web.Response:
        if not _ASSET.match(name) or ".." in name:
            return _error(404, "no such asset")
        path = STATIC / name
        if not path.is_file():
            return _error(404, "no such asset")
        suffix = path.suffix
        if suffix == ".js":
            # Relative module imports lose the query string; carry the key to every module.
            code = quote(self._code(request), safe="")
            body = _IMPORT.sub(lambda m: f"{m[1]}{m[2]}{m[3]}?code={code}{m[2]}",
                               path.read_text(encoding="utf-8")).encode()
        else:
            body = path.read_bytes()
        return web.Response(body=body, content_type=TYPES[suffix], headers=SECURITY_HEADERS)

    # -- JSON API -------------------------------------------------------------------------------

    async def _api(self, request: web.Request, name: str) -> web.Response:
        handler = self.routes.get((request.method, name))
        if handler is None:
            known = any(path == name for _, path in self.routes)
            return _error(405 if known else 404, f"no monitor API {request.method} {name}")
        try:
            return _json(await handler(request))
        except BadRequest as exc:
            return _error(400, str(exc))
        except NotFound as exc:
            return _error(404, str(exc))

    async def _instances(self, request: web.Request) -> Any:
        return instances.page(self.server.rt.store, request.query)

    async def _info(self, request: web.Request) -> Any:
        app = self.server.app
        return {"hub": app.config.hub_name,
                "orchestrators": sorted(f.durable_name or f.name
                                        for f in app.by_kind("orchestrationTrigger")),
                "entities": sorted(f.durable_name or f.name for f in app.by_kind("entityTrigger")),
                "eventGridTriggers": sorted(f.name for f in app.by_kind("eventGridTrigger")),
                "statuses": list(instances.STATUSES), "now": self.server.rt.clock.now()}

    async def _instance(self, request: web.Request) -> Any:
        iid = _required(request.query, "id")
        rt = self.server.rt
        inst = rt.store.instance(iid)
        if inst is None:
            raise NotFound(f"no instance '{iid}'")
        events = rt.store.history(inst)
        now = rt.clock.now()
        live = await state.gather(self.server, instance=inst.instance_id,
                                  execution=inst.execution_id)
        started = live.started
        ctx = waiting.Context(rt.store, now, live.inflight.get("activity", set()),
                              live.busy.get("orch", set()), started)
        children = sorted({str(e.get("InstanceId")) for e in events if e["EventType"] == 7})
        status = status_json(inst)
        body = {"instance": {**status, "input": payload(inst.input),
                             "output": payload(inst.output),
                             "customStatus": payload(inst.custom_status),
                             "created": inst.created_at, "updated": inst.updated_at,
                             "executionId": inst.execution_id, "parent": inst.parent},
                "children": [{"instanceId": c, "status": _status_of(rt, c)} for c in children],
                "spans": timeline.spans(inst, events, started),
                "history": timeline.history_rows(events),
                "waiting": waiting.explain(inst, events, ctx),
                "now": now}
        return body

    async def _entities(self, request: web.Request) -> Any:
        return views.entities(self.server, request.query)

    async def _eventgrid(self, request: web.Request) -> Any:
        return views.eventgrid(self.server)

    async def _replay(self, request: web.Request) -> Any:
        return await views.replay_deadletter(self.server, _dl_id(request))

    async def _discard(self, request: web.Request) -> Any:
        return views.discard_deadletter(self.server, _dl_id(request))

    async def _health(self, request: web.Request) -> Any:
        now = time.time()
        return views.health(self.server, await state.gather(self.server, since=now - views.WINDOW),
                            now)


def _status_of(rt: Any, instance_id: str) -> str | None:
    child = rt.store.instance(instance_id)
    return child.status if child else None


def _dl_id(request: web.Request) -> int:
    return int_arg(_required(request.query, "id"), 0, 0, 2**62, "id")


def _required(q: Mapping[str, str], name: str) -> str:
    value = q.get(name)
    if not value:
        raise BadRequest(f"'{name}' is required")
    return value


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(body, default=str),
                        content_type="application/json", charset="utf-8",
                        headers=SECURITY_HEADERS)


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message, "status": status}, status)
