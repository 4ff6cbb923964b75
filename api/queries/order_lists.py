"""Lists over many orders and products: ``GET /api/orders`` (the staff list, or a search with
``search=``) and ``GET /api/products`` (the catalog).

Every list is keyset-paged: a page ends with the sort key of its last item, and the next page
starts strictly after it. An order's sort key (``placedAt|orderId``) never changes, so orders
placed or changed while a client pages never shift, repeat or skip the ones it has not seen yet
(a status filter may of course gain or lose an order whose status changed). Not cached: any
fold of any order could change these answers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import azure.functions as func

from api import consistency
from api.problems import ApiError
from api.queries import query_params as qp
from api.queries.query_base import NO_CUSTOMER, caller, fresh_enough, version_of
from api.queries.read_through import Read, view_response
from api.queries.view_render import render_product, render_search_item
from api.schemas import ID, SKU
from projections.fold import with_customer
from readmodels.factory import view_store
from readmodels.views import CUSTOMER_SUMMARY, SORT_KEY, OrderFilter
from security import policy
from security.principal import Principal, Role

LIST_PARAMS = {"status", "customerId", "sku", "placedFrom", "placedTo", "limit",
               "continuation", "minVersion", consistency.PARAM}
FILTERS = ("status", "customerId", "sku", "placedFrom", "placedTo")
SEARCH_PARAMS = {"search", "limit", "continuation", "minVersion", consistency.PARAM}
_SKU = re.compile(SKU)


def _sort_key(value: str) -> bool:
    return bool(SORT_KEY.fullmatch(value))


def _with_profiles(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The customers' names joined in (one summary read per customer on the page)."""
    profiles: dict[str, Any] = {}
    for owner in sorted({str(d["customerId"]) for d in found}):
        stored = view_store().read(CUSTOMER_SUMMARY, owner, owner)
        profiles[owner] = stored.doc.get("profile") if stored else None
    return [with_customer(d, profiles[str(d["customerId"])]) for d in found]


def _page(req: func.HttpRequest, found: list[dict[str, Any]], limit: int,
          scope: str) -> func.HttpResponse:
    return _page_answer(req, found, limit, scope, "sortKey", render_search_item,
                        lambda d: f"{d['id']}.{d['version']}.{d.get('customerVersion', 0)}")


def _page_answer(req: func.HttpRequest, found: list[dict[str, Any]], limit: int, scope: str,
                 key: str, render: Callable[[dict[str, Any]], dict[str, Any]],
                 tag_of: Callable[[dict[str, Any]], str]) -> func.HttpResponse:
    """One page of ``found`` (``limit`` + 1 read, to know whether another follows): its items,
    the next page's token (after the last item's ``key``), and an ETag over what it shows."""
    docs = found[:limit]
    token = qp.Cursor(str(docs[-1][key]), scope).encode() if len(found) > limit else None
    tag = ",".join(tag_of(d) for d in docs)
    return view_response(req, {"items": [render(d) for d in docs], "continuation": token},
                         etag=f'W/"{hashlib.sha256(tag.encode()).hexdigest()[:16]}"',
                         version=max((version_of(d) for d in docs), default=0),
                         updated_at=max((str(d.get("updatedAt") or "") for d in docs),
                                        default=None),
                         source="view")


def _newest(load: Any, wanted: int) -> list[dict[str, Any]]:
    """``minVersion`` on a list: wait until some order on it has reached that version."""
    result = fresh_enough(Read(load(), "view"), load, wanted).value
    assert result is not None
    return list(result["items"])


# -- GET /api/orders ------------------------------------------------------------------------

def orders(req: func.HttpRequest) -> func.HttpResponse:
    return search_orders(req) if req.params.get("search") else list_orders(req)


def _parsed(params: dict[str, str]) -> OrderFilter:
    return OrderFilter(status=qp.status(params),
                       customer_id=qp.pattern(params, "customerId", ID,
                                              "1-64 of A-Z a-z 0-9 - _"),
                       sku=qp.pattern(params, "sku", SKU, "1-64 of A-Z a-z 0-9 - _ ."),
                       placed_from=qp.timestamp(params, "placedFrom"),
                       placed_to=qp.timestamp(params, "placedTo"))


def _filters(principal: Principal, params: dict[str, str]) -> OrderFilter:
    """The list's filters; a customer's list is always their own orders."""
    where = _parsed(params)
    if policy.can_search_orders(principal):
        return where
    if not principal.has_role(Role.CUSTOMER):
        raise ApiError("Forbidden", "Only support, admin and customers may list orders.")
    if where.customer_id is not None and where.customer_id != principal.user_id:
        raise ApiError("NotFound", NO_CUSTOMER)
    return replace(where, customer_id=principal.user_id)


def list_orders(req: func.HttpRequest) -> func.HttpResponse:
    """Support and admin: every order; a customer: their own. Newest first."""
    principal, params = caller(req, LIST_PARAMS)
    where = _filters(principal, params)
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    # The filters as sent, not as applied: a customer's own filter is added for them, and a
    # page token stays valid whoever follows it (it only says where to start).
    scope = "list:" + "|".join(params.get(name) or "" for name in FILTERS)
    start = qp.cursor(params, scope, _sort_key)
    wanted = qp.min_version(params)
    consistency.wait_until_caught_up(req, params)

    def load() -> dict[str, Any]:
        found = view_store().list_orders(where, limit=limit + 1,
                                         after=start.after if start else None)
        return {"items": _with_profiles(found),
                "version": max((version_of(d) for d in found), default=0)}

    return _page(req, _newest(load, wanted), limit, scope)


def search_orders(req: func.HttpRequest) -> func.HttpResponse:
    """The list's filters are checked but do not apply to a search (docs/api.md)."""
    principal, params = caller(req, SEARCH_PARAMS | LIST_PARAMS)
    text = qp.search_text(params)
    _parsed(params)
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    scope = f"search:{text}"
    start = qp.cursor(params, scope, _sort_key)
    wanted = qp.min_version(params)
    if not policy.can_search_orders(principal):
        raise ApiError("Forbidden", "Only support and admin may search orders.")
    consistency.wait_until_caught_up(req, params)

    def load() -> dict[str, Any]:
        found = view_store().search_orders(
            id_prefix=text if _id_like(text) else "", name_part=text.lower(),
            tracking_number=text, limit=limit + 1, after=start.after if start else None)
        return {"items": _with_profiles(found),
                "version": max((version_of(d) for d in found), default=0)}

    return _page(req, _newest(load, wanted), limit, scope)


def _id_like(text: str) -> bool:
    return all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in text)


# -- GET /api/products ----------------------------------------------------------------------

def list_products(req: func.HttpRequest) -> func.HttpResponse:
    """Any signed-in caller; by SKU; staff also see the stock counts (as for one product)."""
    principal, params = caller(req, {"q", "limit", "continuation", consistency.PARAM})
    name = qp.name_filter(params, "q")
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    scope = f"products:{name or ''}"
    start = qp.cursor(params, scope, lambda value: bool(_SKU.fullmatch(value)))
    consistency.wait_until_caught_up(req, params)
    found = view_store().list_products(name_part=name.lower() if name else None,
                                       limit=limit + 1, after=start.after if start else None)
    return _page_answer(req, found, limit, scope, "sku", lambda d: render_product(d, principal),
                        lambda d: f"{d['sku']}.{d['version']}")
