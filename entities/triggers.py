"""The Durable entities and the verbs each answers: the table beside each entity maps an
operation name (``entities.verbs``) to the domain verb it runs (``entities/order.py``,
``customer.py``, ``inventory.py``). ``entities/operations.py`` loads, runs and stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.durable_functions as df

from app_settings import get_settings
from contracts.commands import (
    AdjustStock,
    CancelOrder,
    ChangeAddress,
    ChangeProfile,
    DeliverOrder,
    EraseCustomer,
    PlaceOrder,
    PriceProduct,
    RegisterCustomer,
    SetCreditLimit,
    ShipOrder,
)
from entities import customer, inventory, order
from entities.aggregate import Outcome, check_aggregate_id
from entities.context import CommandContext
from entities.customer import CustomerState
from entities.errors import ValidationFailed
from entities.inventory import InventoryState
from entities.operations import Operation, command_verb, run_operation, step_verb
from entities.order import OrderState, OrderStatus
from entities.verbs import CUSTOMER, INVENTORY, ORDER, CustomerVerb, InventoryVerb, OrderVerb
from security.keys import customer_key_name

bp = df.Blueprint()
EntityFunction = Callable[[df.DurableEntityContext], None]


def _entity(name: str) -> Callable[[EntityFunction], object]:
    """``bp.entity_trigger`` with a type, so the domain package stays ``mypy --strict`` clean."""
    decorator: Callable[[EntityFunction], object] = bp.entity_trigger(
        context_name="context", entity_name=name
    )
    return decorator


# ---- Order -------------------------------------------------------------------------------------


def _max_total() -> int:
    return get_settings().max_order_total


def _this_order(state: OrderState, order_id: str) -> OrderState:
    """A command about one order must not be applied to another."""
    check_aggregate_id(order_id, state.order_id, "orderId")
    return state


def _place(state: OrderState, command: PlaceOrder, ctx: CommandContext, data: dict[str, Any]
           ) -> Outcome[OrderState]:
    return order.place(state, ctx, order_id=command.order_id, customer_id=command.customer_id,
                       currency=command.currency, lines=command.lines,
                       shipping_address=command.shipping_address, max_total=_max_total())


def _prices(data: dict[str, Any]) -> dict[str, int]:
    prices = data.get("prices")
    if not isinstance(prices, dict):
        raise ValidationFailed("the catalog prices by SKU are missing", field="prices")
    return prices


def _place_at_prices(state: OrderState, command: PlaceOrder, ctx: CommandContext,
                     data: dict[str, Any]) -> Outcome[OrderState]:
    return order.place_at_prices(
        state, ctx, order_id=command.order_id, customer_id=command.customer_id,
        currency=command.currency, lines=command.lines,
        shipping_address=command.shipping_address, prices=_prices(data), max_total=_max_total())


ORDER_VERBS: dict[str, Operation] = {
    OrderVerb.PLACE: command_verb(PlaceOrder, _place),
    OrderVerb.PLACE_AT_PRICES: command_verb(PlaceOrder, _place_at_prices),
    OrderVerb.CONFIRM_PLACEMENT: step_verb(lambda s, step, d, k: order.confirm_placement(
        s, step, prices=_prices(d), max_total=_max_total())),
    OrderVerb.ABANDON_PLACEMENT: step_verb(lambda s, step, d, k: order.abandon_placement(
        s, step)),
    OrderVerb.SHIP: command_verb(ShipOrder, lambda s, c, ctx, d: order.ship(
        _this_order(s, c.order_id), ctx, carrier=c.carrier, tracking_number=c.tracking_number)),
    OrderVerb.DELIVER: command_verb(DeliverOrder, lambda s, c, ctx, d: order.deliver(
        _this_order(s, c.order_id), ctx)),
    OrderVerb.CANCEL: command_verb(CancelOrder, lambda s, c, ctx, d: order.cancel(
        _this_order(s, c.order_id), ctx, reason=c.reason)),
    OrderVerb.CHANGE_ADDRESS: command_verb(ChangeAddress, lambda s, c, ctx, d: order.change_address(
        _this_order(s, c.order_id), ctx, shipping_address=c.shipping_address)),
    OrderVerb.REVERT_SHIPMENT: step_verb(lambda s, step, d, k: order.revert_shipment(s, step)),
    OrderVerb.REVERT_DELIVERY: step_verb(lambda s, step, d, k: order.revert_delivery(s, step)),
}


def _order_summary(state: OrderState) -> dict[str, Any]:
    """What the workflows need next: a pending order's requested lines (and the total at the
    prices the client showed, if it showed every one), a placed order's priced lines."""
    pending = state.status is OrderStatus.PENDING
    lines = state.requested if pending else state.lines
    return {
        "orderId": state.order_id,
        "customerId": state.customer_id,
        "status": str(state.status),
        "total": order.shown_total(state.requested) if pending else state.total,
        "currency": state.currency,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in lines],
    }


