"""``place_order``: claim the order id, reserve credit and stock, confirm, publish.

1. The Order entity checks the command (authorization, lines, limits) and claims the id: the
   order is ``pending``, so an id that is taken, or a command it refuses, fails here, before
   anything is reserved. The order's events are held until step 3.
2. Credit (the total the order computed) and every line's stock are reserved at once.
3. All held: the order is confirmed ``placed`` and every event is published. Its ``OrderPlaced``
   event starts the order's fulfilment deadline watch (``activities/deadline_watch.py``).
   A refusal: exactly what this run reserved is released, the id is freed again (as if never
   used) and the command ends failed with the refusing step's code and message.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from entities.errors import DomainError
from observability.logs import get_logger
from orchestrators.order_followups import CREDIT, credit_step, stock_steps
from orchestrators.steps import ORDER, Saga, Steps, counted

bp = df.Blueprint()
log = get_logger("orders.orchestrations")


@bp.orchestration_trigger(context_name="context", orchestration="place_order")
@counted
def place_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    order_id = saga.command["orderId"]
    try:
        pending = yield from saga.run(ORDER, order_id, "command", saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    order_events = saga.hold_events()
    summary = pending["summary"]
    held, refusal = yield from saga.run_all([
        credit_step(saga, summary, "reserveCredit", currency=summary["currency"]),
        *stock_steps(saga, summary, "reserve"),
    ])
    if refusal is not None:
        yield from _release(saga, summary, held)
        yield saga.call(ORDER, order_id, "abandonPlacement", saga.step_input())
        yield from saga.publish()
        return saga.failed(refusal)
    placed = yield from saga.run(ORDER, order_id, "confirmPlacement", saga.step_input())
    saga.events = order_events + saga.events
    yield from saga.publish()
    return saga.succeeded(placed, status="placed", total=summary["total"],
                          currency=summary["currency"])


def _release(saga: Saga, summary: dict[str, Any], held: list[str]) -> Steps:
    """Give back what this run reserved; a refusal here means the counts disagree."""
    calls = stock_steps(saga, summary, "release", [sku for sku in held if sku != CREDIT])
    if CREDIT in held:
        calls.append(credit_step(saga, summary, "releaseCredit"))
    _, refusal = yield from saga.run_all(calls)
    if refusal is not None and not saga.context.is_replaying:
        log.error("a placement's compensation was refused: %s", refusal.message,
                  event="placement.compensation.refused", code=refusal.code,
                  orderId=summary["orderId"])
