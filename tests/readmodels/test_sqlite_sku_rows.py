"""The embedded store's SKU rows: the order list by SKU walks an index, also for a store whose
order_details were written before the rows existed (filled once when it opens)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import ORDER_DETAILS, OrderFilter


def order(order_id: str, day: int, skus: tuple[str, ...]) -> dict[str, Any]:
    placed = f"2024-05-{day:02d}T10:00:00.000Z"
    return {"id": order_id, "orderId": order_id, "customerId": "c-1", "status": "placed",
            "version": 1, "sortKey": f"{placed}|{order_id}", "placedAt": placed,
            "lines": [{"sku": sku, "quantity": 1} for sku in skus]}


def test_a_store_from_before_the_sku_rows_gets_them_when_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "views.db"
    store = SqliteViewStore(path)
    for day in range(1, 6):
        store.create(ORDER_DETAILS, order(f"o-{day}", day, ("A", "B") if day % 2 else ("A",)))
    store.close()
    with sqlite3.connect(path) as db:  # as an earlier version left it
        db.execute('DROP TABLE "order_details__g1__skus"')
    reopened = SqliteViewStore(path)
    found = reopened.list_orders(OrderFilter(sku="B"), limit=10, after=None)
    assert [d["id"] for d in found] == ["o-5", "o-3", "o-1"]
    with sqlite3.connect(path) as db:
        plan = " ".join(str(row) for row in db.execute(
            'EXPLAIN QUERY PLAN SELECT d.body FROM "order_details__g1__skus" s JOIN '
            '"order_details__g1" d ON d.pk = s.id AND d.id = s.id WHERE s.sku = ? '
            "ORDER BY s.sort_key DESC LIMIT 20", ("B",)).fetchall())
    assert "TEMP B-TREE" not in plan  # walks the index in order, no sort of all matches


def test_a_replaced_order_keeps_its_sku_rows(tmp_path: Path) -> None:
    store = SqliteViewStore(tmp_path / "views.db")
    unplaced = {**order("o-1", 1, ("A",)), "sortKey": None, "version": 0}
    etag = store.create(ORDER_DETAILS, unplaced)
    assert store.list_orders(OrderFilter(sku="A"), limit=5, after=None) == []
    store.replace(ORDER_DETAILS, order("o-1", 1, ("A",)), etag)
    assert [d["id"] for d in store.list_orders(OrderFilter(sku="A"), limit=5, after=None)] == [
        "o-1"]
