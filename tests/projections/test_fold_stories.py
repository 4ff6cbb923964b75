"""Fold stories: early events wait for their predecessors, duplicates change nothing, and
concurrent folds (Event Grid runs several at once) lose no update."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_projection_properties import histories, project

from contracts.events import Event
from contracts.order_events import OrderPlaced, OrderShipped
from contracts.values import OrderLine, ShippingAddress
from projections import fold
from projections.projector import Projector
from readmodels.sqlite_cache import SqliteQueryCache
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import VIEWS

ADDRESS = ShippingAddress("enc:a", "enc:b", "enc:c", "enc:d", "DE")
PLACED = Event.create(OrderPlaced("c-1", "EUR", (OrderLine("A", 1, 100),), 100, ADDRESS),
                      aggregate_id="o-1", version=1, occurred_at="2024-05-01T10:00:00Z",
                      actor="c-1")
SHIPPED = Event.create(OrderShipped("DHL", "T-1"), aggregate_id="o-1", version=2,
                       occurred_at="2024-05-01T11:00:00Z", actor="fred")


def test_an_early_event_waits_until_the_gap_closes() -> None:
    early = fold.apply_order_event(None, SHIPPED)
    assert early is not None
    assert (early["version"], early["status"], len(early["pending"])) == (0, "new", 1)
    assert fold.customer_row(early) is None  # nothing to list yet
    done = fold.apply_order_event(early, PLACED)
    assert done is not None
    assert (done["version"], done["status"], done["pending"]) == (2, "shipped", [])
    assert done["trackingNumber"] == "T-1" and done["placedAt"] == "2024-05-01T10:00:00.000Z"


def test_duplicates_change_nothing() -> None:
    placed = fold.apply_order_event(None, PLACED)
    assert placed is not None
    assert fold.apply_order_event(placed, PLACED) is None
    early = fold.apply_order_event(None, SHIPPED)
    assert early is not None and fold.apply_order_event(early, SHIPPED) is None


@settings(max_examples=10, deadline=None)
@given(history=histories(), seed=st.integers(0, 2**16))
def test_concurrent_folds_give_the_in_order_views(history: list[dict[str, Any]],
                                                  seed: int) -> None:
    expected = project(history)
    delivered = history * 3
    random.Random(seed).shuffle(delivered)
    views = SqliteViewStore(":memory:")  # one connection; folds still interleave between calls
    projector = Projector(views, SqliteQueryCache(":memory:", 60))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(projector.handle, delivered))
    assert {view: list(views.scan(view)) for view in VIEWS} == expected


@settings(max_examples=30, deadline=None)
@given(histories())
def test_a_summary_of_the_earlier_layout_is_migrated_once(history: list[dict[str, Any]]) -> None:
    """Before delta folds the summary kept no ledger, and adding deltas to it could count an
    order twice: the projector first recounts it from the rows, once, then folds as usual."""
    expected = project(history)
    half = len(history) // 2
    views = SqliteViewStore(":memory:")
    projector = Projector(views, SqliteQueryCache(":memory:", 60))
    for event in history[:half]:
        projector.handle(event)
    for summary in list(views.scan("customer_summary")):
        earlier = {key: value for key, value in summary.items()
                   if key not in ("inflight", "spent", "lastOrderKey", "lastOrderCurrency",
                                  "searchName")}
        stored = views.read("customer_summary", summary["id"], summary["id"])
        assert stored is not None
        views.replace("customer_summary", earlier, stored.etag)
    for event in history[half:]:
        projector.handle(event)
    migrated = {view: list(views.scan(view)) for view in VIEWS}
    touched = {e["data"].get("customerId") for e in history[half:]} | {
        doc["customerId"] for doc in expected["order_details"]
        if any(e["subject"] == f"orders/{doc['id']}" for e in history[half:])}
    for view in VIEWS:
        if view != "customer_summary":
            assert migrated[view] == expected[view]
    for summary in migrated["customer_summary"]:
        if summary["id"] in touched:
            assert summary in expected["customer_summary"]
