"""Stock events ride on their order's event (``contracts/carrying.py``): the views a subscription
with the ``data.carriedBy`` filter folds equal those of every event delivered on its own (what
a rebuild from the archive folds), in any delivery order and with duplicates."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_projection_properties import project

from contracts.carrying import CARRIED, CARRIED_BY, carried, with_carried
from contracts.customer_events import CreditReserved, CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.inventory_events import ProductPriced, StockAdjusted, StockReleased, StockReserved
from contracts.order_events import OrderCancelled, OrderPlaced
from contracts.payload import EventPayload
from contracts.values import OrderLine, ShippingAddress

ADDRESS = ShippingAddress("enc:n", "enc:s", "enc:c", "enc:z", "DE")


class Streams:
    """Events numbered per aggregate, one minute apart."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.minute = 0

    def __call__(self, aggregate: str, payload: EventPayload) -> dict[str, Any]:
        self.versions[aggregate] = self.versions.get(aggregate, 0) + 1
        self.minute += 1
        return to_event_grid(Event.create(
            payload, aggregate_id=aggregate, version=self.versions[aggregate],
            occurred_at=f"2024-05-01T10:{self.minute:02d}:00.000Z", actor="tester"))


def placement(event: Streams, order_id: str, skus: list[str],
              stock: dict[str, list[int]]) -> list[dict[str, Any]]:
    """One successful placement's publish batch: the stock, the credit, then the order."""
    batch = []
    for sku in skus:
        stock[sku][1] += 1
        batch.append(event(sku, StockReserved(order_id, 1, stock[sku][0], stock[sku][1], 250)))
    batch.append(event("c-1", CreditReserved(order_id, 250 * len(skus), "EUR")))
    lines = tuple(OrderLine(sku, 1, 250) for sku in skus)
    batch.append(event(order_id, OrderPlaced("c-1", "EUR", lines, 250 * len(skus), ADDRESS)))
    return batch


def refusal(event: Streams, order_id: str, sku: str,
            stock: dict[str, list[int]]) -> list[dict[str, Any]]:
    """A refused placement's batch: its stock reserved and given back, no order event."""
    on_hand, reserved = stock[sku]
    return [event(sku, StockReserved(order_id, 1, on_hand, reserved + 1, 250)),
            event(sku, StockReleased(order_id, 1, on_hand, reserved))]


def cancellation(event: Streams, order_id: str, skus: list[str],
                 stock: dict[str, list[int]]) -> list[dict[str, Any]]:
    batch = [event(order_id, OrderCancelled("changed my mind"))]
    for sku in skus:
        stock[sku][1] -= 1
        batch.append(event(sku, StockReleased(order_id, 1, stock[sku][0], stock[sku][1])))
    return batch


@st.composite
def batches(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Publish batches a run of the write side could emit, in the order it emits them."""
    event = Streams()
    skus = ["SKU-1", "SKU-2", "SKU-3"]
    stock = {sku: [100, 0] for sku in skus}
    out = [[event("c-1", CustomerRegistered("Ada", "enc:a@mail", None, 10_000, "EUR"))]]
    out += [[event(sku, ProductPriced("Thing", 250, "EUR")),
             event(sku, StockAdjusted(100, 100, reserved=0))] for sku in skus]
    placed: list[tuple[str, list[str]]] = []
    for n in range(draw(st.integers(1, 5))):
        step = draw(st.sampled_from(("place", "refuse", "cancel")))
        if step == "cancel" and placed:
            order_id, lines = placed.pop(0)
            out.append(cancellation(event, order_id, lines, stock))
        elif step == "refuse":
            out.append(refusal(event, f"o-{n}", draw(st.sampled_from(skus)), stock))
        else:
            lines = draw(st.lists(st.sampled_from(skus), min_size=1, max_size=3, unique=True))
            out.append(placement(event, f"o-{n}", lines, stock))
            placed.append((f"o-{n}", lines))
    return out


def subscribed(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the views' subscription gets: no event another one carries."""
    return [m for m in messages if m["data"].get(CARRIED_BY) is None]


def test_an_order_event_carries_its_orders_stock_events_and_nothing_else() -> None:
    event, stock = Streams(), {"SKU-1": [10, 0], "SKU-2": [10, 0]}
    batch = placement(event, "o-1", ["SKU-1", "SKU-2"], stock)
    published = with_carried(batch)
    reserved, other, credit, order = published
    assert carried(order) == [batch[0], batch[1]]
    assert reserved["data"][CARRIED_BY] == other["data"][CARRIED_BY] == order["id"] == "o-1:1"
    assert CARRIED_BY not in credit["data"] and CARRIED not in credit["data"]
    assert [m["id"] for m in subscribed(published)] == [credit["id"], order["id"]]
    assert batch[0]["data"].keys() == {"sku", "version", "occurredAt", "actor", "payload"}


def test_stock_events_without_their_orders_event_travel_alone() -> None:
    event = Streams()
    batch = refusal(event, "o-1", "SKU-1", {"SKU-1": [10, 0]})
    assert with_carried(batch) == batch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), published=batches())
def test_the_filtered_subscription_folds_the_views_a_rebuild_folds(
        data: st.DataObject, published: list[list[dict[str, Any]]]) -> None:
    archive = [message for batch in published for message in batch]
    expected = project(archive)
    sent = [message for batch in published for message in with_carried(batch)]
    delivered = data.draw(st.permutations(subscribed(sent)), label="delivery order")
    copies = data.draw(st.lists(st.sampled_from(delivered), max_size=4), label="duplicates")
    assert project(delivered + copies) == expected
    # A subscriber without the filter gets both copies of each stock event: the same views.
    assert project(data.draw(st.permutations(sent), label="unfiltered order")) == expected