@_entity(ORDER)
def order_entity(context: df.DurableEntityContext) -> None:
    run_operation(context, OrderState, ORDER_VERBS, _order_summary)


# ---- Customer ----------------------------------------------------------------------------------


def _this_customer(state: CustomerState, customer_id: str) -> CustomerState:
    check_aggregate_id(customer_id, state.customer_id, "customerId")
    return state


def _register(state: CustomerState, command: RegisterCustomer, ctx: CommandContext,
              data: dict[str, Any]) -> Outcome[CustomerState]:
    settings = get_settings()
    return customer.register(state, ctx, customer_id=command.customer_id, name=command.name,
                             email=command.email, phone=command.phone,
                             default_credit_limit=settings.default_credit_limit,
                             default_currency=settings.default_currency)


CUSTOMER_VERBS: dict[str, Operation] = {
    CustomerVerb.REGISTER: command_verb(RegisterCustomer, _register),
    CustomerVerb.SET_CREDIT_LIMIT: command_verb(SetCreditLimit, lambda s, c, ctx, d:
        customer.set_credit_limit(_this_customer(s, c.customer_id), ctx, amount=c.amount,
                                  currency=c.currency)),
    CustomerVerb.CHANGE_PROFILE: command_verb(ChangeProfile, lambda s, c, ctx, d:
        customer.change_profile(_this_customer(s, c.customer_id), ctx, name=c.name,
                                email=c.email, phone=c.phone)),
    CustomerVerb.ERASE: command_verb(EraseCustomer, lambda s, c, ctx, d: customer.erase(
        _this_customer(s, c.customer_id), ctx, key_name=customer_key_name(c.customer_id))),
    CustomerVerb.RESERVE_CREDIT: step_verb(lambda s, step, d, k: customer.reserve_credit(
        s, step, order_id=d.get("orderId", ""), amount=d.get("amount", 0),
        currency=d.get("currency", ""))),
    CustomerVerb.RELEASE_CREDIT: step_verb(lambda s, step, d, k: customer.release_credit(
        s, step, order_id=d.get("orderId", ""), amount=d.get("amount", 0))),
    CustomerVerb.SETTLE_CREDIT: step_verb(lambda s, step, d, k: customer.settle(
        s, step, order_id=d.get("orderId", ""), amount=d.get("amount", 0))),
}


def _customer_summary(state: CustomerState) -> dict[str, Any]:
    return {
        "customerId": state.customer_id,
        "creditLimit": state.credit_limit,
        "openBalance": state.open_balance,
        "currency": state.currency,
    }


@_entity(CUSTOMER)
def customer_entity(context: df.DurableEntityContext) -> None:
    run_operation(context, CustomerState, CUSTOMER_VERBS, _customer_summary)


# ---- Inventory ---------------------------------------------------------------------------------


INVENTORY_VERBS: dict[str, Operation] = {
    InventoryVerb.PRICE: command_verb(PriceProduct, lambda s, c, ctx, d: inventory.price(
        s, ctx, sku=c.sku, name=c.name, unit_price=c.unit_price, currency=c.currency)),
    InventoryVerb.ADJUST: command_verb(AdjustStock, lambda s, c, ctx, d: inventory.adjust(
        s, ctx, sku=c.sku, delta=c.delta, reason=c.reason)),
    InventoryVerb.RESERVE: step_verb(lambda s, step, d, k: inventory.reserve(
        s, step, sku=k, order_id=d.get("orderId", ""), quantity=d.get("quantity", 0),
        currency=d.get("currency", ""), expected_unit_price=d.get("expectedUnitPrice"))),
    InventoryVerb.RELEASE: step_verb(lambda s, step, d, k: inventory.release(
        s, step, sku=k, order_id=d.get("orderId", ""), quantity=d.get("quantity", 0))),
    InventoryVerb.COMMIT: step_verb(lambda s, step, d, k: inventory.commit(
        s, step, sku=k, order_id=d.get("orderId", ""), quantity=d.get("quantity", 0))),
    InventoryVerb.REVERT_COMMIT: step_verb(lambda s, step, d, k: inventory.revert_commit(
        s, step, sku=k, order_id=d.get("orderId", ""), quantity=d.get("quantity", 0))),
}


def _inventory_summary(state: InventoryState) -> dict[str, Any]:
    return {
        "sku": state.sku,
        "name": state.name,
        "unitPrice": state.unit_price,
        "currency": state.currency,
        "onHand": state.on_hand,
        "reserved": state.reserved,
        "available": state.available,
    }


@_entity(INVENTORY)
def inventory_entity(context: df.DurableEntityContext) -> None:
    run_operation(context, InventoryState, INVENTORY_VERBS, _inventory_summary)
