"""Erasing a customer (``POST /api/customers/{id}/erase``) by crypto-shredding: their field key
is destroyed, every view, query and the monitor show their fields masked from then on, a rebuild
from the archive too, while their orders, totals and the archive stay as they were."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import OrdersApi, address, order_body, until

from security.crypto import FieldCipher, field_aad, is_envelope
from security.keys import KeyNotFound, LocalKeyProvider, customer_key_name

MASK = "***"
ROOT = Path(__file__).resolve().parents[2]




def store_bytes(api: OrdersApi, *, views: bool = True) -> bytes:
    """Every byte every store holds: devhost's store files (orchestration history, entity
    state, Event Grid deliveries), the key folder, and the archive, views and cache (SQLite
    files with their WAL, or every Cosmos DB document and Table entity)."""
    chunks = [api.stores.at_rest("archive", "cache", *(("views",) if views else ()))]
    for folder in (api.host.host.data_dir, api.keys_dir):
        chunks += [path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()]
    return b"".join(chunks)


@pytest.fixture
def eve(api: OrdersApi, uid: str) -> dict[str, Any]:
    """A customer with a phone, two orders (one cancelled) and every query answered once, so
    the cache holds her profile and orders before the erasure."""
    eve, sku = f"eve-{uid}", f"SKU-{uid}"
    secrets = {"fullName": f"Evelyn Privat {uid}",
               "email": f"eve.{uid}@private.example", "phone": f"+49 30 {int(uid, 16) % 10**7}",
               "name": f"Eve Adresse {uid}", "street": f"Geheimweg {uid}",
               "city": f"Ort{uid}", "postalCode": f"P{uid[:8]}"}
    done = api.run("POST", "customers", {"name": secrets["fullName"], "email": secrets["email"],
                                         "phone": secrets["phone"]}, eve, "customer")
    assert done["status"] == "succeeded", done
    api.stock(sku, 5)
    body = order_body((sku, 2, 100))
    body["shippingAddress"] = {**address(secrets["name"], secrets["street"]),
                               "city": secrets["city"], "postalCode": secrets["postalCode"]}
    kept = api.run("POST", "orders", body, eve, "customer")
    cancelled = api.run("POST", "orders", body, eve, "customer")
    assert kept["status"] == cancelled["status"] == "succeeded"
    gone = api.run("POST", f"orders/{cancelled['orderId']}/cancel", {"reason": "changed mind"},
                   eve, "customer")
    assert gone["status"] == "succeeded"
    order = until(lambda: api.get(f"orders/{kept['orderId']}?minVersion=1", eve, "customer"),
                  lambda r: r.status_code == 200 and r.json()["customer"] is not None)
    assert order.json()["shippingAddress"]["street"] == secrets["street"]
    assert order.json()["customer"]["email"] == secrets["email"]
    # Both orders and the cancel folded (on Cosmos DB the cancel can land after the count).
    summary = until(lambda: api.get(f"customers/{eve}/summary", eve, "customer"),
                    lambda r: r.status_code == 200
                    and (r.json()["orderCount"], r.json()["openOrders"]) == (2, 1))
    return {"id": eve, "secrets": secrets, "orderId": kept["orderId"],
            "cancelledId": cancelled["orderId"], "summary": summary.json(),
            "order": order.json(), "nameText": secrets["fullName"]}


def key_material(keys_dir: Path, customer_id: str) -> list[bytes]:
    ring = json.loads((keys_dir / f"{customer_key_name(customer_id)}.json").read_text())
    encoded = list(ring["versions"].values())
    return [*(v.encode() for v in encoded), *(base64.b64decode(v) for v in encoded)]


def erase(api: OrdersApi, customer_id: str, sub: str, *roles: str) -> dict[str, Any]:
    sent = api.send("POST", f"customers/{customer_id}/erase", None, sub, *roles)
    assert sent.status_code == 202, sent.text
    assert sent.headers["Location"] == f"/api/commands/{sent.json()['commandId']}"
    assert sent.json()["customerId"] == customer_id
    return api.wait(sent.json()["commandId"], sub, *roles)


def masked_everywhere(api: OrdersApi, eve: dict[str, Any], sub: str, *roles: str) -> None:
    """What the owner (or staff) sees after the erasure: fields masked, the order intact."""
    order = until(lambda: api.get(f"orders/{eve['orderId']}", sub, *roles).json(),
                  lambda o: (o.get("customer") or {}).get("name") == MASK)
    assert order["customer"] == {"name": MASK, "email": MASK, "phone": MASK}
    address_shown = order["shippingAddress"]
    assert {k: address_shown[k] for k in ("name", "street", "city", "postalCode")} == \
        dict.fromkeys(("name", "street", "city", "postalCode"), MASK)
    assert address_shown["country"] == "DE"
    before = eve["order"]
    for field in ("orderId", "status", "total", "currency", "lines", "placedAt", "version"):
        assert order[field] == before[field], field
    summary = api.get(f"customers/{eve['id']}/summary", sub, *roles).json()
    for field in ("orderCount", "openOrders", "totalSpent", "currency", "lastOrderAt"):
        assert summary[field] == eve["summary"][field], field
    # Her order's history and the order as it was (both folded from the archive) too.
    history = api.get(f"orders/{eve['orderId']}/events", sub, *roles).json()["items"]
    placed = next(item for item in history if item["type"] == "OrderPlaced")
    assert {placed["data"]["shippingAddress"][k] for k in ("name", "street", "city")} == {MASK}
    then = api.get(f"orders/{eve['orderId']}?asOfVersion=1", sub, *roles).json()
    assert then["shippingAddress"]["street"] == MASK and then["total"] == before["total"]
    assert (then.get("customer") or {}).get("email") in (None, MASK)
    for answer in (history, then):
        shown = json.dumps(answer)
        assert not any(value in shown for value in eve["secrets"].values())
    listed = api.get(f"customers/{eve['id']}/orders", sub, *roles).json()["items"]
    assert sorted(i["orderId"] for i in listed) == sorted([eve["orderId"], eve["cancelledId"]])


def archived_types(api: OrdersApi, subject: str) -> list[str]:
    return [str(e["eventType"]) for e in api.stores.archive.stream(subject, limit=1000)]


def run_rebuild(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "projections", "rebuild"], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


def test_erasure_shreds_the_key_and_masks_every_answer(
        api: OrdersApi, eve: dict[str, Any], devhost_env: dict[str, str]) -> None:
    customer_id = eve["id"]
    keys = key_material(api.keys_dir, customer_id)
    archived_before = api.archived(f"orders/{eve['orderId']}")

    done = erase(api, customer_id, customer_id, "customer")
    assert done["status"] == "succeeded", done
    assert done["type"] == "EraseCustomer"

    # The key is gone from the provider; only a tombstone without key material is left.
    name = customer_key_name(customer_id)
    assert not (api.keys_dir / f"{name}.json").exists()
    assert json.loads((api.keys_dir / f"{name}.erased").read_text()) == \
        {"keyName": name, "erased": True}
    masked_everywhere(api, eve, customer_id, "customer")
    masked_everywhere(api, eve, "sam", "support")
    search = api.get(f"orders?search={eve['nameText']}", "sam", "support")
    assert search.status_code == 200
    assert eve["orderId"] not in [i["orderId"] for i in search.json()["items"]]

    # The archive keeps every event of her orders, and records the erasure.
    assert api.archived(f"orders/{eve['orderId']}") == archived_before
    assert "Orders.CustomerErased" in archived_types(api, f"customers/{customer_id}")

    # Nothing on disk can open her fields again: no plaintext, no key material anywhere, and
    # every envelope sealed under her key names a key the provider no longer has.
    api.host.wait_idle(kinds=("activity", "entity", "eventgrid"))
    stored = store_bytes(api)
    for field, value in eve["secrets"].items():
        assert value.encode() not in stored, f"plaintext {field} found on disk"
    for material in keys:
        assert material not in stored, "key material found on disk"
    # Her name was sealed like her contact; support's search name (lower case) lived only in
    # her summary (and its cached copy), which the erasure replaced. The embedded stores zero
    # what a write replaces and cut their log back once it is checkpointed (within seconds).
    searched = eve["nameText"].lower().encode()
    others = iter(range(1000))

    def still_on_disk() -> bool:
        api.customer(f"{customer_id}-other-{next(others)}")  # the shop goes on writing
        return searched in store_bytes(api)

    until(still_on_disk, lambda found: not found, timeout=60)
    found = re.findall(rb"enc:v1:" + name.encode() + rb":[A-Za-z0-9]+:[A-Za-z0-9_-]+"
                       rb":[A-Za-z0-9_-]+", stored)
    envelopes = {e for e in found if is_envelope(e.decode())}  # not fragments of zeroed rows
    assert envelopes, "her sealed fields should still be stored (as undecryptable ciphertext)"
    cipher = FieldCipher(LocalKeyProvider(api.keys_dir))
    for envelope in envelopes:
        with pytest.raises(KeyNotFound):
            cipher.decrypt(envelope.decode(), field_aad("customer", customer_id, "email"))

    # A rebuild from the archive folds the erasure again: still masked, totals unchanged.
    rebuilt = run_rebuild(devhost_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    masked_everywhere(api, eve, customer_id, "customer")


def test_nothing_new_can_be_sealed_for_an_erased_customer(
        api: OrdersApi, eve: dict[str, Any], uid: str) -> None:
    customer_id = eve["id"]
    assert erase(api, customer_id, "sam", "support")["status"] == "succeeded"
    order = api.send("POST", "orders", order_body((f"SKU-{uid}", 1, 100)), customer_id,
                     "customer")
    assert (order.status_code, order.json()["code"]) == (404, "NotFound")
    assert order.headers["Content-Type"].startswith("application/problem+json")
    profile = api.send("POST", f"customers/{customer_id}/profile", {"email": "new@x.example"},
                       customer_id, "customer")
    assert (profile.status_code, profile.json()["code"]) == (404, "NotFound")
    again_registered = api.send("POST", "customers", {"name": "Eve Again",
                                                      "email": "eve@again.example"},
                                customer_id, "customer")
    assert (again_registered.status_code, again_registered.json()["code"]) == (404, "NotFound")
    assert not (api.keys_dir / f"{customer_key_name(customer_id)}.json").exists()
    again = erase(api, customer_id, "ada", "admin")
    assert (again["status"], again["error"]["code"]) == ("failed", "CustomerNotFound")
    # Her open order can still be worked: the order and her balance stay consistent.
    shipped = api.run("POST", f"orders/{eve['orderId']}/ship",
                      {"carrier": "DHL", "trackingNumber": f"T{uid}"}, "fred", "fulfilment")
    assert shipped["status"] == "succeeded", shipped


def test_who_may_erase(api: OrdersApi, uid: str) -> None:
    kim, lee = f"kim-{uid}", f"lee-{uid}"
    api.customer(kim)
    api.customer(lee)
    other = api.send("POST", f"customers/{kim}/erase", None, lee, "customer")
    assert (other.status_code, other.json()["code"]) == (404, "NotFound")
    fulfilment = api.send("POST", f"customers/{kim}/erase", None, "fred", "fulfilment")
    assert (fulfilment.status_code, fulfilment.json()["code"]) == (403, "Forbidden")
    anonymous = api.send("POST", f"customers/{kim}/erase", None, None)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "Unauthenticated")
    assert (api.keys_dir / f"{customer_key_name(kim)}.json").exists()
    assert api.credit(kim)["exists"]
    assert erase(api, kim, "ada", "admin")["status"] == "succeeded"
    assert erase(api, lee, "sam", "support")["status"] == "succeeded"
    missing = erase(api, f"nobody-{uid}", "sam", "support")
    assert (missing["status"], missing["error"]["code"]) == ("failed", "CustomerNotFound")


@pytest.mark.parametrize(("path", "body", "content_type", "status", "code"), [
    ("customers/bad%20id/erase", None, None, 400, "ValidationFailed"),
    ("customers/" + "x" * 65 + "/erase", None, None, 400, "ValidationFailed"),
    ("customers/{me}/erase", {"reason": "please"}, None, 400, "ValidationFailed"),
    ("customers/{me}/erase", [], None, 400, "ValidationFailed"),
    ("customers/{me}/erase", "erase", "text/plain", 415, "UnsupportedMediaType"),
])
def test_bad_erase_requests_are_problems(api: OrdersApi, uid: str, path: str, body: Any,
                                         content_type: str | None, status: int,
                                         code: str) -> None:
    me = f"ivy-{uid}"
    headers = api.headers(me, "customer")
    if content_type:
        headers["Content-Type"] = content_type
    data = body if isinstance(body, str) else (None if body is None else json.dumps(body))
    response = api.host.http("POST", "api/" + path.format(me=me), data=data, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["Content-Type"].startswith("application/problem+json")


def _minutes(event: dict[str, Any]) -> float:
    """How far ahead of its creation a timer fires, in minutes."""
    fire, made = (datetime.fromisoformat(str(event[k]).replace("Z", "+00:00"))
                  for k in ("FireAt", "Timestamp"))
    return (fire - made).total_seconds() / 60


def test_an_erasure_outlasts_a_key_store_outage(api: OrdersApi, uid: str) -> None:
    """The key store refuses the deletion (here: the key file is a folder); the workflow keeps
    the erasure going in rounds instead of ending half done, and finishes once it is back."""
    if api.stores.kind != "embedded":
        pytest.skip("the outage is staged in the local key folder; one store kind suffices")
    ivy = f"ivy-{uid}"
    api.customer(ivy)
    key_file = api.keys_dir / f"{customer_key_name(ivy)}.json"
    saved = key_file.read_bytes()
    key_file.unlink()
    key_file.mkdir()  # unlink() now fails: the store is "down"
    try:
        sent = api.send("POST", f"customers/{ivy}/erase", None, ivy, "customer")
        command_id = sent.json()["commandId"]

        def waiting_a_round(status: dict[str, Any] | None) -> bool:
            """A timer 30 minutes out: every retry of the round failed, the next waits."""
            events = (status or {}).get("historyEvents") or []
            return any(e["EventType"] == "TimerCreated" and _minutes(e) >= 20 for e in events)

        status = until(lambda: api.host.status(command_id, history=True), waiting_a_round,
                       timeout=60)
        assert status["runtimeStatus"] == "Running"
    finally:
        key_file.rmdir()
        key_file.write_bytes(saved)
        key_file.chmod(0o600)
    api.host.advance(31 * 60)
    done = api.wait(command_id, ivy, "customer", timeout=60)
    assert done["status"] == "succeeded", done
    assert not key_file.exists()
