"""Order history (``GET /api/orders/{id}/events``) and time travel (``?asOfVersion=``,
``?asOf=``): what an order went through, for those who may see the order, and nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from read_api import ReadApi

NEW_ADDRESS = {"name": "Ada Example", "street": "Nebenweg 2", "city": "Potsdam",
               "postalCode": "14467", "country": "DE"}


@pytest.fixture(scope="module")
def story(api: ReadApi) -> dict[str, Any]:
    owner, sku = "hana-hist", "SKU-HIST"
    api.customer(owner)
    api.customer("mallory-hist")
    api.stock(sku)
    order_id = api.place(owner, sku)["orderId"]
    api.run("POST", f"orders/{order_id}/address", {"shippingAddress": NEW_ADDRESS}, owner)
    api.run("POST", f"orders/{order_id}/ship", {"carrier": "DHL", "trackingNumber": "TRK-H"},
            "fred", "fulfilment")
    now = api.get(f"orders/{order_id}?minVersion=3", owner)
    assert now.status_code == 200, now.text
    return {"owner": owner, "order": order_id, "now": now.json()}


def test_the_owner_reads_every_event_in_version_order(api: ReadApi,
                                                      story: dict[str, Any]) -> None:
    got = api.get(f"orders/{story['order']}/events", story["owner"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["continuation"] is None and body["orderId"] == story["order"]
    items = body["items"]
    assert [(e["version"], e["type"], e["actor"]) for e in items] == [
        (1, "OrderPlaced", story["owner"]), (2, "ShippingAddressChanged", story["owner"]),
        (3, "OrderShipped", "fred")]
    assert items[0]["occurredAt"] == story["now"]["placedAt"]
    assert items[2]["occurredAt"] == story["now"]["shippedAt"]
    assert items[0]["data"]["shippingAddress"]["street"] == "Hauptstrasse 1"
    assert items[1]["data"]["shippingAddress"] == NEW_ADDRESS
    assert items[2]["data"] == {"carrier": "DHL", "trackingNumber": "TRK-H"}
    assert got.headers["x-view-version"] == "3"


def test_history_pages_follow_the_continuation(api: ReadApi, story: dict[str, Any]) -> None:
    path, seen = f"orders/{story['order']}/events?limit=2", []
    first = api.get(path, "sue", "support").json()
    seen += first["items"]
    second = api.get(f"{path}&continuation={first['continuation']}", "sue", "support").json()
    seen += second["items"]
    assert [e["version"] for e in seen] == [1, 2, 3] and second["continuation"] is None
    other = api.get(f"orders/another-order/events?continuation={first['continuation']}",
                    "sue", "support")
    assert other.status_code == 400 and other.json()["code"] == "ValidationFailed"


@pytest.mark.parametrize(("who", "role", "expected"), [
    ("hana-hist", "customer", 200), ("mallory-hist", "customer", 404),
    ("sue", "support", 200), ("ada", "admin", 200), ("fred", "fulfilment", 403),
    (None, "customer", 401)], ids=["owner", "other-customer", "support", "admin",
                                   "fulfilment", "anonymous"])
def test_history_and_time_travel_check_the_caller(api: ReadApi, story: dict[str, Any],
                                                  who: str | None, role: str,
                                                  expected: int) -> None:
    for path in (f"orders/{story['order']}/events", f"orders/{story['order']}?asOfVersion=1",
                 f"orders/{story['order']}?asOf={story['now']['placedAt']}"):
        got = api.get(path, who, role)
        assert got.status_code == expected, (path, got.text)
        if expected == 200:
            assert "Hauptstrasse 1" in got.text  # staff and owner see the address in plain
        else:
            assert got.headers["Content-Type"] == "application/problem+json"
            assert "Hauptstrasse" not in got.text and story["owner"] not in got.text


def test_someone_elses_order_looks_missing(api: ReadApi, story: dict[str, Any]) -> None:
    for suffix in ("/events", "?asOfVersion=1", "/events?minVersion=9"):
        theirs = api.get(f"orders/{story['order']}{suffix}", "mallory-hist")
        missing = api.get(f"orders/no-such-order{suffix}", "mallory-hist")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()


def test_time_travel_shows_each_version_as_the_view_had_it(api: ReadApi,
                                                           story: dict[str, Any]) -> None:
    order, owner, now = story["order"], story["owner"], story["now"]
    v1 = api.get(f"orders/{order}?asOfVersion=1", owner).json()
    assert (v1["version"], v1["status"], v1["carrier"]) == (1, "placed", None)
    assert v1["shippingAddress"]["street"] == "Hauptstrasse 1"
    v2 = api.get(f"orders/{order}?asOfVersion=2", owner).json()
    assert (v2["version"], v2["status"], v2["shippingAddress"]) == (2, "placed", NEW_ADDRESS)
    assert api.get(f"orders/{order}?asOfVersion=3", owner).json() == now
    assert api.get(f"orders/{order}?asOf={now['placedAt']}", owner).json() == v1
    assert api.get(f"orders/{order}?asOf=2999-01-01T00:00:00Z", owner).json() == now
    for past in ("asOfVersion=4", "asOf=2000-01-01T00:00:00%2B02:00"):
        got = api.get(f"orders/{order}?{past}", owner)
        assert got.status_code == 404 and got.json()["code"] == "NotFound"


@pytest.mark.parametrize("query", [
    "asOfVersion=0", "asOfVersion=-1", "asOfVersion=abc", "asOfVersion=1.5",
    "asOf=yesterday", "asOf=2026-13-01T00:00:00Z", "asOf=2026-01-01T00:00:00",
    "asOf=2026-01-01%2000:00:00Z"])
def test_bad_time_travel_is_400(api: ReadApi, story: dict[str, Any], query: str) -> None:
    got = api.get(f"orders/{story['order']}?{query}", story["owner"])
    assert got.status_code == 400, got.text
    assert got.json()["code"] == "ValidationFailed"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "continuation=xyz!",
                                   "continuation=eyJhIjoiMSIsInEiOiJ4In0", "since=1"])
def test_bad_history_parameters_are_400(api: ReadApi, story: dict[str, Any],
                                        query: str) -> None:
    got = api.get(f"orders/{story['order']}/events?{query}", story["owner"])
    assert got.status_code == 400, got.text
    assert got.headers["Content-Type"] == "application/problem+json"
