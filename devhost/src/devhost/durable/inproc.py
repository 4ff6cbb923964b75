"""The durable client's HTTP calls to this host, answered without a socket.

In Azure the SDK's `DurableOrchestrationClient` reaches the Functions host over loopback HTTP
(`rpcBaseUrl`). devhost *is* that host and runs the app's code in its own process, so a call to
its own RPC base goes straight to the handler that serves the listener: the same routes, status
codes and JSON, decoded the way the SDK's `http_utils` decodes an aiohttp response. That saves
two HTTP stacks (client and server) per call, which a command API pays on every request.

URLs that point anywhere else, and calls made from another thread's event loop, keep the SDK's
own HTTP functions or are handed to the host's loop.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

# The package re-exports the class under the module's name; the functions live in the module.
client_module: Any = importlib.import_module(
    "azure.durable_functions.models.DurableOrchestrationClient")
Handler = Callable[[Any, str], Awaitable[web.StreamResponse]]


_NOT_DECODED = object()


class InProcessRequest:
    """The part of `aiohttp.web.Request` the durable API reads.

    A handler may answer with the body's JSON values in `decoded` (and a response without a
    body): values exactly as `json.loads` of the body would give them, and no one else's."""

    def __init__(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> None:
        self.method = method
        self.url = URL(url, encoded=True)
        self.query: MultiDictProxy[str] = self.url.query
        self._headers = headers
        self.content_type = "application/json" if body else "application/octet-stream"
        self._body = body
        self.decoded: Any = _NOT_DECODED

    @functools.cached_property
    def headers(self) -> CIMultiDictProxy[str]:
        return CIMultiDictProxy(CIMultiDict(self._headers))

    async def read(self) -> bytes:
        return self._body


class InProcessClient:
    """Installs itself as the SDK client's transport for URLs under `rpc_base`."""

    def __init__(self, rpc_base: str, handler: Handler, loop: asyncio.AbstractEventLoop) -> None:
        self.rpc_base = rpc_base.rstrip("/") + "/"
        self._base_path = URL(self.rpc_base).raw_path
        self.handler = handler
        self.loop = loop
        self._sdk = (client_module.post_async_request, client_module.get_async_request,
                     client_module.delete_async_request)

    def install(self) -> None:
        client_module.post_async_request = self.post
        client_module.get_async_request = self.get
        client_module.delete_async_request = self.delete

    def uninstall(self) -> None:
        """The SDK's own HTTP functions back (a host stopped in a process that goes on)."""
        (client_module.post_async_request, client_module.get_async_request,
         client_module.delete_async_request) = self._sdk

    async def post(self, url: str, data: Any = None, trace_parent: str | None = None,
                   trace_state: str | None = None,
                   function_invocation_id: str | None = None) -> list[Any]:
        if not url.startswith(self.rpc_base):
            return await self._sdk[0](url, data, trace_parent, trace_state,
                                      function_invocation_id)
        headers = {k: v for k, v in (("traceparent", trace_parent), ("tracestate", trace_state))
                   if v}
        body = b"" if data is None else json.dumps(data).encode()
        return await self._call("POST", url, body, headers)

    async def get(self, url: str, function_invocation_id: str | None = None) -> list[Any]:
        if not url.startswith(self.rpc_base):
            return await self._sdk[1](url, function_invocation_id)
        status, data = await self._call("GET", url, b"", {})
        return [status, "" if data is None else data]

    async def delete(self, url: str, function_invocation_id: str | None = None) -> list[Any]:
        if not url.startswith(self.rpc_base):
            return await self._sdk[2](url, function_invocation_id)
        return await self._call("DELETE", url, b"", {})

    async def _call(self, method: str, url: str, body: bytes,
                    headers: dict[str, str]) -> list[Any]:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            return await self._serve(method, url, body, headers)
        # App code that made a loop of its own (a sync function calling asyncio.run): the store
        # and the runtime belong to the host's loop, so the call runs there.
        future = asyncio.run_coroutine_threadsafe(self._serve(method, url, body, headers),
                                                  self.loop)
        return await asyncio.wrap_future(future)

    async def _serve(self, method: str, url: str, body: bytes,
                     headers: dict[str, str]) -> list[Any]:
        request = InProcessRequest(method, url, body, headers)
        response = await self.handler(request, request.url.raw_path[len(self._base_path):])
        if request.decoded is not _NOT_DECODED:
            return [response.status, request.decoded]
        raw = response.body if isinstance(response, web.Response) else None
        text = raw.strip() if isinstance(raw, bytes) else b""
        return [response.status, json.loads(text) if text else None]
