"""The Order aggregate: the write model's state machine and business rules.

``pending -> placed -> shipped -> delivered`` and ``placed -> cancelled``. Each verb takes the
current ``OrderState`` and a ``CommandContext`` and returns an ``Outcome`` (new state + result
with the new events), or raises a ``DomainError``. Authorization is checked here again, through
``security.policy``. A repeated command id returns its first result and changes nothing.

Placing is two steps around the workflow's reservations: ``place`` claims the order id (the
order is ``pending``, as absent as a new one to every other command) and ``confirm_placement``
makes it ``placed`` once credit and stock are held; ``abandon_placement`` frees the id again if
they were refused. So an id that is taken is refused before anything is reserved, and a failed
placement leaves nothing behind. A shipment or delivery whose stock or credit step was refused is
taken back (``revert_shipment``, ``revert_delivery``): the order never claims a state that the
stock and credit did not reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from contracts.events import Event
from contracts.order_events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    ShippingAddressChanged,
)
from contracts.payload import EventPayload
from contracts.values import OrderLine, ShippingAddress
from entities import errors
from entities.aggregate import (
    AggregateState,
    AppliedCommand,
    CommandResult,
    Outcome,
    Step,
    check_expected_version,
    execute,
    forget,
)
from entities.authorization import require, require_owned
from entities.context import CommandContext, StepContext
from entities.validation import (
    check_address,
    check_currency,
    check_id,
    check_int,
    check_sku,
    check_text,
)
from security import policy

MAX_LINES = 100
MAX_QUANTITY = 1000
MAX_UNIT_PRICE = 10**12
MAX_CARRIER_LENGTH = 64
MAX_TRACKING_NUMBER_LENGTH = 64
MAX_REASON_LENGTH = 500
REMEMBERED_COMMANDS = 32  # an order sees few commands; 32 covers every realistic retry window


class OrderStatus(StrEnum):
    NEW = "new"  # not placed yet: the entity has no state
    PENDING = "pending"  # a place command holds the id while it reserves credit and stock
    PLACED = "placed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class OrderState(AggregateState):
    order_id: str = ""
    customer_id: str = ""
    status: OrderStatus = OrderStatus.NEW
    currency: str = ""
    lines: tuple[OrderLine, ...] = ()
    total: int = 0
    shipping_address: ShippingAddress | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    cancellation_reason: str | None = None
    placed_at: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    cancelled_at: str | None = None

    @property
    def exists(self) -> bool:
        """Placed (or later): a pending order does not exist yet for any command but its own."""
        return self.status not in (OrderStatus.NEW, OrderStatus.PENDING)

    @property
    def owner_id(self) -> str | None:
        """The owning customer, or None while the order does not exist."""
        return self.customer_id if self.exists else None


def _step(state: OrderState, ctx: CommandContext, operation: str, order_id: str = "") -> Step:
    return Step(
        aggregate_id=order_id or state.order_id,
        key=ctx.command_id,
        operation=operation,
        principal=ctx.principal,
        occurred_at=ctx.occurred_at,
        memory=REMEMBERED_COMMANDS,
    )


# ---- verbs -------------------------------------------------------------------------------------


def place(
    state: OrderState,
    ctx: CommandContext,
    *,
    order_id: str,
    customer_id: str,
    currency: str,
    lines: Sequence[OrderLine],
    shipping_address: ShippingAddress,
    max_total: int,
) -> Outcome[OrderState]:
    def decide() -> list[EventPayload]:
        require(policy.can_place_order(ctx.principal, customer_id))
        check_id(order_id, "orderId")
        check_id(customer_id, "customerId")
        if state.status is not OrderStatus.NEW:
            # One answer whoever holds the id and whatever the order holds.
            raise errors.OrderAlreadyExists()
        check_expected_version(ctx.expected_version, state.version)
        check_currency(currency)
        checked_lines = check_lines(lines)
        total = sum(line.amount for line in checked_lines)
        if total > max_total:
            raise errors.ValidationFailed(
                f"The order total exceeds the maximum of {max_total}.", field="lines"
            )
        address = check_address(shipping_address)
        return [OrderPlaced(customer_id, currency, checked_lines, total, address)]

    return execute(state, _step(state, ctx, "place", order_id), decide, _evolve)


def ship(
    state: OrderState, ctx: CommandContext, *, carrier: str, tracking_number: str
) -> Outcome[OrderState]:
    def decide() -> list[EventPayload]:
        require(policy.can_ship_order(ctx.principal))
        _check_exists(state)
        check_expected_version(ctx.expected_version, state.version)
        check_text(carrier, "carrier", MAX_CARRIER_LENGTH)
        check_text(tracking_number, "trackingNumber", MAX_TRACKING_NUMBER_LENGTH)
        _check_still_placed(state)
        return [OrderShipped(carrier, tracking_number)]

    return execute(state, _step(state, ctx, "ship"), decide, _evolve)


def deliver(state: OrderState, ctx: CommandContext) -> Outcome[OrderState]:
    def decide() -> list[EventPayload]:
        require(policy.can_deliver_order(ctx.principal))
        _check_exists(state)
        check_expected_version(ctx.expected_version, state.version)
        if state.status is OrderStatus.CANCELLED:
            raise errors.OrderCancelled()
        if state.status is OrderStatus.PLACED:
            raise errors.InvalidTransition("The order has not been shipped yet.")
        if state.status is OrderStatus.DELIVERED:
            raise errors.InvalidTransition("The order has already been delivered.")
        return [OrderDelivered()]

    return execute(state, _step(state, ctx, "deliver"), decide, _evolve)


def cancel(state: OrderState, ctx: CommandContext, *, reason: str) -> Outcome[OrderState]:
    def decide() -> list[EventPayload]:
        require_owned(ctx.principal, state.owner_id, policy.can_cancel_order, errors.OrderNotFound)
        check_expected_version(ctx.expected_version, state.version)
        check_text(reason, "reason", MAX_REASON_LENGTH)
        _check_still_placed(state)
        return [OrderCancelled(reason)]

    return execute(state, _step(state, ctx, "cancel"), decide, _evolve)


def change_address(
    state: OrderState, ctx: CommandContext, *, shipping_address: ShippingAddress
) -> Outcome[OrderState]:
    def decide() -> list[EventPayload]:
        require_owned(
            ctx.principal, state.owner_id, policy.can_change_address, errors.OrderNotFound
        )
        check_expected_version(ctx.expected_version, state.version)
        address = check_address(shipping_address)
        _check_still_placed(state)
        return [ShippingAddressChanged(address)]

    return execute(state, _step(state, ctx, "changeAddress"), decide, _evolve)


def confirm_placement(state: OrderState, ctx: StepContext) -> Outcome[OrderState]:
    """Credit and stock are held: the pending order this command placed is placed."""
    placing = _applied(state, ctx.command_id, "place")
    if placing is None:
        raise errors.InvalidTransition("This command did not place the order.")
    result = CommandResult.from_dict(placing.result)
    if state.status is OrderStatus.PENDING:
        state = replace(state, status=OrderStatus.PLACED)
    return Outcome(state, replace(result, events=()))


def abandon_placement(state: OrderState, ctx: StepContext) -> Outcome[OrderState]:
    """Credit or stock was refused: the id this command claimed is free again, as if never
    used. Abandoning twice is harmless; another command's order is never touched."""
    empty = CommandResult(ctx.command_id, state.order_id, 0)
    if state.status is OrderStatus.NEW:
        return Outcome(state, empty)
    if state.status is not OrderStatus.PENDING or _applied(state, ctx.command_id, "place") is None:
        raise errors.InvalidTransition("This command did not place the order.")
    return Outcome(OrderState(), empty)


