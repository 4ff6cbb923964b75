"""Stories of the Order aggregate: a command, then what must hold."""

from __future__ import annotations

import json

import pytest
from domain_builders import (
    ALICE,
    BOB,
    FRED,
    MAX_TOTAL,
    SAM,
    address,
    at,
    claim,
    cmd,
    line,
    place,
    placed_order,
    sealed,
    shipped_order,
    step,
    through_json,
)

from contracts.events import to_event_grid
from contracts.order_events import OrderPlaced
from contracts.values import ShippingAddress
from entities import errors, order
from entities.order import OrderState, OrderStatus


def test_an_order_is_placed_shipped_and_delivered() -> None:
    ctx = cmd(ALICE, occurred_at=at(0))
    claimed = claim(ALICE, ctx=ctx)
    assert claimed.state.status is OrderStatus.PENDING  # until its credit and stock are held
    assert claimed.result.events == ()
    placed = order.confirm_placement(
        claimed.state, step(ALICE, command_id=ctx.command_id, occurred_at=at(0)),
        prices={"SKU-1": 1500, "SKU-2": 999}, max_total=MAX_TOTAL)
    state = through_json(placed.state)
    assert state.status is OrderStatus.PLACED
    assert (state.order_id, state.customer_id, state.currency) == ("o-1", "alice", "EUR")
    assert state.total == 2 * 1500 + 999
    assert state.version == 1 and state.placed_at == "2024-05-01T10:00:00.000Z"
    [event] = placed.result.events
    assert (event.type, event.version, event.actor) == ("Orders.OrderPlaced", 1, "alice")
    assert isinstance(event.payload(), OrderPlaced)

    shipped = order.ship(state, cmd(FRED, occurred_at=at(5)), carrier="DHL", tracking_number="T1")
    state = through_json(shipped.state)
    assert state.status is OrderStatus.SHIPPED and state.version == 2
    assert (state.carrier, state.tracking_number) == ("DHL", "T1")
    assert shipped.result.events[0].data == {"carrier": "DHL", "trackingNumber": "T1"}

    delivered = order.deliver(state, cmd(FRED, occurred_at=at(9)))
    state = through_json(delivered.state)
    assert state.status is OrderStatus.DELIVERED and state.version == 3
    assert state.delivered_at == "2024-05-01T10:09:00.000Z"
    assert delivered.result.version == 3
    assert [e.version for e in delivered.result.events] == [3]


def test_a_pending_order_is_claimed_but_exists_for_nobody_else() -> None:
    pending = claim(ALICE).state
    for someone in (BOB, SAM, ALICE):
        with pytest.raises(errors.OrderAlreadyExists) as caught:
            claim(someone, customer_id=someone.user_id, state=pending)
        assert caught.value.details == {}  # nothing about what the order holds
    with pytest.raises(errors.OrderNotFound):
        order.cancel(pending, cmd(ALICE), reason="mine")
    with pytest.raises(errors.OrderNotFound):
        order.ship(pending, cmd(FRED), carrier="DHL", tracking_number="1")
    with pytest.raises(errors.InvalidTransition):
        order.confirm_placement(pending, step(BOB), prices={"SKU-1": 1, "SKU-2": 1},
                                max_total=MAX_TOTAL)


def test_an_abandoned_placement_leaves_the_id_as_if_never_used() -> None:
    ctx = cmd(ALICE)
    pending = claim(ALICE, ctx=ctx).state
    with pytest.raises(errors.InvalidTransition):
        order.abandon_placement(pending, step(BOB))
    freed = order.abandon_placement(pending, step(ALICE, command_id=ctx.command_id)).state
    assert freed == OrderState() and freed.is_empty
    assert place(BOB, state=freed).state.customer_id == "bob"


def test_the_catalog_prices_the_order_and_a_shown_price_must_match() -> None:
    ctx = cmd(ALICE)
    pending = claim(ALICE, ctx=ctx, lines=(line("SKU-1", 2, None), line("SKU-2", 1, 999))).state
    confirm = step(ALICE, command_id=ctx.command_id)
    with pytest.raises(errors.PriceChanged) as caught:
        order.confirm_placement(pending, confirm, prices={"SKU-1": 1500, "SKU-2": 1000},
                                max_total=MAX_TOTAL)
    assert caught.value.details == {"sku": "SKU-2", "unitPrice": 1000, "currency": "EUR"}
    with pytest.raises(errors.ProductNotFound):
        order.confirm_placement(pending, confirm, prices={"SKU-2": 999}, max_total=MAX_TOTAL)
    placed = order.confirm_placement(pending, confirm, prices={"SKU-1": 1500, "SKU-2": 999},
                                     max_total=MAX_TOTAL)
    assert placed.state.total == 2 * 1500 + 999
    assert placed.result.events[0].data["lines"][0] == {"sku": "SKU-1", "quantity": 2,
                                                        "unitPrice": 1500}


