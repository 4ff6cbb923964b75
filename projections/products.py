"""The ``products`` view: each SKU's catalog entry (name, price) and stock counts.

Every stock event carries the counts after it, and each part of the document keeps the version
of the event it came from, so a fold takes a part only from a newer event: duplicates and any
delivery order give the same document. Events written before stock events carried counts
change only what they state (``StockAdjusted``: on hand).
"""

from __future__ import annotations

import copy
from typing import Any

from contracts.events import Event
from contracts.inventory_events import (
    ProductPriced,
    StockAdjusted,
    StockCommitReverted,
    StockCommitted,
    StockReleased,
    StockReserved,
)

Doc = dict[str, Any]
STOCK_EVENTS = (StockAdjusted, StockReserved, StockReleased, StockCommitted, StockCommitReverted)


def new_product_doc(sku: str) -> Doc:
    return {
        "id": sku, "sku": sku, "name": None, "unitPrice": None, "currency": None,
        "onHand": 0, "reserved": 0, "available": 0, "priceVersion": 0, "stockVersion": 0,
        "version": 0, "updatedAt": None,
    }


def apply_product_event(doc: Doc | None, event: Event) -> Doc | None:
    """The product document after ``event``, or ``None`` when it changes nothing."""
    current = doc if doc is not None else new_product_doc(event.aggregate_id)
    payload = event.payload()
    updated = copy.deepcopy(current)
    if isinstance(payload, ProductPriced) and event.version > current["priceVersion"]:
        updated.update(name=payload.name, unitPrice=payload.unit_price,
                       currency=payload.currency, priceVersion=event.version)
    if isinstance(payload, STOCK_EVENTS) and event.version > current["stockVersion"]:
        on_hand = payload.on_hand if payload.on_hand is not None else current["onHand"]
        reserved = payload.reserved if payload.reserved is not None else current["reserved"]
        updated.update(onHand=on_hand, reserved=reserved, available=on_hand - reserved,
                       stockVersion=event.version)
    if updated == current:
        return None
    updated["version"] = max(updated["priceVersion"], updated["stockVersion"])
    moments = [m for m in (current["updatedAt"], event.occurred_at) if m]
    updated["updatedAt"] = max(moments)
    return updated
