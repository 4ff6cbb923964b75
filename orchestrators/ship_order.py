"""``ship_order``: the order leaves the warehouse and its reserved stock is committed.

The Order entity accepts the shipment first (it alone decides, so a concurrent cancel cannot
also win), then every line's stock is committed at once. If any line's commit is refused, the
stock counts disagree with the order: the lines that did commit are reverted, the order is
placed again, nothing about the shipment is published, and the command fails with the
refusal's code (``StockNotReserved``). Only then is the deadline watch told the order closed.
"""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import ORDER, InventoryVerb, OrderVerb
from orchestrators.deadline.hints import end_watch
from orchestrators.names import SHIP_ORDER
from orchestrators.order_followups import stock_steps
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=SHIP_ORDER)
@counted
def ship_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    order_id = saga.command.order_id
    try:
        shipped = yield from saga.run(ORDER, order_id, OrderVerb.SHIP, saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    order_events = saga.hold_events()
    summary = shipped["summary"]
    committed, refusal = yield from saga.run_all(stock_steps(saga, summary, InventoryVerb.COMMIT))
    if refusal is not None:
        yield from saga.run_all(stock_steps(saga, summary, InventoryVerb.REVERT_COMMIT, committed))
        yield saga.call(ORDER, order_id, OrderVerb.REVERT_SHIPMENT, saga.step_input())
        yield from saga.publish()
        return saga.failed(refusal)
    saga.keep_held(order_events)
    yield from end_watch(saga, order_id)
    yield from saga.publish()
    return saga.succeeded(shipped, status=summary["status"])
