"""A small client for the Durable Orders API on devhost: tokens, commands, polling, state."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from devhost.testing import DevhostClient, poll
from store_kinds import AppStores

from security.command_seal import seal
from security.keys import LocalKeyProvider

T = TypeVar("T")

FINAL = ("succeeded", "failed")
DEADLINE_SECONDS = 3600  # FULFILMENT_DEADLINE of the e2e host (conftest.py)
DEFAULT_LIMIT = 100_000


def address(name: str = "Alice Example", street: str = "Hauptstrasse 1") -> dict[str, str]:
    return {"name": name, "street": street, "city": "Berlin", "postalCode": "10115",
            "country": "DE"}


def order_body(*lines: tuple[str, int, int], **extra: Any) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "lines": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in lines],
        "shippingAddress": address(),
        **extra,
    }


class OrdersApi:
    def __init__(self, host: DevhostClient, orders_data: Path, keys_dir: Path,
                 stores: AppStores) -> None:
        self.host = host
        self.stores = stores  # the archive, views and cache, on either store kind
        self.orders_data = orders_data
        self.keys_dir = keys_dir
        self._tokens: dict[tuple[str, tuple[str, ...]], str] = {}

    def token(self, sub: str, *roles: str) -> str:
        key = (sub, roles)
        if key not in self._tokens:
            self._tokens[key] = self.host.token(sub, list(roles))
        return self._tokens[key]

    def headers(self, sub: str | None, *roles: str, key: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if sub is not None:
            headers["Authorization"] = f"Bearer {self.token(sub, *roles)}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, sub: str | None, *roles: str) -> requests.Response:
        return self.send("GET", path, None, sub, *roles)

    def send(self, method: str, path: str, body: Any, sub: str | None, *roles: str,
             key: str | None = None) -> requests.Response:
        return self.host.http(method, f"api/{path}", json=body,
                              headers=self.headers(sub, *roles, key=key))

    def status(self, command_id: str, sub: str, *roles: str,
               prefer: str | None = None) -> requests.Response:
        headers = self.headers(sub, *roles)
        if prefer is not None:
            headers["Prefer"] = prefer
        return self.host.http("GET", f"api/commands/{command_id}", headers=headers)

    def wait(self, command_id: str, sub: str, *roles: str, timeout: float = 20) -> dict[str, Any]:
        """Long-polls the command (``Prefer: wait``) until it has finished."""
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while (left := deadline - time.monotonic()) > 0:
            response = self.status(command_id, sub, *roles, prefer=f"wait={max(1, int(left))}")
            assert response.status_code == 200, response.text
            body = response.json()
            if body["status"] in FINAL:
                return body
        raise AssertionError(f"command {command_id} did not finish: {body}")

    def run(self, method: str, path: str, body: Any, sub: str, *roles: str,
            key: str | None = None) -> dict[str, Any]:
        response = self.send(method, path, body, sub, *roles, key=key)
        assert response.status_code == 202, response.text
        return self.wait(response.json()["commandId"], sub, *roles)

    # -- setup ------------------------------------------------------------------------------

    def customer(self, customer_id: str, limit: int | None = None) -> None:
        done = self.run("POST", "customers", {"name": customer_id.title(),
                                              "email": f"{customer_id}@example.com"},
                        customer_id, "customer")
        assert done["status"] == "succeeded", done
        if limit is not None:
            done = self.run("PUT", f"customers/{customer_id}/credit-limit",
                            {"amount": limit, "currency": "EUR"}, "ada", "admin")
            assert done["status"] == "succeeded", done

    def price(self, sku: str, unit_price: int) -> None:
        """Put ``sku`` in the catalog at ``unit_price`` (EUR)."""
        done = self.run("PUT", f"products/{sku}", {"name": f"Product {sku}",
                                                   "unitPrice": unit_price, "currency": "EUR"},
                        "fred", "fulfilment")
        assert done["status"] == "succeeded", done

    def stock(self, sku: str, delta: int, price: int | None = 100) -> None:
        """``delta`` units of ``sku``, priced at ``price`` first (None: leave the catalog)."""
        if price is not None:
            self.price(sku, price)
        done = self.run("POST", f"products/{sku}/stock", {"delta": delta}, "fred", "fulfilment")
        assert done["status"] == "succeeded", done

    def sealed(self, payload: dict[str, Any], instance_id: str) -> dict[str, Any]:
        """``payload`` sealed with the app's key, as only the app (or whoever holds its keys)
        can: a workflow refuses any input without it."""
        return seal(payload, instance_id, LocalKeyProvider(self.keys_dir))

    # -- state ------------------------------------------------------------------------------

    def inventory(self, sku: str) -> dict[str, Any]:
        state = self.host.entity("Inventory", sku) or {}
        return {"onHand": state.get("onHand", 0), "reserved": state.get("reserved", 0)}

    def credit(self, customer_id: str) -> dict[str, Any]:
        state = self.host.entity("Customer", customer_id) or {}
        return {"exists": bool(state), "openBalance": state.get("openBalance", 0),
                "settled": state.get("settledTotal", 0), "limit": state.get("creditLimit")}

    def order(self, order_id: str) -> dict[str, Any] | None:
        state = self.host.entity("Order", order_id)
        return state if isinstance(state, dict) else None

    def archived(self, subject: str) -> list[str]:
        return self.stores.stream(subject)


def until(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 15.0) -> T:
    """Poll ``read`` until ``done`` holds for its value, or fail at the deadline."""
    return poll(read, done, timeout, lambda value: f"not reached in {timeout}s: {value}")
