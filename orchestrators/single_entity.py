"""Commands that touch one customer or one product: register a customer, set a credit limit,
adjust stock, price a product. Each is one entity verb plus publishing its events."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import CUSTOMER, INVENTORY, CustomerVerb, InventoryVerb
from orchestrators import names
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


def one_verb(context: df.DurableOrchestrationContext, entity: str, verb: str) -> Steps:
    """Run the command's ``verb`` on the entity it names, then publish what it decided."""
    saga = Saga(context, context.get_input())
    key = saga.command.sku if entity == INVENTORY else saga.command.customer_id  # type: ignore[attr-defined]
    try:
        response = yield from saga.run(entity, key, verb, saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from saga.publish()
    return saga.succeeded(response, **response["summary"])


@bp.orchestration_trigger(context_name="context", orchestration=names.REGISTER_CUSTOMER)
@counted
def register_customer(context: df.DurableOrchestrationContext) -> Steps:
    return (yield from one_verb(context, CUSTOMER, CustomerVerb.REGISTER))


@bp.orchestration_trigger(context_name="context", orchestration=names.SET_CREDIT_LIMIT)
@counted
def set_credit_limit(context: df.DurableOrchestrationContext) -> Steps:
    return (yield from one_verb(context, CUSTOMER, CustomerVerb.SET_CREDIT_LIMIT))


@bp.orchestration_trigger(context_name="context", orchestration=names.ADJUST_STOCK)
@counted
def adjust_stock(context: df.DurableOrchestrationContext) -> Steps:
    return (yield from one_verb(context, INVENTORY, InventoryVerb.ADJUST))


@bp.orchestration_trigger(context_name="context", orchestration=names.PRICE_PRODUCT)
@counted
def price_product(context: df.DurableOrchestrationContext) -> Steps:
    return (yield from one_verb(context, INVENTORY, InventoryVerb.PRICE))
