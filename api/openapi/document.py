"""Assemble the paths and components of the OpenAPI document.

Links (OpenAPI ``links``) tie each command's ``202`` to its status and to the resource it
creates or changes, and lists to their orders, so a client (or a stateful fuzzer) can follow a
command to what it did.
"""

from __future__ import annotations

from typing import Any

from api import schemas
from api.openapi import queries as openapi_queries
from api.openapi.parts import (
    COMMAND_ID,
    command_operation,
    link,
    path_param,
    problems,
    query_operation,
    query_param,
)
from api.problems import STATUS_BY_CODE
from api.routes import openapi_paths
from contracts.events import CONTRACT_VERSION
from entities.errors import error_codes

COMMAND_TYPES = ["RegisterCustomer", "SetCreditLimit", "PriceProduct", "AdjustStock",
                 "PlaceOrder", "ShipOrder", "DeliverOrder", "CancelOrder", "ChangeAddress",
                 "ChangeProfile", "EraseCustomer", "RotateKeys"]
# What a failed command's error.code may be: the domain's codes, and InternalError for a
# workflow that itself failed (api/commands/status.py). docs/api.md, "Command failures", names each.
COMMAND_FAILURES = sorted(error_codes() | {"InternalError"})
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ORDER_STATUS = {"enum": ["placed", "shipped", "delivered", "cancelled"]}
COMMAND_STATUS = {
    "type": "object",
    "required": ["commandId", "type", "status", "createdAt", "updatedAt"],
    "properties": {
        "commandId": {"type": "string", "pattern": f"^{COMMAND_ID}$"},
        "type": {"enum": COMMAND_TYPES},
        "status": {"enum": ["pending", "running", "succeeded", "failed"]},
        "orderId": {"type": "string"}, "customerId": {"type": "string"},
        "sku": {"type": "string"}, "version": {"type": "integer"},
        "result": {"type": "object", "description": "the subject, its version and what the "
                                                    "command changed"},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"enum": COMMAND_FAILURES}, "message": {"type": "string"},
            "details": {"type": "object"}}},
        "createdAt": TIME,
        "updatedAt": TIME,
    },
}
PREFER_WAIT = {"name": "Prefer", "in": "header", "required": False,
               "description": "`wait=N`: long-poll up to N seconds for the command to finish",
               "schema": {"type": "string", "examples": ["wait=10"]}}
PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "code": {"enum": sorted(STATUS_BY_CODE)}, "errors": {"type": "array"},
                   "instance": {"type": "string"}},
}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    return {"type": "object", "required": list(required),
            "properties": {**required, **(optional or {})}}


