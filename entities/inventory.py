"""The Inventory aggregate, one per SKU: the catalog entry (name, price), stock on hand and how
much of it open orders hold.

Invariant: ``0 <= reserved <= on_hand`` at all times, so ``available = on_hand - reserved`` is
never negative and every reservation can be committed. The SKU keeps counts, not a record per
order: which units an order holds is a fact of the order (its lines), and each step names the
quantity it moves. So the state, and the cost of every operation, stay the same however many
orders are open. Adjust is idempotent per command id; reserve, release, commit and revert per
workflow command and operation, so a step only ever repeats, undoes or completes what its own
command did.

A reservation is made at the catalog price, which it returns (in ``StockReserved``): the price is
the SKU's, never the client's. A client that names the price it showed gets ``PriceChanged`` when
it differs, and a SKU without a price cannot be ordered (``ProductNotFound``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from contracts.events import Event
from contracts.inventory_events import (
    ProductPriced,
    StockAdjusted,
    StockCommitReverted,
    StockCommitted,
    StockReleased,
    StockReserved,
)
from contracts.payload import EventPayload
from entities import errors
from entities.aggregate import (
    SHARED_REMEMBERED_COMMANDS,
    SHARED_REMEMBERED_STEPS,
    AggregateState,
    Outcome,
    Step,
    check_aggregate_id,
    check_expected_version,
    execute,
    summed_records,
)
from entities.authorization import require
from entities.context import CommandContext, StepContext
from entities.validation import (
    MAX_AMOUNT,
    check_currency,
    check_id,
    check_int,
    check_sku,
    check_text,
)
from security import policy

MAX_ADJUSTMENT = 1_000_000
MAX_RESERVATION = 1000  # an order line holds at most 1000 units
MAX_REASON_LENGTH = 200
MAX_NAME_LENGTH = 200


@dataclass(frozen=True, kw_only=True)
class InventoryState(AggregateState):
    sku: str = ""
    name: str = ""
    unit_price: int = 0  # 0: not in the catalog
    currency: str = ""
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @classmethod
    def from_dict(cls, data: object) -> Self:
        return super().from_dict(summed_records(data, "reservations", "quantity", "reserved"))



def _command_step(state: InventoryState, sku: str, ctx: CommandContext, operation: str) -> Step:
    check_sku(sku)
    check_aggregate_id(sku, state.sku, "sku")
    return Step.of_command(sku, ctx, operation, SHARED_REMEMBERED_COMMANDS)


def _workflow_step(
    state: InventoryState, sku: str, ctx: StepContext, operation: str, fingerprint: object
) -> Step:
    check_sku(sku)
    check_aggregate_id(sku, state.sku, "sku")
    return Step.of_workflow(sku, ctx, operation, SHARED_REMEMBERED_STEPS, fingerprint)


def adjust(
    state: InventoryState, ctx: CommandContext, *, sku: str, delta: int, reason: str | None = None
) -> Outcome[InventoryState]:
    """Fulfilment or admin count stock in or out; stock held by reservations cannot be removed."""

    def decide() -> list[EventPayload]:
        require(policy.can_adjust_stock(ctx.principal))
        check_expected_version(ctx.expected_version, state.version)
        check_int(delta, "delta", -MAX_ADJUSTMENT, MAX_ADJUSTMENT)
        if delta == 0:
            raise errors.ValidationFailed("delta must not be zero", field="delta")
        if reason is not None:
            check_text(reason, "reason", MAX_REASON_LENGTH)
        on_hand = state.on_hand + delta
        if on_hand < state.reserved:
            raise errors.InsufficientStock(
                "Removing this much stock would leave reserved orders unfilled."
            )
        return [StockAdjusted(delta, on_hand, reason, state.reserved)]

    return execute(state, _command_step(state, sku, ctx, "adjust"), decide, _evolve)


def price(
    state: InventoryState, ctx: CommandContext, *, sku: str, name: str, unit_price: int,
    currency: str,
) -> Outcome[InventoryState]:
    """Fulfilment or admin set the catalog entry; reservations already made keep their price."""

    def decide() -> list[EventPayload]:
        require(policy.can_price_product(ctx.principal))
        check_expected_version(ctx.expected_version, state.version)
        check_text(name, "name", MAX_NAME_LENGTH)
        check_int(unit_price, "unitPrice", 1, MAX_AMOUNT)
        check_currency(currency)
        if state.currency and currency != state.currency and state.reserved:
            raise errors.ValidationFailed(
                "The currency cannot change while orders hold reserved stock.", field="currency"
            )
        return [ProductPriced(name, unit_price, currency)]

    return execute(state, _command_step(state, sku, ctx, "price"), decide, _evolve)


def reserve(
    state: InventoryState,
    ctx: StepContext,
    *,
    sku: str,
    order_id: str,
    quantity: int,
    currency: str,
    expected_unit_price: int | None = None,
) -> Outcome[InventoryState]:
    """Hold ``quantity`` for an order at the catalog price; never oversells."""

    def decide() -> list[EventPayload]:
        check_id(order_id, "orderId")
        check_int(quantity, "quantity", 1, MAX_RESERVATION)
        if not state.unit_price:
            raise errors.ProductNotFound(f"{sku} is not in the catalog.", details={"sku": sku})
        if currency != state.currency:
            raise errors.ValidationFailed(
                f"{sku} is priced in {state.currency}, not {currency}.", field="currency"
            )
        if expected_unit_price is not None and expected_unit_price != state.unit_price:
            raise errors.PriceChanged(
                f"The price of {sku} is now {state.unit_price} {state.currency}.",
                details={"sku": sku, "unitPrice": state.unit_price, "currency": state.currency},
            )
        if quantity > state.available:
            raise errors.InsufficientStock(
                f"Not enough stock of {sku} for this order.", details={"sku": sku}
            )
        return [StockReserved(order_id, quantity, state.on_hand, state.reserved + quantity,
                              state.unit_price)]

    step = _workflow_step(state, sku, ctx, "reserve", (quantity, expected_unit_price))
    return execute(state, step, decide, _evolve)


def release(
    state: InventoryState, ctx: StepContext, *, sku: str, order_id: str, quantity: int
) -> Outcome[InventoryState]:
    """Give back the ``quantity`` an order held (cancel, compensation)."""

    def decide() -> list[EventPayload]:
        _check_held(state, sku, order_id, quantity)
        return [StockReleased(order_id, quantity, state.on_hand, state.reserved - quantity)]

    step = _workflow_step(state, sku, ctx, "release", quantity)
    return execute(state, step, decide, _evolve)


def commit(
    state: InventoryState, ctx: StepContext, *, sku: str, order_id: str, quantity: int
) -> Outcome[InventoryState]:
    """The order shipped: the ``quantity`` it held leaves the warehouse."""

    def decide() -> list[EventPayload]:
        _check_held(state, sku, order_id, quantity)
        return [StockCommitted(order_id, quantity, state.on_hand - quantity,
                               state.reserved - quantity)]

    step = _workflow_step(state, sku, ctx, "commit", quantity)
    return execute(state, step, decide, _evolve)


def revert_commit(
    state: InventoryState, ctx: StepContext, *, sku: str, order_id: str, quantity: int
) -> Outcome[InventoryState]:
    """Undo this command's own ``commit``: a shipment that could not commit every line does not
    ship, so the lines it did commit come back on hand and reserved."""

    def decide() -> list[EventPayload]:
        check_id(order_id, "orderId")
        check_int(quantity, "quantity", 1, MAX_RESERVATION)
        return [StockCommitReverted(order_id, quantity, state.on_hand + quantity,
                                    state.reserved + quantity)]

    step = _workflow_step(state, sku, ctx, "revertCommit", quantity)
    return execute(state, step, decide, _evolve)


def _check_held(state: InventoryState, sku: str, order_id: str, quantity: int) -> None:
    check_id(order_id, "orderId")
    check_int(quantity, "quantity", 1, MAX_RESERVATION)
    if quantity > state.reserved:
        raise errors.StockNotReserved(
            f"{sku} holds {state.reserved} reserved units, fewer than this order's {quantity}.",
            details={"sku": sku},
        )


def _evolve(state: InventoryState, payload: EventPayload, event: Event) -> InventoryState:
    sku = event.aggregate_id
    match payload:
        case ProductPriced():
            return replace(state, sku=sku, name=payload.name, unit_price=payload.unit_price,
                           currency=payload.currency)
        case StockAdjusted():
            return replace(state, sku=sku, on_hand=payload.on_hand)
        case StockReserved():
            return replace(state, sku=sku, reserved=state.reserved + payload.quantity)
        case StockReleased():
            return replace(state, reserved=state.reserved - payload.quantity)
        case StockCommitted():
            return replace(
                state, on_hand=payload.on_hand, reserved=state.reserved - payload.quantity
            )
        case StockCommitReverted():
            return replace(
                state, on_hand=payload.on_hand, reserved=state.reserved + payload.quantity
            )
    raise TypeError(f"the inventory does not handle {type(payload).__name__}")
