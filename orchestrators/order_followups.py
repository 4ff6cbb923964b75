"""Steps on the other aggregates that go with an order command: reserve, release, commit or
revert an order's stock per line, and reserve, release or settle its credit. Each names what
the order holds (its lines' quantities, its total), and belongs to the running command, so it
moves exactly that much, once.

A refused follow-up step is never dropped: the workflow undoes or reports it (see each
workflow), because a refusal here means the counts disagree with the order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from entities.verbs import CUSTOMER, INVENTORY, CustomerVerb, InventoryVerb
from orchestrators.steps import Saga

CREDIT = "$credit"  # the credit step's name beside the SKUs'; no SKU has a "$"


def stock_steps(saga: Saga, summary: dict[str, Any], verb: InventoryVerb,
                skus: Collection[str] | None = None, *,
                per_line: Mapping[str, dict[str, Any]] | None = None,
                **extra: Any) -> list[tuple[str, Any]]:
    """One ``verb`` per line of the order (or per line of ``skus``), named by SKU, with the
    ``extra`` arguments and the line's own ``per_line`` ones."""
    return [
        (line["sku"], saga.call(INVENTORY, line["sku"], verb, saga.step_input(
            orderId=summary["orderId"], quantity=line["quantity"], **extra,
            **(per_line or {}).get(line["sku"], {}))))
        for line in summary["lines"]
        if skus is None or line["sku"] in skus
    ]


def credit_step(saga: Saga, summary: dict[str, Any], verb: CustomerVerb,
                **extra: Any) -> tuple[str, Any]:
    """The order's credit step, named ``CREDIT``."""
    return (CREDIT, saga.call(CUSTOMER, summary["customerId"], verb, saga.step_input(
        orderId=summary["orderId"], amount=summary["total"], **extra)))
