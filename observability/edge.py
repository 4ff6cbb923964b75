"""The HTTP edge: where a correlation id is taken or made, and where latency is measured.

Every command and query response carries ``x-correlation-id``. A client links a query to the
command it sent by sending that id back (``x-correlation-id`` or a ``traceparent`` with it as
trace id); the query's log line then carries it, so "which read followed which write" is one
search in the logs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import azure.functions as func

from observability import correlation, instruments
from observability.logs import get_logger

log = get_logger("orders.edge")
# Route parameters that identify what a request is about (never a sensitive value).
_SUBJECT_PARAMS = {"orderId": "orderId", "customerId": "customerId", "sku": "sku",
                   "commandId": "commandId"}
Action = Callable[[], Awaitable[func.HttpResponse]]


def _subject(req: func.HttpRequest) -> dict[str, str]:
    params = dict(req.route_params or {})
    return {field: params[name] for name, field in _SUBJECT_PARAMS.items() if params.get(name)}


def _begin(req: func.HttpRequest) -> tuple[str, str | None]:
    headers = {k.lower(): v for k, v in req.headers.items()}
    return correlation.from_headers(headers)


async def observe_command(req: func.HttpRequest, command_type: str,
                          action: Action) -> func.HttpResponse:
    """Run a command route under its correlation id; count, time and log its answer."""
    cid, parent = _begin(req)
    with correlation.activate(cid, parent, f"command {command_type}", **_subject(req)):
        started = time.perf_counter()
        response = await action()
        millis = instruments.elapsed_ms(started)
        instruments.record_command_request(command_type, response.status_code, millis)
        outcome = instruments.status_outcome(response.status_code)
        response.headers[correlation.CORRELATION_HEADER] = correlation.current_id() or cid
        log.info("%s %s", command_type, outcome, event=f"command.{outcome}",
                 commandType=command_type, status=response.status_code,
                 durationMs=round(millis, 2))
        return response


async def observe_query(req: func.HttpRequest, route: str, action: Action) -> func.HttpResponse:
    """Run a query route under the caller's correlation id; count, time and log its answer."""
    cid, parent = _begin(req)
    with correlation.activate(cid, parent, f"query {route}", **_subject(req)):
        started = time.perf_counter()
        response = await action()
        millis = instruments.elapsed_ms(started)
        cache = response.headers.get("x-cache") or "none"
        instruments.record_query(route, cache, response.status_code, millis)
        response.headers[correlation.CORRELATION_HEADER] = cid
        log.info("%s answered %s", route, response.status_code, event="query.answered",
                 route=route, status=response.status_code, cache=cache,
                 viewVersion=response.headers.get("x-view-version"),
                 durationMs=round(millis, 2))
        return response
