"""Events of the Order aggregate (stream ``orders``), contract version 1.0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from contracts.payload import ORDERS_STREAM, EventPayload
from contracts.values import OrderLine, ShippingAddress


@dataclass(frozen=True)
class OrderPlaced(EventPayload):
    EVENT_TYPE: ClassVar[str] = "OrderPlaced"
    STREAM: ClassVar[str] = ORDERS_STREAM

    customer_id: str
    currency: str
    lines: tuple[OrderLine, ...]
    total: int
    shipping_address: ShippingAddress


@dataclass(frozen=True)
class OrderShipped(EventPayload):
    EVENT_TYPE: ClassVar[str] = "OrderShipped"
    STREAM: ClassVar[str] = ORDERS_STREAM

    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class OrderDelivered(EventPayload):
    EVENT_TYPE: ClassVar[str] = "OrderDelivered"
    STREAM: ClassVar[str] = ORDERS_STREAM


@dataclass(frozen=True)
class OrderCancelled(EventPayload):
    EVENT_TYPE: ClassVar[str] = "OrderCancelled"
    STREAM: ClassVar[str] = ORDERS_STREAM

    reason: str


@dataclass(frozen=True)
class ShippingAddressChanged(EventPayload):
    EVENT_TYPE: ClassVar[str] = "ShippingAddressChanged"
    STREAM: ClassVar[str] = ORDERS_STREAM

    shipping_address: ShippingAddress
