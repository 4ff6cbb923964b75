"""An order's past: its events (``GET /api/orders/{id}/events``) and the order as it was
(``GET /api/orders/{id}?asOfVersion=N`` or ``?asOf=<time>``), both read from the event archive.

The archive is written before an event is delivered to the projections, so it is never behind
the views; ``minVersion`` waits (bounded) for the archive to hold that version. The owner is the
customer of the order's first event, checked before anything about the order is said, so
another customer gets the same 404 as for an order that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

import azure.functions as func

from api import consistency
from api.problems import ApiError
from api.queries import query_params as qp
from api.queries.query_base import NO_ORDER, caller, require
from api.queries.read_through import stale, view_response, wait_for
from api.queries.view_render import render_event, render_order
from api.schemas import ID, check_route_id
from projections.fold import with_customer
from projections.history import order_as_of
from readmodels.factory import event_archive, view_store
from readmodels.views import CUSTOMER_SUMMARY
from security import policy
from security.principal import Principal

MAX_STREAM = 10_000  # events of one order time travel folds at most (orders have a handful)
_VERSION = re.compile(r"[0-9]{1,10}")
AS_OF_PARAMS = {"asOfVersion", "asOf"}


def _subject(order_id: str) -> str:
    return f"orders/{order_id}"


def _owner(order_id: str) -> str | None:
    first = event_archive().stream(_subject(order_id), limit=1)
    if not first or first[0]["data"].get("version") != 1:
        return None
    return str((first[0]["data"].get("payload") or {}).get("customerId") or "") or None


def _authorized_owner(principal: Principal, order_id: str, wanted: int) -> str:
    require(policy.access(principal, principal.user_id, policy.can_read_order), NO_ORDER)
    owner = _owner(order_id)
    if owner is None and wanted:
        found = wait_for(lambda: {"owner": _owner(order_id)}, lambda v: bool(v and v["owner"]))
        owner = found["owner"] if found else None
    if owner is None:
        raise ApiError("NotFound", NO_ORDER)
    require(policy.access(principal, owner, policy.can_read_order), NO_ORDER)
    return owner


def _wait_for_version(order_id: str, wanted: int) -> None:
    """``minVersion`` against the archive: 409 StaleView if it does not hold ``wanted`` soon."""
    if wanted <= 1:
        return

    def load() -> dict[str, Any]:
        found = event_archive().stream(_subject(order_id), after_version=wanted - 1, limit=1)
        return {"version": wanted if found else 0}

    found = wait_for(load, lambda v: bool(v and v["version"]))
    if not (found and found["version"]):
        latest = event_archive().stream(_subject(order_id), limit=MAX_STREAM)
        raise stale(int(latest[-1]["data"]["version"]) if latest else 0, wanted)


# -- GET /api/orders/{orderId}/events ------------------------------------------------------

def get_order_events(req: func.HttpRequest) -> func.HttpResponse:
    principal, params = caller(req, {"limit", "continuation", "minVersion", consistency.PARAM})
    order_id = check_route_id(req.route_params.get("orderId", ""), ID, "orderId")
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    start = qp.cursor(params, f"events:{order_id}", lambda a: bool(_VERSION.fullmatch(a)))
    wanted = qp.min_version(params)
    owner = _authorized_owner(principal, order_id, wanted)
    consistency.wait_until_caught_up(req, params)
    _wait_for_version(order_id, wanted)
    after = int(start.after) if start else 0
    events = event_archive().stream(_subject(order_id), after_version=after, limit=limit + 1)
    page = events[:limit]
    last = int(page[-1]["data"]["version"]) if page else after
    token = qp.Cursor(str(last), f"events:{order_id}").encode() if len(events) > limit else None
    body = {"orderId": order_id, "items": [render_event(e, principal, owner) for e in page],
            "continuation": token}
    return view_response(req, body, etag=f'"{after}-{last}"', version=last,
                         updated_at=page[-1]["data"].get("occurredAt") if page else None,
                         source="view")


# -- GET /api/orders/{orderId}?asOfVersion=N&asOf=T ---------------------------------------

def get_order_as_of(req: func.HttpRequest, principal: Principal, order_id: str,
                    params: dict[str, str], wanted: int) -> func.HttpResponse:
    """The order folded from its first events: up to version ``asOfVersion`` and up to time
    ``asOf`` (inclusive), whichever comes first. 404 when the order did not exist by then (or
    has no such version yet). The customer block is today's profile (the order's owner)."""
    as_of_version = qp.integer(params, "asOfVersion", 0, 1, qp.MAX_MIN_VERSION) or None
    as_of = qp.timestamp(params, "asOf")
    owner = _authorized_owner(principal, order_id, wanted)
    _wait_for_version(order_id, wanted)
    events = event_archive().stream(_subject(order_id), limit=MAX_STREAM)
    doc = order_as_of(events, version=as_of_version, at=as_of)
    if doc is None or (as_of_version is not None and int(doc["version"]) < as_of_version):
        raise ApiError("NotFound", "This order had no such version or did not exist then.")
    summary = view_store().read(CUSTOMER_SUMMARY, owner, owner)
    shown = with_customer(doc, summary.doc.get("profile") if summary else None)
    return view_response(req, render_order(shown, principal),
                         etag=f'"{shown["version"]}.{shown["customerVersion"]}.past"',
                         version=int(shown["version"]), updated_at=shown.get("updatedAt"),
                         source="view")
