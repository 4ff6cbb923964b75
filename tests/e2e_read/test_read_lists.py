"""The staff order list (``GET /api/orders``), search paging, and the catalog
(``GET /api/products``): filters, keyset pages that stay exact while orders arrive, who sees
what, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from read_api import ReadApi

SKU = "SKU-LIST"


@pytest.fixture(scope="module")
def shop(api: ReadApi) -> dict[str, Any]:
    api.customer("lena-list")
    api.customer("otto-list")
    api.stock(SKU)
    api.stock("SKU-LIST-2")
    placed = [api.place("lena-list", SKU)["orderId"], api.place("otto-list", SKU)["orderId"],
              api.place("lena-list", "SKU-LIST-2")["orderId"]]
    api.run("POST", f"orders/{placed[0]}/cancel", {"reason": "no"}, "lena-list")
    listed = api.until("orders?customerId=lena-list&minVersion=2", "sue", "support",
                       lambda r: r.status_code == 200 and len(r.json()["items"]) == 2)
    api.until(f"orders?sku={SKU}", "sue", "support",
              lambda r: r.status_code == 200 and len(r.json()["items"]) == 2)
    return {"orders": placed, "lena": listed.json()["items"]}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["orderId"] for item in response.json()["items"]]


@pytest.mark.parametrize(("who", "role", "expected"), [
    ("lena-list", "customer", [0]), ("otto-list", "customer", [1]),
    ("sue", "support", [1, 0]), ("ada", "admin", [1, 0]), ("fred", "fulfilment", 403),
    (None, "customer", 401)], ids=["owner", "other-customer", "support", "admin",
                                   "fulfilment", "anonymous"])
def test_staff_see_every_order_and_a_customer_only_their_own(
        api: ReadApi, shop: dict[str, Any], who: str | None, role: str,
        expected: list[int] | int) -> None:
    got = api.get(f"orders?sku={SKU}", who, role)
    if isinstance(expected, int):
        assert got.status_code == expected and got.json()["code"] in ("Forbidden",
                                                                       "Unauthenticated")
        assert "lena-list" not in got.text
        return
    assert ids(got) == [shop["orders"][index] for index in expected]


def test_a_customer_cannot_list_someone_elses_orders(api: ReadApi,
                                                     shop: dict[str, Any]) -> None:
    theirs = api.get("orders?customerId=otto-list", "lena-list")
    nobody = api.get("orders?customerId=no-such-customer", "lena-list")
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json() == nobody.json()
    assert ids(api.get("orders?customerId=lena-list", "lena-list")) == [
        shop["orders"][2], shop["orders"][0]]


def test_filters_combine(api: ReadApi, shop: dict[str, Any]) -> None:
    first, second, third = shop["orders"]
    assert ids(api.get("orders?customerId=lena-list&status=cancelled", "sue", "support")) == [
        first]
    assert ids(api.get(f"orders?sku={SKU}&status=placed", "ada", "admin")) == [second]
    items = shop["lena"]
    newest = items[0]["placedAt"]
    window = f"placedFrom={newest.replace('+', '%2B')}&customerId=lena-list"
    assert ids(api.get(f"orders?{window}", "sue", "support")) == [third]
    assert ids(api.get(f"orders?placedTo={newest}&customerId=lena-list", "sue",
                       "support")) == [first]
    assert items[0]["customerName"] == "Lena-List" and items[0]["orderId"] == third


def test_pages_stay_exact_while_orders_arrive(api: ReadApi, uid: str) -> None:
    customer, sku = f"page-{uid}", f"SKU-P{uid}"
    api.customer(customer)
    api.stock(sku)
    placed = [api.place(customer, sku)["orderId"] for _ in range(4)]
    path = f"orders?sku={sku}&limit=3"
    api.until(f"orders?sku={sku}", "sue", "support", lambda r: len(r.json()["items"]) == 4)
    first = api.get(path, "sue", "support").json()
    late = api.place(customer, sku)["orderId"]  # newer than everything: page one's business
    rest = api.get(f"{path}&continuation={first['continuation']}", "sue", "support").json()
    assert [i["orderId"] for i in first["items"] + rest["items"]] == placed[::-1]
    assert rest["continuation"] is None
    assert ids(api.until(f"orders?sku={sku}&limit=1", "sue", "support",
                         lambda r: r.json()["items"][0]["orderId"] == late)) == [late]
    other = api.get(f"orders?sku=SKU-LIST&limit=3&continuation={first['continuation']}",
                    "sue", "support")
    assert other.status_code == 400 and other.json()["code"] == "ValidationFailed"


def test_search_pages_too(api: ReadApi, shop: dict[str, Any]) -> None:
    first = api.get("orders?search=lena-list&limit=1", "sue", "support").json()
    assert len(first["items"]) == 1 and first["continuation"]
    seen, token = [first["items"][0]["orderId"]], first["continuation"]
    while token:
        page = api.get(f"orders?search=lena-list&limit=1&continuation={token}", "sue",
                       "support").json()
        seen += [i["orderId"] for i in page["items"]]
        token = page["continuation"]
    assert seen == [shop["orders"][2], shop["orders"][0]]
    assert api.get("orders?search=lena-list", "lena-list").status_code == 403


def test_the_catalog_lists_products_by_sku(api: ReadApi, uid: str) -> None:
    skus = [f"PLIST-{uid}-{n}" for n in (3, 1, 2)]
    for sku in skus:
        api.stock(sku, delta=7)
    path = f"products?q=plist-{uid}&limit=2"
    first = api.until(path, "lena-list", "customer",
                      lambda r: r.status_code == 200 and len(r.json()["items"]) == 2).json()
    rest = api.get(f"{path}&continuation={first['continuation']}", "lena-list").json()
    items = first["items"] + rest["items"]
    assert [i["sku"] for i in items] == sorted(skus) and rest["continuation"] is None
    assert items[0] == {"sku": sorted(skus)[0], "name": sorted(skus)[0], "unitPrice": 1000,
                        "currency": "EUR", "available": 7}
    for who, role in (("fred", "fulfilment"), ("sue", "support"), ("ada", "admin")):
        staff = api.get(f"products?q=plist-{uid}&limit=1", who, role).json()["items"][0]
        assert (staff["onHand"], staff["reserved"], staff["available"]) == (7, 0, 7)
        one = api.get(f"products/{sorted(skus)[0]}", who, role).json()
        assert (one["onHand"], one["reserved"], one["available"]) == (7, 0, 7)
    one = api.get(f"products/{sorted(skus)[0]}", "lena-list").json()
    assert one["available"] == 7 and "onHand" not in one and "reserved" not in one
    assert api.get(f"products?q=plist-{uid}", None).status_code == 401
    assert api.get("products?q=no-such-product-name", "lena-list").json()["items"] == []


@pytest.mark.parametrize("path", [
    "orders?status=open", "orders?customerId=bad%21id", "orders?sku=a/b",
    "orders?placedFrom=yesterday", "orders?placedTo=2026-02-30T00:00:00Z", "orders?limit=0",
    "orders?continuation=bm9wZQ", "orders?offset=5", "orders?search=ok&continuation=x%21",
    "products?limit=101", "products?q=%27%20OR%201%3D1", "products?continuation=abc",
    "products?sort=name"])
def test_bad_list_parameters_are_400(api: ReadApi, path: str) -> None:
    got = api.get(path, "sue", "support")
    assert got.status_code == 400, got.text
    assert got.headers["Content-Type"] == "application/problem+json"
    assert got.json()["code"] == "ValidationFailed"
