"""Steps that follow an accepted order command on the other aggregates, shared by ship,
deliver and cancel. They are idempotent per order id, so a refusal means there was nothing left
to do (already committed, released or settled) and is not an error of the command."""

from __future__ import annotations

from typing import Any

from orchestrators.steps import CUSTOMER, INVENTORY, Saga, Steps


def on_each_line(saga: Saga, summary: dict[str, Any], operation: str) -> Steps:
    order_id = summary["orderId"]
    calls = [
        saga.call(INVENTORY, line["sku"], operation, saga.step_input(orderId=order_id))
        for line in summary["lines"]
    ]
    if calls:
        yield from _keep_events(saga, calls)


def on_customer(saga: Saga, summary: dict[str, Any], operation: str) -> Steps:
    call = saga.call(
        CUSTOMER, summary["customerId"], operation, saga.step_input(orderId=summary["orderId"])
    )
    yield from _keep_events(saga, [call])


def _keep_events(saga: Saga, calls: list[Any]) -> Steps:
    for response in (yield saga.context.task_all(calls)):
        if isinstance(response, dict) and response.get("ok"):
            saga.events.extend(response["result"].get("events") or [])
