"""Stories of the Inventory aggregate, and a property: stock is never oversold."""

from __future__ import annotations

import json

import pytest
from domain_builders import ADA, ALICE, BOB, FRED, SAM, cmd, step, through_json
from hypothesis import given, settings
from hypothesis import strategies as st

from entities import errors, inventory
from entities.aggregate import Outcome
from entities.context import StepContext
from entities.inventory import InventoryState
from security.principal import Principal

SKU = "SKU-1"


def priced(price: int = 1000, state: InventoryState | None = None) -> InventoryState:
    return inventory.price(state or InventoryState(), cmd(FRED), sku=SKU, name="A book",
                           unit_price=price, currency="EUR").state


def stocked(quantity: int = 10) -> InventoryState:
    """A catalog product at 1000 EUR cents with ``quantity`` units on the shelf."""
    return inventory.adjust(
        priced(), cmd(FRED), sku=SKU, delta=quantity, reason="intake"
    ).state


def reserve(state: InventoryState, ctx: StepContext, *, sku: str = SKU, order_id: str,
            quantity: int, **price: int) -> Outcome[InventoryState]:
    """A reservation in the catalog's currency (EUR)."""
    return inventory.reserve(state, ctx, sku=sku, order_id=order_id, quantity=quantity,
                             currency="EUR", **price)


def test_stock_is_counted_in_reserved_and_committed_on_shipment() -> None:
    state = through_json(stocked(10))
    assert (state.sku, state.on_hand, state.available, state.version) == (SKU, 10, 10, 2)
    reserved = reserve(state, step(), sku=SKU, order_id="o-1", quantity=4)
    state = through_json(reserved.state)
    assert (state.on_hand, state.reserved, state.available) == (10, 4, 6)
    assert reserved.result.events[0].event_id == "products/SKU-1:3"
    committed = inventory.commit(state, step(FRED), sku=SKU, order_id="o-1", quantity=4)
    state = through_json(committed.state)
    assert (state.on_hand, state.reserved, state.available, state.version) == (6, 0, 6, 4)
    assert committed.result.events[0].data == {"orderId": "o-1", "quantity": 4, "onHand": 6,
                                               "reserved": 0}


def test_a_reservation_never_oversells() -> None:
    state = reserve(stocked(5), step(), sku=SKU, order_id="o-1", quantity=5).state
    with pytest.raises(errors.InsufficientStock) as caught:
        reserve(state, step(), sku=SKU, order_id="o-2", quantity=1)
    assert caught.value.details == {"sku": SKU}
    with pytest.raises(errors.InsufficientStock):
        reserve(priced(), step(), sku=SKU, order_id="o-1", quantity=1)


def test_a_step_is_idempotent_per_command_and_belongs_to_its_caller() -> None:
    ctx = step(ALICE, command_id="cmd-a")
    first = reserve(stocked(5), ctx, sku=SKU, order_id="o-1", quantity=3)
    again = reserve(first.state, ctx, sku=SKU, order_id="o-1", quantity=3)
    assert again.result == first.result and again.state.reserved == 3
    with pytest.raises(errors.IdempotencyKeyReused):
        reserve(first.state, ctx, sku=SKU, order_id="o-1", quantity=2)
    with pytest.raises(errors.IdempotencyKeyReused):
        reserve(first.state, step(SAM, command_id="cmd-a"), sku=SKU, order_id="o-1",
                          quantity=3)


def test_another_command_naming_the_same_order_holds_its_own_units() -> None:
    """Bob names Alice's order id: his reservation is his, and releasing it leaves hers."""
    alice = reserve(stocked(3), step(ALICE), sku=SKU, order_id="ord-a", quantity=3)
    assert alice.state.available == 0
    with pytest.raises(errors.InsufficientStock):
        reserve(alice.state, step(BOB), sku=SKU, order_id="ord-a", quantity=3)
    state = inventory.adjust(alice.state, cmd(FRED), sku=SKU, delta=3).state
    bob = step(BOB)
    state = reserve(state, bob, sku=SKU, order_id="ord-a", quantity=3).state
    state = inventory.release(state, bob, sku=SKU, order_id="ord-a", quantity=3).state
    assert (state.on_hand, state.reserved, state.available) == (6, 3, 3)


def test_release_returns_stock_once_and_more_than_is_held_is_refused() -> None:
    ctx = step()
    state = reserve(stocked(5), step(), sku=SKU, order_id="o-1", quantity=3).state
    released = inventory.release(state, ctx, sku=SKU, order_id="o-1", quantity=3)
    assert released.state.available == 5
    again = inventory.release(released.state, ctx, sku=SKU, order_id="o-1", quantity=3)
    assert again.result == released.result and again.state == released.state
    with pytest.raises(errors.StockNotReserved):
        inventory.release(released.state, step(), sku=SKU, order_id="o-1", quantity=3)


