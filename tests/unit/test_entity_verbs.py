"""Each entity operation is a domain verb: the operation's name picks the verb, and the
contract command it carries reaches it (what the entity functions run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from domain_builders import ADA, ALICE, FRED, T0, address, confirmed, placed_order, sealed

from app_settings import get_settings
from contracts.commands import (
    AdjustStock,
    CancelOrder,
    ChangeAddress,
    Command,
    DeliverOrder,
    PlaceOrder,
    RegisterCustomer,
    SetCreditLimit,
    ShipOrder,
)
from contracts.values import LineRequest
from entities import errors
from entities.aggregate import Outcome
from entities.context import CommandContext
from entities.customer import CustomerState
from entities.inventory import InventoryState
from entities.operations import Operation
from entities.order import OrderState, OrderStatus
from entities.triggers import CUSTOMER_VERBS, INVENTORY_VERBS, ORDER_VERBS
from entities.verbs import CustomerVerb, InventoryVerb, OrderVerb
from security.principal import Principal


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The verbs read the app's limits and defaults from its settings."""
    monkeypatch.setenv("ORDERS_STORE", "embedded")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(verbs: dict[str, Operation], verb: str, state: Any, command: Command,
        principal: Principal, key: str = "", **fields: Any) -> Outcome[Any]:
    data = {**fields, "command": command.to_dict(), "principal": principal.to_dict(),
            "occurredAt": T0}
    return verbs[verb](state, data, key)


def test_an_order_lives_through_its_verbs() -> None:
    place = PlaceOrder("c-1", "o-1", "alice", "EUR", (LineRequest("S", 1, 5),), address())
    state = run(ORDER_VERBS, OrderVerb.PLACE, OrderState(), place, ALICE).state
    state = confirmed(state, CommandContext(ALICE, "c-1", T0))
    change = ChangeAddress("c-2", "o-1", address(), expected_version=1)
    state = run(ORDER_VERBS, OrderVerb.CHANGE_ADDRESS, state, change, ALICE).state
    ship = ShipOrder("c-3", "o-1", "DHL", "T1", expected_version=2)
    state = run(ORDER_VERBS, OrderVerb.SHIP, state, ship, FRED).state
    state = run(ORDER_VERBS, OrderVerb.DELIVER, state, DeliverOrder("c-4", "o-1"), FRED).state
    assert state.status is OrderStatus.DELIVERED and state.version == 4


def test_an_order_id_the_api_made_is_placed_in_one_step() -> None:
    place = PlaceOrder("c-1", "o-1", "alice", "EUR", (LineRequest("S", 2),), address(),
                       order_id_generated=True)
    placed = run(ORDER_VERBS, OrderVerb.PLACE_AT_PRICES, OrderState(), place, ALICE,
                 prices={"S": 700})
    assert (placed.state.status, placed.state.total, placed.state.version) == (
        OrderStatus.PLACED, 1400, 1)
    assert [event.type for event in placed.result.events] == ["Orders.OrderPlaced"]
    again = run(ORDER_VERBS, OrderVerb.PLACE_AT_PRICES, placed.state, place, ALICE,
                prices={"S": 700})
    assert again.state == placed.state and again.result == placed.result


def test_a_command_for_another_order_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed):
        run(ORDER_VERBS, OrderVerb.CANCEL, placed_order(), CancelOrder("c", "o-2", "x"), ALICE)


def test_expected_version_travels_from_the_command() -> None:
    with pytest.raises(errors.VersionConflict):
        run(ORDER_VERBS, OrderVerb.CANCEL, placed_order(), CancelOrder("c", "o-1", "x", 7),
            ALICE)


def test_customer_and_stock_verbs() -> None:
    register = RegisterCustomer("c-1", "alice", "Alice", sealed("a@example.com"))
    state = run(CUSTOMER_VERBS, CustomerVerb.REGISTER, CustomerState(), register, ALICE).state
    limit = SetCreditLimit("c-2", "alice", 500, "EUR")
    state = run(CUSTOMER_VERBS, CustomerVerb.SET_CREDIT_LIMIT, state, limit, ADA).state
    assert state.credit_limit == 500
    stock = run(INVENTORY_VERBS, InventoryVerb.ADJUST, InventoryState(), AdjustStock("c-3", "S", 4),
                FRED, key="S")
    assert stock.state.on_hand == 4


def test_a_command_sent_to_the_wrong_verb_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed):
        run(INVENTORY_VERBS, InventoryVerb.ADJUST, InventoryState(), CancelOrder("c", "o-1", "x"),
            FRED, key="S")
    with pytest.raises(errors.ValidationFailed):
        run(ORDER_VERBS, OrderVerb.CANCEL, OrderState(), AdjustStock("c", "S", 1), FRED)
