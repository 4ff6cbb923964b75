"""Contract commands reach the right aggregate verb (what the entity functions will call)."""

from __future__ import annotations

import pytest
from domain_builders import (
    ADA,
    ALICE,
    FRED,
    MAX_TOTAL,
    T0,
    address,
    confirmed,
    placed_order,
    sealed,
)

from contracts.commands import (
    AdjustStock,
    CancelOrder,
    ChangeAddress,
    DeliverOrder,
    PlaceOrder,
    RegisterCustomer,
    SetCreditLimit,
    ShipOrder,
)
from contracts.values import LineRequest
from entities import errors
from entities.context import CommandContext
from entities.customer import CustomerState
from entities.dispatch import (
    handle_customer_command,
    handle_inventory_command,
    handle_order_command,
)
from entities.inventory import InventoryState
from entities.order import OrderState, OrderStatus


def test_an_order_lives_through_contract_commands() -> None:
    place = PlaceOrder("c-1", "o-1", "alice", "EUR", (LineRequest("S", 1, 5),), address())
    state = handle_order_command(OrderState(), place, ALICE, T0, max_total=MAX_TOTAL).state
    state = confirmed(state, CommandContext(ALICE, "c-1", T0))
    change = ChangeAddress("c-2", "o-1", address(), expected_version=1)
    state = handle_order_command(state, change, ALICE, T0, max_total=MAX_TOTAL).state
    ship = ShipOrder("c-3", "o-1", "DHL", "T1", expected_version=2)
    state = handle_order_command(state, ship, FRED, T0, max_total=MAX_TOTAL).state
    state = handle_order_command(state, DeliverOrder("c-4", "o-1"), FRED, T0, max_total=1).state
    assert state.status is OrderStatus.DELIVERED and state.version == 4


def test_a_command_for_another_order_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed):
        handle_order_command(
            placed_order(), CancelOrder("c", "o-2", "x"), ALICE, T0, max_total=MAX_TOTAL
        )


def test_expected_version_travels_from_the_command() -> None:
    with pytest.raises(errors.VersionConflict):
        handle_order_command(
            placed_order(), CancelOrder("c", "o-1", "x", 7), ALICE, T0, max_total=MAX_TOTAL
        )


def test_customer_and_stock_commands() -> None:
    register = RegisterCustomer("c-1", "alice", "Alice", sealed("a@example.com"))
    state = handle_customer_command(
        CustomerState(), register, ALICE, T0, default_credit_limit=100, default_currency="EUR"
    ).state
    limit = SetCreditLimit("c-2", "alice", 500, "EUR")
    state = handle_customer_command(
        state, limit, ADA, T0, default_credit_limit=100, default_currency="EUR"
    ).state
    assert state.credit_limit == 500
    stock = handle_inventory_command(InventoryState(), AdjustStock("c-3", "S", 4), FRED, T0)
    assert stock.state.on_hand == 4


def test_a_command_sent_to_the_wrong_aggregate_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed):
        handle_inventory_command(InventoryState(), CancelOrder("c", "o-1", "x"), FRED, T0)
    with pytest.raises(errors.ValidationFailed):
        handle_order_command(OrderState(), AdjustStock("c", "S", 1), FRED, T0, max_total=1)
