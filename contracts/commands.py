"""Commands as they travel from the API into orchestrations and entities (contract 1.0).

Each carries a ``command_id`` (the idempotency key) and, where the target has a version,
an optional ``expected_version``. The caller's principal travels beside the command, not in it.
Build them from request JSON with ``Cmd.from_dict`` (camelCase); unknown keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from contracts.values import LineRequest, ShippingAddress
from contracts.wire import from_wire, to_wire


class Command:
    """Base of every command; subclasses are frozen dataclasses with these fields."""

    COMMAND_TYPE: ClassVar[str]
    command_id: str

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> Self:
        return from_wire(cls, data)


@dataclass(frozen=True)
class PlaceOrder(Command):
    COMMAND_TYPE: ClassVar[str] = "PlaceOrder"

    command_id: str
    order_id: str
    customer_id: str
    currency: str
    lines: tuple[LineRequest, ...]
    shipping_address: ShippingAddress
    expected_version: int | None = None
    # The API made the id for this command (the client named none): nobody else can hold it.
    order_id_generated: bool = False


@dataclass(frozen=True)
class ShipOrder(Command):
    COMMAND_TYPE: ClassVar[str] = "ShipOrder"

    command_id: str
    order_id: str
    carrier: str
    tracking_number: str
    expected_version: int | None = None


@dataclass(frozen=True)
class DeliverOrder(Command):
    COMMAND_TYPE: ClassVar[str] = "DeliverOrder"

    command_id: str
    order_id: str
    expected_version: int | None = None


@dataclass(frozen=True)
class CancelOrder(Command):
    COMMAND_TYPE: ClassVar[str] = "CancelOrder"

    command_id: str
    order_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeAddress(Command):
    COMMAND_TYPE: ClassVar[str] = "ChangeAddress"

    command_id: str
    order_id: str
    shipping_address: ShippingAddress
    expected_version: int | None = None


@dataclass(frozen=True)
class RegisterCustomer(Command):
    COMMAND_TYPE: ClassVar[str] = "RegisterCustomer"

    command_id: str
    customer_id: str
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class SetCreditLimit(Command):
    COMMAND_TYPE: ClassVar[str] = "SetCreditLimit"

    command_id: str
    customer_id: str
    amount: int
    currency: str
    expected_version: int | None = None


@dataclass(frozen=True)
class AdjustStock(Command):
    COMMAND_TYPE: ClassVar[str] = "AdjustStock"

    command_id: str
    sku: str
    delta: int
    reason: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PriceProduct(Command):
    """Set a SKU's catalog entry: its name and its price per unit in minor units."""

    COMMAND_TYPE: ClassVar[str] = "PriceProduct"

    command_id: str
    sku: str
    name: str
    unit_price: int
    currency: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeProfile(Command):
    """A customer's new name, email and phone (each optional: absent keeps the old value);
    ``email`` and ``phone`` arrive as envelopes sealed at the edge."""

    COMMAND_TYPE: ClassVar[str] = "ChangeProfile"

    command_id: str
    customer_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class EraseCustomer(Command):
    """Right to erasure: destroy the customer's field key and mask their profile."""

    COMMAND_TYPE: ClassVar[str] = "EraseCustomer"

    command_id: str
    customer_id: str


@dataclass(frozen=True)
class RotateKeys(Command):
    """Admin: a new version of every field key, then older ciphertext rewritten under it."""

    COMMAND_TYPE: ClassVar[str] = "RotateKeys"

    command_id: str


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.COMMAND_TYPE: cls
    for cls in (
        PlaceOrder,
        ShipOrder,
        DeliverOrder,
        CancelOrder,
        ChangeAddress,
        RegisterCustomer,
        SetCreditLimit,
        AdjustStock,
        PriceProduct,
        ChangeProfile,
        EraseCustomer,
        RotateKeys,
    )
}
