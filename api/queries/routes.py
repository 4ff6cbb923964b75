"""Query routes (docs/api.md, Queries): the cache, then the views; authorize; open or mask.

Checks run in this order: authentication (401), parameters (400), the role (403), then the
owner (another customer's resource answers 404, like a missing one), then ``minVersion`` (409).
The owner is checked before any version comparison so a stale-view answer never reveals that
someone else's order exists. Handlers are synchronous (store clients block) and run on a worker
thread so the host's event loop stays free.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api import consistency
from api.problems import ApiError
from api.queries import order_history, order_lists
from api.queries import query_params as qp
from api.queries.query_base import (
    NO_CUSTOMER,
    NO_ORDER,
    caller,
    fresh_enough,
    require,
    serve,
    version_of,
)
from api.queries.read_through import Read, cached, view_response, wait_for
from api.queries.view_render import (
    cacheable_order,
    render_list_item,
    render_order,
    render_product,
    render_summary,
)
from api.routes import http_route
from api.schemas import ID, SKU, check_route_id
from projections.fold import with_customer
from readmodels.cache_scopes import customer_scope, order_scope, product_scope
from readmodels.factory import query_cache, view_store
from readmodels.views import CUSTOMER_SUMMARY, ORDER_DETAILS, PRODUCTS
from security import policy
from security.principal import Principal

bp = df.Blueprint()


# -- GET /api/orders/{orderId} -------------------------------------------------------------

def get_order(req: func.HttpRequest) -> func.HttpResponse:
    principal, params = caller(req, {"minVersion", consistency.PARAM,
                                     *order_history.AS_OF_PARAMS})
    wanted = qp.min_version(params)
    order_id = check_route_id(req.route_params.get("orderId", ""), ID, "orderId")
    bypass = consistency.wait_until_caught_up(req, params)
    if any(params.get(name) for name in order_history.AS_OF_PARAMS):
        return order_history.get_order_as_of(req, principal, order_id, params, wanted)
    require(policy.access(principal, principal.user_id, policy.can_read_order), NO_ORDER)

    def load() -> dict[str, Any] | None:
        stored = view_store().read(ORDER_DETAILS, order_id, order_id)
        placed = stored is not None and int(stored.doc["version"]) >= 1
        return cacheable_order(stored.doc) if placed and stored else None

    read = cached(query_cache(), order_scope(order_id), "order", load,
                  lambda v: not bypass and version_of(v) >= wanted)
    if read.value is None and wanted:
        read = Read(wait_for(load, lambda v: v is not None), "view")
    if read.value is None:
        raise ApiError("NotFound", NO_ORDER)
    owner = str(read.value["customerId"])
    require(policy.access(principal, owner, policy.can_read_order), NO_ORDER)
    read = fresh_enough(read, load, wanted)
    assert read.value is not None
    profile = _profile(owner, bypass)
    doc = with_customer(read.value, profile.value and profile.value["profile"])
    source = "hit" if read.source == profile.source == "hit" else read.source
    return view_response(req, render_order(doc, principal),
                         etag=f'"{doc["version"]}.{doc["customerVersion"]}"',
                         version=int(doc["version"]), updated_at=doc.get("updatedAt"),
                         source=source)


def _profile(customer_id: str, bypass: bool) -> Read:
    """The customer's profile for an order answer: order documents do not copy it (a profile
    change would rewrite every order of the customer), the summary holds it. Cached in the
    customer's scope, which every fold that changes the profile invalidates."""

    def load() -> dict[str, Any]:
        return {"profile": _summary_profile(customer_id)}

    return cached(query_cache(), customer_scope(customer_id), "profile", load,
                  lambda _: not bypass)


def _summary_profile(customer_id: str) -> dict[str, Any] | None:
    stored = view_store().read(CUSTOMER_SUMMARY, customer_id, customer_id)
    return stored.doc.get("profile") if stored else None


# -- customer routes -----------------------------------------------------------------------

def _customer_summary(req: func.HttpRequest, principal: Principal, wanted: int,
                      params: dict[str, str]) -> tuple[str, Read, bool]:
    """The summary (also the list's version); with a consistency token, read from the view
    once it holds the token's write."""
    customer_id = check_route_id(req.route_params.get("customerId", ""), ID, "customerId")
    require(policy.access(principal, customer_id, policy.can_read_customer), NO_CUSTOMER)
    bypass = consistency.wait_until_caught_up(req, params)

    def load() -> dict[str, Any] | None:
        stored = view_store().read(CUSTOMER_SUMMARY, customer_id, customer_id)
        return stored.doc if stored else None

    read = cached(query_cache(), customer_scope(customer_id), "summary", load,
                  lambda v: not bypass and version_of(v) >= wanted)
    if read.value is None and wanted:
        read = Read(wait_for(load, lambda v: v is not None), "view")
    if read.value is None:
        raise ApiError("NotFound", NO_CUSTOMER)
    return customer_id, fresh_enough(read, load, wanted), bypass


