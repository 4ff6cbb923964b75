"""``GET /api/commands?mine``: each caller sees the commands they sent, newest first, with
their status, and nobody else's."""

from __future__ import annotations

import pytest
from read_api import ReadApi


def test_a_caller_lists_their_own_commands_newest_first(api: ReadApi, uid: str) -> None:
    me, sku = f"mia-{uid}", f"SKU-M{uid}"
    api.customer(me)
    api.stock(sku)
    placed = api.place(me, sku)
    cancelled = api.run("POST", f"orders/{placed['orderId']}/cancel", {"reason": "r"}, me)
    got = api.get("commands?mine", me)
    assert got.status_code == 200, got.text
    items = got.json()["items"]
    assert [(i["type"], i["status"]) for i in items] == [
        ("CancelOrder", "succeeded"), ("PlaceOrder", "succeeded"),
        ("RegisterCustomer", "succeeded")]
    assert items[0]["commandId"] == cancelled["commandId"]
    assert items[1]["orderId"] == placed["orderId"] and items[1]["consistencyToken"]
    assert items[0] == api.get(f"commands/{cancelled['commandId']}", me).json()
    assert api.get("commands?limit=1", me).json()["items"] == items[:1]
    assert api.get("commands?mine=true&limit=2", me).json()["items"] == items[:2]


@pytest.mark.parametrize(("who", "role"), [("other-my", "customer"), ("sue", "support"),
                                           ("ada", "admin"), ("fred", "fulfilment")])
def test_nobody_sees_anothers_commands(api: ReadApi, uid: str, who: str, role: str) -> None:
    me = f"max-{uid}"
    sent = api.run("POST", "customers", {"name": "Max", "email": "max@example.com"}, me)
    listed = api.get("commands", who, role)
    assert listed.status_code == 200, listed.text
    assert sent["commandId"] not in listed.text and me not in listed.text


def test_staff_list_their_own_commands(api: ReadApi, uid: str) -> None:
    sku = f"SKU-F{uid}"
    api.stock(sku)  # two commands sent by fred (fulfilment)
    mine = api.get("commands?limit=100", "fred", "fulfilment").json()["items"]
    assert [i["sku"] for i in mine[:2]] == [sku, sku]
    assert [i["type"] for i in mine[:2]] == ["AdjustStock", "PriceProduct"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "mine=false", "all=true",
                                   "limit=abc"])
def test_bad_parameters_are_400(api: ReadApi, query: str) -> None:
    got = api.get(f"commands?{query}", "sue", "support")
    assert got.status_code == 400 and got.json()["code"] == "ValidationFailed", got.text


def test_anonymous_is_401(api: ReadApi) -> None:
    got = api.get("commands?mine", None)
    assert got.status_code == 401 and got.headers["Content-Type"] == "application/problem+json"
