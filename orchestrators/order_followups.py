"""Steps on the other aggregates that go with an order command: reserve, release, commit or
revert an order's stock per line, and reserve, release or settle its credit. Each names what
the order holds (its lines' quantities, its total), and belongs to the running command, so it
moves exactly that much, once.

A refused follow-up step is never dropped: the workflow undoes or reports it (see each
workflow), because a refusal here means the counts disagree with the order.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from orchestrators.steps import CUSTOMER, INVENTORY, Saga

CREDIT = "$credit"  # the credit step's name beside the SKUs'; no SKU has a "$"


def stock_steps(saga: Saga, summary: dict[str, Any], operation: str,
                skus: Collection[str] | None = None) -> list[tuple[str, Any]]:
    """One ``operation`` per line of the order (or per line of ``skus``), named by SKU."""
    return [
        (line["sku"], saga.call(INVENTORY, line["sku"], operation, saga.step_input(
            orderId=summary["orderId"], quantity=line["quantity"])))
        for line in summary["lines"]
        if skus is None or line["sku"] in skus
    ]


def credit_step(saga: Saga, summary: dict[str, Any], operation: str,
                **extra: Any) -> tuple[str, Any]:
    """The order's credit step, named ``CREDIT``."""
    return (CREDIT, saga.call(CUSTOMER, summary["customerId"], operation, saga.step_input(
        orderId=summary["orderId"], amount=summary["total"], **extra)))
