"""A customer changes their name, email or phone (``POST /api/customers/{id}/profile``): sealed
at the edge like registration, an event, and the views answer the new profile once folded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import OrdersApi, order_body, until


@pytest.fixture
def joe(api: OrdersApi, uid: str) -> tuple[str, str]:
    """A customer with one order, whose answer shows his profile."""
    joe, sku = f"joe-{uid}", f"SKU-{uid}"
    done = api.run("POST", "customers", {"name": f"Joe {uid}", "email": f"joe.{uid}@old.example",
                                         "phone": "+49 30 111"}, joe, "customer")
    assert done["status"] == "succeeded"
    api.stock(sku, 2)
    placed = api.run("POST", "orders", order_body((sku, 1, 100)), joe, "customer")
    assert placed["status"] == "succeeded"
    return joe, placed["orderId"]


def shown_customer(api: OrdersApi, order_id: str, sub: str, *roles: str) -> dict[str, Any]:
    response = api.get(f"orders/{order_id}", sub, *roles)
    return dict(response.json().get("customer") or {}) if response.status_code == 200 else {}


def test_the_owner_changes_email_and_phone_and_queries_show_them(
        api: OrdersApi, uid: str, joe: tuple[str, str]) -> None:
    customer_id, order_id = joe
    email, phone = f"joe.{uid}@new.example", f"+49 40 {int(uid, 16) % 10**6}"
    done = api.run("POST", f"customers/{customer_id}/profile", {"email": email, "phone": phone},
                   customer_id, "customer")
    assert (done["status"], done["type"], done["customerId"]) == \
        ("succeeded", "ChangeProfile", customer_id)
    shown = until(lambda: shown_customer(api, order_id, customer_id, "customer"),
                  lambda c: c.get("email") == email)
    assert shown == {"name": f"Joe {uid}", "email": email, "phone": phone}
    assert shown_customer(api, order_id, "sam", "support")["phone"] == phone
    assert "Orders.CustomerProfileChanged" in [
        str(e["eventType"]) for e in api.stores.archive.stream(f"customers/{customer_id}")]
    # Encrypted before anything stored it: in the archive, views, cache and devhost's store.
    api.host.wait_idle(kinds=("activity", "entity", "eventgrid"))
    stored = api.stores.at_rest("archive", "views", "cache") + b"".join(
        p.read_bytes() for p in sorted(api.host.host.data_dir.rglob("*")) if p.is_file())
    assert email.encode() not in stored and phone.encode() not in stored


def test_support_renames_and_search_finds_the_new_name(api: OrdersApi, uid: str,
                                                       joe: tuple[str, str]) -> None:
    customer_id, order_id = joe
    done = api.run("POST", f"customers/{customer_id}/profile", {"name": f"Josef {uid}"},
                   "sam", "support")
    assert done["status"] == "succeeded"
    shown = until(lambda: shown_customer(api, order_id, customer_id, "customer"),
                  lambda c: c.get("name") == f"Josef {uid}")
    assert shown["email"] == f"joe.{uid}@old.example"  # left out: unchanged
    found = api.get(f"orders?search=Josef {uid}", "sam", "support").json()["items"]
    assert [item["orderId"] for item in found] == [order_id]
    assert api.get(f"orders?search=Joe {uid}", "sam", "support").json()["items"] == []
    # Sealed at the edge like email and phone: only the summary's search name is plain.
    api.host.wait_idle(kinds=("activity", "entity", "eventgrid"))
    stored = api.stores.at_rest("archive", "cache") + b"".join(
        p.read_bytes() for p in sorted(api.host.host.data_dir.rglob("*")) if p.is_file())
    assert f"Josef {uid}".encode() not in stored
    assert f"josef {uid}".encode() not in stored


def test_who_may_change_a_profile(api: OrdersApi, uid: str, joe: tuple[str, str]) -> None:
    customer_id, _ = joe
    path = f"customers/{customer_id}/profile"
    other = api.send("POST", path, {"name": "Not Joe"}, f"kim-{uid}", "customer")
    assert (other.status_code, other.json()["code"]) == (404, "NotFound")
    fulfilment = api.send("POST", path, {"name": "Not Joe"}, "fred", "fulfilment")
    assert (fulfilment.status_code, fulfilment.json()["code"]) == (403, "Forbidden")
    anonymous = api.send("POST", path, {"name": "Not Joe"}, None)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "Unauthenticated")
    assert api.run("POST", path, {"name": f"Joe A {uid}"}, "ada", "admin")["status"] == \
        "succeeded"
    assert api.run("POST", path, {"name": f"Joe S {uid}"}, "sam", "support")["status"] == \
        "succeeded"
    never = api.run("POST", f"customers/nobody-{uid}/profile", {"name": "X"},
                    f"nobody-{uid}", "customer")
    assert (never["status"], never["error"]["code"]) == ("failed", "CustomerNotFound")


def test_expected_version_guards_a_concurrent_change(api: OrdersApi, uid: str,
                                                    joe: tuple[str, str]) -> None:
    customer_id, _ = joe
    stale = api.run("POST", f"customers/{customer_id}/profile",
                    {"name": "Late Joe", "expectedVersion": 0}, customer_id, "customer")
    assert (stale["status"], stale["error"]["code"]) == ("failed", "VersionConflict")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"),
    ({"expectedVersion": 3}, "body"),
    ({"email": "no-at-sign"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"name": "x" * 201}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "Joe", "creditLimit": 10**9}, "creditLimit"),
    ({"email": ["joe@example.com"]}, "email"),
])
def test_bad_profiles_are_400_naming_the_field(api: OrdersApi, uid: str, body: dict[str, Any],
                                               field: str) -> None:
    me = f"joe-{uid}"
    response = api.send("POST", f"customers/{me}/profile", body, me, "customer")
    problem = response.json()
    assert (response.status_code, problem["code"]) == (400, "ValidationFailed")
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert field in [error["field"] for error in problem["errors"]]
    assert "no-at-sign" not in json.dumps(problem)  # values are never echoed


def test_a_malformed_customer_id_is_400(api: OrdersApi) -> None:
    response = api.send("POST", "customers/bad%20id/profile", {"name": "X"}, "bad id",
                        "customer")
    assert (response.status_code, response.json()["code"]) == (400, "ValidationFailed")
