"""Orders benchmark (not a test): orders/s from POST to succeeded, and 202 latency, on devhost.

Starts the app on a devhost process with a fresh data folder, registers one customer per client
and stocks a handful of SKUs, then runs CLIENTS concurrent clients that each place an order, poll
its command until it has finished, and repeat, for DURATION seconds. Results go to
bench/results/orders_bench.json and .md.

    .venv/bin/python bench/orders_bench.py [--clients 50] [--duration 20]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SKUS = [f"BENCH-{i}" for i in range(10)]
# Polling is load on the same host; clients that poll gently leave it to the workflows.
POLL_INTERVAL = 0.1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


class Client:
    def __init__(self, host: DevhostClient, sub: str, *roles: str) -> None:
        self.url = host.url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {host.token(sub, list(roles))}",
                                     "Content-Type": "application/json"})

    def post(self, path: str, body: dict[str, Any], method: str = "POST") -> tuple[str, float]:
        started = time.perf_counter()
        response = self.session.request(method, f"{self.url}/api/{path}", json=body, timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 202:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
        return response.json()["commandId"], elapsed

    def finish(self, command_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.session.get(f"{self.url}/api/commands/{command_id}", timeout=30).json()
            if body["status"] in ("succeeded", "failed"):
                return dict(body)
            time.sleep(POLL_INTERVAL)
        raise RuntimeError(f"command {command_id} did not finish")


def setup(host: DevhostClient, clients: int) -> None:
    fred, ada = Client(host, "fred", "fulfilment"), Client(host, "ada", "admin")
    for sku in SKUS:
        fred.finish(fred.post(f"products/{sku}/stock", {"delta": 1_000_000})[0])
    for i in range(clients):
        buyer = Client(host, f"buyer-{i}", "customer")
        buyer.finish(buyer.post("customers", {"name": f"Buyer {i}",
                                              "email": f"buyer{i}@example.com"})[0])
        ada.finish(ada.post(f"customers/buyer-{i}/credit-limit",
                            {"amount": 10**14, "currency": "EUR"}, method="PUT")[0])


def order_body(n: int) -> dict[str, Any]:
    return {"currency": "EUR",
            "lines": [{"sku": SKUS[n % len(SKUS)], "quantity": 1, "unitPrice": 999}],
            "shippingAddress": {"name": "Bench", "street": "Loop 1", "city": "Berlin",
                                "postalCode": "10115", "country": "DE"}}


def run(host: DevhostClient, clients: int, duration: float) -> dict[str, Any]:
    accepted: list[float] = []
    completed: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client_loop(i: int) -> None:
        me = Client(host, f"buyer-{i}", "customer")
        n = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            command_id, latency = me.post("orders", order_body(n + i))
            status = me.finish(command_id)["status"]
            with lock:
                accepted.append(latency)
                completed.append(time.perf_counter() - started)
                outcomes[status] = outcomes.get(status, 0) + 1
            n += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client_loop, range(clients)))
    wall = time.perf_counter() - began
    ms = 1000.0
    return {
        "clients": clients, "seconds": round(wall, 2), "orders": len(completed),
        "outcomes": outcomes,
        "orders_per_s": round(outcomes.get("succeeded", 0) / wall, 1),
        "accepted_ms_p50": round(percentile(accepted, 50) * ms, 1),
        "accepted_ms_p99": round(percentile(accepted, 99) * ms, 1),
        "accepted_ms_mean": round(statistics.fmean(accepted) * ms, 1) if accepted else 0,
        "post_to_succeeded_ms_p50": round(percentile(completed, 50) * ms, 1),
        "post_to_succeeded_ms_p99": round(percentile(completed, 99) * ms, 1),
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "python": platform.python_version(), "machine": platform.machine(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (RESULTS / "orders_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [("orders/s (POST to succeeded)", result["orders_per_s"], ">= 100"),
            ("202 latency p50 (ms)", result["accepted_ms_p50"], ""),
            ("202 latency p99 (ms)", result["accepted_ms_p99"], "<= 10 (seed: 100)"),
            ("POST to succeeded p50 (ms)", result["post_to_succeeded_ms_p50"], ""),
            ("POST to succeeded p99 (ms)", result["post_to_succeeded_ms_p99"], "")]
    lines = ["# Orders benchmark (devhost)", "",
             f"{result['clients']} concurrent clients, {result['seconds']} s, "
             f"{result['orders']} orders, outcomes {result['outcomes']}, "
             f"Python {result['python']} on {result['machine']}, {result['when']}.", "",
             "| measure | value | target |", "|---|---|---|",
             *(f"| {name} | {value} | {target} |" for name, value, target in rows)]
    (RESULTS / "orders_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()
    settings = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as tmp:
        env = {**settings, "ORDERS_DATA_DIR": f"{tmp}/orders", "FIELD_KEYS_DIR": f"{tmp}/keys",
               "ORDERS_TASK_HUB": "Bench", "DEVHOST_LOG_LEVEL": "WARNING"}
        process = DevhostProcess(ROOT, Path(tmp) / "devhost", env=env).start()
        try:
            host = DevhostClient(process)
            setup(host, args.clients)
            write(run(host, args.clients, args.duration))
        finally:
            process.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