def revert_shipment(state: OrderState, ctx: StepContext) -> Outcome[OrderState]:
    """The stock of a shipment could not be committed: the order is placed again."""
    return _revert(state, ctx, "ship", OrderStatus.SHIPPED, replace(
        state, status=OrderStatus.PLACED, carrier=None, tracking_number=None, shipped_at=None))


def revert_delivery(state: OrderState, ctx: StepContext) -> Outcome[OrderState]:
    """The credit of a delivery could not be settled: the order is shipped again."""
    return _revert(state, ctx, "deliver", OrderStatus.DELIVERED, replace(
        state, status=OrderStatus.SHIPPED, delivered_at=None))


def _revert(
    state: OrderState, ctx: StepContext, operation: str, status: OrderStatus, before: OrderState
) -> Outcome[OrderState]:
    """Undo the one event this command added, if nothing came after it; the command is
    forgotten, so sending it again runs it again. Reverting twice is harmless."""
    applied = _applied(state, ctx.command_id, operation)
    if applied is None:
        return Outcome(state, CommandResult(ctx.command_id, state.order_id, state.version))
    made = CommandResult.from_dict(applied.result)
    if state.status is not status or made.version != state.version:
        raise errors.InvalidTransition("The order changed after this command.")
    reverted = replace(before, version=state.version - 1,
                       applied=forget(state.applied, ctx.command_id))
    return Outcome(reverted, CommandResult(ctx.command_id, state.order_id, reverted.version))


