"""Assemble the paths and components of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.openapi_spec import _command, _path, _problems, _q, _query
from contracts.events import CONTRACT_VERSION

COMMAND_STATUS = {
    "type": "object",
    "required": ["commandId", "type", "status", "createdAt", "updatedAt"],
    "properties": {
        "commandId": {"type": "string"}, "type": {"type": "string"},
        "status": {"enum": ["pending", "running", "succeeded", "failed"]},
        "orderId": {"type": "string"}, "customerId": {"type": "string"},
        "sku": {"type": "string"}, "version": {"type": "integer"},
        "result": {"type": "object"},
        "error": {"type": "object", "properties": {"code": {"type": "string"},
                                                   "message": {"type": "string"}}},
        "createdAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
    },
}
PREFER_WAIT = {"name": "Prefer", "in": "header", "required": False,
               "description": "`wait=N`: long-poll up to N seconds for the command to finish",
               "schema": {"type": "string", "examples": ["wait=10"]}}
PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "code": {"type": "string"}, "errors": {"type": "array"}},
}


def _paths() -> dict[str, Any]:
    return {
        "/api/customers": _command("Register a customer", schemas.REGISTER_CUSTOMER,
                                   "customerId", params=[],
                                   roles="the customer themself, support, admin"),
        "/api/customers/{customerId}/credit-limit": {"put": _command(
            "Set a credit limit", schemas.SET_CREDIT_LIMIT, "customerId",
            params=["customerId"], roles="admin")["post"]},
        "/api/products/{sku}/stock": _command("Adjust stock", schemas.ADJUST_STOCK, "sku",
                                              params=["sku"], roles="fulfilment, admin"),
        "/api/products/{sku}": {
            "put": _command("Set a product's catalog entry (name, price)",
                            schemas.PRICE_PRODUCT, "sku", params=["sku"],
                            roles="fulfilment, admin")["post"],
            **_query("A product: name, price, currency and available units (fulfilment, "
                     "support and admin also see onHand and reserved)", "any signed-in caller",
                     [_path("sku"), _q("minVersion", "integer")]),
        },
        "/api/orders": {
            **_command("Place an order", schemas.PLACE_ORDER, "orderId", params=[],
                       roles="customer (for self), support and admin (for anyone)"),
            **_query("Search orders", "support, admin", [_q("search")]),
        },
        "/api/orders/{orderId}/ship": _command("Ship", schemas.SHIP_ORDER, "orderId",
                                               params=["orderId"], roles="fulfilment, admin"),
        "/api/orders/{orderId}/deliver": _command(
            "Deliver", schemas.DELIVER_ORDER, "orderId", params=["orderId"],
            roles="fulfilment, admin"),
        "/api/orders/{orderId}/cancel": _command(
            "Cancel", schemas.CANCEL_ORDER, "orderId", params=["orderId"],
            roles="owner (before shipment), support, admin"),
        "/api/orders/{orderId}/address": _command(
            "Change the shipping address", schemas.CHANGE_ADDRESS, "orderId",
            params=["orderId"], roles="owner (before shipment), support, admin"),
        "/api/commands/{commandId}": {"get": {
            "summary": "A command's status", "parameters": [_path("commandId"), PREFER_WAIT],
            "description": "Allowed: the command's sender, support, admin (others: 404). "
                           "With `Prefer: wait=N` (RFC 7240) an unfinished command is answered "
                           "when it finishes or after N seconds (at most COMMAND_WAIT_MAX, "
                           "20 s by default), whichever comes first.",
            "responses": {"200": {
                "description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CommandStatus"}}},
                "headers": {"Preference-Applied": {
                    "description": "`wait=N`: the wait granted, when one was asked for",
                    "schema": {"type": "string"}}}},
                **_problems("Unauthenticated", "NotFound")}}},
        "/api/orders/{orderId}": _query("An order", "owner, support, admin",
                                        [_path("orderId"), _q("minVersion", "integer")]),
        "/api/customers/{customerId}/orders": _query(
            "A customer's orders", "the customer, support, admin",
            [_path("customerId"), _q("status"), _q("limit", "integer"), _q("continuation"),
             _q("minVersion", "integer")]),
        "/api/customers/{customerId}/summary": _query(
            "A customer's summary", "the customer, support, admin",
            [_path("customerId"), _q("minVersion", "integer")]),
        "/api/health": {"get": {
            "summary": "Whether the dependencies answer",
            "description": "Anonymous: only the overall status. Support and admin: each "
                           "dependency (viewStore, queryCache, eventArchive, keyProvider) with "
                           "status and latencyMs.",
            "responses": {
                "200": {"description": "Every dependency answers", "content": {
                    "application/json": {"schema": {"type": "object"}}}},
                "503": {"description": "A dependency does not answer", "content": {
                    "application/json": {"schema": {"type": "object"}}}}}}},
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Durable Orders API", "version": "1.0.0",
                 "description": f"Commands and queries; event contract {CONTRACT_VERSION}."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {"IdemKey": {"name": "Idempotency-Key", "in": "header",
                                       "required": False, "schema": {
                                           "type": "string", "minLength": 1,
                                           "maxLength": 128, "pattern": "^[\\x20-\\x7e]+$"}}},
            "schemas": {"CommandStatus": COMMAND_STATUS, "Problem": PROBLEM},
        },
    }
