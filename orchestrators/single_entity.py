"""Commands that touch one customer or one product: register a customer, set a credit limit,
adjust stock, price a product. Each is one entity command plus publishing its events."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.steps import CUSTOMER, INVENTORY, Saga, Steps, counted

bp = df.Blueprint()


def _one_command(saga: Saga, entity: str, key: str) -> Steps:
    try:
        response = yield from saga.run(entity, key, "command", saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from saga.publish()
    return saga.succeeded(response, **response["summary"])


@bp.orchestration_trigger(context_name="context", orchestration="register_customer")
@counted
def register_customer(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    return (yield from _one_command(saga, CUSTOMER, saga.command["customerId"]))


@bp.orchestration_trigger(context_name="context", orchestration="set_credit_limit")
@counted
def set_credit_limit(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    return (yield from _one_command(saga, CUSTOMER, saga.command["customerId"]))


@bp.orchestration_trigger(context_name="context", orchestration="adjust_stock")
@counted
def adjust_stock(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    return (yield from _one_command(saga, INVENTORY, saga.command["sku"]))


@bp.orchestration_trigger(context_name="context", orchestration="price_product")
@counted
def price_product(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    return (yield from _one_command(saga, INVENTORY, saga.command["sku"]))
