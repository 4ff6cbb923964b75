"""BOLA matrix: every query route x every kind of caller; another customer's things are 404."""

from __future__ import annotations

from typing import Any

import pytest
from read_api import ReadApi


@pytest.fixture(scope="module")
def scene(api: ReadApi) -> dict[str, Any]:
    owner, sku = "olga-bola", "SKU-BOLA"
    api.customer(owner)
    api.customer("mallory-bola")
    api.stock(sku)
    order_id = api.place(owner, sku)["orderId"]
    api.until(f"orders/{order_id}?minVersion=1", owner, "customer",
              lambda r: r.status_code == 200)
    api.until(f"customers/{owner}/summary", owner, "customer",
              lambda r: r.status_code == 200 and r.json()["orderCount"] == 1)
    return {"owner": owner, "order": order_id}


CALLERS = [  # (who, role, expected status for owned routes, for search)
    ("olga-bola", "customer", 200, 403),
    ("mallory-bola", "customer", 404, 403),
    ("sue", "support", 200, 200),
    ("ada", "admin", 200, 200),
    ("fred", "fulfilment", 403, 403),
    (None, "customer", 401, 401),
]


@pytest.mark.parametrize(("who", "role", "owned", "search"), CALLERS,
                         ids=["owner", "other-customer", "support", "admin", "fulfilment",
                              "anonymous"])
def test_every_query_route_checks_the_caller(api: ReadApi, scene: dict[str, Any],
                                             who: str | None, role: str, owned: int,
                                             search: int) -> None:
    routes = {
        f"orders/{scene['order']}": owned,
        f"customers/{scene['owner']}/orders": owned,
        f"customers/{scene['owner']}/summary": owned,
        "orders?search=olga": search,
    }
    for path, expected in routes.items():
        response = api.get(path, who, role)
        assert response.status_code == expected, (path, response.text)
        if expected != 200:
            assert response.headers["Content-Type"] == "application/problem+json"
            assert scene["owner"] not in response.text and "Hauptstrasse" not in response.text


def test_a_missing_order_and_someone_elses_look_the_same(api: ReadApi,
                                                         scene: dict[str, Any]) -> None:
    theirs = api.get(f"orders/{scene['order']}", "mallory-bola")
    missing = api.get("orders/no-such-order", "mallory-bola")
    stale = api.get(f"orders/{scene['order']}?minVersion=99", "mallory-bola")
    assert theirs.status_code == missing.status_code == stale.status_code == 404
    assert theirs.json() == missing.json() == stale.json()


def test_staff_see_sensitive_fields_in_plaintext(api: ReadApi, scene: dict[str, Any]) -> None:
    for who, role in (("olga-bola", "customer"), ("sue", "support"), ("ada", "admin")):
        order = api.get(f"orders/{scene['order']}", who, role).json()
        assert order["shippingAddress"]["street"] == "Hauptstrasse 1"
        assert order["customer"]["email"] == "olga-bola@example.com"