def _text(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string"}


INT = {"type": "integer"}
ORDER = _object({
    "orderId": _text(), "customerId": _text(), "status": ORDER_STATUS,
    "currency": _text(), "total": INT, "version": INT,
    "lines": {"type": "array", "items": _object(
        {"sku": _text(), "quantity": INT, "unitPrice": INT})},
    "shippingAddress": {"type": ["object", "null"], "description": "name, street, city and "
                        "postalCode are `***` for a value that cannot be decrypted",
                        "properties": {k: _text(True) for k in
                                       ("name", "street", "city", "postalCode", "country")}},
    "customer": {"type": ["object", "null"], "description": "null until the registration "
                 "reaches the view", "properties": {k: _text(True) for k in
                                                    ("name", "email", "phone")}},
    "carrier": _text(True), "trackingNumber": _text(True), "cancellationReason": _text(True),
    "placedAt": NULLABLE_TIME, "shippedAt": NULLABLE_TIME, "deliveredAt": NULLABLE_TIME,
    "cancelledAt": NULLABLE_TIME,
})
ORDER_LIST = _object({
    "items": {"type": "array", "items": _object({
        "orderId": _text(), "status": ORDER_STATUS, "total": INT, "currency": _text(),
        "placedAt": NULLABLE_TIME, "version": INT})},
    "continuation": {"type": ["string", "null"]},
})
SUMMARY = _object({
    "customerId": _text(), "orderCount": INT, "openOrders": INT, "totalSpent": INT,
    "currency": _text(True), "lastOrderAt": NULLABLE_TIME,
})
SEARCH = _object({"items": {"type": "array", "items": _object({
    "orderId": _text(), "customerId": _text(), "customerName": _text(True),
    "status": ORDER_STATUS, "total": INT, "currency": _text(), "placedAt": NULLABLE_TIME,
    "trackingNumber": _text(True), "version": INT})}})
PRODUCT = _object({"sku": _text(), "name": _text(), "unitPrice": INT, "currency": _text(),
                   "available": INT},
                  {"onHand": INT, "reserved": INT})
CHECK = _object({"status": {"enum": ["pass", "fail"]}, "latencyMs": {"type": "number"}},
                {"error": _text()})
HEALTH = _object({"status": {"enum": ["pass", "fail"]}},
                 {"checkedAt": TIME, "checks": {"type": "object",
                                                "additionalProperties": CHECK}})
ORDER_ID = "$response.body#/orderId"
ORDER_LINKS = {
    "order": link("getOrder", orderId=ORDER_ID),
    "ship": link("shipOrder", orderId=ORDER_ID),
    "deliver": link("deliverOrder", orderId=ORDER_ID),
    "cancel": link("cancelOrder", orderId=ORDER_ID),
    "changeAddress": link("changeAddress", orderId=ORDER_ID),
}
CUSTOMER_LINKS = {
    "summary": link("getCustomerSummary", customerId="$response.body#/customerId"),
    "orders": link("listCustomerOrders", customerId="$response.body#/customerId"),
    "creditLimit": link("setCreditLimit", customerId="$response.body#/customerId"),
}
PRODUCT_LINKS = {
    "product": link("getProduct", sku="$response.body#/sku"),
    "stock": link("adjustStock", sku="$response.body#/sku"),
    "price": link("priceProduct", sku="$response.body#/sku"),
}


def at_least_one_of(post: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A command whose body must name at least one of ``fields`` (not null): the body is
    then required, and JSON Schema says which (``anyOf``)."""
    post["requestBody"]["required"] = True
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    schema["anyOf"] = [{"required": [name], "properties": {name: {"type": "string"}}}
                       for name in fields]
    post["description"] = post["description"].replace(" The body may be empty.", "")
    return post


def _operations() -> list[dict[str, Any]]:
    """Every operation the document describes; ``api/routes.py`` places each at its path.
    Long because it is a table, one entry per operation, read top to bottom."""
    return [
        command_operation("Register a customer", "registerCustomer", schemas.REGISTER_CUSTOMER,
                          "customerId", params=[],
                          roles="the customer themself, support, admin", links=CUSTOMER_LINKS),
        command_operation("Set a credit limit", "setCreditLimit", schemas.SET_CREDIT_LIMIT,
                          "customerId", params=["customerId"], roles="admin",
                          links=CUSTOMER_LINKS),
        at_least_one_of(command_operation(
            "Change a customer's name, email or phone (each encrypted at the edge; give at "
            "least one)", "changeProfile", schemas.CHANGE_PROFILE,
            "customerId", params=["customerId"],
            roles="the customer themself, support, admin", links=CUSTOMER_LINKS),
            ("name", "email", "phone")),
        command_operation(
            "Erase a customer (right to erasure): their field key is destroyed, so their "
            "email, phone and shipping addresses can never be decrypted again; their name and "
            "contact show as \"***\" from then on. Orders and totals stay. Irreversible.",
            "eraseCustomer", schemas.ERASE_CUSTOMER, "customerId", params=["customerId"],
            roles="the customer themself, support, admin", links=CUSTOMER_LINKS),
        command_operation(
            "Rotate every field key, then re-encrypt the views under the new versions (the "
            "orchestration `rotate_keys`; its progress is in the command status)",
            "rotateKeys", schemas.ROTATE_KEYS, "commandId", params=[], roles="admin",
            links={}),
        command_operation("Adjust stock", "adjustStock", schemas.ADJUST_STOCK, "sku",
                          params=["sku"], roles="fulfilment, admin", links=PRODUCT_LINKS),
        command_operation("Set a product's catalog entry (name, price)", "priceProduct",
                          schemas.PRICE_PRODUCT, "sku", params=["sku"],
                          roles="fulfilment, admin", links=PRODUCT_LINKS),
        query_operation("A product: name, price, currency and available units (fulfilment, "
                        "support and admin also see onHand and reserved)", "getProduct",
                        "any signed-in caller", [path_param("sku"), query_param("minVersion")],
                        PRODUCT),
        command_operation("Place an order", "placeOrder", schemas.PLACE_ORDER, "orderId",
                          params=[],
                          roles="customer (for self), support and admin (for anyone)",
                          links=ORDER_LINKS),
        command_operation("Ship", "shipOrder", schemas.SHIP_ORDER, "orderId",
                          params=["orderId"], roles="fulfilment, admin", links=ORDER_LINKS),
        command_operation("Deliver", "deliverOrder", schemas.DELIVER_ORDER, "orderId",
                          params=["orderId"], roles="fulfilment, admin", links=ORDER_LINKS),
        command_operation("Cancel", "cancelOrder", schemas.CANCEL_ORDER, "orderId",
                          params=["orderId"], roles="owner (before shipment), support, admin",
                          links=ORDER_LINKS),
        command_operation("Change the shipping address", "changeAddress",
                          schemas.CHANGE_ADDRESS, "orderId", params=["orderId"],
                          roles="owner (before shipment), support, admin", links=ORDER_LINKS),
        {
            "operationId": "getCommandStatus",
            "summary": "A command's status",
            "parameters": [path_param("commandId"), PREFER_WAIT],
            "description": "Allowed: the command's sender, support, admin (others, and a "
                           "malformed id: 404). With `Prefer: wait=N` (RFC 7240) an "
                           "unfinished command is answered when it finishes or after N "
                           "seconds (at most COMMAND_WAIT_MAX, 20 s by default), whichever "
                           "comes first.",
            "responses": {"200": {
                "description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CommandStatus"}}},
                "headers": {"Preference-Applied": {
                    "description": "`wait=N`: the wait granted, when one was asked for",
                    "schema": {"type": "string"}}}},
                **problems("Unauthenticated", "NotFound")}},
        query_operation(
            "An order", "getOrder", "owner, support, admin",
            [path_param("orderId"), query_param("minVersion")], ORDER,
            {"ship": link("shipOrder", orderId="$response.body#/orderId"),
             "cancel": link("cancelOrder", orderId="$response.body#/orderId"),
             "summary": link("getCustomerSummary",
                             customerId="$response.body#/customerId")}),
        query_operation(
            "A customer's orders", "listCustomerOrders", "the customer, support, admin",
            [path_param("customerId"), query_param("status"), query_param("limit"),
             query_param("continuation"), query_param("minVersion")], ORDER_LIST,
            {"order": link("getOrder", orderId="$response.body#/items/0/orderId")}),
        query_operation(
            "A customer's summary", "getCustomerSummary", "the customer, support, admin",
            [path_param("customerId"), query_param("minVersion")], SUMMARY,
            {"orders": link("listCustomerOrders",
                            customerId="$response.body#/customerId")}),
        {
            "operationId": "getHealth",
            "summary": "Whether the dependencies answer",
            "security": [],
            "description": "Anonymous: only the overall status. Support and admin: each "
                           "dependency (viewStore, queryCache, eventArchive, keyProvider) with "
                           "status and latencyMs.",
            "responses": {
                "200": {"description": "Every dependency answers", "content": {
                    "application/json": {"schema": HEALTH}}},
                "503": {"description": "A dependency does not answer", "content": {
                    "application/json": {"schema": HEALTH}}}}},
        {
            "operationId": "getOpenApi", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                "application/json": {"schema": {"type": "object"}}}}}},
    ]


def openapi_document() -> dict[str, Any]:
    operations = openapi_queries.extend(
        {operation["operationId"]: operation for operation in _operations()})
    return openapi_queries.extend_components({
        "openapi": "3.1.0",
        "info": {"title": "Durable Orders API", "version": "1.0.0",
                 "description": f"Commands and queries; event contract {CONTRACT_VERSION}."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": openapi_paths(operations),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {"IdemKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "1-128 printable ASCII characters. HTTP drops the spaces around "
                               "a header value and the host an empty one: an empty key is no "
                               "key (every such request is a new command).",
                "schema": {"type": "string", "maxLength": 128,
                           "pattern": "^[\\x20-\\x7e]*$"}}},
            "schemas": {"CommandStatus": COMMAND_STATUS, "Problem": PROBLEM},
        },
    })