def test_a_shipment_whose_stock_was_refused_is_taken_back() -> None:
    ctx = cmd(FRED)
    placed = placed_order()
    shipped = order.ship(placed, ctx, carrier="DHL", tracking_number="T1").state
    reverted = order.revert_shipment(shipped, step(FRED, command_id=ctx.command_id)).state
    assert reverted.status is OrderStatus.PLACED and reverted.version == placed.version
    assert (reverted.carrier, reverted.shipped_at) == (None, None)
    again = order.ship(reverted, ctx, carrier="DHL", tracking_number="T1")
    assert again.state.status is OrderStatus.SHIPPED  # the command may be sent again


def test_a_customer_cancels_their_order_before_it_ships() -> None:
    outcome = order.cancel(placed_order(), cmd(ALICE, occurred_at=at(3)), reason="changed my mind")
    state = through_json(outcome.state)
    assert state.status is OrderStatus.CANCELLED
    assert state.cancellation_reason == "changed my mind"
    assert state.cancelled_at == "2024-05-01T10:03:00.000Z"
    assert outcome.result.events[0].type == "Orders.OrderCancelled"
    with pytest.raises(errors.OrderCancelled):
        order.ship(state, cmd(FRED), carrier="DHL", tracking_number="T1")
    with pytest.raises(errors.OrderCancelled):
        order.cancel(state, cmd(ALICE), reason="again")
    with pytest.raises(errors.OrderCancelled):
        order.deliver(state, cmd(FRED))


def test_nobody_cancels_or_readdresses_a_shipped_order() -> None:
    state = shipped_order()
    for who in (ALICE, SAM):
        with pytest.raises(errors.OrderAlreadyShipped):
            order.cancel(state, cmd(who), reason="too late")
        with pytest.raises(errors.OrderAlreadyShipped):
            order.change_address(state, cmd(who), shipping_address=address())
    with pytest.raises(errors.OrderAlreadyShipped):
        order.ship(state, cmd(FRED), carrier="DHL", tracking_number="T2")


def test_the_address_changes_before_shipment() -> None:
    new_address = address(country="FR")
    outcome = order.change_address(placed_order(), cmd(ALICE), shipping_address=new_address)
    assert outcome.state.shipping_address == new_address
    assert outcome.result.events[0].type == "Orders.ShippingAddressChanged"
    assert outcome.state.version == 2


def test_delivery_needs_a_shipment_first() -> None:
    with pytest.raises(errors.InvalidTransition):
        order.deliver(placed_order(), cmd(FRED))
    delivered = order.deliver(shipped_order(), cmd(FRED)).state
    with pytest.raises(errors.InvalidTransition):
        order.deliver(delivered, cmd(FRED))


def test_an_order_id_is_placed_only_once() -> None:
    with pytest.raises(errors.OrderAlreadyExists):
        place(ALICE, state=placed_order())


def test_operations_on_a_missing_order_answer_not_found() -> None:
    fresh = OrderState()
    with pytest.raises(errors.OrderNotFound):
        order.ship(fresh, cmd(FRED), carrier="DHL", tracking_number="T1")
    with pytest.raises(errors.OrderNotFound):
        order.cancel(fresh, cmd(SAM), reason="x")
    with pytest.raises(errors.OrderNotFound):
        order.change_address(fresh, cmd(ALICE), shipping_address=address())


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ((), "lines"),
        (tuple(line(f"S{i}") for i in range(101)), "lines"),
        ((line(quantity=0),), "lines[0].quantity"),
        ((line(quantity=1001),), "lines[0].quantity"),
        ((line(unit_price=0),), "lines[0].unitPrice"),
        ((line(unit_price=-5),), "lines[0].unitPrice"),
        ((line("ok"), line("bad sku!")), "lines[1].sku"),
        ((line("A"), line("B"), line("A")), "lines[2].sku"),
    ],
)
def test_lines_follow_the_rules(lines: tuple[object, ...], field: str) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        place(ALICE, lines=lines)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_edges_of_the_line_rules_are_accepted() -> None:
    lines = tuple(line(f"S{i}", quantity=1000 if i == 0 else 1, unit_price=1) for i in range(100))
    assert place(ALICE, lines=lines).state.total == 1000 + 99


