"""Command routes: authenticate, validate, plan, start the workflow, answer ``202``.

Each route is a thin trigger; ``api/commands/plans.py`` says who may send the command and what it
becomes, ``api/commands/submission.py`` starts it once per Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import azure.durable_functions as df
import azure.functions as func

from api import schemas
from api.commands import plans
from api.commands.submission import Submission, submit
from api.http import authenticate, guarded, read_json_object
from api.routes import http_route
from api.schemas import Field
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


@http_route(bp, "registerCustomer")
@bp.durable_client_input(client_name="client")
async def api_register_customer(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.REGISTER_CUSTOMER, plans.register_customer,
                         "RegisterCustomer")


@http_route(bp, "setCreditLimit")
@bp.durable_client_input(client_name="client")
async def api_set_credit_limit(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.SET_CREDIT_LIMIT, plans.set_credit_limit,
                         "SetCreditLimit")


@http_route(bp, "adjustStock")
@bp.durable_client_input(client_name="client")
async def api_adjust_stock(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ADJUST_STOCK, plans.adjust_stock,
                         "AdjustStock")


@http_route(bp, "priceProduct")
@bp.durable_client_input(client_name="client")
async def api_price_product(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.PRICE_PRODUCT, plans.price_product,
                         "PriceProduct")


@http_route(bp, "placeOrder")
@bp.durable_client_input(client_name="client")
async def api_place_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.PLACE_ORDER, plans.place_order,
                         "PlaceOrder")


@http_route(bp, "shipOrder")
@bp.durable_client_input(client_name="client")
async def api_ship_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.SHIP_ORDER, _order_plan(client, "ship"),
                         "ShipOrder")


@http_route(bp, "deliverOrder")
@bp.durable_client_input(client_name="client")
async def api_deliver_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.DELIVER_ORDER, _order_plan(client, "deliver"),
                         "DeliverOrder")


@http_route(bp, "cancelOrder")
@bp.durable_client_input(client_name="client")
async def api_cancel_order(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CANCEL_ORDER, _order_plan(client, "cancel"),
                         "CancelOrder")


@http_route(bp, "changeAddress")
@bp.durable_client_input(client_name="client")
async def api_change_address(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CHANGE_ADDRESS, _order_plan(client, "address"),
                         "ChangeAddress")


@http_route(bp, "changeProfile")
@bp.durable_client_input(client_name="client")
async def api_change_profile(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.CHANGE_PROFILE, plans.change_profile,
                         "ChangeProfile")


@http_route(bp, "eraseCustomer")
@bp.durable_client_input(client_name="client")
async def api_erase_customer(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ERASE_CUSTOMER, plans.erase_customer,
                         "EraseCustomer")


@http_route(bp, "rotateKeys")
@bp.durable_client_input(client_name="client")
async def api_rotate_keys(req: func.HttpRequest, client: Client) -> func.HttpResponse:
    return await _handle(req, client, schemas.ROTATE_KEYS, plans.rotate_keys, "RotateKeys")
