"""The happy paths over HTTP: place -> ship -> deliver, cancel, change of address."""

from __future__ import annotations

from e2e_helpers import OrdersApi, address, order_body


def test_place_ship_deliver(api: OrdersApi, uid: str) -> None:
    alice, sku = f"alice-{uid}", f"SKU-{uid}"
    api.customer(alice)
    api.stock(sku, 10, price=1500)
    placed = api.run("POST", "orders", order_body((sku, 3, 1500)), alice, "customer")
    assert placed["status"] == "succeeded", placed
    order_id = placed["orderId"]
    assert placed["result"] == {"orderId": order_id, "version": 1, "status": "placed",
                                "total": 4500, "currency": "EUR"}
    assert api.inventory(sku) == {"onHand": 10, "reserved": 3}
    assert api.credit(alice)["openBalance"] == 4500
    api.host.wait(f"deadline-{order_id}", until=("Running",), timeout=10)

    shipped = api.run("POST", f"orders/{order_id}/ship",
                      {"carrier": "DHL", "trackingNumber": "T-1", "expectedVersion": 1},
                      "fred", "fulfilment")
    assert (shipped["status"], shipped["version"]) == ("succeeded", 2), shipped
    assert api.inventory(sku) == {"onHand": 7, "reserved": 0}

    delivered = api.run("POST", f"orders/{order_id}/deliver", {}, "fred", "fulfilment")
    assert (delivered["status"], delivered["version"]) == ("succeeded", 3), delivered
    assert api.credit(alice) | {"limit": None} == {
        "exists": True, "openBalance": 0, "settled": 4500, "limit": None}
    assert (api.order(order_id) or {})["status"] == "delivered"
    assert api.archived(f"orders/{order_id}") == [f"{order_id}:1", f"{order_id}:2",
                                                  f"{order_id}:3"]
    watch = api.host.wait(f"deadline-{order_id}", timeout=20)
    assert watch["runtimeStatus"] == "Completed"
    assert watch["output"]["deadline"] == "ended early"


def test_cancel_releases_stock_and_credit(api: OrdersApi, uid: str) -> None:
    bob, sku = f"bob-{uid}", f"SKU-{uid}"
    api.customer(bob)
    api.stock(sku, 4, price=250)
    placed = api.run("POST", "orders", order_body((sku, 4, 250), orderId=f"o-{uid}"),
                     bob, "customer")
    assert placed["orderId"] == f"o-{uid}" and placed["status"] == "succeeded"
    assert api.inventory(sku)["reserved"] == 4
    cancelled = api.run("POST", f"orders/o-{uid}/cancel", {"reason": "changed my mind"},
                        bob, "customer")
    assert cancelled["status"] == "succeeded", cancelled
    assert api.inventory(sku) == {"onHand": 4, "reserved": 0}
    assert api.credit(bob)["openBalance"] == 0
    state = api.order(f"o-{uid}") or {}
    assert (state["status"], state["cancellationReason"]) == ("cancelled", "changed my mind")
    again = api.run("POST", f"orders/o-{uid}/ship", {"carrier": "DHL", "trackingNumber": "x"},
                    "fred", "fulfilment")
    assert again["status"] == "failed" and again["error"]["code"] == "OrderCancelled"


def test_change_address_then_version_conflict(api: OrdersApi, uid: str) -> None:
    carol, sku = f"carol-{uid}", f"SKU-{uid}"
    api.customer(carol)
    api.stock(sku, 1)
    order_id = api.run("POST", "orders", order_body((sku, 1, 100)), carol, "customer")["orderId"]
    changed = api.run("POST", f"orders/{order_id}/address",
                      {"shippingAddress": address(street="Neue Strasse 5"),
                       "expectedVersion": 1}, carol, "customer")
    assert (changed["status"], changed["version"]) == ("succeeded", 2)
    stale = api.run("POST", f"orders/{order_id}/cancel", {"reason": "x", "expectedVersion": 1},
                    carol, "customer")
    assert stale["status"] == "failed" and stale["error"]["code"] == "VersionConflict"


def test_openapi_document_is_served(api: OrdersApi) -> None:
    response = api.host.http("GET", "api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/orders", "/api/commands/{commandId}", "/api/orders/{orderId}/cancel"} <= set(
        document["paths"])
