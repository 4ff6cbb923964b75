"""Each way placing an order can fail, and that everything reserved before it is given back."""

from __future__ import annotations

from e2e_helpers import OrdersApi, order_body


def test_insufficient_stock_releases_other_lines_and_credit(api: OrdersApi, uid: str) -> None:
    dana, plenty, short = f"dana-{uid}", f"PLENTY-{uid}", f"SHORT-{uid}"
    api.customer(dana)
    api.stock(plenty, 10)
    api.stock(short, 1)
    failed = api.run("POST", "orders", order_body((plenty, 2, 100), (short, 2, 100)),
                     dana, "customer")
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "InsufficientStock" and failed["error"]["message"]
    assert api.inventory(plenty) == {"onHand": 10, "reserved": 0}
    assert api.inventory(short) == {"onHand": 1, "reserved": 0}
    assert api.credit(dana)["openBalance"] == 0
    assert api.order(failed["orderId"]) is None


def test_credit_limit_exceeded_leaves_stock_alone(api: OrdersApi, uid: str) -> None:
    erin, sku = f"erin-{uid}", f"SKU-{uid}"
    api.customer(erin, limit=1000)
    api.stock(sku, 5, price=600)
    failed = api.run("POST", "orders", order_body((sku, 2, 600)), erin, "customer")
    assert failed["status"] == "failed" and failed["error"]["code"] == "CreditLimitExceeded"
    assert api.inventory(sku) == {"onHand": 5, "reserved": 0}
    assert api.credit(erin)["openBalance"] == 0


def test_unknown_customer(api: OrdersApi, uid: str) -> None:
    sku = f"SKU-{uid}"
    api.stock(sku, 5)
    body = order_body((sku, 1, 100), customerId=f"ghost-{uid}")
    failed = api.run("POST", "orders", body, "sam", "support")
    assert failed["status"] == "failed" and failed["error"]["code"] == "CustomerNotFound"
    assert api.inventory(sku) == {"onHand": 5, "reserved": 0}
    assert api.credit(f"ghost-{uid}")["exists"] is False