def get_summary(req: func.HttpRequest) -> func.HttpResponse:
    principal, params = caller(req, {"minVersion", consistency.PARAM})
    _, read, _ = _customer_summary(req, principal, qp.min_version(params), params)
    summary = read.value
    assert summary is not None
    return view_response(req, render_summary(summary), etag=f'"{summary["version"]}"',
                         version=int(summary["version"]), updated_at=summary.get("updatedAt"),
                         source=read.source)


def list_orders(req: func.HttpRequest) -> func.HttpResponse:
    principal, params = caller(req, {"status", "limit", "continuation", "minVersion",
                                     consistency.PARAM})
    status = qp.status(params)
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    after = qp.continuation(params, status)
    customer_id, head, bypass = _customer_summary(req, principal, qp.min_version(params),
                                                  params)
    summary = head.value
    assert summary is not None

    def load() -> dict[str, Any]:
        rows = view_store().customer_orders(customer_id, status=status, limit=limit + 1,
                                            after=after.after if after else None)
        more = len(rows) > limit
        token = qp.Continuation(str(rows[limit - 1]["sortKey"]), status).encode() if more \
            else None
        return {"items": [render_list_item(row) for row in rows[:limit]],
                "continuation": token, "version": summary["version"]}

    key = f"orders?status={status or ''}&limit={limit}&after={after.after if after else ''}"
    page = cached(query_cache(), customer_scope(customer_id), key, load,
                  lambda v: not bypass and version_of(v) >= int(summary["version"]))
    assert page.value is not None
    body = {"items": page.value["items"], "continuation": page.value["continuation"]}
    source = "hit" if head.source == page.source == "hit" else page.source
    return view_response(req, body, etag=f'"{summary["version"]}"',
                         version=int(summary["version"]), updated_at=summary.get("updatedAt"),
                         source=source)


# -- GET /api/products/{sku} ---------------------------------------------------------------

def get_product(req: func.HttpRequest) -> func.HttpResponse:
    """Any signed-in caller; a SKU without a catalog price is not a product yet (404)."""
    principal, params = caller(req, {"minVersion", consistency.PARAM})
    wanted = qp.min_version(params)
    sku = check_route_id(req.route_params.get("sku", ""), SKU, "sku")
    bypass = consistency.wait_until_caught_up(req, params)

    def load() -> dict[str, Any] | None:
        stored = view_store().read(PRODUCTS, sku, sku)
        return stored.doc if stored and stored.doc.get("unitPrice") else None

    read = cached(query_cache(), product_scope(sku), "product", load,
                  lambda v: not bypass and version_of(v) >= wanted)
    if read.value is None and wanted:
        read = Read(wait_for(load, lambda v: v is not None), "view")
    if read.value is None:
        raise ApiError("NotFound", "No product with this SKU is in the catalog.")
    doc = fresh_enough(read, load, wanted).value
    assert doc is not None
    return view_response(req, render_product(doc, principal), etag=f'"{doc["version"]}"',
                         version=int(doc["version"]), updated_at=doc.get("updatedAt"),
                         source=read.source)


# -- routes --------------------------------------------------------------------------------

@http_route(bp, "getOrder")
async def api_get_order(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(get_order, req, "order")


@http_route(bp, "getOrderEvents")
async def api_order_events(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(order_history.get_order_events, req, "order_events")


@http_route(bp, "listCustomerOrders")
async def api_list_customer_orders(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(list_orders, req, "customer_orders")


@http_route(bp, "getCustomerSummary")
async def api_customer_summary(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(get_summary, req, "customer_summary")


@http_route(bp, "listOrders")
async def api_list_orders(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(order_lists.orders, req,
                       "search" if req.params.get("search") else "orders")


@http_route(bp, "listProducts")
async def api_list_products(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(order_lists.list_products, req, "products")


@http_route(bp, "getProduct")
async def api_get_product(req: func.HttpRequest) -> func.HttpResponse:
    return await serve(get_product, req, "product")
