"""Read-your-writes everywhere: a succeeded command's status carries a ``consistencyToken``,
and every query given it answers with that write in it on the first request, or 409."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from read_api import ReadApi, order_body

from api.consistency import issue
from security.keys import LocalKeyProvider


def command(api: ReadApi, method: str, path: str, body: Any, sub: str,
            role: str = "customer") -> dict[str, Any]:
    """Send a command and wait for its outcome with one long poll (no view is looked at)."""
    sent = api.host.http(method, f"api/{path}", json=body, headers=api.headers(sub, role))
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = api.host.http("GET", f"api/commands/{sent.json()['commandId']}",
                               headers=api.headers(sub, role, Prefer="wait=10")).json()
        if status["status"] in ("succeeded", "failed"):
            assert status["status"] == "succeeded", status
            return dict(status)
    raise AssertionError("the command did not finish")


def after(api: ReadApi, path: str, sub: str, role: str = "customer",
          **headers: str) -> Any:
    """A query with a token: it may answer 409 StaleView (then the client asks again, as
    Retry-After says), but a 200 must already hold the write."""
    deadline = time.monotonic() + 20
    got = api.get(path, sub, role, **headers)
    while got.status_code == 409 and time.monotonic() < deadline:
        assert got.json()["code"] == "StaleView" and got.headers["Retry-After"] == "1"
        got = api.get(path, sub, role, **headers)
    assert got.status_code == 200, (path, got.text)
    return got.json()


def test_every_query_shows_the_write_its_token_names(api: ReadApi, uid: str) -> None:
    customer, sku = f"rita-{uid}", f"SKU-R{uid}"
    registered = command(api, "POST", "customers",
                         {"name": "Rita", "email": "rita@example.com"}, customer)
    token = registered["consistencyToken"]
    assert after(api, f"customers/{customer}/summary?after={token}", customer)[
        "orderCount"] == 0
    command(api, "PUT", f"products/{sku}", {"name": f"Rtok {uid}", "unitPrice": 1000,
                                            "currency": "EUR"}, "fred", "fulfilment")
    stocked = command(api, "POST", f"products/{sku}/stock", {"delta": 5}, "fred", "fulfilment")
    product = after(api, f"products/{sku}?after={stocked['consistencyToken']}", customer)
    assert product["available"] == 5
    listed = after(api, f"products?q=rtok%20{uid}&after={stocked['consistencyToken']}", "fred",
                   "fulfilment")["items"]
    assert [(p["sku"], p["onHand"]) for p in listed] == [(sku, 5)]

    placed = command(api, "POST", "orders", order_body(sku, quantity=2), customer)
    order_id, token = placed["orderId"], placed["consistencyToken"]
    answers = {
        f"orders/{order_id}": lambda b: b["version"] == 1,
        f"orders/{order_id}/events": lambda b: len(b["items"]) == 1,
        f"customers/{customer}/orders": lambda b: [i["orderId"] for i in b["items"]] == [
            order_id],
        f"customers/{customer}/summary": lambda b: b["orderCount"] == 1,
        f"orders?customerId={customer}": lambda b: [i["orderId"] for i in b["items"]] == [
            order_id],
    }
    for path, check in answers.items():
        joined = "&" if "?" in path else "?"
        body = after(api, f"{path}{joined}after={token}", customer)
        assert check(body), (path, body)
    staff = after(api, f"orders?search={order_id}&after={token}", "sue", "support")
    assert [i["orderId"] for i in staff["items"]] == [order_id]

    cancelled = command(api, "POST", f"orders/{order_id}/cancel", {"reason": "r"}, customer)
    header = {"Consistency-Token": cancelled["consistencyToken"]}
    got = after(api, f"customers/{customer}/summary", customer, **header)
    assert got["openOrders"] == 0  # through the cache it would often still say 1
    assert after(api, f"orders/{order_id}", customer, **header)["status"] == "cancelled"


def test_a_token_the_views_never_reach_is_409(api: ReadApi, read_env: dict[str, str],
                                              uid: str) -> None:
    ahead = issue({"orderId": f"never-{uid}"}, 3, LocalKeyProvider(
        Path(read_env["FIELD_KEYS_DIR"])))
    got = api.get(f"customers/x-{uid}/summary?after={ahead}", f"x-{uid}")
    assert got.status_code == 409 and got.json()["code"] == "StaleView"
    assert got.headers["Retry-After"] == "1"


@pytest.mark.parametrize("token", ["garbage", "a.b", "eyJ4IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA",
                                   "x" * 300])
def test_a_token_we_did_not_sign_is_400(api: ReadApi, uid: str, token: str) -> None:
    for path in ("orders/o-1", f"customers/t-{uid}/summary", "products",
                 f"orders?customerId=t-{uid}"):
        got = api.get(f"{path}{'&' if '?' in path else '?'}after={token}", f"t-{uid}")
        assert got.status_code == 400, (path, got.text)
        assert got.json()["code"] == "ValidationFailed" and token not in got.text
    header = api.get("products", f"t-{uid}", **{"Consistency-Token": token})
    assert header.status_code == 400


def test_an_anonymous_caller_is_401_before_any_token(api: ReadApi) -> None:
    assert api.get("products?after=garbage", None).status_code == 401
