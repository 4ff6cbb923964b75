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

from collections.abc import Mapping, Sequence
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
from contracts.values import LineRequest, OrderLine, ShippingAddress
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
    record,
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
    requested: tuple[LineRequest, ...] = ()  # while pending: the lines as the client asked
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
    return Step.of_command(order_id or state.order_id, ctx, operation, REMEMBERED_COMMANDS)


# ---- verbs -------------------------------------------------------------------------------------


def place(
    state: OrderState,
    ctx: CommandContext,
    *,
    order_id: str,
    customer_id: str,
    currency: str,
    lines: Sequence[LineRequest],
    shipping_address: ShippingAddress,
    max_total: int,
) -> Outcome[OrderState]:
    """Claim the order id: the order is ``pending`` until ``confirm_placement`` prices it."""

    def claim() -> OrderState:
        require(policy.can_place_order(ctx.principal, customer_id))
        check_id(order_id, "orderId")
        check_id(customer_id, "customerId")
        if state.status is not OrderStatus.NEW:
            # One answer whoever holds the id and whatever the order holds.
            raise errors.OrderAlreadyExists()
        check_expected_version(ctx.expected_version, state.version)
        check_currency(currency)
        requested = check_requests(lines)
        shown = shown_total(requested)
        if shown is not None:  # refused before anything is reserved
            check_total(shown, max_total)
        address = check_address(shipping_address)
        return replace(state, order_id=order_id, customer_id=customer_id,
                       status=OrderStatus.PENDING, currency=currency, requested=requested,
                       shipping_address=address)

    return record(state, _step(state, ctx, "place", order_id), claim)


def confirm_placement(
    state: OrderState, ctx: StepContext, *, prices: Mapping[str, int], max_total: int
) -> Outcome[OrderState]:
    """Credit and stock are held at the catalog ``prices`` (per SKU): the pending order this
    command placed is placed, at those prices (``OrderPlaced``)."""

    def decide() -> list[EventPayload]:
        if state.status is not OrderStatus.PENDING or not _applied(state, ctx.command_id,
                                                                    "place"):
            raise errors.InvalidTransition("This command did not place the order.")
        priced = priced_lines(state.requested, prices, state.currency)
        total = sum(line.amount for line in priced)
        check_total(total, max_total)
        assert state.shipping_address is not None
        return [OrderPlaced(state.customer_id, state.currency, priced, total,
                            state.shipping_address)]

    step = Step.of_workflow(state.order_id, ctx, "confirmPlacement", REMEMBERED_COMMANDS)
    return execute(state, step, decide, _evolve)


def place_at_prices(
    state: OrderState,
    ctx: CommandContext,
    *,
    order_id: str,
    customer_id: str,
    currency: str,
    lines: Sequence[LineRequest],
    shipping_address: ShippingAddress,
    prices: Mapping[str, int],
    max_total: int,
) -> Outcome[OrderState]:
    """``place`` and ``confirm_placement`` as one step, for an id the API made for this
    command: nobody else can hold it, so the workflow reserves first and needs no claim round.
    A refusal stores nothing, so the id stays as absent as before."""
    claimed = place(state, ctx, order_id=order_id, customer_id=customer_id, currency=currency,
                    lines=lines, shipping_address=shipping_address, max_total=max_total)
    return confirm_placement(claimed.state, StepContext(ctx.principal, ctx.occurred_at,
                                                        ctx.command_id),
                             prices=prices, max_total=max_total)


def placement_total(requested: Sequence[LineRequest], prices: Mapping[str, int],
                    currency: str) -> int:
    """What the order will cost at the catalog ``prices`` (the credit a workflow reserves)."""
    return sum(line.amount for line in priced_lines(requested, prices, currency))


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
    made = applied.first_result()
    if state.status is not status or made.version != state.version:
        raise errors.InvalidTransition("The order changed after this command.")
    reverted = replace(before, version=state.version - 1,
                       applied=forget(state.applied, ctx.command_id))
    return Outcome(reverted, CommandResult(ctx.command_id, state.order_id, reverted.version))


def _applied(state: OrderState, command_id: str, operation: str) -> AppliedCommand | None:
    return next((entry for entry in state.applied
                 if entry.command_id == command_id and entry.operation == operation), None)


# ---- rules -------------------------------------------------------------------------------------


def check_requests(lines: Sequence[LineRequest]) -> tuple[LineRequest, ...]:
    """1-100 lines, one per SKU, quantity 1-1000; a shown unit price is > 0 minor units."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise errors.ValidationFailed(f"An order has 1 to {MAX_LINES} lines.", field="lines")
    seen: set[str] = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not isinstance(line, LineRequest):
            raise errors.ValidationFailed(f"{where} is not an order line", field=where)
        check_sku(line.sku, f"{where}.sku")
        check_int(line.quantity, f"{where}.quantity", 1, MAX_QUANTITY)
        if line.unit_price is not None:
            check_int(line.unit_price, f"{where}.unitPrice", 1, MAX_UNIT_PRICE)
        if line.sku in seen:
            raise errors.ValidationFailed(
                f"{where}.sku repeats a SKU; put each SKU on one line", field=f"{where}.sku"
            )
        seen.add(line.sku)
    return tuple(lines)


def shown_total(requested: Sequence[LineRequest]) -> int | None:
    """The total at the prices the client showed, when it showed one for every line."""
    if any(line.unit_price is None for line in requested):
        return None
    return sum(line.quantity * (line.unit_price or 0) for line in requested)


def priced_lines(requested: Sequence[LineRequest], prices: Mapping[str, int], currency: str
                 ) -> tuple[OrderLine, ...]:
    """The lines at the catalog ``prices``; a price the client showed must be the catalog's."""
    priced: list[OrderLine] = []
    for line in requested:
        price = prices.get(line.sku)
        if not isinstance(price, int) or isinstance(price, bool) or price < 1:
            raise errors.ProductNotFound(f"{line.sku} has no catalog price.",
                                         details={"sku": line.sku})
        if line.unit_price is not None and line.unit_price != price:
            raise errors.PriceChanged(f"The price of {line.sku} is now {price} {currency}.",
                                      details={"sku": line.sku, "unitPrice": price,
                                               "currency": currency})
        priced.append(OrderLine(line.sku, line.quantity, price))
    return tuple(priced)


def check_total(total: int, max_total: int) -> None:
    if total > max_total:
        raise errors.ValidationFailed(
            f"The order total exceeds the maximum of {max_total}.", field="lines"
        )


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
                status=OrderStatus.PLACED,
                requested=(),
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
