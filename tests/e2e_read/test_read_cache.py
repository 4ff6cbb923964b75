"""Cache-aside: a miss fills the cache, a hit serves it, a fold invalidates it; conditional
requests and read-your-writes."""

from __future__ import annotations

from read_api import ReadApi


def test_hit_miss_and_invalidation_by_a_fold(api: ReadApi, uid: str) -> None:
    dora, sku = f"dora-{uid}", f"SKU-{uid}"
    api.customer(dora)
    api.stock(sku)
    order_id = api.place(dora, sku)["orderId"]
    # Every event of the place command folded (customer events invalidate the order's entry
    # too), so nothing invalidates the cache between the reads below.
    api.host.wait_idle(["eventgrid"])
    first = api.until(f"orders/{order_id}", dora, "customer", lambda r: r.status_code == 200)
    assert first.headers["x-cache"] in ("miss", "view")
    second = api.get(f"orders/{order_id}", dora)
    assert second.headers["x-cache"] == "hit" and second.json() == first.json()
    summary = [api.get(f"customers/{dora}/summary", dora) for _ in range(2)]
    listed = [api.get(f"customers/{dora}/orders", dora) for _ in range(2)]
    assert [r.headers["x-cache"] for r in summary + listed] == ["miss", "hit", "miss", "hit"]

    api.run("POST", f"orders/{order_id}/ship", {"carrier": "DHL", "trackingNumber": "T"},
            "fred", "fulfilment")
    api.host.wait_idle(["eventgrid"])  # as above: no fold of the ship left to invalidate
    shipped = api.until(f"orders/{order_id}", dora, "customer",
                        lambda r: r.json()["status"] == "shipped")
    assert shipped.headers["x-view-version"] == "2"
    assert api.get(f"orders/{order_id}", dora).headers["x-cache"] == "hit"
    relisted = api.until(f"customers/{dora}/orders", dora, "customer",
                         lambda r: r.json()["items"][0]["status"] == "shipped")
    assert relisted.headers["ETag"] != listed[0].headers["ETag"]


def test_if_none_match_and_min_version(api: ReadApi, uid: str) -> None:
    eve, sku = f"eve-{uid}", f"SKU-{uid}"
    api.customer(eve)
    api.stock(sku)
    order_id = api.place(eve, sku)["orderId"]
    got = api.until(f"orders/{order_id}", eve, "customer", lambda r: r.status_code == 200)
    etag = got.headers["ETag"]
    same = api.get(f"orders/{order_id}", eve, **{"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["ETag"] == etag
    weak = api.get(f"orders/{order_id}", eve, **{"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    assert api.get(f"orders/{order_id}", eve, **{"If-None-Match": '"0.0"'}).status_code == 200
    ahead = api.get(f"orders/{order_id}?minVersion=5", eve)
    assert ahead.status_code == 409 and ahead.headers["Retry-After"] == "1"
    assert ahead.json()["code"] == "StaleView"
    summary = api.get(f"customers/{eve}/summary", eve)
    version = int(summary.headers["x-view-version"])
    assert api.get(f"customers/{eve}/summary?minVersion={version + 1}", eve).status_code == 409
    assert api.get(f"customers/{eve}/orders?minVersion={version}", eve).status_code == 200
