"""A rebuild while events keep arriving: a live fold that straddles the switch must not leave the
new generations' summary and rows disagreeing (their totals are deltas against each other)."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

from test_projection_properties import address, project

from contracts.customer_events import CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import OrderDelivered, OrderPlaced, OrderShipped
from contracts.payload import EventPayload
from contracts.values import OrderLine
from projections.projector import Projector
from projections.rebuild import rebuild
from readmodels.sqlite_archive import SqliteEventArchive
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import CUSTOMER_ORDERS, CUSTOMER_SUMMARY, ORDER_DETAILS, VIEWS


def message(payload: EventPayload, aggregate: str, version: int, minute: int) -> dict[str, Any]:
    return to_event_grid(Event.create(payload, aggregate_id=aggregate, version=version,
                                      occurred_at=f"2024-05-01T10:{minute:02d}:00Z",
                                      actor="tester"))


HISTORY = [
    message(CustomerRegistered("Ann", "enc:ann", None, 1000, "EUR"), "c-ann", 1, 0),
    message(OrderPlaced("c-ann", "EUR", (OrderLine("A", 1, 400),), 400, address(0)), "o-1", 1, 1),
    message(OrderShipped("DHL", "T-1"), "o-1", 2, 2),
]
RACING = message(OrderDelivered(), "o-1", 3, 3)


class PausingViews:
    """The live app's view of the store: its fold stops after writing the summary until the
    rebuild has switched."""

    def __init__(self, inner: SqliteViewStore) -> None:
        self.inner = inner
        self.counted, self.switched = threading.Event(), threading.Event()

    def replace(self, view: str, doc: dict[str, Any], etag: str,
                generation: int | None = None) -> str:
        written = self.inner.replace(view, doc, etag, generation)
        if view == CUSTOMER_SUMMARY and not self.counted.is_set():
            self.counted.set()
            assert self.switched.wait(10)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RebuildingViews:
    """The rebuild's view of the store: at the switch, a live fold is half way through."""

    def __init__(self, inner: SqliteViewStore, archive: SqliteEventArchive) -> None:
        self.inner, self.archive = inner, archive

    def switch(self, generations: dict[str, int]) -> None:
        self.archive.append([RACING])  # archived after the replay: the catch-up folds it
        live = PausingViews(self.inner)
        fold = threading.Thread(target=Projector(live, None).handle,  # type: ignore[arg-type]
                                args=(RACING,))
        fold.start()
        assert live.counted.wait(10)
        self.inner.switch(generations)
        live.switched.set()
        fold.join(10)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_live_fold_straddling_the_switch_leaves_consistent_views(tmp_path: Path) -> None:
    archive = SqliteEventArchive(tmp_path / "archive.db")
    archive.append(HISTORY)
    views = SqliteViewStore(tmp_path / "views.db")
    for event in HISTORY:
        Projector(views, None).handle(event)

    rebuild(RebuildingViews(views, archive), archive, None,  # type: ignore[arg-type]
            out=io.StringIO())

    assert views.generations()[CUSTOMER_SUMMARY] == 2
    actual = {view: list(views.scan(view)) for view in VIEWS}
    assert actual == project([*HISTORY, RACING])
    summary = views.read(CUSTOMER_SUMMARY, "c-ann", "c-ann")
    assert summary is not None and summary.doc["openOrders"] == 0


def test_rebuilding_the_summary_rebuilds_the_rows_it_counts_against(tmp_path: Path) -> None:
    archive = SqliteEventArchive(tmp_path / "archive.db")
    archive.append(HISTORY)
    views = SqliteViewStore(tmp_path / "views.db")
    report = rebuild(views, archive, None, [CUSTOMER_SUMMARY], out=io.StringIO())
    assert set(report.generations) == {CUSTOMER_ORDERS, CUSTOMER_SUMMARY}
    assert views.generations()[ORDER_DETAILS] == 1
