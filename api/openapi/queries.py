"""The OpenAPI of the read side's newer queries: order history and time travel, the staff order
list (search pages too), the catalog list, the caller's commands, and the consistency token
every query takes. ``extend`` adds them to the document ``api/openapi/document.py`` builds."""

from __future__ import annotations

import copy
from typing import Any

from api import consistency
from api.openapi.parts import link, path_param, problems, query_operation, query_param
from api.queries import query_params as qp
from api.schemas import ID, SKU

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ORDER_STATUS = {"enum": list(qp.STATUSES)}
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{22}$"


def _optional(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """As ``parts.query_param``: the host drops an empty value, so empty counts as absent."""
    return {"name": name, "in": "query", "required": False,
            "description": f"{description} An empty value counts as absent.",
            "schema": {"anyOf": [schema, {"const": ""}]}}


AFTER = _optional(consistency.PARAM, {"type": "string", "maxLength": consistency.MAX_TOKEN,
                                      "pattern": TOKEN_PATTERN},
                  "Read your writes: a `consistencyToken` from a succeeded command's status; "
                  "the answer waits (briefly) until the views hold that write, else 409 "
                  "StaleView. The same token may be sent in the `Consistency-Token` header. "
                  "Opaque: any token the API did not issue is 400.")
TEXT_FILTER = {"type": "string", "minLength": 1, "pattern": qp.SEARCH_PATTERN}
CONTINUATION = _optional("continuation", {"type": "string", "minLength": 1,
                                          "maxLength": qp.MAX_TOKEN_CHARS,
                                          "pattern": "^[A-Za-z0-9_-]+$"},
                         "Opaque: the `continuation` of the previous page of this very query "
                         "(same path and filters); any other is 400.")
LIST_FILTERS = [
    _optional("status", ORDER_STATUS, ""),
    _optional("customerId", {"type": "string", "pattern": f"^{ID}$"},
              "Only this customer's orders (a customer may name only themself: another id "
              "is 404)."),
    _optional("sku", {"type": "string", "pattern": f"^{SKU}$"},
              "Only orders with a line of this SKU."),
    _optional("placedFrom", TIME, "Placed at or after this time."),
    _optional("placedTo", TIME, "Placed before this time."),
]
SEARCH = _optional("search", query_param("search")["schema"],
                   "Search instead of listing: an order id prefix, part of a customer's name or "
                   "a tracking number (support and admin only); the filters do not apply.")
ORDER_ITEM = {"type": "object", "required": ["orderId", "customerId", "status", "total",
                                             "currency", "placedAt", "version"],
              "properties": {"orderId": {"type": "string"}, "customerId": {"type": "string"},
                             "customerName": {"type": ["string", "null"]},
                             "status": ORDER_STATUS, "total": {"type": "integer"},
                             "currency": {"type": "string"}, "placedAt": NULLABLE_TIME,
                             "trackingNumber": {"type": ["string", "null"]},
                             "version": {"type": "integer"}}}
PAGE_TOKEN = {"type": ["string", "null"], "description": "the next page's `continuation`; "
                                                         "null on the last page"}
ORDER_PAGE = {"type": "object", "required": ["items", "continuation"],
              "properties": {"items": {"type": "array", "items": ORDER_ITEM},
                             "continuation": PAGE_TOKEN}}
EVENT = {"type": "object", "required": ["version", "type", "occurredAt", "actor", "data"],
         "properties": {"version": {"type": "integer", "minimum": 1},
                        "type": {"enum": ["OrderPlaced", "OrderShipped", "OrderDelivered",
                                          "OrderCancelled", "ShippingAddressChanged"]},
                        "occurredAt": TIME, "actor": {"type": "string"},
                        "data": {"type": "object", "description": "the event's payload; "
                                 "`shippingAddress` name, street, city and postalCode are "
                                 "`***` unless the caller is the owner, support or admin"}}}
EVENTS = {"type": "object", "required": ["orderId", "items", "continuation"],
          "properties": {"orderId": {"type": "string"},
                         "items": {"type": "array", "items": EVENT},
                         "continuation": PAGE_TOKEN}}
PRODUCT = {"type": "object", "required": ["sku", "name", "unitPrice", "currency", "available"],
           "properties": {"sku": {"type": "string"}, "name": {"type": "string"},
                          "unitPrice": {"type": "integer"}, "currency": {"type": "string"},
                          "available": {"type": "integer"}, "onHand": {"type": "integer"},
                          "reserved": {"type": "integer"}}}
PRODUCT_PAGE = {"type": "object", "required": ["items", "continuation"],
                "properties": {"items": {"type": "array", "items": PRODUCT},
                               "continuation": PAGE_TOKEN}}
ORDER_LINK = {"order": link("getOrder", orderId="$response.body#/items/0/orderId"),
              "history": link("getOrderEvents", orderId="$response.body#/items/0/orderId")}


MY_COMMANDS = {
    "operationId": "listMyCommands",
    "summary": "The caller's recent commands, newest first, with their status",
    "description": "Allowed: any signed-in caller, who sees only the commands they sent "
                   "(of the last 7 days).",
    "parameters": [
        _optional("mine", {"const": "true"}, "Only your own commands (the only list there "
                                             "is); `?mine` alone is the same."),
        query_param("limit")],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "required": ["items"], "properties": {"items": {
            "type": "array", "items": {"$ref": "#/components/schemas/CommandStatus"}}}}}},
        "links": {"status": link("getCommandStatus",
                                 commandId="$response.body#/items/0/commandId")}},
        **problems("ValidationFailed", "Unauthenticated")}}


