"""Builders shared by the unit tests: principals, envelopes, contexts and ready-made orders."""

from __future__ import annotations

import itertools
import json
from typing import Any, TypeVar

from contracts.values import LineRequest, ShippingAddress
from entities import order
from entities.aggregate import AggregateState, Outcome
from entities.context import CommandContext, StepContext
from entities.order import OrderState, OrderStatus
from security.crypto import FieldCipher, field_aad
from security.keys import KeyNotFound, new_key
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL, Principal, Role

MAX_TOTAL = 1_000_000
T0 = "2024-05-01T10:00:00Z"


def at(minute: int) -> str:
    return f"2024-05-01T10:{minute:02d}:00Z"


def person(user_id: str, *roles: str) -> Principal:
    return Principal(user_id=user_id, name=user_id.title(), roles=frozenset(roles))


ALICE = person("alice", Role.CUSTOMER)
BOB = person("bob", Role.CUSTOMER)
FRED = person("fred", Role.FULFILMENT)
SAM = person("sam", Role.SUPPORT)
ADA = person("ada", Role.ADMIN)
NORA = person("nora")  # authenticated, but no role at all
SYSTEM = FULFILMENT_DEADLINE_PRINCIPAL


class MemoryKeyProvider:
    """A ``KeyProvider`` test double: keys in a dict, rotation and erasure supported."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, bytes]] = {}

    def current(self, key_name: str) -> tuple[str, bytes]:
        versions = self.keys.setdefault(key_name, {})
        if not versions:
            versions["1"] = new_key()
        newest = max(versions, key=int)
        return newest, versions[newest]

    def get(self, key_name: str, version: str) -> bytes:
        try:
            return self.keys[key_name][version]
        except KeyError:
            raise KeyNotFound(key_name) from None

    def rotate(self, key_name: str) -> str:
        versions = self.keys.setdefault(key_name, {})
        version = str(max((int(v) for v in versions), default=0) + 1)
        versions[version] = new_key()
        return version


CIPHER = FieldCipher(MemoryKeyProvider())
_ids = itertools.count(1)


def sealed(plaintext: str, field: str = "shippingAddress.name", order_id: str = "o-1") -> str:
    return CIPHER.encrypt(plaintext, field_aad("order", order_id, field))


def address(order_id: str = "o-1", country: str = "DE") -> ShippingAddress:
    def seal(field: str, value: str) -> str:
        return sealed(value, f"shippingAddress.{field}", order_id)

    return ShippingAddress(
        name=seal("name", "Alice Example"),
        street=seal("street", "Hauptstrasse 1"),
        city=seal("city", "Berlin"),
        postal_code=seal("postalCode", "10115"),
        country=country,
    )


def line(sku: str = "SKU-1", quantity: int = 1, unit_price: int | None = 1000) -> LineRequest:
    """A line as a client sends it, showing ``unit_price`` (None: shows no price)."""
    return LineRequest(sku=sku, quantity=quantity, unit_price=unit_price)


def cmd(
    principal: Principal,
    *,
    command_id: str | None = None,
    expected_version: int | None = None,
    occurred_at: str = T0,
) -> CommandContext:
    return CommandContext(
        principal=principal,
        command_id=command_id or f"cmd-{next(_ids)}",
        occurred_at=occurred_at,
        expected_version=expected_version,
    )


def step(
    principal: Principal = SYSTEM, occurred_at: str = T0, command_id: str | None = None
) -> StepContext:
    """A workflow step of one command (a fresh command id unless one is given)."""
    return StepContext(principal=principal, occurred_at=occurred_at,
                       command_id=command_id or f"wf-{next(_ids)}")


def claim(
    principal: Principal = ALICE,
    *,
    customer_id: str | None = None,
    order_id: str = "o-1",
    state: OrderState | None = None,
    lines: tuple[LineRequest, ...] | None = None,
    **kwargs: Any,
) -> Outcome[OrderState]:
    """The place command on the Order entity: it claims the id (``pending``)."""
    return order.place(
        state or OrderState(),
        kwargs.pop("ctx", None) or cmd(principal),
        order_id=order_id,
        customer_id=customer_id or principal.user_id,
        currency=kwargs.pop("currency", "EUR"),
        lines=lines if lines is not None else (line("SKU-1", 2, 1500), line("SKU-2", 1, 999)),
        shipping_address=(
            kwargs.pop("shipping_address") if "shipping_address" in kwargs else address(order_id)
        ),
        max_total=kwargs.pop("max_total", MAX_TOTAL),
    )


def place(principal: Principal = ALICE, **kwargs: Any) -> Outcome[OrderState]:
    """A placement as the workflow runs it: claim the id, then confirm at the prices the lines
    showed (as the catalog would answer). A repeat of an earlier place answers the claim's."""
    ctx = kwargs.pop("ctx", None) or cmd(principal)
    claimed = claim(principal, ctx=ctx, **kwargs)
    if claimed.state.status is not OrderStatus.PENDING:
        return claimed
    shown = {line.sku: line.unit_price or 1 for line in claimed.state.requested}
    confirm = StepContext(principal=ctx.principal, occurred_at=ctx.occurred_at,
                          command_id=ctx.command_id)
    return order.confirm_placement(claimed.state, confirm, prices=shown,
                                   max_total=kwargs.get("max_total", MAX_TOTAL))


def confirmed(pending: OrderState, ctx: CommandContext) -> OrderState:
    """What the place workflow does once credit and stock are held: confirm at the catalog
    prices (here, the prices the lines showed)."""
    shown = {line.sku: line.unit_price or 1 for line in pending.requested}
    return order.confirm_placement(pending, step(ctx.principal, command_id=ctx.command_id),
                                   prices=shown, max_total=MAX_TOTAL).state


def placed_order(owner: str = "alice", order_id: str = "o-1") -> OrderState:
    """An order whose placement the workflow confirmed (credit and stock held)."""
    return place(person(owner, Role.CUSTOMER), order_id=order_id).state


def shipped_order(owner: str = "alice") -> OrderState:
    return order.ship(
        placed_order(owner), cmd(FRED), carrier="DHL", tracking_number="TRACK-1"
    ).state


S = TypeVar("S", bound=AggregateState)


def through_json(state: S) -> S:
    """Entity state is stored as JSON: every state must come back equal from it."""
    restored = type(state).from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    return restored
