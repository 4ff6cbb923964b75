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
    PRODUCTS,
    DocumentExists,
    ETagMismatch,
    OrderFilter,
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


def detail(order_id: str, customer: str = "c-1", tracking: str | None = None,
           version: int = 1, placed: str = "2024-05-01T10:00:00.000Z") -> dict[str, Any]:
    return {"id": order_id, "orderId": order_id, "customerId": customer, "version": version,
            "trackingNumber": tracking, "sortKey": f"{placed}|{order_id}" if version else None,
            "lines": [{"sku": "A", "quantity": 1}]}


def summary(customer_id: str, name: str, last_order_key: str | None) -> dict[str, Any]:
    """A customer's summary as far as searching by name needs it: order documents do not copy
    the profile; the summary's ``searchName`` leads to the customer's orders."""
    return {"id": customer_id, "customerId": customer_id, "profile": {"name": name},
            "searchName": name.lower(), "lastOrderKey": last_order_key, "version": 1}


def test_create_then_read_returns_the_document_and_an_etag(views: ViewStore) -> None:
    order_id = fresh()
    doc = detail(order_id)
    etag = views.create(ORDER_DETAILS, doc)
    stored = views.read(ORDER_DETAILS, order_id, order_id)
    assert stored is not None
    assert stored.doc == doc  # no store-specific properties leak out
    assert stored.etag == etag


def test_reading_a_missing_document_gives_none(views: ViewStore) -> None:
    # On cosmosdb-server this holds through tools/patches/ (unpatched, it answers 500).
    assert views.read(ORDER_DETAILS, fresh(), "x") is None


def test_create_refuses_an_existing_id(views: ViewStore) -> None:
    order_id = fresh()
    views.create(ORDER_DETAILS, detail(order_id))
    with pytest.raises(DocumentExists):
        views.create(ORDER_DETAILS, detail(order_id, customer="c-2"))


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


def _searcher(views: ViewStore, limit: int = 10) -> Callable[..., list[str]]:
    def ids(**query: str) -> list[str]:
        args = {"id_prefix": "", "name_part": "", "tracking_number": "", **query}
        return [d["id"] for d in views.search_orders(limit=limit, **args)]

    return ids


def test_search_by_id_prefix_name_or_tracking_number(views: ViewStore) -> None:
    tag = uuid.uuid4().hex[:8]
    grace, other = f"c-{tag}-g", f"c-{tag}-o"
    first, second = "2024-05-02T00:00:00.000Z", "2024-05-03T00:00:00.000Z"
    views.create(CUSTOMER_SUMMARY, summary(grace, f"Grace {tag} Hopper",
                                           f"{first}|ord-{tag}-1"))
    views.create(CUSTOMER_SUMMARY, summary(other, "Someone Else", f"{second}|ord-{tag}-2"))
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-1", grace, placed=first))
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-2", other, tracking=f"TRK{tag}",
                                       placed=second))
    views.create(ORDER_DETAILS, detail(f"ord-{tag}-3", grace, version=0))  # never listed
    ids = _searcher(views)

    assert ids(id_prefix=f"ord-{tag}") == [f"ord-{tag}-2", f"ord-{tag}-1"]
    assert ids(name_part=f"grace {tag}") == [f"ord-{tag}-1"]
    assert ids(name_part=f"grace {tag}", tracking_number=f"TRK{tag}") == [
        f"ord-{tag}-2", f"ord-{tag}-1"]
    assert ids(tracking_number=f"TRK{tag}") == [f"ord-{tag}-2"]
    assert ids(tracking_number=f"trk{tag}") == []
    assert ids(name_part="' OR 1=1 --", id_prefix="") == []
    assert ids(name_part=f"nobody {tag}") == []


def test_search_by_name_follows_the_summary(views: ViewStore) -> None:
    """A renamed customer is found by the new name at once: one summary write, however many
    orders they have."""
    tag = uuid.uuid4().hex[:8]
    customer, placed = f"c-{tag}", "2024-05-02T00:00:00.000Z"
    etag = views.create(CUSTOMER_SUMMARY, summary(customer, f"Old {tag}", f"{placed}|o1-{tag}"))
    for index in range(3):
        views.create(ORDER_DETAILS, detail(f"o{index}-{tag}", customer, placed=placed))
    ids = _searcher(views)
    assert len(ids(name_part=f"old {tag}")) == 3
    views.replace(CUSTOMER_SUMMARY, summary(customer, f"New {tag}", f"{placed}|o1-{tag}"), etag)
    assert ids(name_part=f"old {tag}") == []
    assert len(ids(name_part=f"new {tag}")) == 3