def _with_after(operation: dict[str, Any]) -> None:
    names = {p.get("name") for p in operation["parameters"]}
    if consistency.PARAM not in names:
        operation["parameters"].insert(len(operation["parameters"]) - 1, AFTER)


def _new_operations() -> list[dict[str, Any]]:
    return [
        query_operation(
            "An order's history: its events in version order, with actor and time",
            "getOrderEvents", "owner, support, admin (another customer: 404)",
            [path_param("orderId"), query_param("limit"), CONTINUATION,
             query_param("minVersion"), AFTER], EVENTS,
            {"order": link("getOrder", orderId="$response.body#/orderId")}),
        query_operation(
            "The catalog, by SKU (fulfilment, support and admin also see onHand and reserved)",
            "listProducts", "any signed-in caller",
            [_optional("q", TEXT_FILTER, "Only products whose name contains this text "
                                         "(ignoring case)."), query_param("limit"),
             CONTINUATION, AFTER],
            PRODUCT_PAGE, {"product": link("getProduct", sku="$response.body#/items/0/sku")}),
        MY_COMMANDS,
    ]


def extend(operations: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The operations with the newer queries, and ``after`` on every query of a view."""
    ops = copy.deepcopy(operations)
    ops["listOrders"] = query_operation(
        "List orders, newest first (or search them)", "listOrders",
        "support, admin (every order); a customer (their own orders; search: 403)",
        [SEARCH, *LIST_FILTERS, query_param("limit"), CONTINUATION, query_param("minVersion"),
         AFTER], ORDER_PAGE, ORDER_LINK)
    ops["getOrder"]["parameters"][-1:-1] = [
        _optional("asOfVersion", {"type": "integer", "minimum": 1,
                                  "maximum": qp.MAX_MIN_VERSION},
                  "Time travel: the order as it was at this version (404 if it has none)."),
        _optional("asOf", TIME, "Time travel: the order as it was at this time (404 if it was "
                                "not placed yet)."),
    ]
    ops.update({operation["operationId"]: operation for operation in _new_operations()})
    for operation in ops.values():
        if operation.get("responses", {}).get("304"):  # the view queries
            _with_after(operation)
    return ops


def extend_components(document: dict[str, Any]) -> dict[str, Any]:
    """The command status names the token every query takes."""
    status = document["components"]["schemas"]["CommandStatus"]["properties"]
    status["consistencyToken"] = {"type": "string", "description": "succeeded commands: "
                                  "pass it as `after` to any query to read this write"}
    return document


__all__ = ["extend", "extend_components"]
