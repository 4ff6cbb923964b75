"""Value objects shared by commands, events and entity state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.wire import from_wire, to_wire


@dataclass(frozen=True)
class OrderLine:
    """One SKU on an order; ``unit_price`` is in the order currency's minor units."""

    sku: str
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> OrderLine:
        return from_wire(cls, data)


@dataclass(frozen=True)
class LineRequest:
    """A line as the client asks for it. ``unit_price``, when given, is the price the client
    showed its user: the order uses the catalog's price and fails ``PriceChanged`` if they
    differ."""

    sku: str
    quantity: int
    unit_price: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> LineRequest:
        return from_wire(cls, data)


@dataclass(frozen=True)
class ShippingAddress:
    """Where an order goes. Every field is a field-encryption envelope once past the API edge;
    ``country`` may stay a plain ISO 3166 alpha-2 code."""

    name: str
    street: str
    city: str
    postal_code: str
    country: str

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> ShippingAddress:
        return from_wire(cls, data)
