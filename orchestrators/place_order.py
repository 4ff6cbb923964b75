"""``place_order``: reserve credit and stock per line, place the order, publish its events.
Its ``OrderPlaced`` event starts the order's fulfilment deadline watch
(``activities/deadline_watch.py``).

A refusal at any step undoes what this run reserved (stock and credit) and the command ends
failed with the refusing step's code and message. Only reservations this run created are
released: a reservation step that changed nothing belongs to another command for the same order.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.steps import CUSTOMER, INVENTORY, ORDER, Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="place_order")
@counted
def place_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    held: dict[str, list[str]] = {"credit": [], "stock": []}
    try:
        return (yield from _place(saga, held))
    except DomainError as error:
        yield from _compensate(saga, held)
        yield from saga.publish()
        return saga.failed(error)


def _place(saga: Saga, held: dict[str, list[str]]) -> Steps:
    command = saga.command
    order_id, customer_id = command["orderId"], command["customerId"]
    lines: list[dict[str, Any]] = command["lines"]
    total = sum(line["quantity"] * line["unitPrice"] for line in lines)
    # Credit and every line's stock are reserved at once (one replay episode instead of two);
    # whatever succeeded is released if any of them refused.
    credit = saga.call(CUSTOMER, customer_id, "reserveCredit",
                       saga.step_input(orderId=order_id, amount=total,
                                       currency=command["currency"]))
    stock = [
        saga.call(INVENTORY, line["sku"], "reserve",
                  saga.step_input(orderId=order_id, quantity=line["quantity"]))
        for line in lines
    ]
    responses = yield saga.context.task_all([credit, *stock])
    holders = [("credit", customer_id)] + [("stock", line["sku"]) for line in lines]
    refusal: DomainError | None = None
    for (kind, key), response in zip(holders, responses, strict=True):
        try:
            if saga.accept(response)["result"]["events"]:
                held[kind].append(key)
        except DomainError as error:
            refusal = refusal or error
    if refusal is not None:
        raise refusal
    placed = yield from saga.run(ORDER, order_id, "command", saga.command_input())
    yield from saga.publish()
    summary = placed["summary"]
    return saga.succeeded(
        placed, status=summary["status"], total=summary["total"], currency=summary["currency"]
    )


def _compensate(saga: Saga, held: dict[str, list[str]]) -> Steps:
    order_id = saga.command["orderId"]
    releases = [
        saga.call(INVENTORY, sku, "release", saga.step_input(orderId=order_id))
        for sku in held["stock"]
    ]
    releases += [
        saga.call(CUSTOMER, customer_id, "releaseCredit", saga.step_input(orderId=order_id))
        for customer_id in held["credit"]
    ]
    if releases:
        for response in (yield saga.context.task_all(releases)):
            if isinstance(response, dict) and response.get("ok"):
                saga.events.extend(response["result"].get("events") or [])
