"""``GET /api/products/{sku}``: a catalog entry and its availability, from the ``products`` view.

Any signed-in caller sees the name, price, currency and how many units are available; staff
(fulfilment, support, admin) also see the units on hand and reserved. A SKU without a catalog
price is not a product yet: 404. Cached like the other queries, invalidated by the product's
folds, with ``minVersion`` for read-your-writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api import query_params as qp
from api.http import authenticate, guarded
from api.problems import ApiError
from api.read_through import Read, cached, stale, view_response, wait_for
from api.schemas import SKU, check_route_id
from app_settings import get_settings
from observability.edge import observe_query
from projections.projector import product_scope
from readmodels.factory import query_cache, view_store
from readmodels.views import PRODUCTS
from security import policy
from security.principal import Principal

bp = df.Blueprint()
_NO_PRODUCT = "No product with this SKU is in the catalog."
PUBLIC_FIELDS = ("sku", "name", "unitPrice", "currency", "available")
STAFF_FIELDS = ("onHand", "reserved")


def render_product(doc: dict[str, Any], principal: Principal) -> dict[str, Any]:
    fields = PUBLIC_FIELDS + (STAFF_FIELDS if policy.can_see_stock_counts(principal) else ())
    return {name: doc[name] for name in fields}


def _version(value: dict[str, Any] | None) -> int:
    return int(value["version"]) if value else 0


def get_product(req: func.HttpRequest) -> func.HttpResponse:
    principal = authenticate(req, get_settings())
    params = dict(req.params)
    qp.check_known(params, {"minVersion"})
    wanted = qp.min_version(params)
    sku = check_route_id(req.route_params.get("sku", ""), SKU, "sku")

    def load() -> dict[str, Any] | None:
        stored = view_store().read(PRODUCTS, sku, sku)
        return stored.doc if stored and stored.doc.get("unitPrice") else None

    read = cached(query_cache(), product_scope(sku), "product", load,
                  lambda v: _version(v) >= wanted)
    if _version(read.value) < wanted:
        read = Read(wait_for(load, lambda v: _version(v) >= wanted), "view")
        if read.value is not None and _version(read.value) < wanted:
            raise stale(_version(read.value), wanted)
    doc = read.value
    if doc is None:
        raise ApiError("NotFound", _NO_PRODUCT)
    return view_response(req, render_product(doc, principal), etag=f'"{doc["version"]}"',
                         version=int(doc["version"]), updated_at=doc.get("updatedAt"),
                         source=read.source)


@bp.route(route="products/{sku}", methods=["GET"])
async def api_get_product(req: func.HttpRequest) -> func.HttpResponse:
    return await observe_query(req, "product",
                               lambda: guarded(lambda: asyncio.to_thread(get_product, req)))
