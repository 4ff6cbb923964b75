"""A small client for the read side on devhost: commands to set the scene, queries to check."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
from devhost.testing import DevhostClient
from store_kinds import AppStores

from projections.rebuild import replay_archive
from readmodels.views import VIEWS

ROOT = Path(__file__).resolve().parents[2]


def host_env(data: Path, stores: Mapping[str, str]) -> dict[str, str]:
    """The host's settings; ``stores`` picks the store kind (``store_env_for`` in conftest)."""
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    overrides = {
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "ORDERS_TASK_HUB": "E2ERead",
        # The app's default: long enough for a fold on Cosmos DB under a loaded CI machine (at
        # 0.5 s a read-your-write query on the Azure stores sometimes answered 409 first).
        "MIN_VERSION_WAIT": "2s",
        "QUERY_CACHE_TTL": "300s",
        **stores,
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


def snapshot(stores: AppStores) -> dict[str, list[dict[str, Any]]]:
    """Every view's documents in one order, whatever order the store scans them in."""
    return {view: _by_id(stores.views.scan(view)) for view in VIEWS}


def replayed(stores: AppStores) -> dict[str, list[dict[str, Any]]]:
    """What an in-order replay of the whole archive gives, in ``snapshot``'s shape."""
    memory, _, _ = replay_archive(stores.archive, io.StringIO(), stores.open_name)
    return {view: _by_id(memory.scan(view)) for view in VIEWS}


def settled(stores: AppStores, timeout: float = 20) -> dict[str, list[dict[str, Any]]]:
    """The views once every archived event is folded (they equal a replay of the archive):
    Event Grid delivers after the command has answered, so a test that compares whole views
    waits for this first."""
    deadline = time.monotonic() + timeout
    while (views := snapshot(stores)) != (expected := replayed(stores)):
        assert time.monotonic() < deadline, f"the views never caught up: {views} != {expected}"
        time.sleep(0.1)
    return views


def _by_id(docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda doc: str(doc["id"]))


class ReadApi:
    def __init__(self, host: DevhostClient, stores: AppStores) -> None:
        self.host = host
        self.stores = stores  # the archive, views and cache, on either store kind
        self.orders_data = stores.settings.orders_data_dir
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
