"""``place_order``: claim the order id, reserve stock at the catalog price and credit, confirm,
publish.

1. The Order entity checks the command (authorization, lines, limits) and claims the id: the
   order is ``pending``, so an id that is taken, or a command it refuses, fails here, before
   anything is reserved.
2. Every line's stock is reserved at once, each at its SKU's catalog price (which the
   reservation returns; a price the client showed that differs fails ``PriceChanged``), and
   credit for the total. When the client showed a price for every line, the total is known up
   front and credit is reserved in the same round; otherwise in a second round, for the total
   at the catalog prices.
3. All held: the Order entity confirms the placement at those prices (``OrderPlaced``) and every
   event is published. The ``OrderPlaced`` event starts the order's fulfilment deadline watch
   (``activities/deadline_watch.py``). A refusal: exactly what this run reserved is released,
   the id is freed again (as if never used) and the command ends failed with the refusing
   step's code and message.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from contracts.values import LineRequest
from entities.errors import DomainError
from entities.order import priced_lines
from observability.logs import get_logger
from orchestrators.order_followups import CREDIT, credit_step, stock_steps
from orchestrators.steps import INVENTORY, ORDER, Saga, Steps, counted

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
    summary: dict[str, Any] = pending["summary"]
    requested = [LineRequest.from_dict(line) for line in saga.command["lines"]]
    held, refusal = yield from _reserve(saga, summary, requested)
    prices = _prices(held)
    if refusal is None:
        try:
            placed = yield from saga.run(ORDER, order_id, "confirmPlacement",
                                         saga.step_input(prices=prices))
        except DomainError as error:
            refusal = error
    if refusal is not None:
        yield from _release(saga, summary, held)
        yield saga.call(ORDER, order_id, "abandonPlacement", saga.step_input())
        yield from saga.publish()
        return saga.failed(refusal)
    yield from saga.publish()
    placed_summary = placed["summary"]
    return saga.succeeded(placed, status=placed_summary["status"],
                          total=placed_summary["total"], currency=placed_summary["currency"])


def _reserve(saga: Saga, summary: dict[str, Any], requested: list[LineRequest]) -> Steps:
    """Stock for every line, and credit for the total; returns what was held and the first
    refusal."""
    shown = {line.sku: line.unit_price for line in requested}
    stock = [
        (sku, saga.call(INVENTORY, sku, "reserve", saga.step_input(
            orderId=summary["orderId"], quantity=line["quantity"],
            currency=summary["currency"], expectedUnitPrice=shown.get(sku))))
        for line in summary["lines"]
        for sku in (line["sku"],)
    ]
    if summary["total"] is not None:  # the client showed every price: one round
        credit = credit_step(saga, summary, "reserveCredit", currency=summary["currency"])
        return (yield from saga.run_all([credit, *stock]))
    held, refusal = yield from saga.run_all(stock)
    if refusal is not None:
        return held, refusal
    try:
        priced = priced_lines(requested, _prices(held), summary["currency"])
        total = sum(line.amount for line in priced)
    except DomainError as error:
        return held, error
    more, refusal = yield from saga.run_all([credit_step(
        saga, {**summary, "total": total}, "reserveCredit", currency=summary["currency"])])
    return {**held, **more}, refusal


def _prices(held: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The catalog price each reservation was made at, by SKU."""
    return {sku: price for sku, response in held.items() if sku != CREDIT
            for price in [_event_field(response, "unitPrice")] if isinstance(price, int)}


def _event_field(response: dict[str, Any], name: str) -> Any:
    """A field of the event a step's response carries (a reservation makes one event)."""
    events = response["result"].get("events") or [{}]
    return (events[0].get("data") or {}).get(name)


def _release(saga: Saga, summary: dict[str, Any], held: dict[str, dict[str, Any]]) -> Steps:
    """Give back what this run reserved; a refusal here means the counts disagree."""
    calls = stock_steps(saga, summary, "release", [sku for sku in held if sku != CREDIT])
    if CREDIT in held:
        amount = _event_field(held[CREDIT], "amount")
        calls.append(credit_step(saga, {**summary, "total": amount}, "releaseCredit"))
    _, refusal = yield from saga.run_all(calls)
    if refusal is not None and not saga.context.is_replaying:
        log.error("a placement's compensation was refused: %s", refusal.message,
                  event="placement.compensation.refused", code=refusal.code,
                  orderId=summary["orderId"])
