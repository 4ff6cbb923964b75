"""What a client can send wrong: each answered 4xx problem+json, and nothing changes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from devhost.auth import TokenIssuer
from e2e_helpers import OrdersApi, order_body


@pytest.fixture
def untouched(api: OrdersApi, uid: str) -> Iterator[str]:
    """A SKU with stock 5; after the test it must still be 5, with nothing reserved."""
    sku = f"SKU-{uid}"
    api.stock(sku, 5)
    api.customer(f"jo-{uid}")
    yield sku
    assert api.inventory(sku) == {"onHand": 5, "reserved": 0}


def _post(api: OrdersApi, path: str, data: bytes, headers: dict[str, str]) -> dict[str, object]:
    response = api.host.http("POST", f"api/{path}", data=data, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(problem)
    assert problem["status"] == response.status_code
    return problem


def test_malformed_json(api: OrdersApi, uid: str, untouched: str) -> None:
    headers = api.headers(f"jo-{uid}", "customer")
    problem = _post(api, "orders", b'{"currency": "EUR", "lines": [', headers)
    assert (problem["status"], problem["code"]) == (400, "ValidationFailed")


def test_wrong_types_and_unknown_fields(api: OrdersApi, uid: str, untouched: str) -> None:
    headers = api.headers(f"jo-{uid}", "customer")
    body = order_body((untouched, "2", 100), surprise=True)
    body["shippingAddress"]["country"] = "Germany"
    problem = _post(api, "orders", json.dumps(body).encode(), headers)
    assert problem["code"] == "ValidationFailed"
    fields = {error["field"] for error in problem["errors"]}  # type: ignore[attr-defined]
    assert {"surprise", "lines[0].quantity", "shippingAddress.country"} <= fields
    problem = _post(api, f"products/{untouched}/stock", b'{"delta": true}',
                    api.headers("fred", "fulfilment"))
    assert problem["code"] == "ValidationFailed"


def test_oversize_body(api: OrdersApi, uid: str, untouched: str) -> None:
    body = order_body((untouched, 1, 100))
    body["shippingAddress"]["street"] = "x" * 200_000
    problem = _post(api, "orders", json.dumps(body).encode(),
                    api.headers(f"jo-{uid}", "customer"))
    assert (problem["status"], problem["code"]) == (413, "PayloadTooLarge")


def test_wrong_content_type(api: OrdersApi, uid: str, untouched: str) -> None:
    headers = {**api.headers(f"jo-{uid}", "customer"), "Content-Type": "text/plain"}
    problem = _post(api, "orders", json.dumps(order_body((untouched, 1, 100))).encode(), headers)
    assert (problem["status"], problem["code"]) == (415, "UnsupportedMediaType")


def test_forged_principal_header_is_not_trusted(api: OrdersApi, uid: str, untouched: str) -> None:
    forged = base64.b64encode(json.dumps({"claims": [
        {"typ": "sub", "val": "ada"}, {"typ": "roles", "val": "admin"}]}).encode()).decode()
    headers = {"Content-Type": "application/json", "x-ms-client-principal": forged}
    problem = _post(api, f"products/{untouched}/stock", b'{"delta": -5}', headers)
    assert (problem["status"], problem["code"]) == (401, "Unauthenticated")


def test_missing_and_expired_tokens(api: OrdersApi, uid: str, untouched: str) -> None:
    body = json.dumps(order_body((untouched, 1, 100))).encode()
    problem = _post(api, "orders", body, {"Content-Type": "application/json"})
    assert (problem["status"], problem["code"]) == (401, "Unauthenticated")
    past = TokenIssuer(api.host.host.data_dir, clock=lambda: time.time() - 7200)
    expired = past.mint(f"jo-{uid}", ["customer"], ttl=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {expired}"}
    problem = _post(api, "orders", body, headers)
    assert (problem["status"], problem["code"]) == (401, "Unauthenticated")


def test_bad_idempotency_key_and_ids(api: OrdersApi, uid: str, untouched: str) -> None:
    headers = {**api.headers(f"jo-{uid}", "customer"), "Idempotency-Key": "x" * 129}
    problem = _post(api, "orders", json.dumps(order_body((untouched, 1, 100))).encode(), headers)
    assert problem["code"] == "ValidationFailed"
    problem = _post(api, "orders", json.dumps(order_body(("bad sku!", 1, 100))).encode(),
                    api.headers(f"jo-{uid}", "customer"))
    assert problem["code"] == "ValidationFailed"
