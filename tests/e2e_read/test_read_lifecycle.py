"""Place, ship, change, cancel: every query reflects each step (read-your-writes)."""

from __future__ import annotations

from read_api import ReadApi


def test_queries_follow_an_order_through_its_life(api: ReadApi, uid: str) -> None:
    ada, sku = f"ada-{uid}", f"SKU-{uid}"
    api.customer(ada, phone="+49 30 1234")
    api.stock(sku, price=1500)
    placed = api.place(ada, sku, quantity=2, price=1500)
    order_id = placed["orderId"]
    got = api.get(f"orders/{order_id}?minVersion={placed['version']}", ada)
    assert got.status_code == 200, got.text
    order = got.json()
    assert order | {"placedAt": None} == {
        "orderId": order_id, "customerId": ada, "status": "placed", "currency": "EUR",
        "lines": [{"sku": sku, "quantity": 2, "unitPrice": 1500}], "total": 3000,
        "shippingAddress": {"name": "Ada Example", "street": "Hauptstrasse 1", "city": "Berlin",
                            "postalCode": "10115", "country": "DE"},
        "customer": {"name": ada.title(), "email": f"{ada}@example.com", "phone": "+49 30 1234"},
        "carrier": None, "trackingNumber": None, "cancellationReason": None, "placedAt": None,
        "shippedAt": None, "deliveredAt": None, "cancelledAt": None, "version": 1}
    assert got.headers["x-view-version"] == "1" and got.headers["x-view-updated-at"]
    assert got.headers["ETag"].startswith('"1.')

    shipped = api.run("POST", f"orders/{order_id}/ship",
                      {"carrier": "DHL", "trackingNumber": f"TRK-{uid}"}, "fred", "fulfilment")
    after = api.get(f"orders/{order_id}?minVersion={shipped['version']}", ada).json()
    assert (after["status"], after["carrier"], after["trackingNumber"]) == (
        "shipped", "DHL", f"TRK-{uid}")
    assert after["shippedAt"] >= after["placedAt"]

    api.price(sku, 500)  # a later order pays the price of its day
    second = api.place(ada, sku, price=500)
    api.run("POST", f"orders/{second['orderId']}/cancel", {"reason": "too slow"}, ada)
    cancelled = api.get(f"orders/{second['orderId']}?minVersion=2", ada).json()
    assert (cancelled["status"], cancelled["cancellationReason"]) == ("cancelled", "too slow")

    # The list is its own view, folded after the order's details: wait for the cancel there.
    listed = api.until(f"customers/{ada}/orders", ada, "customer",
                       lambda r: [i.get("version") for i in r.json().get("items", [])]
                       == [2, shipped["version"]]).json()
    assert [i["orderId"] for i in listed["items"]] == [second["orderId"], order_id]
    assert listed["items"][0] == {"orderId": second["orderId"], "status": "cancelled",
                                  "total": 500, "currency": "EUR",
                                  "placedAt": cancelled["placedAt"], "version": 2}
    assert listed["continuation"] is None
    only = api.get(f"customers/{ada}/orders?status=shipped", ada).json()["items"]
    assert [i["orderId"] for i in only] == [order_id]
    summary = api.until(f"customers/{ada}/summary", ada, "customer",
                        lambda r: r.json().get("orderCount") == 2).json()
    assert summary == {"customerId": ada, "orderCount": 2, "openOrders": 1, "totalSpent": 3000,
                       "currency": "EUR", "lastOrderAt": cancelled["placedAt"]}


def test_pages_are_newest_first_and_continue_exactly(api: ReadApi, uid: str) -> None:
    bea, sku = f"bea-{uid}", f"SKU-{uid}"
    api.customer(bea)
    api.stock(sku)
    ids = [api.place(bea, sku)["orderId"] for _ in range(5)]
    api.until(f"customers/{bea}/summary?minVersion=1", bea, "customer",
              lambda r: r.json().get("orderCount") == 5)
    seen, token, pages = [], None, 0
    while True:
        query = f"customers/{bea}/orders?limit=2" + (f"&continuation={token}" if token else "")
        page = api.get(query, bea).json()
        seen += [i["orderId"] for i in page["items"]]
        pages += 1
        token = page["continuation"]
        if token is None:
            break
    assert (seen, pages) == (list(reversed(ids)), 3)
    first = api.get(f"customers/{bea}/orders?limit=2", bea).json()["continuation"]
    reused = api.get(f"customers/{bea}/orders?limit=2&status=placed&continuation={first}", bea)
    assert reused.status_code == 400 and reused.json()["code"] == "ValidationFailed"


def test_support_searches_by_id_prefix_name_and_tracking(api: ReadApi, uid: str) -> None:
    cyd, sku = f"cyd-{uid}", f"SKU-{uid}"
    api.customer(cyd)
    api.stock(sku)
    order_id = api.place(cyd, sku, orderId=f"srch-{uid}")["orderId"]
    api.run("POST", f"orders/{order_id}/ship", {"carrier": "UPS", "trackingNumber": f"Z{uid}"},
            "fred", "fulfilment")
    api.get(f"orders/{order_id}?minVersion=2", cyd)
    for text in (f"srch-{uid[:6]}", cyd.title().upper(), f"Z{uid}"):
        found = api.get(f"orders?search={text}", "sue", "support")
        assert found.status_code == 200, found.text
        items = found.json()["items"]
        assert [i["orderId"] for i in items] == [order_id], text
    assert items[0]["customerName"] == cyd.title() and items[0]["status"] == "shipped"