def test_search_by_name_gives_the_newest_orders_of_many_customers(views: ViewStore) -> None:
    tag = uuid.uuid4().hex[:8]
    orders: list[tuple[str, str]] = []  # (placedAt, id)
    for number, days in enumerate(((1, 9), (2, 3), (4, 5), (6, 7), (8, 8))):
        customer = f"c{number}-{tag}"
        keys = []
        for index, day in enumerate(days):
            placed, order_id = f"2024-05-0{day}T1{index}:00:00.000Z", f"o{number}{index}-{tag}"
            views.create(ORDER_DETAILS, detail(order_id, customer, placed=placed))
            orders.append((placed, order_id))
            keys.append(f"{placed}|{order_id}")
        views.create(CUSTOMER_SUMMARY, summary(customer, f"Smith {tag} {number}", max(keys)))
    views.create(CUSTOMER_SUMMARY, summary(f"c-none-{tag}", f"Smith {tag} none", None))
    newest = [order_id for _, order_id in sorted(orders, reverse=True)]
    for limit in (1, 3, 4, 10):
        assert _searcher(views, limit)(name_part=f"smith {tag}") == newest[:limit]


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
    views.switch({CUSTOMER_SUMMARY: 2})
    assert views.generations()[CUSTOMER_SUMMARY] == 2
    after = views.read(CUSTOMER_SUMMARY, customer, customer)
    assert after is not None and after.doc["version"] == 7
    with pytest.raises(UnknownView):
        views.prepare(CUSTOMER_SUMMARY, 2)  # never wipe the active generation
    views.drop(CUSTOMER_SUMMARY, 1)
    assert views.generations()[ORDER_DETAILS] == 1


def test_views_switch_together(views: ViewStore) -> None:
    """A rebuild switches the rows and the summary counted against them in one step."""
    customer, order_id = fresh("c"), fresh()
    views.prepare(CUSTOMER_SUMMARY, 2)
    views.create(CUSTOMER_SUMMARY, {"id": customer, "customerId": customer, "version": 1},
                 generation=2)
    views.prepare(CUSTOMER_ORDERS, 2)
    views.create(CUSTOMER_ORDERS, row(order_id, customer, "2024-05-01T10:00:00.000Z"),
                 generation=2)
    views.switch({CUSTOMER_SUMMARY: 2, CUSTOMER_ORDERS: 2})
    active = views.generations()
    assert (active[CUSTOMER_SUMMARY], active[CUSTOMER_ORDERS], active[ORDER_DETAILS]) == (2, 2, 1)
    assert views.read(CUSTOMER_SUMMARY, customer, customer) is not None
    listed = views.customer_orders(customer, status=None, limit=5, after=None)
    assert [r["id"] for r in listed] == [order_id]


def _staff_list(views: ViewStore, where: OrderFilter, limit: int = 2) -> list[str]:
    """Every page of the staff list, followed by keyset (the last sort key sent)."""
    seen: list[str] = []
    after: str | None = None
    while True:
        page = views.list_orders(where, limit=limit, after=after)
        seen += [d["id"] for d in page]
        if len(page) < limit:
            return seen
        after = str(page[-1]["sortKey"])


