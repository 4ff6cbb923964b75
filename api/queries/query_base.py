"""What every query handler shares: the caller and their parameters, the access answer, and the
read-your-writes wait on a view (``minVersion``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import azure.functions as func

from api.http import authenticate, guarded
from api.problems import ApiError
from api.queries import query_params as qp
from api.queries.read_through import Read, stale, wait_for
from app_settings import get_settings
from observability.edge import observe_query
from security.policy import Access
from security.principal import Principal

NO_ORDER = "No order with this id was found."
NO_CUSTOMER = "No customer with this id was found."


def caller(req: func.HttpRequest, allowed: set[str]) -> tuple[Principal, dict[str, str]]:
    principal = authenticate(req, get_settings())
    params = dict(req.params)
    qp.check_known(params, allowed)
    return principal, params


def require(decision: Access, not_found: str) -> None:
    if decision is Access.FORBIDDEN:
        raise ApiError("Forbidden", "Your role does not allow this.")
    if decision is Access.NOT_FOUND:
        raise ApiError("NotFound", not_found)


def version_of(value: dict[str, Any] | None) -> int:
    return int(value["version"]) if value else 0


def fresh_enough(read: Read, load: Callable[[], dict[str, Any] | None], wanted: int) -> Read:
    """Wait (bounded) for the view to reach ``wanted``; 409 StaleView if it does not."""
    if version_of(read.value) >= wanted:
        return read
    value = wait_for(load, lambda v: version_of(v) >= wanted)
    if version_of(value) < wanted:
        raise stale(version_of(value), wanted)
    return Read(value, "view")


async def serve(handler: Callable[[func.HttpRequest], func.HttpResponse],
                req: func.HttpRequest, route: str) -> func.HttpResponse:
    """Handlers are synchronous (store clients block): they run on a worker thread so the
    host's event loop stays free."""
    return await observe_query(req, route,
                               lambda: guarded(lambda: asyncio.to_thread(handler, req)))
