"""Who may send which command and read which status: 403 for a role, 404 for others' things."""

from __future__ import annotations

import pytest
from e2e_helpers import OrdersApi, order_body


@pytest.fixture
def kim_order(api: OrdersApi, uid: str) -> tuple[str, str]:
    kim, sku = f"kim-{uid}", f"SKU-{uid}"
    api.customer(kim)
    api.stock(sku, 2)
    response = api.send("POST", "orders", order_body((sku, 1, 100)), kim, "customer")
    done = api.wait(response.json()["commandId"], kim, "customer")
    assert done["status"] == "succeeded"
    return done["orderId"], response.json()["commandId"]


def test_others_orders_are_not_found(api: OrdersApi, uid: str,
                                     kim_order: tuple[str, str]) -> None:
    order_id, command_id = kim_order
    lee = f"lee-{uid}"
    cancel = api.send("POST", f"orders/{order_id}/cancel", {"reason": "mine now"},
                      lee, "customer")
    assert (cancel.status_code, cancel.json()["code"]) == (404, "NotFound")
    assert api.status(command_id, lee, "customer").status_code == 404
    assert api.status(command_id, "sam", "support").status_code == 200
    missing = api.send("POST", "orders/no-such-order/cancel", {"reason": "x"}, lee, "customer")
    assert missing.status_code == 404
    assert (api.order(order_id) or {})["status"] == "placed"


def test_roles_that_may_never_do_it_are_forbidden(api: OrdersApi, uid: str,
                                                  kim_order: tuple[str, str]) -> None:
    order_id, _ = kim_order
    kim = f"kim-{uid}"
    ship = api.send("POST", f"orders/{order_id}/ship", {"carrier": "DHL", "trackingNumber": "1"},
                    kim, "customer")
    assert (ship.status_code, ship.json()["code"]) == (403, "Forbidden")
    limit = api.send("PUT", f"customers/{kim}/credit-limit", {"amount": 10**9, "currency": "EUR"},
                     kim, "customer")
    assert limit.status_code == 403
    stock = api.send("POST", f"products/SKU-{uid}/stock", {"delta": 100}, kim, "customer")
    assert stock.status_code == 403
    other = api.send("POST", "orders", order_body((f"SKU-{uid}", 1, 100), customerId="zed"),
                     kim, "customer")
    assert other.status_code == 404
    assert api.inventory(f"SKU-{uid}") == {"onHand": 2, "reserved": 1}


def test_support_cancels_any_order(api: OrdersApi, kim_order: tuple[str, str]) -> None:
    order_id, _ = kim_order
    done = api.run("POST", f"orders/{order_id}/cancel", {"reason": "fraud check"},
                   "sam", "support")
    assert done["status"] == "succeeded"


def test_unknown_command_is_not_found(api: OrdersApi, uid: str) -> None:
    assert api.status("cmd-" + "0" * 32, f"kim-{uid}", "customer").status_code == 404
    assert api.status("not-a-command", f"kim-{uid}", "customer").status_code == 404
