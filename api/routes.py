"""Every HTTP route of the app, once. The Functions routes (``http_route``, on each trigger)
and the OpenAPI document's paths (``openapi_paths``) are both made from this table, so the two
cannot drift apart: an operation the document describes without a route here, or a route here
the document does not describe, stops the document from being built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Route:
    operation_id: str  # the OpenAPI operationId
    method: str
    path: str  # the Functions route, under the host's /api prefix


ROUTES = (
    # commands (api/commands/routes.py): 202 and a status to poll
    Route("registerCustomer", "POST", "customers"),
    Route("setCreditLimit", "PUT", "customers/{customerId}/credit-limit"),
    Route("changeProfile", "POST", "customers/{customerId}/profile"),
    Route("eraseCustomer", "POST", "customers/{customerId}/erase"),
    Route("rotateKeys", "POST", "key-rotations"),
    Route("priceProduct", "PUT", "products/{sku}"),
    Route("adjustStock", "POST", "products/{sku}/stock"),
    Route("placeOrder", "POST", "orders"),
    Route("shipOrder", "POST", "orders/{orderId}/ship"),
    Route("deliverOrder", "POST", "orders/{orderId}/deliver"),
    Route("cancelOrder", "POST", "orders/{orderId}/cancel"),
    Route("changeAddress", "POST", "orders/{orderId}/address"),
    # a command's status (api/commands/status.py)
    Route("getCommandStatus", "GET", "commands/{commandId}"),
    Route("listMyCommands", "GET", "commands"),
    # queries (api/queries/routes.py)
    Route("getOrder", "GET", "orders/{orderId}"),
    Route("getOrderEvents", "GET", "orders/{orderId}/events"),
    Route("listOrders", "GET", "orders"),
    Route("listCustomerOrders", "GET", "customers/{customerId}/orders"),
    Route("getCustomerSummary", "GET", "customers/{customerId}/summary"),
    Route("getProduct", "GET", "products/{sku}"),
    Route("listProducts", "GET", "products"),
    # the service itself
    Route("getHealth", "GET", "health"),
    Route("getOpenApi", "GET", "openapi.json"),
)
_BY_OPERATION = {route.operation_id: route for route in ROUTES}


def http_route(bp: Any, operation_id: str) -> Callable[[F], F]:
    """``bp.route`` for the table's route of ``operation_id``."""
    route = _BY_OPERATION[operation_id]
    decorator: Callable[[F], F] = bp.route(route=route.path, methods=[route.method])
    return decorator


def openapi_paths(operations: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The document's ``paths``: each route's operation at its path and method."""
    described, routed = set(operations), set(_BY_OPERATION)
    if described != routed:
        raise LookupError(f"operations without a route: {sorted(described - routed)}; "
                          f"routes without an operation: {sorted(routed - described)}")
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(f"/api/{route.path}", {})[route.method.lower()] = \
            operations[route.operation_id]
    return paths
