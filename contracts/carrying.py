"""Stock events ride on their order's event: one Event Grid delivery instead of one per line.

A command's stock events (``StockReserved``, ``StockReleased``, ``StockCommitted`` for the lines
of an order) are published in the same batch as the order's own event (``OrderPlaced``,
``OrderCancelled``, ``OrderShipped``). On Event Grid that order event carries copies of them in
``data.carried`` (whole Event Grid events), and each stock event is marked ``data.carriedBy``
with the order event's id. Every event is still published on its own, so any subscriber sees
every event; one that folds both (the views) subscribes with the advanced filter
``data.carriedBy`` *IsNullOrUndefined* (``infra/eventgrid-subscriptions.json``) and gets the
stock counts with the order event. Folds are idempotent by version, so a subscriber without
that filter, which gets both copies, ends with the same views.

The event archive keeps each event once, without these fields: carrying is a delivery concern.
An order has at most 100 lines, so an order event carries at most ~40 KB of copies, well inside
Event Grid's 1 MB per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.payload import ORDERS_STREAM, PRODUCTS_STREAM

CARRIED = "carried"
CARRIED_BY = "carriedBy"


def with_carried(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Event Grid messages of one publish batch, each stock event of an order that has its
    own event in the batch carried by the first such event (and marked as carried)."""
    carriers: dict[str, int] = {}
    for index, message in enumerate(messages):
        if _stream(message) == ORDERS_STREAM:
            carriers.setdefault(str(message["data"].get("orderId")), index)
    out = [dict(message) for message in messages]
    rides: dict[int, list[dict[str, Any]]] = {}
    for index, message in enumerate(messages):
        carrier = carriers.get(_stock_order_id(message) or "")
        if carrier is None:
            continue
        rides.setdefault(carrier, []).append(dict(message))
        out[index] = {**message, "data": {**message["data"], CARRIED_BY: messages[carrier]["id"]}}
    for carrier, carried in rides.items():
        out[carrier] = {**out[carrier], "data": {**out[carrier]["data"], CARRIED: carried}}
    return out


def carried(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The Event Grid events a message carries (none for most)."""
    data = message.get("data")
    items = data.get(CARRIED) if isinstance(data, Mapping) else None
    return [item for item in items or () if isinstance(item, Mapping)]


def _stream(message: Mapping[str, Any]) -> str:
    return str(message.get("subject", "")).split("/", 1)[0]


def _stock_order_id(message: Mapping[str, Any]) -> str | None:
    """The order a products-stream event is about, if it names one."""
    if _stream(message) != PRODUCTS_STREAM:
        return None
    order_id = (message["data"].get("payload") or {}).get("orderId")
    return str(order_id) if order_id else None
