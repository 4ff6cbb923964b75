"""``deliver_order``: the order arrived; the customer's reserved credit is settled."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.order_followups import on_customer
from orchestrators.steps import ORDER, Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="deliver_order")
@counted
def deliver_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        delivered = yield from saga.run(ORDER, saga.command["orderId"], "command",
                                        saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from on_customer(saga, delivered["summary"], "settleCredit")
    yield from saga.publish()
    return saga.succeeded(delivered, status=delivered["summary"]["status"])