def _applied(state: OrderState, command_id: str, operation: str) -> AppliedCommand | None:
    return next((entry for entry in state.applied
                 if entry.command_id == command_id and entry.operation == operation), None)


# ---- rules -------------------------------------------------------------------------------------


def check_lines(lines: Sequence[OrderLine]) -> tuple[OrderLine, ...]:
    """1-100 lines, one per SKU, quantity 1-1000, unit price > 0 minor units."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise errors.ValidationFailed(f"An order has 1 to {MAX_LINES} lines.", field="lines")
    seen: set[str] = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not isinstance(line, OrderLine):
            raise errors.ValidationFailed(f"{where} is not an order line", field=where)
        check_sku(line.sku, f"{where}.sku")
        check_int(line.quantity, f"{where}.quantity", 1, MAX_QUANTITY)
        check_int(line.unit_price, f"{where}.unitPrice", 1, MAX_UNIT_PRICE)
        if line.sku in seen:
            raise errors.ValidationFailed(
                f"{where}.sku repeats a SKU; put each SKU on one line", field=f"{where}.sku"
            )
        seen.add(line.sku)
    return tuple(lines)


def _check_exists(state: OrderState) -> None:
    if not state.exists:
        raise errors.OrderNotFound()


def _check_still_placed(state: OrderState) -> None:
    """Cancel, change address and ship need an order that has not left or been cancelled."""
    if state.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise errors.OrderAlreadyShipped()
    if state.status is OrderStatus.CANCELLED:
        raise errors.OrderCancelled()
    if state.status is not OrderStatus.PLACED:
        raise errors.OrderNotFound()


# ---- evolution ---------------------------------------------------------------------------------


def _evolve(state: OrderState, payload: EventPayload, event: Event) -> OrderState:
    match payload:
        case OrderPlaced():
            return replace(
                state,
                order_id=event.aggregate_id,
                customer_id=payload.customer_id,
                status=OrderStatus.PENDING,
                currency=payload.currency,
                lines=payload.lines,
                total=payload.total,
                shipping_address=payload.shipping_address,
                placed_at=event.occurred_at,
            )
        case OrderShipped():
            return replace(
                state,
                status=OrderStatus.SHIPPED,
                carrier=payload.carrier,
                tracking_number=payload.tracking_number,
                shipped_at=event.occurred_at,
            )
        case OrderDelivered():
            return replace(state, status=OrderStatus.DELIVERED, delivered_at=event.occurred_at)
        case OrderCancelled():
            return replace(
                state,
                status=OrderStatus.CANCELLED,
                cancellation_reason=payload.reason,
                cancelled_at=event.occurred_at,
            )
        case ShippingAddressChanged():
            return replace(state, shipping_address=payload.shipping_address)
    raise TypeError(f"the order does not handle {type(payload).__name__}")
