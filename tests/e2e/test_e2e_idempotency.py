"""Retries with an Idempotency-Key, key reuse, and racing orders for the last units."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from e2e_helpers import OrdersApi, order_body


def test_same_key_same_body_is_one_command(api: OrdersApi, uid: str) -> None:
    fay, sku = f"fay-{uid}", f"SKU-{uid}"
    api.customer(fay)
    api.stock(sku, 10)
    body = order_body((sku, 2, 100))
    first = api.send("POST", "orders", body, fay, "customer", key=f"k-{uid}")
    assert first.status_code == 202
    assert first.headers["Location"] == f"/api/commands/{first.json()['commandId']}"
    assert first.headers["Retry-After"] == "1"
    retries = [api.send("POST", "orders", body, fay, "customer", key=f"k-{uid}")
               for _ in range(3)]
    assert {r.status_code for r in retries} == {202}
    assert {tuple(r.json().items()) for r in retries} == {tuple(first.json().items())}
    done = api.wait(first.json()["commandId"], fay, "customer")
    assert done["status"] == "succeeded"
    late = api.send("POST", "orders", body, fay, "customer", key=f"k-{uid}")
    assert late.status_code == 202 and late.json() == first.json()
    assert api.inventory(sku)["reserved"] == 2


def test_same_key_other_body_is_409(api: OrdersApi, uid: str) -> None:
    gus, sku = f"gus-{uid}", f"SKU-{uid}"
    api.customer(gus)
    api.stock(sku, 10)
    first = api.send("POST", "orders", order_body((sku, 1, 100)), gus, "customer", key=uid)
    assert first.status_code == 202
    other = api.send("POST", "orders", order_body((sku, 2, 100)), gus, "customer", key=uid)
    assert other.status_code == 409
    assert other.headers["Content-Type"].startswith("application/problem+json")
    assert other.json()["code"] == "IdempotencyKeyReused"
    api.wait(first.json()["commandId"], gus, "customer")
    assert api.inventory(sku)["reserved"] == 1
    # The same key from another caller is another command altogether.
    hal = f"hal-{uid}"
    api.customer(hal)
    theirs = api.send("POST", "orders", order_body((sku, 2, 100)), hal, "customer", key=uid)
    assert theirs.status_code == 202
    assert theirs.json()["commandId"] != first.json()["commandId"]


def test_twenty_orders_race_for_five_units(api: OrdersApi, uid: str) -> None:
    sku = f"RACE-{uid}"
    api.stock(sku, 5)
    buyers = [f"r{i}-{uid}" for i in range(20)]
    for buyer in buyers:
        api.customer(buyer)

    def order(buyer: str) -> dict[str, object]:
        return api.run("POST", "orders", order_body((sku, 1, 100)), buyer, "customer")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(order, buyers))
    outcomes = sorted(str(r["status"]) for r in results)
    assert outcomes.count("succeeded") == 5, results
    assert {r["error"]["code"] for r in results if r["status"] == "failed"} == {  # type: ignore[index]
        "InsufficientStock"}
    assert api.inventory(sku) == {"onHand": 5, "reserved": 5}
    for r in results:
        if r["status"] == "succeeded":
            api.run("POST", f"orders/{r['orderId']}/ship",
                    {"carrier": "UPS", "trackingNumber": "t"}, "fred", "fulfilment")
    assert api.inventory(sku) == {"onHand": 0, "reserved": 0}
