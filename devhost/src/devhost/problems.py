"""devhost's own HTTP refusals: RFC 9457 problem+json, each with a stable `code`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from devhost.storage.faults import Fault

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> web.Response:
    """An answer of devhost's own, with a stable ``code`` (its title in one word, as
    "NotFound", unless `extra` names another), so a client tells devhost's refusals apart
    without parsing text."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "code": title.replace(" ", ""), **extra}
    return web.Response(status=status, body=json.dumps(body), headers=headers,
                        content_type="application/problem+json")


def unavailable(fault: Fault) -> web.Response:
    """503 for a write the store refused for a passing reason: nothing was stored, retry."""
    return problem(503, "Service Unavailable",
                   f"devhost did not store this request: {fault.reason}; retry in "
                   f"{fault.retry_after} s", headers={"Retry-After": str(fault.retry_after)},
                   code=fault.code)


@web.middleware
async def problem_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals (no route, a body over the size limit, ...) as problem+json."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(exc.status, exc.reason, exc.text or exc.reason)


class _ProblemHandler(RequestHandler):
    """A connection whose unreadable requests (a bad header character, a bad request line)
    and unhandled failures are answered problem+json, where aiohttp answers plain text."""

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs; refuses if half sent
        if status == 500:
            answer = problem(500, "Host error", "devhost failed to handle the request; see its "
                             "log")
        else:
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ \
                else "Bad Request"
            answer = problem(status, phrase, "devhost could not read the request as HTTP (a "
                             "bad request line, header name or header value)")
        answer.force_close()
        return answer


class _ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _ProblemHandler(self, loop=self._loop, **self._kwargs)


class ProblemRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer even unreadable requests with problem+json."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _ProblemServer  # aiohttp builds its Server itself; only __call__ differs
        return server
