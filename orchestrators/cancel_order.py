"""``cancel_order``: the order is cancelled, its deadline watch is told, then the stock and
credit it held are released, at once.

The fulfilment deadline runs the same steps (``cancel``) as the system principal, with reason
``fulfilment-deadline``. A refused release is not dropped: the order stays cancelled (nothing is
held for it any more either way) and the command fails with the refusal's code
(``StockNotReserved`` or ``CreditNotReserved``), so an operator sees the counts disagree.
"""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import ORDER, CustomerVerb, InventoryVerb, OrderVerb
from orchestrators.deadline.hints import end_watch
from orchestrators.names import CANCEL_ORDER
from orchestrators.order_followups import credit_step, stock_steps
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=CANCEL_ORDER)
@counted
def cancel_order(context: df.DurableOrchestrationContext) -> Steps:
    return (yield from cancel(Saga(context, context.get_input())))


def cancel(saga: Saga) -> Steps:
    order_id = saga.command.order_id
    try:
        cancelled = yield from saga.run(ORDER, order_id, OrderVerb.CANCEL, saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from end_watch(saga, order_id)
    summary = cancelled["summary"]
    _, refusal = yield from saga.run_all([
        *stock_steps(saga, summary, InventoryVerb.RELEASE),
        credit_step(saga, summary, CustomerVerb.RELEASE_CREDIT),
    ])
    yield from saga.publish()
    if refusal is not None:
        return saga.failed(refusal)
    return saga.succeeded(cancelled, status=summary["status"])
