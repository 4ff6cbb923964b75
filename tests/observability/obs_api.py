"""A small driver for the observability end-to-end tests: commands, queries, logs, metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from devhost.testing import DevhostClient, DevhostProcess

ROOT = Path(__file__).resolve().parents[2]
FINAL = ("succeeded", "failed")


def host_env(data: Path, hub: str) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    return {**example, "ORDERS_DATA_DIR": str(data / "orders"),
            "FIELD_KEYS_DIR": str(data / "keys"), "ORDERS_TASK_HUB": hub,
            "ORDERS_STORE": "embedded", "MIN_VERSION_WAIT": "0.5s",
            "HEALTH_CACHE_TTL": "0.1s"}


def order_body(sku: str, address: dict[str, str] | None = None) -> dict[str, Any]:
    return {"currency": "EUR", "lines": [{"sku": sku, "quantity": 1, "unitPrice": 500}],
            "shippingAddress": address or {"name": "Ada", "street": "Main 1", "city": "Berlin",
                                           "postalCode": "10115", "country": "DE"}}


def log_lines(host: DevhostProcess) -> list[dict[str, Any]]:
    """The app's structured lines (``time level logger {json}``) in the host's output."""
    lines = []
    for raw in host.output().splitlines():
        start = raw.find(" {")
        if " orders." in raw[:start] and start > 0:
            try:
                lines.append(json.loads(raw[start + 1:]))
            except ValueError:
                continue
    return lines


class ObsApi:
    def __init__(self, client: DevhostClient, orders_data: Path) -> None:
        self.client = client
        self.host = client.host
        self.orders_data = orders_data
        self._tokens: dict[tuple[str, str], str] = {}

    def headers(self, sub: str | None, role: str = "customer", **extra: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", **extra}
        if sub is not None:
            if (sub, role) not in self._tokens:
                self._tokens[(sub, role)] = self.client.token(sub, [role])
            headers["Authorization"] = f"Bearer {self._tokens[(sub, role)]}"
        return headers

    def send(self, method: str, path: str, body: Any, sub: str, role: str = "customer",
             **extra: str) -> requests.Response:
        return self.client.http(method, f"api/{path}", json=body,
                                headers=self.headers(sub, role, **extra))

    def get(self, path: str, sub: str | None, role: str = "customer",
            **extra: str) -> requests.Response:
        return self.client.http("GET", f"api/{path}", headers=self.headers(sub, role, **extra))

    def wait(self, command_id: str, sub: str, role: str = "customer",
             timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.get(f"commands/{command_id}", sub, role).json()
            if status["status"] in FINAL:
                return dict(status)
            time.sleep(0.02)
        raise AssertionError(f"command {command_id} did not finish")

    def run(self, method: str, path: str, body: Any, sub: str, role: str = "customer",
            **extra: str) -> dict[str, Any]:
        sent = self.send(method, path, body, sub, role, **extra)
        assert sent.status_code == 202, sent.text
        done = self.wait(sent.json()["commandId"], sub, role)
        assert done["status"] == "succeeded", done
        return done

    def setup(self, customer: str, sku: str) -> None:
        self.run("POST", "customers", {"name": customer.title(),
                                       "email": f"{customer}@example.com"}, customer)
        self.product(sku, 100)

    def product(self, sku: str, units: int) -> None:
        """``sku`` in the catalog at order_body's price, with ``units`` on the shelf."""
        self.run("PUT", f"products/{sku}", {"name": sku, "unitPrice": 500, "currency": "EUR"},
                 "fred", "fulfilment")
        self.run("POST", f"products/{sku}/stock", {"delta": units}, "fred", "fulfilment")

    def until(self, what: str, produce: Callable[[], Any], timeout: float = 20) -> Any:
        """Poll ``produce`` until it returns something truthy; fails naming ``what``."""
        deadline = time.monotonic() + timeout
        while True:
            value = produce()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout}s")
            time.sleep(0.05)

    def visible(self, order_id: str, sub: str, **extra: str) -> requests.Response:
        return self.until(f"order {order_id} in the view", lambda: (
            r if (r := self.get(f"orders/{order_id}", sub, **extra)).status_code == 200
            else None))

    def metrics(self) -> str:
        r = self.client.http("GET", "admin/metrics",
                             headers={"x-functions-key": self.client.keys.master_key})
        assert r.status_code == 200, r.text
        return r.text

    def line(self, event: str, **fields: Any) -> dict[str, Any]:
        """Wait for the app's log line ``event`` whose fields include ``fields``."""
        def find() -> dict[str, Any] | None:
            return next((line for line in log_lines(self.host) if line.get("event") == event
                         and all(line.get(k) == v for k, v in fields.items())), None)

        return dict(self.until(f"log line {event} {fields}", find))


def start_host(tmp: Path, hub: str, args: list[str] | None = None) -> tuple[ObsApi, DevhostProcess]:
    env = host_env(tmp / "data", hub)
    host = DevhostProcess(ROOT, tmp / "devhost", args=args or [], env=env).start()
    return ObsApi(DevhostClient(host), Path(env["ORDERS_DATA_DIR"])), host
