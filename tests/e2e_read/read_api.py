"""A small client for the read side on devhost: commands to set the scene, queries to check."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
from devhost.testing import DevhostClient

ROOT = Path(__file__).resolve().parents[2]


def host_env(data: Path) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    overrides = {
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "ORDERS_TASK_HUB": "E2ERead",
        "ORDERS_STORE": "embedded",
        "MIN_VERSION_WAIT": "0.5s",
        "QUERY_CACHE_TTL": "300s",
    }
    return {**example, **overrides}  # the environment wins over a local.settings.json


FINAL = ("succeeded", "failed")
ROLES = {"customer": ("customer",), "support": ("support",), "admin": ("admin",),
         "fulfilment": ("fulfilment",)}


def order_body(sku: str, quantity: int = 1, price: int = 1000, **extra: Any) -> dict[str, Any]:
    return {"currency": "EUR", "lines": [{"sku": sku, "quantity": quantity, "unitPrice": price}],
            "shippingAddress": {"name": "Ada Example", "street": "Hauptstrasse 1",
                                "city": "Berlin", "postalCode": "10115", "country": "DE"},
            **extra}


class ReadApi:
    def __init__(self, host: DevhostClient, orders_data: Path) -> None:
        self.host = host
        self.orders_data = orders_data
        self._tokens: dict[tuple[str, str], str] = {}

    def headers(self, sub: str | None, role: str = "customer", **extra: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", **extra}
        if sub is not None:
            if (sub, role) not in self._tokens:
                self._tokens[(sub, role)] = self.host.token(sub, list(ROLES[role]))
            headers["Authorization"] = f"Bearer {self._tokens[(sub, role)]}"
        return headers

    def get(self, path: str, sub: str | None, role: str = "customer",
            **headers: str) -> requests.Response:
        return self.host.http("GET", f"api/{path}", headers=self.headers(sub, role, **headers))

    def run(self, method: str, path: str, body: Any, sub: str, role: str = "customer",
            timeout: float = 20) -> dict[str, Any]:
        sent = self.host.http(method, f"api/{path}", json=body, headers=self.headers(sub, role))
        assert sent.status_code == 202, sent.text
        command_id = sent.json()["commandId"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.get(f"commands/{command_id}", sub, role).json()
            if status["status"] in FINAL:
                assert status["status"] == "succeeded", status
                return dict(status)
            time.sleep(0.02)
        raise AssertionError(f"command {command_id} did not finish")

    def customer(self, customer_id: str, email: str | None = None,
                 phone: str | None = None) -> None:
        body = {"name": customer_id.title(), "email": email or f"{customer_id}@example.com"}
        if phone:
            body["phone"] = phone
        self.run("POST", "customers", body, customer_id)

    def price(self, sku: str, price: int) -> None:
        self.run("PUT", f"products/{sku}", {"name": sku, "unitPrice": price, "currency": "EUR"},
                 "fred", "fulfilment")

    def stock(self, sku: str, delta: int = 100, price: int = 1000) -> None:
        """Put ``sku`` in the catalog at ``price`` (order_body's default) with ``delta`` units."""
        self.price(sku, price)
        self.run("POST", f"products/{sku}/stock", {"delta": delta}, "fred", "fulfilment")

    def place(self, customer_id: str, sku: str, **extra: Any) -> dict[str, Any]:
        return self.run("POST", "orders", order_body(sku, **extra), customer_id)

    def until(self, path: str, sub: str, role: str, check: Any,
              timeout: float = 20) -> requests.Response:
        """Poll a query until ``check(response)`` holds; fails with the last answer."""
        deadline = time.monotonic() + timeout
        response = self.get(path, sub, role)
        while not check(response) and time.monotonic() < deadline:
            time.sleep(0.05)
            response = self.get(path, sub, role)
        assert check(response), f"{path}: {response.status_code} {response.text}"
        return response
