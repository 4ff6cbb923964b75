"""Sensitive fields are encrypted at the edge: no plaintext reaches devhost's database
(orchestration inputs and history, entity state) or the event archive (SQLite or Cosmos DB)."""

from __future__ import annotations

from pathlib import Path

from e2e_helpers import OrdersApi, address, order_body


def _bytes_of(folder: Path, stem: str) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob(stem + "*")) if p.is_file())


def test_no_plaintext_of_sensitive_fields_is_stored(api: OrdersApi, uid: str) -> None:
    secrets = {
        "email": f"mia.{uid}@secret.example",
        "phone": f"+49 {int(uid, 16) % 10**9}",
        "name": f"Mia Geheim {uid}",
        "street": f"Verborgene Gasse {uid}",
        "city": f"Stadt{uid}",
        "postalCode": f"Z{uid[:8]}",
    }
    mia, sku = f"mia-{uid}", f"SKU-{uid}"
    done = api.run("POST", "customers", {"name": "Mia", "email": secrets["email"],
                                         "phone": secrets["phone"]}, mia, "customer")
    assert done["status"] == "succeeded"
    api.stock(sku, 2)
    body = order_body((sku, 1, 100))
    body["shippingAddress"] = {**address(secrets["name"], secrets["street"]),
                               "city": secrets["city"], "postalCode": secrets["postalCode"]}
    placed = api.run("POST", "orders", body, mia, "customer")
    assert placed["status"] == "succeeded"
    moved = api.run("POST", f"orders/{placed['orderId']}/address",
                    {"shippingAddress": body["shippingAddress"]}, mia, "customer")
    assert moved["status"] == "succeeded"
    state = api.order(placed["orderId"]) or {}
    assert state["shippingAddress"]["street"].startswith("enc:v1:")
    archived = api.stores.at_rest("archive")
    assert placed["orderId"].encode() in archived  # the store the host writes was searched
    stored = _bytes_of(api.host.host.data_dir, "devhost.db") + archived
    for field, value in secrets.items():
        assert value.encode() not in stored, f"plaintext {field} found in storage"
