"""The catalog: staff set prices, orders take them, a client's price is only ever a check."""

from __future__ import annotations

import time
from typing import Any

import requests
from e2e_helpers import OrdersApi, order_body


def _product(api: OrdersApi, sku: str, sub: str, *roles: str,
             until: Any = None) -> requests.Response:
    """GET the product; with ``until``, poll until ``until(body)`` holds (10 s deadline): the
    view follows the events."""
    path = f"api/products/{sku}"
    headers = api.headers(sub, *roles)
    response = api.host.http("GET", path, headers=headers)
    deadline = time.monotonic() + 10
    while until is not None and not (response.status_code == 200 and until(response.json())):
        assert time.monotonic() < deadline, f"{path}: {response.status_code} {response.text}"
        time.sleep(0.05)
        response = api.host.http("GET", path, headers=headers)
    return response


def test_a_forged_price_fails_and_reserves_nothing(api: OrdersApi, uid: str) -> None:
    mia, sku = f"mia-{uid}", f"BOOK-{uid}"
    api.customer(mia)
    api.stock(sku, 5, price=1999)
    body = order_body((sku, 2, 1))
    failed = api.run("POST", "orders", body, mia, "customer")
    assert (failed["status"], failed["error"]["code"]) == ("failed", "PriceChanged")
    assert failed["error"]["details"] == {"sku": sku, "unitPrice": 1999, "currency": "EUR"}
    assert api.inventory(sku) == {"onHand": 5, "reserved": 0}
    assert api.credit(mia)["openBalance"] == 0
    assert api.order(failed["orderId"]) is None


def test_an_order_without_prices_pays_the_catalog_price(api: OrdersApi, uid: str) -> None:
    mia, sku = f"mia-{uid}", f"BOOK-{uid}"
    api.customer(mia)
    api.stock(sku, 5, price=1999)
    body = order_body((sku, 2, 0))
    body["lines"] = [{"sku": sku, "quantity": 2}]
    placed = api.run("POST", "orders", body, mia, "customer")
    assert placed["status"] == "succeeded", placed
    assert (placed["result"]["total"], placed["result"]["currency"]) == (3998, "EUR")
    order = api.order(placed["orderId"]) or {}
    assert order["lines"] == [{"sku": sku, "quantity": 2, "unitPrice": 1999}]
    assert api.credit(mia)["openBalance"] == 3998

    api.price(sku, 2500)  # a later order pays the new price; the first keeps its own
    again = api.run("POST", "orders", body, mia, "customer")
    assert again["result"]["total"] == 5000
    assert (api.order(placed["orderId"]) or {})["total"] == 3998


def test_a_sku_without_a_price_cannot_be_ordered(api: OrdersApi, uid: str) -> None:
    mia, sku = f"mia-{uid}", f"LOOSE-{uid}"
    api.customer(mia)
    api.stock(sku, 5, price=None)
    failed = api.run("POST", "orders", order_body((sku, 1, 100)), mia, "customer")
    assert failed["error"]["code"] == "ProductNotFound"
    assert api.inventory(sku) == {"onHand": 5, "reserved": 0}
    assert _product(api, sku, mia, "customer").status_code == 404


def test_only_fulfilment_and_admin_set_prices(api: OrdersApi, uid: str) -> None:
    sku = f"BOOK-{uid}"
    body = {"name": "A book", "unitPrice": 1, "currency": "EUR"}
    for sub, role in ((f"mia-{uid}", "customer"), ("sam", "support")):
        refused = api.send("PUT", f"products/{sku}", body, sub, role)
        assert (refused.status_code, refused.json()["code"]) == (403, "Forbidden")
    bad = api.send("PUT", f"products/{sku}", {**body, "unitPrice": 0}, "fred", "fulfilment")
    assert (bad.status_code, bad.json()["code"]) == (400, "ValidationFailed")
    done = api.run("PUT", f"products/{sku}", body, "ada", "admin")
    assert (done["status"], done["sku"]) == ("succeeded", sku)


def test_anyone_signed_in_reads_a_product_and_staff_see_the_counts(api: OrdersApi,
                                                                   uid: str) -> None:
    mia, sku = f"mia-{uid}", f"BOOK-{uid}"
    api.customer(mia)
    api.stock(sku, 5, price=1999)
    api.run("POST", "orders", order_body((sku, 2, 1999)), mia, "customer")
    seen = _product(api, sku, mia, "customer", until=lambda b: b["available"] == 3).json()
    assert seen == {"sku": sku, "name": f"Product {sku}", "unitPrice": 1999, "currency": "EUR",
                    "available": 3}
    staff = _product(api, sku, "sam", "support", until=lambda b: b["available"] == 3).json()
    assert (staff["onHand"], staff["reserved"]) == (5, 2)
    anonymous = api.host.http("GET", f"api/products/{sku}")
    assert anonymous.status_code == 401
    assert _product(api, f"NONE-{uid}", mia, "customer").status_code == 404
