"""The base every event payload shares: its type name, its stream, and its wire form."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from contracts.wire import from_wire, to_wire

ORDERS_STREAM = "orders"
CUSTOMERS_STREAM = "customers"
PRODUCTS_STREAM = "products"


class EventPayload:
    """Subclasses are frozen dataclasses; ``EVENT_TYPE`` is the short name (``OrderPlaced``)."""

    EVENT_TYPE: ClassVar[str]
    STREAM: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> Self:
        return from_wire(cls, data)