def test_staff_list_filters_and_pages_newest_first(views: ViewStore) -> None:
    """Each store is fresh per test, so the list without a filter is exactly these orders."""
    specs = [  # (id, customer, day, status, sku)
        ("o-a", "c-1", 1, "placed", "A"), ("o-b", "c-2", 2, "shipped", "B"),
        ("o-c", "c-1", 3, "cancelled", "B"), ("o-d", "c-3", 4, "placed", "A"),
        ("o-e", "c-1", 5, "placed", "C")]
    for order_id, customer, day, status, sku in specs:
        doc = detail(order_id, customer, placed=f"2024-05-0{day}T10:00:00.000Z")
        views.create(ORDER_DETAILS, {**doc, "status": status,
                                     "lines": [{"sku": sku, "quantity": 1}, {"sku": "Z"}]})
    views.create(ORDER_DETAILS, detail("o-unplaced", "c-1", version=0))  # never listed
    assert _staff_list(views, OrderFilter()) == ["o-e", "o-d", "o-c", "o-b", "o-a"]
    assert _staff_list(views, OrderFilter(status="placed")) == ["o-e", "o-d", "o-a"]
    assert _staff_list(views, OrderFilter(customer_id="c-1")) == ["o-e", "o-c", "o-a"]
    assert _staff_list(views, OrderFilter(sku="B")) == ["o-c", "o-b"]
    assert _staff_list(views, OrderFilter(sku="Z"), limit=10) == ["o-e", "o-d", "o-c", "o-b",
                                                                  "o-a"]
    window = OrderFilter(placed_from="2024-05-02T10:00:00.000Z",
                         placed_to="2024-05-04T10:00:00.000Z")
    assert _staff_list(views, window) == ["o-c", "o-b"]  # from inclusive, to exclusive
    assert _staff_list(views, OrderFilter(status="placed", customer_id="c-1", sku="A")) == [
        "o-a"]
    assert _staff_list(views, OrderFilter(customer_id="' OR 1=1 --")) == []


def test_staff_list_pages_stay_exact_while_orders_arrive(views: ViewStore) -> None:
    for day in (1, 2, 3):
        views.create(ORDER_DETAILS, detail(f"o-{day}", placed=f"2024-05-0{day}T10:00:00.000Z"))
    first = views.list_orders(OrderFilter(), limit=2, after=None)
    views.create(ORDER_DETAILS, detail("o-new", placed="2024-05-09T10:00:00.000Z"))
    rest = views.list_orders(OrderFilter(), limit=2, after=str(first[-1]["sortKey"]))
    assert [d["id"] for d in first + rest] == ["o-3", "o-2", "o-1"]


def test_search_pages_after_a_sort_key(views: ViewStore) -> None:
    tag = uuid.uuid4().hex[:8]
    for day in (1, 2, 3):
        views.create(ORDER_DETAILS, detail(f"s{tag}-{day}", f"c-{tag}",
                                           placed=f"2024-05-0{day}T10:00:00.000Z"))
    views.create(CUSTOMER_SUMMARY, summary(f"c-{tag}", f"Page {tag}",
                                           f"2024-05-03T10:00:00.000Z|s{tag}-3"))
    for query in ({"id_prefix": f"s{tag}"}, {"name_part": f"page {tag}"}):
        args = {"id_prefix": "", "name_part": "", "tracking_number": "", **query}
        first = views.search_orders(limit=2, **args)
        rest = views.search_orders(limit=2, after=str(first[-1]["sortKey"]), **args)
        assert [d["id"] for d in first + rest] == [f"s{tag}-3", f"s{tag}-2", f"s{tag}-1"]


def test_products_list_by_sku_with_a_name_filter(views: ViewStore) -> None:
    for sku, name in (("B-2", "Blue Mug"), ("A-1", "Red Mug"), ("C-3", "Teapot"),
                      ("D-4", "ÄRGER Mug")):
        views.create(PRODUCTS, {"id": sku, "sku": sku, "name": name, "unitPrice": 100,
                                "currency": "EUR", "version": 1})
    views.create(PRODUCTS, {"id": "E-5", "sku": "E-5", "name": None, "unitPrice": None,
                            "version": 1})  # stock without a price: not in the catalog
    first = views.list_products(name_part=None, limit=3, after=None)
    assert [d["id"] for d in first] == ["A-1", "B-2", "C-3"]
    assert [d["id"] for d in views.list_products(name_part=None, limit=3, after="C-3")] == [
        "D-4"]
    assert [d["id"] for d in views.list_products(name_part="mug", limit=9, after=None)] == [
        "A-1", "B-2", "D-4"]
    assert [d["id"] for d in views.list_products(name_part="ärger", limit=9,
                                                  after=None)] == ["D-4"]
    assert views.list_products(name_part="' or 1=1", limit=9, after=None) == []