def test_commit_needs_reserved_units() -> None:
    with pytest.raises(errors.StockNotReserved):
        inventory.commit(stocked(5), step(FRED), sku=SKU, order_id="o-1", quantity=1)


def test_a_reverted_commit_puts_the_units_back_on_hand_and_reserved() -> None:
    ctx = step(FRED)
    state = reserve(stocked(5), step(), sku=SKU, order_id="o-1", quantity=2).state
    state = inventory.commit(state, ctx, sku=SKU, order_id="o-1", quantity=2).state
    assert (state.on_hand, state.reserved) == (3, 0)
    state = inventory.revert_commit(state, ctx, sku=SKU, order_id="o-1", quantity=2).state
    assert (state.on_hand, state.reserved, state.available) == (5, 2, 3)


def test_a_state_stored_with_one_record_per_order_loads_as_counts() -> None:
    """What the entity stored before counts (2026-12): a list of reservations."""
    old = {"version": 4, "applied": [], "sku": SKU, "onHand": 10,
           "reservations": [{"orderId": "o-1", "quantity": 2},
                            {"orderId": "o-2", "quantity": 3}]}
    state = InventoryState.from_dict(old)
    assert (state.on_hand, state.reserved, state.available, state.version) == (10, 5, 5, 4)
    assert "reservations" not in state.to_dict()


def test_stock_held_by_reservations_cannot_be_adjusted_away() -> None:
    state = reserve(stocked(5), step(), sku=SKU, order_id="o-1", quantity=4).state
    assert inventory.adjust(state, cmd(FRED), sku=SKU, delta=-1).state.on_hand == 4
    with pytest.raises(errors.InsufficientStock):
        inventory.adjust(state, cmd(FRED), sku=SKU, delta=-2)
    with pytest.raises(errors.InsufficientStock):
        inventory.adjust(InventoryState(), cmd(FRED), sku=SKU, delta=-1)


@pytest.mark.parametrize("who", [FRED, ADA], ids=["fulfilment", "admin"])
def test_fulfilment_and_admin_adjust_stock(who: Principal) -> None:
    assert inventory.adjust(InventoryState(), cmd(who), sku=SKU, delta=3).state.on_hand == 3


@pytest.mark.parametrize("who", [ALICE, SAM], ids=["customer", "support"])
def test_nobody_else_adjusts_stock(who: Principal) -> None:
    with pytest.raises(errors.Forbidden):
        inventory.adjust(InventoryState(), cmd(who), sku=SKU, delta=3)


def test_an_adjustment_is_idempotent_per_command_id() -> None:
    ctx = cmd(FRED, command_id="count-1")
    first = inventory.adjust(InventoryState(), ctx, sku=SKU, delta=3)
    assert inventory.adjust(first.state, ctx, sku=SKU, delta=3).state.on_hand == 3


def test_adjustments_respect_expected_version() -> None:
    with pytest.raises(errors.VersionConflict):
        inventory.adjust(stocked(), cmd(FRED, expected_version=0), sku=SKU, delta=1)


@pytest.mark.parametrize("delta", [0, 1_000_001, -1_000_001])
def test_an_adjustment_is_a_sane_non_zero_delta(delta: int) -> None:
    with pytest.raises(errors.ValidationFailed):
        inventory.adjust(stocked(), cmd(FRED), sku=SKU, delta=delta)


def test_an_inventory_holds_one_sku() -> None:
    with pytest.raises(errors.ValidationFailed):
        reserve(stocked(), step(), sku="OTHER", order_id="o-1", quantity=1)
    with pytest.raises(errors.ValidationFailed):
        inventory.adjust(InventoryState(), cmd(FRED), sku="bad sku", delta=1)


# ---- property: whatever happens, available stock never goes negative ---------------------------

QUANTITIES = st.integers(0, 12)
OPERATIONS = st.one_of(
    st.tuples(st.just("adjust"), st.integers(-20, 20)),
    st.tuples(st.just("reserve"), QUANTITIES),
    st.tuples(st.just("release"), QUANTITIES),
    st.tuples(st.just("commit"), QUANTITIES),
)


def _run(state: InventoryState, operation: tuple[str, int]) -> InventoryState:
    kind, amount = operation
    if kind == "adjust":
        return inventory.adjust(state, cmd(FRED), sku=SKU, delta=amount).state
    if kind == "reserve":
        return reserve(state, step(), order_id="o-1", quantity=amount).state
    verb = {"release": inventory.release, "commit": inventory.commit}[kind]
    return verb(state, step(), sku=SKU, order_id="o-1", quantity=amount).state


@settings(max_examples=300, deadline=None)
@given(st.lists(OPERATIONS, max_size=40))
def test_no_sequence_of_operations_oversells(operations: list[tuple[str, int]]) -> None:
    state = priced()
    for operation in operations:
        before = state
        try:
            state = _run(state, operation)
        except errors.DomainError:
            state = before  # a rejected operation changes nothing
        assert 0 <= state.reserved <= state.on_hand
        assert state.version >= before.version
    restored = InventoryState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state


