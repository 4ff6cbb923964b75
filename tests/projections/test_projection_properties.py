"""Event Grid may duplicate and reorder: any delivery of a history gives the in-order views.

Histories are random but lawful (what the write side can emit): customers register and may
change their credit currency; orders are placed, may change address, and then ship (and maybe
deliver) or cancel. Each delivery goes through the real ``Projector`` into the embedded stores.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.customer_events import CreditLimitChanged, CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    ShippingAddressChanged,
)
from contracts.payload import EventPayload
from contracts.values import OrderLine, ShippingAddress
from projections.fold import with_customer
from projections.projector import Projector
from readmodels.sqlite_cache import SqliteQueryCache
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import VIEWS

CUSTOMERS = ("c-ada", "c-bob", "c-cyd")


def at(minute: int) -> str:
    return f"2024-05-01T{minute // 60:02d}:{minute % 60:02d}:00.000Z"


def address(tag: int) -> ShippingAddress:
    return ShippingAddress(f"enc:name{tag}", f"enc:street{tag}", "enc:city", "enc:zip", "DE")


@st.composite
def order_story(draw: st.DrawFn, order_id: str,
                customers: tuple[str, ...]) -> list[tuple[str, EventPayload]]:
    customer = draw(st.sampled_from(customers))
    currency = draw(st.sampled_from(("EUR", "USD")))
    quantity = draw(st.integers(1, 5))
    story: list[tuple[str, EventPayload]] = [(order_id, OrderPlaced(
        customer, currency, (OrderLine("SKU-1", quantity, 250),), quantity * 250, address(0)))]
    for tag in range(draw(st.integers(0, 2))):
        story.append((order_id, ShippingAddressChanged(address(tag + 1))))
    ending = draw(st.sampled_from(("open", "shipped", "delivered", "cancelled")))
    if ending in ("shipped", "delivered"):
        story.append((order_id, OrderShipped("DHL", f"TRK-{order_id}")))
    if ending == "delivered":
        story.append((order_id, OrderDelivered()))
    if ending == "cancelled":
        story.append((order_id, OrderCancelled("changed my mind")))
    return story


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    streams: list[list[tuple[str, EventPayload]]] = []
    registered = CUSTOMERS[:draw(st.integers(1, 3))]
    for customer in registered:
        story: list[tuple[str, EventPayload]] = [(customer, CustomerRegistered(
            customer.title(), f"enc:{customer}@mail", None, 1000, "EUR"))]
        if draw(st.booleans()):
            story.append((customer, CreditLimitChanged(5000, "USD")))
        streams.append(story)
    for index in range(draw(st.integers(1, 4))):
        streams.append(draw(order_story(f"o-{index}", registered)))
    events, versions = [], {}
    minute = 0
    while any(streams):  # interleave streams, keeping each stream's own order
        stream = draw(st.sampled_from([s for s in streams if s]))
        aggregate, payload = stream.pop(0)
        versions[aggregate] = versions.get(aggregate, 0) + 1
        minute += 1
        events.append(to_event_grid(Event.create(
            payload, aggregate_id=aggregate, version=versions[aggregate],
            occurred_at=at(minute), actor="tester")))
    return events


def project(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    views = SqliteViewStore(":memory:")
    projector = Projector(views, SqliteQueryCache(":memory:", 60))
    for event in events:
        projector.handle(event)
    return {view: list(views.scan(view)) for view in VIEWS}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), history=histories())
def test_any_delivery_order_with_duplicates_gives_the_in_order_views(
        data: st.DataObject, history: list[dict[str, Any]]) -> None:
    expected = project(history)
    shuffled = data.draw(st.permutations(history), label="delivery order")
    copies = data.draw(st.lists(st.sampled_from(history), max_size=len(history)),
                       label="duplicates")
    positions = data.draw(st.lists(st.integers(0, len(shuffled)), min_size=len(copies),
                                   max_size=len(copies)), label="where duplicates land")
    delivered = list(shuffled)
    for copy, position in zip(copies, positions, strict=True):
        delivered.insert(position, copy)
    assert project(delivered) == expected


def recount(summary: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary's public fields from scratch, from every row of the customer (the reference
    the incremental fold must match: what the projector computed before it folded deltas)."""
    rows = sorted(rows, key=lambda row: str(row["sortKey"]))
    currency = summary["creditCurrency"] or (rows[-1]["currency"] if rows else None)
    profile_version = (summary["profile"] or {}).get("version", 0)
    return {
        "currency": currency,
        "orderCount": len(rows),
        "openOrders": sum(1 for row in rows if row["status"] in ("placed", "shipped")),
        "totalSpent": sum(int(row["total"]) for row in rows
                          if row["status"] != "cancelled" and row["currency"] == currency),
        "lastOrderAt": rows[-1]["placedAt"] if rows else None,
        "version": sum(int(row["version"]) for row in rows)
        + max(profile_version, summary["currencyVersion"]),
        "inflight": {},
    }


def recounted(views: dict[str, list[dict[str, Any]]]) -> None:
    """Every summary of ``views`` equals its from-scratch recount."""
    for summary in views["customer_summary"]:
        mine = [r for r in views["customer_orders"] if r["customerId"] == summary["customerId"]]
        expected = recount(summary, mine)
        assert {key: summary[key] for key in expected} == expected
        assert all(summary["updatedAt"] >= row["updatedAt"] for row in mine)


@settings(max_examples=30, deadline=None)
@given(history=histories())
def test_in_order_views_are_complete(history: list[dict[str, Any]]) -> None:
    views = project(history)
    orders = {e["subject"].split("/")[1] for e in history if e["subject"].startswith("orders/")}
    details = {d["id"]: d for d in views["order_details"]}
    assert set(details) == orders
    summaries = {s["customerId"]: s for s in views["customer_summary"]}
    for doc in details.values():
        assert doc["pending"] == []
        assert "customer" not in doc  # joined at read time, from the summary
        shown = with_customer(doc, summaries[doc["customerId"]]["profile"])
        assert shown["customer"] is not None and shown["customer"]["name"]
        assert summaries[doc["customerId"]]["searchName"] == shown["customer"]["name"].lower()
    rows = views["customer_orders"]
    assert sorted(r["id"] for r in rows) == sorted(orders)
    recounted(views)
