"""The customer summary is folded from deltas, exactly once: folds that die between two writes,
duplicates, reordering and concurrent folds all end in the from-scratch summary, and the
summary's totals are the sums of what it holds for each order after every single write."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_projection_properties import address, histories, project, recounted

from contracts.customer_events import CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import OrderPlaced, OrderShipped
from contracts.values import OrderLine
from projections import fold
from projections.projector import ProjectionConflict, Projector
from readmodels.sqlite_cache import SqliteQueryCache
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import CUSTOMER_ORDERS, CUSTOMER_SUMMARY, VIEWS


class Crash(Exception):
    """The fold's process died (the delivery fails; Event Grid delivers the event again)."""


class CrashingViews:
    """The embedded store, but a fold dies before its ``fuse``-th write (per thread)."""

    def __init__(self) -> None:
        self.inner = SqliteViewStore(":memory:")
        self._local = threading.local()

    def arm(self, fuse: int | None) -> None:
        self._local.fuse = fuse

    def _spend(self) -> None:
        fuse = getattr(self._local, "fuse", None)
        if fuse is None:
            return
        if fuse == 0:
            raise Crash
        self._local.fuse = fuse - 1

    def create(self, view: str, doc: dict[str, Any], generation: int | None = None) -> str:
        self._spend()
        return self.inner.create(view, doc, generation)

    def replace(self, view: str, doc: dict[str, Any], etag: str,
                generation: int | None = None) -> str:
        self._spend()
        return self.inner.replace(view, doc, etag, generation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def snapshot(views: CrashingViews) -> dict[str, list[dict[str, Any]]]:
    return {view: list(views.inner.scan(view)) for view in VIEWS}


def ledger_holds(views: CrashingViews) -> None:
    """Between any two writes: each summary's totals are the sums over what it holds for each
    order, ``H(o)`` (the in-flight entry, else the row), and no entry is behind its row."""
    rows = list(views.inner.scan(CUSTOMER_ORDERS))
    for summary in views.inner.scan(CUSTOMER_SUMMARY):
        mine = {r["orderId"]: fold.contribution(r) for r in rows
                if r["customerId"] == summary["customerId"]}
        for order_id, part in summary["inflight"].items():
            assert order_id not in mine or part["version"] >= mine[order_id]["version"]
        held = [*{**mine, **summary["inflight"]}.values()]
        spent: Counter[str] = Counter()
        for part in held:
            if part["status"] != "cancelled":
                spent[part["currency"]] += part["total"]
        assert summary["orderCount"] == len(held)
        assert summary["openOrders"] == sum(p["status"] in ("placed", "shipped") for p in held)
        assert summary["spent"] == {cur: total for cur, total in sorted(spent.items()) if total}
        assert summary["ordersVersion"] == sum(p["version"] for p in held)


def with_duplicates(data: st.DataObject, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    delivered = list(data.draw(st.permutations(history), label="delivery order"))
    for copy in data.draw(st.lists(st.sampled_from(history), max_size=len(history)),
                          label="duplicates"):
        delivered.insert(data.draw(st.integers(0, len(delivered)), label="where"), copy)
    return delivered


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), history=histories())
def test_folds_dying_between_writes_end_in_the_from_scratch_views(
        data: st.DataObject, history: list[dict[str, Any]]) -> None:
    expected = project(history)
    queue = with_duplicates(data, history)
    views = CrashingViews()
    projector = Projector(views, SqliteQueryCache(":memory:", 60))  # type: ignore[arg-type]
    crashes, budget = 0, 2 * len(history)
    while queue:
        message = queue.pop(0)
        fuse = data.draw(st.one_of(st.none(), st.integers(0, 4)), label="dies before write")
        views.arm(fuse if crashes < budget else None)
        try:
            projector.handle(message)
        except Crash:
            crashes += 1  # redelivered later, maybe after newer events of the same order
            queue.insert(data.draw(st.integers(0, len(queue)), label="redelivered at"), message)
        finally:
            views.arm(None)
        ledger_holds(views)
    actual = snapshot(views)
    assert actual == expected
    recounted(actual)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), seed=st.integers(0, 2**16))
def test_concurrent_folds_that_die_end_in_the_from_scratch_views(
        history: list[dict[str, Any]], seed: int) -> None:
    expected = project(history)
    rng = random.Random(seed)
    views = CrashingViews()
    projector = Projector(views, SqliteQueryCache(":memory:", 60))  # type: ignore[arg-type]

    def deliver(message: dict[str, Any], fuse: int | None) -> bool:
        views.arm(fuse)
        try:
            projector.handle(message)
            return True
        except (Crash, ProjectionConflict):
            return False
        finally:
            views.arm(None)

    pending = history * 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        for round_ in range(50):
            rng.shuffle(pending)
            fuses = [rng.choice([None, 0, 1, 2, 3, 4]) if round_ < 3 else None
                     for _ in pending]
            done = list(pool.map(deliver, pending, fuses))
            pending = [m for m, ok in zip(pending, done, strict=True) if not ok]
            if not pending:
                break
    assert not pending
    actual = snapshot(views)
    assert actual == expected
    recounted(actual)


def test_a_fold_that_died_after_counting_is_not_counted_twice() -> None:
    """Counted into the summary, then the process died before the row was written; the next
    event of the order comes before the redelivery."""
    customer, order = "c-kim", "o-1"
    placed = to_event_grid(Event.create(
        OrderPlaced(customer, "EUR", (OrderLine("A", 2, 150),), 300, address(0)),
        aggregate_id=order, version=1, occurred_at="2024-05-01T10:00:00Z", actor=customer))
    shipped = to_event_grid(Event.create(OrderShipped("DHL", "T-1"), aggregate_id=order,
                                         version=2, occurred_at="2024-05-01T11:00:00Z",
                                         actor="fred"))
    registered = to_event_grid(Event.create(
        CustomerRegistered("Kim", "enc:kim", None, 1000, "EUR"), aggregate_id=customer,
        version=1, occurred_at="2024-05-01T09:00:00Z", actor=customer))
    views = CrashingViews()
    projector = Projector(views, None)  # type: ignore[arg-type]
    projector.handle(registered)
    views.arm(2)  # the order document and the summary are written, then the process dies
    try:
        projector.handle(placed)
        raise AssertionError("the fold should have died")
    except Crash:
        views.arm(None)
    summary = views.inner.read(CUSTOMER_SUMMARY, customer, customer)
    assert summary is not None and summary.doc["inflight"] == {
        order: {"version": 1, "status": "placed", "total": 300, "currency": "EUR"}}
    assert views.inner.read(CUSTOMER_ORDERS, order, customer) is None
    ledger_holds(views)
    for message in (shipped, placed):
        projector.handle(message)
        ledger_holds(views)
    summary = views.inner.read(CUSTOMER_SUMMARY, customer, customer)
    assert summary is not None
    assert {k: summary.doc[k] for k in ("orderCount", "openOrders", "totalSpent", "inflight",
                                        "version")} == {
        "orderCount": 1, "openOrders": 1, "totalSpent": 300, "inflight": {}, "version": 3}
    assert snapshot(views) == project([registered, placed, shipped])
