"""Events of the Inventory aggregate, one per SKU (stream ``products``), contract version 1.0.

Every stock event carries the SKU's counts after it (``on_hand``, ``reserved``; ``None`` in
events written before they were added), so a view takes the newest event's counts whatever
order events arrive in. ``ProductPriced`` sets the catalog entry: name and price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from contracts.payload import PRODUCTS_STREAM, EventPayload


@dataclass(frozen=True)
class StockAdjusted(EventPayload):
    EVENT_TYPE: ClassVar[str] = "StockAdjusted"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    delta: int
    on_hand: int
    reason: str | None = None
    reserved: int | None = None


@dataclass(frozen=True)
class StockReserved(EventPayload):
    """Units held for an order, at the catalog price ``unit_price`` the order pays."""

    EVENT_TYPE: ClassVar[str] = "StockReserved"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    order_id: str
    quantity: int
    on_hand: int | None = None
    reserved: int | None = None
    unit_price: int | None = None


@dataclass(frozen=True)
class StockReleased(EventPayload):
    EVENT_TYPE: ClassVar[str] = "StockReleased"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    order_id: str
    quantity: int
    on_hand: int | None = None
    reserved: int | None = None


@dataclass(frozen=True)
class StockCommitted(EventPayload):
    """Reserved stock left the warehouse with a shipment; ``on_hand`` drops by ``quantity``."""

    EVENT_TYPE: ClassVar[str] = "StockCommitted"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    order_id: str
    quantity: int
    on_hand: int
    reserved: int | None = None


@dataclass(frozen=True)
class StockCommitReverted(EventPayload):
    """A shipment that could not commit every line gave this line's units back: ``on_hand``
    rises by ``quantity`` and the units are reserved for the order again."""

    EVENT_TYPE: ClassVar[str] = "StockCommitReverted"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    order_id: str
    quantity: int
    on_hand: int
    reserved: int | None = None


@dataclass(frozen=True)
class ProductPriced(EventPayload):
    """The catalog entry of a SKU: its name and its price per unit in integer minor units."""

    EVENT_TYPE: ClassVar[str] = "ProductPriced"
    STREAM: ClassVar[str] = PRODUCTS_STREAM

    name: str
    unit_price: int
    currency: str
