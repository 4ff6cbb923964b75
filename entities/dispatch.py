"""Route a ``contracts.commands`` command to the aggregate verb that handles it.

The Durable entity functions are thin: read state, rebuild the command and principal from the
operation input, call one of these, store ``outcome.state.to_dict()`` and return
``outcome.result.to_dict()`` (or ``error.to_dict()`` for a ``DomainError``).
"""

from __future__ import annotations

from contracts.commands import (
    AdjustStock,
    CancelOrder,
    ChangeAddress,
    Command,
    DeliverOrder,
    PlaceOrder,
    PriceProduct,
    RegisterCustomer,
    SetCreditLimit,
    ShipOrder,
)
from entities import customer, inventory, order
from entities.aggregate import Outcome, check_aggregate_id
from entities.context import CommandContext
from entities.errors import ValidationFailed
from security.principal import Principal


def _context(command: Command, principal: Principal, occurred_at: str) -> CommandContext:
    expected = getattr(command, "expected_version", None)
    return CommandContext(principal, command.command_id, occurred_at, expected)


def handle_order_command(
    state: order.OrderState,
    command: Command,
    principal: Principal,
    occurred_at: str,
    *,
    max_total: int,
) -> Outcome[order.OrderState]:
    match command:
        case PlaceOrder():
            ctx = _context(command, principal, occurred_at)
            return order.place(
                state,
                ctx,
                order_id=command.order_id,
                customer_id=command.customer_id,
                currency=command.currency,
                lines=command.lines,
                shipping_address=command.shipping_address,
                max_total=max_total,
            )
        case ShipOrder():
            ctx = _order_context(state, command.order_id, command, principal, occurred_at)
            return order.ship(
                state, ctx, carrier=command.carrier, tracking_number=command.tracking_number
            )
        case DeliverOrder():
            ctx = _order_context(state, command.order_id, command, principal, occurred_at)
            return order.deliver(state, ctx)
        case CancelOrder():
            ctx = _order_context(state, command.order_id, command, principal, occurred_at)
            return order.cancel(state, ctx, reason=command.reason)
        case ChangeAddress():
            ctx = _order_context(state, command.order_id, command, principal, occurred_at)
            return order.change_address(state, ctx, shipping_address=command.shipping_address)
    raise ValidationFailed(f"{type(command).__name__} is not an order command", field="type")


def _order_context(
    state: order.OrderState,
    order_id: str,
    command: Command,
    principal: Principal,
    occurred_at: str,
) -> CommandContext:
    check_aggregate_id(order_id, state.order_id, "orderId")
    return _context(command, principal, occurred_at)


def handle_customer_command(
    state: customer.CustomerState,
    command: Command,
    principal: Principal,
    occurred_at: str,
    *,
    default_credit_limit: int,
    default_currency: str,
) -> Outcome[customer.CustomerState]:
    match command:
        case RegisterCustomer():
            ctx = _context(command, principal, occurred_at)
            return customer.register(
                state,
                ctx,
                customer_id=command.customer_id,
                name=command.name,
                email=command.email,
                phone=command.phone,
                default_credit_limit=default_credit_limit,
                default_currency=default_currency,
            )
        case SetCreditLimit():
            check_aggregate_id(command.customer_id, state.customer_id, "customerId")
            ctx = _context(command, principal, occurred_at)
            return customer.set_credit_limit(
                state, ctx, amount=command.amount, currency=command.currency
            )
    raise ValidationFailed(f"{type(command).__name__} is not a customer command", field="type")


def handle_inventory_command(
    state: inventory.InventoryState, command: Command, principal: Principal, occurred_at: str
) -> Outcome[inventory.InventoryState]:
    ctx = _context(command, principal, occurred_at)
    match command:
        case AdjustStock():
            return inventory.adjust(state, ctx, sku=command.sku, delta=command.delta,
                                    reason=command.reason)
        case PriceProduct():
            return inventory.price(state, ctx, sku=command.sku, name=command.name,
                                   unit_price=command.unit_price, currency=command.currency)
    raise ValidationFailed(f"{type(command).__name__} is not a product command", field="type")