def test_a_bool_is_not_a_quantity() -> None:
    with pytest.raises(errors.ValidationFailed):
        place(ALICE, lines=(line(quantity=True),))


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", ""])
def test_one_iso_currency_per_order(currency: str) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        place(ALICE, currency=currency)
    assert caught.value.field == "currency"


def test_the_total_may_not_exceed_the_configured_maximum() -> None:
    assert place(ALICE, lines=(line(quantity=10, unit_price=100),), max_total=1000).state.total
    with pytest.raises(errors.ValidationFailed):
        place(ALICE, lines=(line(quantity=10, unit_price=101),), max_total=1000)


def test_address_fields_must_arrive_encrypted() -> None:
    good = address()
    for field in ("name", "street", "city", "postal_code"):
        plaintext = ShippingAddress(**{**good.__dict__, field: "Plain Text"})
        with pytest.raises(errors.ValidationFailed) as caught:
            place(ALICE, shipping_address=plaintext)
        assert str(caught.value.field).startswith("shippingAddress.")
        assert "Plain Text" not in caught.value.message


@pytest.mark.parametrize("country", ["de", "DEU", "", "D1"])
def test_a_plain_country_is_iso_alpha_2(country: str) -> None:
    with pytest.raises(errors.ValidationFailed):
        place(ALICE, shipping_address=address(country=country))


def test_the_country_may_also_be_encrypted() -> None:
    encrypted_country = address(country=sealed("DE", "shippingAddress.country"))
    assert place(ALICE, shipping_address=encrypted_country).state.version == 1


def test_a_missing_address_is_rejected() -> None:
    with pytest.raises(errors.ValidationFailed):
        place(ALICE, shipping_address=None)


@pytest.mark.parametrize("order_id", ["", "a/b", "x" * 65, "spaces here"])
def test_order_ids_have_a_safe_shape(order_id: str) -> None:
    with pytest.raises(errors.ValidationFailed):
        place(ALICE, order_id=order_id, shipping_address=address())


@pytest.mark.parametrize(("carrier", "tracking"), [("", "T1"), ("DHL", ""), ("D" * 65, "T1")])
def test_a_shipment_names_carrier_and_tracking_number(carrier: str, tracking: str) -> None:
    with pytest.raises(errors.ValidationFailed):
        order.ship(placed_order(), cmd(FRED), carrier=carrier, tracking_number=tracking)


def test_a_cancellation_needs_a_reason() -> None:
    with pytest.raises(errors.ValidationFailed):
        order.cancel(placed_order(), cmd(ALICE), reason="   ")


def test_time_comes_from_the_caller_and_is_normalized() -> None:
    outcome = place(ALICE, ctx=cmd(ALICE, occurred_at="2024-05-01T12:00:00+02:00"))
    assert outcome.result.events[0].occurred_at == "2024-05-01T10:00:00.000Z"
    with pytest.raises(errors.ValidationFailed):
        cmd(ALICE, occurred_at="yesterday")
    with pytest.raises(errors.ValidationFailed):
        cmd(ALICE, occurred_at="2024-05-01T10:00:00")  # no offset: ambiguous


def test_events_become_event_grid_messages() -> None:
    state = placed_order()
    shipped = order.ship(state, cmd(FRED, occurred_at=at(1)), carrier="UPS", tracking_number="1Z")
    message = to_event_grid(shipped.result.events[0])
    assert message == {
        "id": "o-1:2",
        "subject": "orders/o-1",
        "eventType": "Orders.OrderShipped",
        "dataVersion": "1.0",
        "eventTime": "2024-05-01T10:01:00.000Z",
        "data": {
            "orderId": "o-1",
            "version": 2,
            "occurredAt": "2024-05-01T10:01:00.000Z",
            "actor": "fred",
            "payload": {"carrier": "UPS", "trackingNumber": "1Z"},
        },
    }


def test_order_state_is_plain_json_with_camel_case_names() -> None:
    document = json.loads(json.dumps(placed_order().to_dict()))
    assert document["orderId"] == "o-1" and document["status"] == "placed"
    assert document["lines"][0] == {"sku": "SKU-1", "quantity": 2, "unitPrice": 1500}
    assert "postalCode" in document["shippingAddress"]
    assert OrderState.from_dict(None) == OrderState()
    assert OrderState.from_dict({}) == OrderState()
    with pytest.raises(ValueError, match="unreadable"):
        OrderState.from_dict({"status": "lost"})


def test_a_rejected_command_changes_nothing() -> None:
    state = placed_order()
    before = state.to_dict()
    with pytest.raises(errors.DomainError):
        order.ship(state, cmd(ALICE), carrier="DHL", tracking_number="T")
    assert state.to_dict() == before
    assert MAX_TOTAL > 0
