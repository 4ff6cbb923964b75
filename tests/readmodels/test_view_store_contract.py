"""The ``ViewStore`` contract, run against the embedded and the Cosmos DB adapter alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from readmodels.views import (
    CUSTOMER_ORDERS,
    CUSTOMER_SUMMARY,
    ORDER_DETAILS,
    DocumentExists,
    ETagMismatch,
    UnknownView,
    ViewStore,
)


def fresh(prefix: str = "o") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def row(order_id: str, customer_id: str, placed: str, status: str = "placed",
        version: int = 1) -> dict[str, Any]:
    return {"id": order_id, "orderId": order_id, "customerId": customer_id, "status": status,
            "total": 100, "currency": "EUR", "placedAt": placed, "version": version,
            "sortKey": f"{placed}|{order_id}", "updatedAt": placed}


def detail(order_id: str, name: str = "Ada Lovelace", tracking: str | None = None,
           version: int = 1, placed: str = "2024-05-01T10:00:00.000Z") -> dict[str, Any]:
    return {"id": order_id, "orderId": order_id, "customerId": "c-1", "version": version,
            "searchName": name.lower(), "trackingNumber": tracking,
            "sortKey": f"{placed}|{order_id}" if version else None,
            "customer": {"name": name}, "lines": [{"sku": "A", "quantity": 1}]}


def test_create_then_read_returns_the_document_and_an_etag(views: ViewStore) -> None:
    order_id = fresh()
    doc = detail(order_id)
    etag = views.create(ORDER_DETAILS, doc)
    stored = views.read(ORDER_DETAILS, order_id, order_id)
    assert stored is not None
    assert stored.doc == doc  # no store-specific properties leak out
    assert stored.etag == etag


def test_reading_a_missing_document_gives_none(
        views: ViewStore, emulator_gap: Callable[[str, str], None]) -> None:
    emulator_gap("cosmos", "cosmosdb-server answers 500 instead of 404 for a missing item")
    assert views.read(ORDER_DETAILS, fresh(), "x") is None


def test_create_refuses_an_existing_id(views: ViewStore) -> None:
    order_id = fresh()
    views.create(ORDER_DETAILS, detail(order_id))
    with pytest.raises(DocumentExists):
        views.create(ORDER_DETAILS, detail(order_id, name="Someone Else"))


def test_replace_needs_the_etag_it_read(views: ViewStore) -> None:
    order_id = fresh()
    first = views.create(ORDER_DETAILS, detail(order_id))
    second = views.replace(ORDER_DETAILS, detail(order_id, version=2), first)
    assert second != first
    with pytest.raises(ETagMismatch):
        views.replace(ORDER_DETAILS, detail(order_id, version=3), first)
    stored = views.read(ORDER_DETAILS, order_id, order_id)
    assert stored is not None and stored.doc["version"] == 2 and stored.etag == second


def test_two_writers_of_one_version_one_wins(views: ViewStore) -> None:
    order_id = fresh()
    etag = views.create(ORDER_DETAILS, detail(order_id))
    views.replace(ORDER_DETAILS, detail(order_id, version=2), etag)
    with pytest.raises(ETagMismatch):
        views.replace(ORDER_DETAILS, detail(order_id, version=9), etag)


def test_replacing_a_missing_document_is_a_mismatch(views: ViewStore) -> None:
    with pytest.raises(ETagMismatch):
        views.replace(ORDER_DETAILS, detail(fresh()), '"nope"')


def test_documents_are_checked_before_any_write(views: ViewStore) -> None:
    with pytest.raises(ValueError):
        views.create(ORDER_DETAILS, detail("a/b"))
    with pytest.raises(ValueError):
        views.create(ORDER_DETAILS, {**detail(fresh()), "_secret": 1})
    with pytest.raises(ValueError):
        views.create(CUSTOMER_ORDERS, {"id": fresh(), "customerId": None})
    with pytest.raises(UnknownView):
        views.create("orders; DROP TABLE x", detail(fresh()))


def test_customer_orders_are_newest_first_and_page_by_keyset(views: ViewStore) -> None:
    customer, other = fresh("c"), fresh("c")
    placed = [f"2024-05-0{day}T10:00:00.000Z" for day in range(1, 8)]
    for index, when in enumerate(placed):
        status = "cancelled" if index % 3 == 0 else "placed"
        views.create(CUSTOMER_ORDERS, row(f"o{index}-{customer}", customer, when, status))
    views.create(CUSTOMER_ORDERS, row(fresh(), other, "2024-06-01T00:00:00.000Z"))
    pages, after = [], None
    while True:
        page = views.customer_orders(customer, status=None, limit=3, after=after)
        pages.append([r["placedAt"] for r in page])
        if len(page) < 3:
            break
        after = page[-1]["sortKey"]
    assert [p for page in pages for p in page] == sorted(placed, reverse=True)
    assert [len(page) for page in pages] == [3, 3, 1]
    cancelled = views.customer_orders(customer, status="cancelled", limit=10, after=None)
    assert [r["placedAt"] for r in cancelled] == [placed[6], placed[3], placed[0]]


def test_customer_orders_bind_values_literally(views: ViewStore) -> None:
    customer = fresh("c")
    views.create(CUSTOMER_ORDERS, row(fresh(), customer, "2024-05-01T10:00:00.000Z"))
    for hostile in ("x' OR '1'='1", 'x" OR 1=1 --', "placed OR 1=1"):
        assert views.customer_orders(customer, status=hostile, limit=5, after=None) == []
        assert views.customer_orders(hostile, status=None, limit=5, after=None) == []


def test_search_by_id_prefix_name_or_tracking_number(views: ViewStore) -> None:
    tag = uuid.uuid4().hex[:8]
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-1", name=f"Grace {tag} Hopper",
                                       placed="2024-05-02T00:00:00.000Z"))
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-2", tracking=f"TRK{tag}",
                                       placed="2024-05-03T00:00:00.000Z"))
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-3", version=0))  # not placed: never listed

    def ids(**query: str) -> list[str]:
        args = {"id_prefix": "", "name_part": "", "tracking_number": "", **query}
        return [d["id"] for d in views.search_orders(limit=10, **args)]

    assert ids(id_prefix=f"ord-{tag}") == [f"ord-{tag}-2", f"ord-{tag}-1"]
    assert ids(name_part=f"grace {tag}") == [f"ord-{tag}-1"]
    assert ids(tracking_number=f"TRK{tag}") == [f"ord-{tag}-2"]
    assert ids(tracking_number=f"trk{tag}") == []
    assert ids(name_part="' OR 1=1 --", id_prefix="") == []


def test_scan_returns_every_document(views: ViewStore) -> None:
    customer = fresh("c")
    ids = {fresh() for _ in range(5)}
    for order_id in ids:
        views.create(CUSTOMER_ORDERS, row(order_id, customer, "2024-05-01T10:00:00.000Z"))
    assert {d["id"] for d in views.scan(CUSTOMER_ORDERS) if d["customerId"] == customer} == ids


def test_a_new_generation_is_filled_apart_and_switched_in(views: ViewStore) -> None:
    customer = fresh("c")
    summary = {"id": customer, "customerId": customer, "version": 1}
    views.create(CUSTOMER_SUMMARY, summary)
    assert views.generations()[CUSTOMER_SUMMARY] == 1
    views.prepare(CUSTOMER_SUMMARY, 2)
    views.create(CUSTOMER_SUMMARY, {**summary, "version": 7}, generation=2)
    before = views.read(CUSTOMER_SUMMARY, customer, customer)
    assert before is not None and before.doc["version"] == 1  # readers still see the old one
    views.switch(CUSTOMER_SUMMARY, 2)
    assert views.generations()[CUSTOMER_SUMMARY] == 2
    after = views.read(CUSTOMER_SUMMARY, customer, customer)
    assert after is not None and after.doc["version"] == 7
    with pytest.raises(UnknownView):
        views.prepare(CUSTOMER_SUMMARY, 2)  # never wipe the active generation
    views.drop(CUSTOMER_SUMMARY, 1)
    assert views.generations()[ORDER_DETAILS] == 1
