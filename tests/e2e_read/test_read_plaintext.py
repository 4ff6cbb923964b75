"""After placing, reading (which fills the cache) and rebuilding nothing, the read side's stores
(SQLite files, or Cosmos DB and Table storage) hold the sensitive fields only as ciphertext, while
the owner reads them in plaintext."""

from __future__ import annotations

from read_api import ReadApi, order_body


def test_views_and_cache_files_hold_no_plaintext(api: ReadApi, uid: str) -> None:
    secrets = {"email": f"zoe.{uid}@secret.example", "phone": f"+49 {int(uid, 16) % 10**9}",
               "name": f"Zoe Geheim {uid}", "street": f"Verborgene Gasse {uid}",
               "city": f"Stadt{uid}", "postalCode": f"Z{uid[:8]}"}
    zoe, sku = f"zoe-{uid}", f"SKU-{uid}"
    api.run("POST", "customers", {"name": "Zoe", "email": secrets["email"],
                                  "phone": secrets["phone"]}, zoe)
    api.stock(sku)
    body = order_body(sku)
    body["shippingAddress"].update(name=secrets["name"], street=secrets["street"],
                                   city=secrets["city"], postalCode=secrets["postalCode"])
    order_id = api.run("POST", "orders", body, zoe)["orderId"]
    shown = api.until(f"orders/{order_id}", zoe, "customer",
                      lambda r: r.status_code == 200 and r.json()["customer"] is not None)
    assert shown.json()["customer"]["phone"] == secrets["phone"]
    # A repeated read comes from the cache (a late redelivery may invalidate it once first).
    api.until(f"orders/{order_id}", zoe, "customer", lambda r: r.headers["x-cache"] == "hit")
    api.get(f"customers/{zoe}/summary", zoe)

    stored = api.stores.at_rest("views", "cache")
    assert order_id.encode() in stored and b"enc:v1:" in stored
    for field, value in secrets.items():
        assert value.encode() not in stored, f"plaintext {field} in the read side's files"
