"""``place_order``: reserve stock at the catalog price and credit, place the order, publish.

1. An id the client chose may be someone else's: the Order entity first claims it
   (``Order.place``: the order is ``pending``, invisible to every other command), so a taken id,
   or a command the order refuses, fails before anything is reserved. An id the API generated
   (``PlaceOrder.order_id_generated``) is this command's alone and skips the claim.
2. Every line's stock is reserved at once, each at its SKU's catalog price (which the
   reservation returns; a price the client showed that differs fails ``PriceChanged``), and
   credit for the total. When the client showed a price for every line, the total is known up
   front and credit is reserved in the same round; otherwise in a second round, for the total
   at the catalog prices (``order.placement_total``).
3. All held: the Order entity places the order at those prices (``Order.confirmPlacement`` for
   a claimed id, ``Order.placeAtPrices`` for a generated one), and every event is published; the
   publish activity also starts the order's fulfilment deadline watch. A refusal: exactly what
   this run reserved is released, a claimed id is freed again (as if never used) and the command
   ends failed with the refusing step's code and message.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from contracts.commands import PlaceOrder
from entities import order
from entities.errors import DomainError
from entities.verbs import ORDER, CustomerVerb, InventoryVerb, OrderVerb
from observability.logs import get_logger
from orchestrators.names import PLACE_ORDER
from orchestrators.order_followups import CREDIT, credit_step, stock_steps
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()
log = get_logger("orders.orchestrations")


@bp.orchestration_trigger(context_name="context", orchestration=PLACE_ORDER)
@counted
def place_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    command: PlaceOrder = saga.command  # type: ignore[assignment]
    placement = _placement(command)
    if not command.order_id_generated:
        try:
            yield from saga.run(ORDER, command.order_id, OrderVerb.PLACE, saga.command_input())
        except DomainError as error:
            return saga.failed(error)
    held, refusal = yield from _reserve(saga, command, placement)
    if refusal is None:
        try:
            placed = yield from _place(saga, command, _prices(held))
        except DomainError as error:
            refusal = error
    if refusal is not None:
        yield from _release(saga, placement, held)
        if not command.order_id_generated:
            yield saga.call(ORDER, command.order_id, OrderVerb.ABANDON_PLACEMENT,
                            saga.step_input())
        yield from saga.publish()
        return saga.failed(refusal)
    yield from saga.publish(watch_deadline_of=command.order_id)
    summary = placed["summary"]
    return saga.succeeded(placed, status=summary["status"], total=summary["total"],
                          currency=summary["currency"])


def _placement(command: PlaceOrder) -> dict[str, Any]:
    """The order as the follow-up steps address it: whose, which lines, and the total at the
    prices the client showed (None unless it showed every one)."""
    return {"orderId": command.order_id, "customerId": command.customer_id,
            "currency": command.currency, "total": order.shown_total(command.lines),
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in command.lines]}


def _reserve(saga: Saga, command: PlaceOrder, placement: dict[str, Any]) -> Steps:
    """Stock for every line, and credit for the total; returns what was held and the first
    refusal."""
    stock = stock_steps(saga, placement, InventoryVerb.RESERVE, currency=command.currency,
                        per_line={line.sku: {"expectedUnitPrice": line.unit_price}
                                  for line in command.lines})
    if placement["total"] is not None:  # the client showed every price: one round
        credit = credit_step(saga, placement, CustomerVerb.RESERVE_CREDIT,
                             currency=command.currency)
        return (yield from saga.run_all([credit, *stock]))
    held, refusal = yield from saga.run_all(stock)
    if refusal is not None:
        return held, refusal
    try:
        total = order.placement_total(command.lines, _prices(held), command.currency)
    except DomainError as error:
        return held, error
    more, refusal = yield from saga.run_all([credit_step(
        saga, {**placement, "total": total}, CustomerVerb.RESERVE_CREDIT,
        currency=command.currency)])
    return {**held, **more}, refusal


def _place(saga: Saga, command: PlaceOrder, prices: dict[str, int]) -> Steps:
    if command.order_id_generated:
        return (yield from saga.run(ORDER, command.order_id, OrderVerb.PLACE_AT_PRICES,
                                    saga.command_input(prices=prices)))
    return (yield from saga.run(ORDER, command.order_id, OrderVerb.CONFIRM_PLACEMENT,
                                saga.step_input(prices=prices)))


def _prices(held: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The catalog price each reservation was made at, by SKU."""
    return {sku: price for sku, response in held.items() if sku != CREDIT
            for price in [_event_field(response, "unitPrice")] if isinstance(price, int)}


def _event_field(response: dict[str, Any], name: str) -> Any:
    """A field of the event a step's response carries (a reservation makes one event)."""
    events = response["result"].get("events") or [{}]
    return (events[0].get("data") or {}).get(name)


def _release(saga: Saga, placement: dict[str, Any], held: dict[str, dict[str, Any]]) -> Steps:
    """Give back what this run reserved; a refusal here means the counts disagree."""
    calls = stock_steps(saga, placement, InventoryVerb.RELEASE,
                        [sku for sku in held if sku != CREDIT])
    if CREDIT in held:
        amount = _event_field(held[CREDIT], "amount")
        calls.append(credit_step(saga, {**placement, "total": amount},
                                 CustomerVerb.RELEASE_CREDIT))
    _, refusal = yield from saga.run_all(calls)
    if refusal is not None and not saga.context.is_replaying:
        log.error("a placement's compensation was refused: %s", refusal.message,
                  event="placement.compensation.refused", code=refusal.code,
                  orderId=placement["orderId"])
