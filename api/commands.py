"""Command routes: authenticate, validate, plan, start the workflow, answer ``202``.

Each route is a thin trigger; ``api/plans.py`` says who may send the command and what it
becomes, ``api/submission.py`` starts it once per Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import azure.durable_functions as df
import azure.functions as func

from api import plans, schemas
from api.http import authenticate, guarded, read_json_object
from api.schemas import Field
from api.submission import Submission, submit
from app_settings import get_settings
from observability.edge import observe_command

bp = df.Blueprint()
Client: TypeAlias = df.DurableOrchestrationClient
Plan = Callable[[Any, dict[str, Any], dict[str, str]], Awaitable[Submission] | Submission]


async def _handle(
    req: func.HttpRequest, client: Client, schema: dict[str, Field], plan: Plan,
    command_type: str,
) -> func.HttpResponse:
    async def run() -> func.HttpResponse:
        settings = get_settings()
        principal = authenticate(req, settings)
        body = schemas.validate(read_json_object(req, settings.max_body_bytes), schema)
        planned = plan(principal, body, dict(req.route_params))
        submission = await planned if isinstance(planned, Awaitable) else planned
        return await submit(client, req, principal, submission)

    return await observe_command(req, command_type, lambda: guarded(run))


def _order_plan(client: Client, action: str) -> Plan:
    return lambda principal, body, route: plans.order_command(client, principal, body, route,
                                                              action)


@bp.route(route="customers", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_register_customer(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.REGISTER_CUSTOMER, plans.register_customer,
                         "RegisterCustomer")


@bp.route(route="customers/{customerId}/credit-limit", methods=["PUT"])
@bp.durable_client_input(client_name="client")
async def api_set_credit_limit(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.SET_CREDIT_LIMIT, plans.set_credit_limit,
                         "SetCreditLimit")


@bp.route(route="products/{sku}/stock", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_adjust_stock(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ADJUST_STOCK, plans.adjust_stock,
                         "AdjustStock")


@bp.route(route="products/{sku}", methods=["PUT"])
@bp.durable_client_input(client_name="client")
async def api_price_product(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.PRICE_PRODUCT, plans.price_product,
                         "PriceProduct")


@bp.route(route="orders", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_place_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.PLACE_ORDER, plans.place_order,
                         "PlaceOrder")


@bp.route(route="orders/{orderId}/ship", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_ship_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.SHIP_ORDER, _order_plan(client, "ship"),
                         "ShipOrder")


@bp.route(route="orders/{orderId}/deliver", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_deliver_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.DELIVER_ORDER, _order_plan(client, "deliver"),
                         "DeliverOrder")


@bp.route(route="orders/{orderId}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_cancel_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CANCEL_ORDER, _order_plan(client, "cancel"),
                         "CancelOrder")


@bp.route(route="orders/{orderId}/address", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_change_address(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CHANGE_ADDRESS, _order_plan(client, "address"),
                         "ChangeAddress")


@bp.route(route="customers/{customerId}/profile", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_change_profile(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CHANGE_PROFILE, plans.change_profile,
                         "ChangeProfile")


@bp.route(route="customers/{customerId}/erase", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_erase_customer(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ERASE_CUSTOMER, plans.erase_customer,
                         "EraseCustomer")


@bp.route(route="key-rotations", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def api_rotate_keys(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ROTATE_KEYS, plans.rotate_keys, "RotateKeys")