def test_a_hot_skus_reservations_neither_grow_the_memory_nor_push_out_a_stock_count() -> None:
    count = cmd(FRED, command_id="count-1")
    catalog = priced()
    first = inventory.adjust(catalog, count, sku=SKU, delta=10_000, reason="intake")
    state = first.state
    for n in range(inventory.SHARED_REMEMBERED_STEPS * 3):
        state = reserve(state, step(), sku=SKU, order_id=f"o-{n}", quantity=1).state
    assert len(state.applied) == inventory.SHARED_REMEMBERED_STEPS + 2  # + the price and the count
    state = through_json(state)
    again = inventory.adjust(state, count, sku=SKU, delta=10_000, reason="intake")
    assert again.result == first.result and again.state.on_hand == 10_000
    latest = step(command_id="wf-latest")
    state = reserve(state, latest, sku=SKU, order_id="o-last", quantity=1).state
    repeat = reserve(state, latest, sku=SKU, order_id="o-last", quantity=1)
    assert repeat.result.events and repeat.state.reserved == state.reserved


def test_a_reservation_is_made_at_the_catalog_price() -> None:
    held = reserve(stocked(5), step(), order_id="o-1", quantity=2)
    assert held.result.events[0].data["unitPrice"] == 1000
    repriced = inventory.price(held.state, cmd(FRED), sku=SKU, name="A book", unit_price=1200,
                               currency="EUR").state
    assert (repriced.unit_price, repriced.reserved) == (1200, 2)
    later = reserve(repriced, step(), order_id="o-2", quantity=1)
    assert later.result.events[0].data["unitPrice"] == 1200


def test_a_price_the_client_showed_must_be_the_catalogs() -> None:
    with pytest.raises(errors.PriceChanged) as caught:
        reserve(stocked(5), step(), order_id="o-1", quantity=1, expected_unit_price=1)
    assert caught.value.details == {"sku": SKU, "unitPrice": 1000, "currency": "EUR"}
    shown = reserve(stocked(5), step(), order_id="o-1", quantity=1, expected_unit_price=1000)
    assert shown.state.reserved == 1


def test_a_sku_without_a_price_cannot_be_ordered() -> None:
    unpriced = inventory.adjust(InventoryState(), cmd(FRED), sku=SKU, delta=5).state
    with pytest.raises(errors.ProductNotFound):
        reserve(unpriced, step(), order_id="o-1", quantity=1)
    with pytest.raises(errors.ValidationFailed) as caught:
        inventory.reserve(stocked(5), step(), sku=SKU, order_id="o-1", quantity=1,
                          currency="USD")
    assert caught.value.field == "currency"


@pytest.mark.parametrize("who", [ALICE, SAM], ids=["customer", "support"])
def test_only_fulfilment_and_admin_set_prices(who: Principal) -> None:
    with pytest.raises(errors.Forbidden):
        inventory.price(InventoryState(), cmd(who), sku=SKU, name="x", unit_price=1,
                        currency="EUR")
    assert inventory.price(InventoryState(), cmd(ADA), sku=SKU, name="x", unit_price=1,
                           currency="EUR").state.unit_price == 1


def test_stock_events_carry_the_counts_after_them() -> None:
    held = reserve(stocked(5), step(), order_id="o-1", quantity=2)
    assert {k: held.result.events[0].data[k] for k in ("onHand", "reserved")} == {
        "onHand": 5, "reserved": 2}


def test_the_state_stays_small_however_many_orders_are_open() -> None:
    """Loaded and stored on every operation: its size must not grow with the open orders."""
    state = inventory.adjust(priced(), cmd(FRED), sku=SKU, delta=1_000_000).state
    sizes = []
    for n in range(1, 2001):
        ctx = step(ALICE, command_id=f"cmd-{n:040d}")
        state = reserve(state, ctx, order_id=f"ord-{n:024d}", quantity=1).state
        if n in (100, 2000):
            sizes.append(len(json.dumps(state.to_dict())))
    assert state.reserved == 2000
    assert abs(sizes[1] - sizes[0]) < 64 and max(sizes) < 8 * 1024  # digits may grow


def test_a_step_remembered_in_the_old_form_still_answers_its_repeat() -> None:
    """States stored before 2026-12 kept each remembered result whole."""
    ctx = step(ALICE, command_id="cmd-old")
    first = reserve(stocked(5), ctx, order_id="o-1", quantity=2)
    stored = first.state.to_dict()
    [entry] = [e for e in stored["applied"] if e["step"]]
    old_entry = {key: entry[key] for key in ("commandId", "operation", "actor", "fingerprint",
                                             "step")}
    old_entry["result"] = first.result.to_dict()
    old = {**stored, "applied": [e for e in stored["applied"] if not e["step"]] + [old_entry]}
    again = reserve(InventoryState.from_dict(old), ctx, order_id="o-1", quantity=2)
    assert again.result == first.result and again.state.reserved == 2
