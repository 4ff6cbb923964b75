"""Bad query parameters are problem+json 400s, whatever they try."""

from __future__ import annotations

import pytest
from read_api import ReadApi

BAD = [
    "customers/{c}/orders?limit=-1",
    "customers/{c}/orders?limit=0",
    "customers/{c}/orders?limit=101",
    "customers/{c}/orders?limit=abc",
    "customers/{c}/orders?limit=1e2",
    "customers/{c}/orders?continuation=garbage!!",
    "customers/{c}/orders?continuation=eyJhIjoiJyBPUiAxPTEiLCJzIjoiIn0",
    "customers/{c}/orders?status=placed'%20OR%20'1'='1",
    "customers/{c}/orders?status=PLACED",
    "customers/{c}/orders?minVersion=-1",
    "customers/{c}/orders?offset=10",
    "customers/{c}/summary?minVersion=1;DROP",
    "orders/o-1?minVersion=abc",
    "orders/o%27%20OR%201=1",
    "customers/c%22%20OR%201=1/summary",
    "orders?search=x%22%20OR%201=1%20--",
    "orders?search=%27%3B%20DROP%20TABLE%20orders",
    "orders?search=" + "a" * 101,
    "orders?search=ok&limit=-5",
]


@pytest.mark.parametrize("path", BAD)
def test_bad_parameters_are_400(api: ReadApi, path: str) -> None:
    who, role = ("sue", "support") if path.startswith("orders?") else ("cid-bad", "customer")
    response = api.get(path.format(c="cid-bad"), who, role)
    assert response.status_code == 400, response.text
    body = response.json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "ValidationFailed" and body["status"] == 400
