"""``deliver_order``: the order arrived; the credit it held is settled.

If the settlement is refused (the customer's balance disagrees with the order), the delivery is
taken back, nothing is published, and the command fails with ``CreditNotReserved``.
"""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import ORDER, CustomerVerb, OrderVerb
from orchestrators.names import DELIVER_ORDER
from orchestrators.order_followups import credit_step
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=DELIVER_ORDER)
@counted
def deliver_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    order_id = saga.command.order_id
    try:
        delivered = yield from saga.run(ORDER, order_id, OrderVerb.DELIVER, saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    order_events = saga.hold_events()
    summary = delivered["summary"]
    _, refusal = yield from saga.run_all([credit_step(saga, summary, CustomerVerb.SETTLE_CREDIT)])
    if refusal is not None:
        yield saga.call(ORDER, order_id, OrderVerb.REVERT_DELIVERY, saga.step_input())
        return saga.failed(refusal)
    saga.keep_held(order_events)
    yield from saga.publish()
    return saga.succeeded(delivered, status=summary["status"])
