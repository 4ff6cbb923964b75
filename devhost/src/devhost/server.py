"""The HTTP front door: HTTP triggers, keys, principal injection, admin and webhook routes.

Two listeners share one event loop: the public one (triggers, `/admin`, the durable management
webhook, Event Grid) and a loopback-only RPC listener that the SDK's durable client calls, as the
extension's local RPC endpoint does in Azure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from devhost.auth import (
    InvalidToken,
    TokenIssuer,
    bearer_token,
    principal_headers,
    strip_principal_headers,
)
from devhost.durable.api import DurableApi
from devhost.durable.runtime import Runtime
from devhost.eventgrid import normalize_topic_events
from devhost.httpconv import UnencodableResponse, from_func_response, to_func_request
from devhost.keys import HostKeys, authorize, presented_key
from devhost.loader import FunctionInfo, LoadedApp
from devhost.metrics import merge_prometheus, prometheus_text, runtime_state
from devhost.problems import problem, problem_answers, unavailable
from devhost.records import Batch
from devhost.routes import RouteNotFound, RouteTable
from devhost.storage.faults import fault_of

if TYPE_CHECKING:
    from devhost.timers import Timers

log = logging.getLogger("devhost.server")
DURABLE_PREFIX = "runtime/webhooks/durabletask"
MAX_BODY = 100 * 1024 * 1024  # the Functions host's request size limit


class Server:
    def __init__(self, app: LoadedApp, runtime: Runtime, api: DurableApi, keys: HostKeys,
                 issuer: TokenIssuer) -> None:
        self.app = app
        self.rt = runtime
        self.api = api
        self.keys = keys
        self.issuer = issuer
        self.public_url = ""
        self.rpc_url = ""
        self.started = time.time()
        runtime.invoker.binding_inputs = self._binding_inputs
        self.routes: RouteTable[FunctionInfo] = RouteTable()
        for fn in sorted(app.by_kind("httpTrigger"), key=lambda f: f.name):
            self.routes.add(fn.route_text, fn.methods, fn)
        # Optional monitor page: serves `<durable base>/monitor...` behind the system key.
        self.monitor: Callable[[web.Request, str], Awaitable[web.StreamResponse]] | None = None
        self.timers: Timers | None = None  # set by the process that runs the timer triggers
        self._background: set[asyncio.Task[None]] = set()

    # -- aiohttp wiring -------------------------------------------------------------------------

    def public_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[problem_answers])
        # Any character, a newline too (an id in a path may hold one): the app's routes decide.
        app.router.add_route("*", r"/{tail:[\s\S]*}", self._public)
        return app

    def rpc_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[problem_answers])
        app.router.add_route("*", r"/durabletask/{tail:[\s\S]*}", self._rpc)
        app.router.add_get("/devhost/{what}", self._own)  # for the other devhost processes
        return app

    @property
    def durable_base(self) -> str:
        return f"{self.public_url}/{DURABLE_PREFIX}"

    def client_binding(self, fn: FunctionInfo) -> str:
        """The durable client binding JSON (§4.1), pointing at this host."""
        binding = fn.client_binding or {}
        links = self.api.links(self.durable_base, "INSTANCEID")
        code = f"code={self.api.system_key}"
        create = f"{self.durable_base}/orchestrators/{{functionName}}[/{{instanceId}}]"
        return json.dumps({
            "taskHubName": binding.get("taskHub") or self.app.config.hub_name,
            "creationUrls": {
                "createNewInstancePostUri": f"{create}?{code}",
                "createAndWaitOnNewInstancePostUri":
                    f"{create}?timeout={{timeoutInSeconds}}&pollingInterval="
                    f"{{intervalInSeconds}}&{code}"},
            "managementUrls": links,
            "baseUrl": self.durable_base,
            "requiredQueryStringParameters": code,
            "rpcBaseUrl": f"{self.rpc_url}/durabletask/",
            "connectionName": binding.get("connectionName"),
            "httpBaseUrl": None,
        })

    def _binding_inputs(self, fn: FunctionInfo) -> dict[str, Any]:
        """A durable client works on any trigger, as in Azure (activities, Event Grid, ...)."""
        if fn.client_binding is None:
            return {}
        return {fn.client_binding["name"]: self.client_binding(fn)}

    # -- dispatch -------------------------------------------------------------------------------

    async def _rpc(self, request: web.Request) -> web.StreamResponse:
        # Route on the raw path: instance ids may hold encoded '/' or '%', decoded once there.
        raw = request.rel_url.raw_path
        return await self.api.handle(request, raw[len("/durabletask/"):], self.durable_base)

    async def _public(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        lowered = path.lower()
        try:
            if lowered.startswith("admin/"):
                return await self._admin(request, path[len("admin/"):])
            if lowered == DURABLE_PREFIX or lowered.startswith(DURABLE_PREFIX + "/"):
                return await self._durable(request, path[len(DURABLE_PREFIX) + 1:])
            if lowered.startswith("runtime/webhooks/eventgrid"):
                return await self._eventgrid_webhook(request)
            if lowered == "eventgrid/api/events":
                return await self._topic(request)
            return await self._trigger(request, path)
        except web.HTTPException:
            raise  # aiohttp's own answer (a body over the size limit): `problem_answers`
        except Exception as exc:
            fault = fault_of(exc)
            if fault is not None:
                log.warning("%s %s refused: %s (%s)", request.method, request.path,
                            fault.reason, exc)
                return unavailable(fault)
            log.exception("devhost failed to handle %s %s", request.method, request.path)
            return problem(500, "Host error", "devhost failed to handle the request; see its log")

    def _key_ok(self, request: web.Request, level: str) -> bool:
        return authorize(self.keys, level, presented_key(request.query, request.headers))

    async def _durable(self, request: web.Request, rest: str) -> web.StreamResponse:
        if not self._key_ok(request, "system"):
            return problem(401, "Unauthorized", "the durable management API needs the system "
                           "key (code=...) that the check-status links carry")
        if self.monitor is not None and rest.lower().split("/")[0] == "monitor":
            return await self.monitor(request, rest[len("monitor"):].lstrip("/"))
        raw = request.rel_url.raw_path[len(DURABLE_PREFIX) + 2:]
        return await self.api.handle(request, raw, self.durable_base)

    async def _admin(self, request: web.Request, rest: str) -> web.StreamResponse:
        master = self._key_ok(request, "admin")
        if rest.lower() == "host/status" and request.method == "GET":
            # `/admin/*` needs the master key, as in Azure; without it a health probe still
            # learns that the host runs, and nothing else (not which functions it serves).
            if not master:
                return web.json_response({"state": "Running"})
            return web.json_response({"state": "Running", "version": "devhost",
                                      "processUptime": int((time.time() - self.started) * 1000),
                                      "functions": [f.name for f in self.app.functions]})
        if not master:
            return problem(401, "Unauthorized", "admin routes need the master key")
        if rest.lower() == "metrics" and request.method == "GET":
            return web.Response(body=await self._all_metrics(),
                                content_type="text/plain", charset="utf-8",
                                headers={"X-Content-Format": "prometheus 0.0.4"})
        if rest.lower() == "devhost/clock" and request.method == "POST":
            return await self._advance_clock(request)
        if rest.lower().startswith("functions/") and request.method == "POST":
            return await self._invoke_admin(request, rest[len("functions/"):])
        return problem(404, "Not Found", f"no admin route {rest}")

    async def _all_metrics(self) -> bytes:
        """This process's metrics, merged with the other processes' when there are several."""
        return merge_prometheus([prometheus_text(), *await self.from_others("metrics")])

    async def from_others(self, what: str, **query: str) -> list[bytes]:
        """`/devhost/<what>` from every other devhost process (none when there is one)."""
        parts = self.rt.store.partitions
        urls = [self.rt.store.meta(f"rpc.{i}") for i in range(parts.count) if i != parts.index]
        headers = {"x-functions-key": self.keys.master_key}

        async def fetch(session: aiohttp.ClientSession, url: str) -> bytes:
            try:
                async with session.get(f"{url}/devhost/{what}", headers=headers,
                                       params=query) as r:
                    return await r.read() if r.status == 200 else b""
            except (aiohttp.ClientError, TimeoutError):
                log.warning("devhost process at %s did not answer for its %s", url, what)
                return b""

        if not any(urls):
            return []
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return list(await asyncio.gather(*(fetch(session, u) for u in urls if u)))

    async def _own(self, request: web.Request) -> web.StreamResponse:
        """What another devhost process asks of this one: its metrics, its runtime state."""
        if not self._key_ok(request, "admin"):
            return problem(401, "Unauthorized", "needs the master key")
        if request.match_info["what"] == "metrics":
            return web.Response(body=prometheus_text(), content_type="text/plain",
                                charset="utf-8")
        if request.match_info["what"] == "runtime":
            return web.json_response(runtime_state(self.rt, request.query))
        return problem(404, "Not Found", "no such devhost route")

    async def _advance_clock(self, request: web.Request) -> web.Response:
        try:
            seconds = float((await request.json()).get("seconds"))
            now = self.rt.clock.advance(seconds)
        except (ValueError, TypeError, AttributeError):
            return problem(400, "Bad Request", 'body must be {"seconds": <non-negative number>}')
        self.rt.wake()
        return web.json_response({"now": now, "offset": self.rt.clock.offset})

    async def _invoke_admin(self, request: web.Request, name: str) -> web.Response:
        fn = self.app.function(name)
        if fn is not None and fn.trigger_type == "timerTrigger" and self.timers is not None:
            # As in Azure: a non-HTTP function run on demand; a timer's input is ignored.
            task = asyncio.get_running_loop().create_task(self.timers.fire_now(fn))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return web.Response(status=202)
        if fn is None or fn.trigger_type != "eventGridTrigger":
            return problem(404, "Not Found", f"no Event Grid trigger named '{name}'")
        try:
            event = json.loads((await request.json())["input"])
        except (ValueError, KeyError, TypeError):
            return problem(400, "Bad Request", 'body must be {"input": "<event JSON string>"}')
        now = self.rt.clock.now()
        await self.rt.commit(Batch(work=self.rt.eventgrid.publish_to(fn, [event], now)))
        return web.Response(status=202)

    # -- Event Grid -----------------------------------------------------------------------------

    async def _eventgrid_webhook(self, request: web.Request) -> web.Response:
        if not self._key_ok(request, "system"):
            return problem(401, "Unauthorized", "the Event Grid webhook needs a system key")
        kind = request.headers.get("aeg-event-type", "")
        try:
            body = await request.json()
        except ValueError:
            return problem(400, "Bad Request", "body is not JSON")
        if kind == "SubscriptionValidation":
            first = body[0] if isinstance(body, list) else body
            data = first.get("data") if isinstance(first, dict) else None
            if isinstance(data, str):
                data = json.loads(data)
            code = (data or {}).get("validationCode")
            return web.json_response({"validationResponse": code})
        if kind == "Unsubscribe":
            return web.Response(status=202)
        if kind != "Notification":
            return problem(400, "Bad Request", "aeg-event-type header is missing or unknown")
        fn = self.app.function(request.query.get("functionName", ""))
        if fn is None or fn.trigger_type != "eventGridTrigger":
            return web.Response(status=404, text=f"cannot find function: "
                                f"'{request.query.get('functionName', '')}'")
        events = body if isinstance(body, list) else [body]
        failures = await self.rt.eventgrid.invoke_now(fn, events, self.rt.commit,
                                                      self.rt.clock.now())
        if failures:
            return web.Response(status=500, text="; ".join(failures))
        return web.Response(status=202)

    async def _topic(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return problem(405, "Method Not Allowed", "publish events with POST")
        key = request.headers.get("aeg-sas-key") or request.query.get("code")
        if not key or not authorize(self.keys, "system", key):
            return problem(401, "Unauthorized", "aeg-sas-key is missing or wrong")
        try:
            events = normalize_topic_events(await request.json())
        except ValueError as exc:
            return problem(400, "Bad Request", str(exc))
        await self.rt.commit(Batch(work=self.rt.eventgrid.publish(events, self.rt.clock.now())))
        return web.Response(status=200)

    # -- HTTP triggers --------------------------------------------------------------------------

    async def _trigger(self, request: web.Request, path: str) -> web.StreamResponse:
        prefix = self.app.config.route_prefix.lower()
        missing = problem(404, "Not Found", f"no function serves {request.method} /{path}")
        if prefix:
            if path.lower() != prefix and not path.lower().startswith(prefix + "/"):
                return missing
            path = path[len(prefix) + 1:]
        try:
            fn, params = self.routes.resolve(request.method, path)
        except RouteNotFound:
            return missing
        if not self._key_ok(request, fn.auth_level):
            return web.Response(status=401)
        headers = strip_principal_headers(request.headers.items())
        token = bearer_token(request.headers.get("Authorization"))
        if token is not None:
            try:
                claims = self.issuer.verify(token)
            except InvalidToken as exc:
                return problem(401, "Unauthorized", f"bearer token rejected: {exc.reason}",
                               code="Unauthenticated")
            headers += list(principal_headers(claims).items())
        body = await request.read()
        req = to_func_request(request.method, str(request.url), headers, body, params)
        started = time.monotonic()
        inv = await self.rt.invoker.invoke(fn, {fn.trigger["name"]: req})
        if inv.error is None:
            work = self.rt.eventgrid.fanout(fn, inv.outputs, self.rt.clock.now())
            if work:
                await self.rt.commit(Batch(work=work))
            try:
                # The response is the return value, or a v1 function's named http output.
                named = fn.outputs("http")
                value = inv.outputs.get(named[0]["name"]) if named else inv.value
                status, out_headers, out_body = from_func_response(value)
            except UnencodableResponse as exc:
                inv.error = exc
                log.warning(json.dumps({"event": "invocation", "function": fn.name,
                                        "invocationId": inv.invocation_id, "error": str(exc)}))
            else:
                return web.Response(status=status, headers=_multi(out_headers), body=out_body)
        refused = self.rt.store.last_fault
        if refused is not None and refused[0] >= started:
            # The function failed after the store refused a write (its start, say): that is
            # the store's passing fault, and nothing of the command was acknowledged.
            return unavailable(refused[1])
        return problem(500, "Function failed", f"function '{fn.name}' failed; see the host log "
                       f"for invocation {inv.invocation_id}", function=fn.name,
                       invocationId=inv.invocation_id)


def _multi(headers: list[tuple[str, str]]) -> Any:
    from multidict import CIMultiDict

    return CIMultiDict(headers)


def describe_routes(server: Server) -> list[str]:
    prefix = server.app.config.route_prefix
    lines = []
    for fn in sorted(server.app.by_kind("httpTrigger"), key=lambda f: f.name):
        methods = ",".join(fn.methods) if fn.methods else "ALL"
        route = "/".join(p for p in (prefix, fn.route_text) if p)
        lines.append(f"  {fn.name}: [{methods}] {server.public_url}/{quote(route, safe='/{}:?*')}")
    return lines
