"""Orders benchmark (not a test): orders/s from POST to succeeded, and 202 latency, on devhost.

Starts the app on a devhost process with a fresh data folder, registers one customer per client
and stocks a handful of SKUs, then runs CLIENTS concurrent clients that each place an order,
long-poll its command (``Prefer: wait``) until it has finished, and repeat, for DURATION seconds.
``--poll-interval S`` makes the clients poll every S seconds instead, as clients that do not
long-poll would. The first ``--warmup`` seconds (all clients' first orders arrive at once) are
reported apart from the measured window. Results go to bench/results/orders_bench.json and .md.

    .venv/bin/python bench/orders_bench.py [--clients 50] [--duration 20] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# Where each unit of a placement goes (docs/architecture.md walks the same path by name).
UNIT_REASONS = {
    "http api_place_order": "the client's POST",
    "http api_command_status": "the client's long poll of the command (Prefer: wait)",
    "orchestration place_order":
        "episodes: start (reserve stock and credit at once); the reservations' answers (one "
        "episode when they arrive together, more when apart); placed; published",
    "entity Order": "Order.placeAtPrices: an API-generated id is claimed and placed in one step",
    "entity Customer": "Customer.reserveCredit, in the same round as the stock",
    "entity Inventory": "Inventory.reserve per line (ops on a hot SKU share an invocation)",
    "activity publish_events": "archive + Event Grid, and the deadline watch's start",
    "eventgrid project_views": "OrderPlaced, carrying its StockReserved events (order views and "
                               "products view in one delivery)",
    "orchestration fulfilment_deadline": "the watch's first episode (its timer)",
}
SKUS = [f"BENCH-{i}" for i in range(10)]
LONG_POLL = "wait=10"


def host_cpu_seconds(pid: int, workers: bool = True) -> float:
    """CPU time (user + system) of the host process and (`workers`) every process under it."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(own)
        times[own] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, []) if workers else []
    return total


def function_runs(host: DevhostClient) -> dict[str, float]:
    """devhost's count of episodes, invocations and deliveries so far, by kind and function."""
    text = host.http("GET", "admin/metrics",
                     headers={"x-functions-key": host.keys.master_key}).text
    runs: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "devhost_function_runs":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = f"{sample.labels['kind']} {sample.labels['function']}"
                    runs[key] = runs.get(key, 0.0) + sample.value
    return runs


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
            body = self.session.get(f"{self.url}/api/commands/{command_id}", timeout=30,
                                    headers={"Prefer": LONG_POLL}).json()
            if body["status"] in ("succeeded", "failed"):
                return dict(body)
        raise RuntimeError(f"command {command_id} did not finish")


def setup(host: DevhostClient, clients: int) -> None:
    fred, ada = Client(host, "fred", "fulfilment"), Client(host, "ada", "admin")
    for sku in SKUS:
        fred.finish(fred.post(f"products/{sku}", {"name": sku, "unitPrice": 999,
                                                  "currency": "EUR"}, method="PUT")[0])
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


def run(host: DevhostClient, pid: int, clients: int, duration: float, warmup: float,
        poll_interval: float | None) -> dict[str, Any]:
    runs_before = function_runs(host)
    result = asyncio.run(_run(host, pid, clients, duration, warmup, poll_interval))
    # The orders still in flight finish before the units are counted (a ~2% overcount).
    host.wait_idle(kinds=("ctrl", "activity", "entity", "eventgrid"))
    runs = {key: count - runs_before.get(key, 0.0) for key, count in function_runs(host).items()}
    placed = max(1, result.pop("placed"))
    # Units of work per order, warm-up included: each one is claimed, run and committed apart.
    result["runs_per_order"] = {key: round(count / placed, 2)
                                for key, count in sorted(runs.items()) if count}
    result["units_per_order"] = round(sum(runs.values()) / placed, 1)
    return result


async def _run(host: DevhostClient, pid: int, clients: int, duration: float, warmup: float,
               poll_interval: float | None) -> dict[str, Any]:
    """The clients are asyncio tasks on one thread: a lean client leaves the machine's two
    cores to the host being measured (fifty threads of `requests` took a quarter of a core).

    All clients place their first order at once, so the first second is a burst of 50 cold
    requests, not the steady load the targets are about: orders started in the first `warmup`
    seconds are reported apart, and the measured window starts after them.

    Long because the clients, the window and the figures share one run's state; split, each
    part would take most of the others as arguments."""
    orders: list[tuple[float, float, float, str]] = []  # started, accepted in, done in, outcome
    polls = [0]
    began = time.perf_counter()
    window_at, stop_at = began + warmup, began + warmup + duration
    counters: dict[str, float] = {}

    async def client_loop(session: aiohttp.ClientSession, i: int) -> None:
        headers = {"Authorization": f"Bearer {host.token(f'buyer-{i}', ['customer'])}"}
        n = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            async with session.post(f"{host.url}/api/orders", json=order_body(n + i),
                                    headers=headers) as response:
                body = await response.json()
                if response.status != 202:
                    raise RuntimeError(f"POST /api/orders answered {response.status}: {body}")
            accepted = time.perf_counter() - started
            status = await _finish(session, f"{host.url}/api/commands/{body['commandId']}",
                                   headers, polls, poll_interval)
            orders.append((started, accepted, time.perf_counter() - started, status))
            n += 1

    async def mark_window() -> None:
        await asyncio.sleep(window_at - time.perf_counter())
        counters.update(cpu=host_cpu_seconds(pid), own=host_cpu_seconds(pid, workers=False),
                        client=time.process_time(), polls=polls[0])

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(mark_window(), *(client_loop(session, i) for i in range(clients)))
    # Orders started in the window, over its length; the CPU until the last of them finished.
    elapsed = time.perf_counter() - window_at
    cpu = host_cpu_seconds(pid) - counters["cpu"]
    own = host_cpu_seconds(pid, workers=False) - counters["own"]
    measured = [o for o in orders if o[0] >= window_at]
    cold = [o[1] for o in orders if o[0] < window_at]
    accepted = [o[1] for o in measured]
    completed = [o[2] for o in measured]
    outcomes: dict[str, int] = {}
    for *_, status in measured:
        outcomes[status] = outcomes.get(status, 0) + 1
    count = max(1, len(measured))
    ms = 1000.0
    return {
        "clients": clients, "seconds": duration, "warmup_seconds": warmup,
        "orders": len(measured), "placed": len(orders), "outcomes": outcomes,
        "orders_per_s": round(outcomes.get("succeeded", 0) / duration, 1),
        "accepted_ms_p50": round(percentile(accepted, 50) * ms, 1),
        "accepted_ms_p99": round(percentile(accepted, 99) * ms, 1),
        "accepted_ms_mean": round(statistics.fmean(accepted) * ms, 1) if accepted else 0,
        "warmup_accepted_ms_p99": round(percentile(cold, 99) * ms, 1),
        "post_to_succeeded_ms_p50": round(percentile(completed, 50) * ms, 1),
        "post_to_succeeded_ms_p99": round(percentile(completed, 99) * ms, 1),
        "polls_per_order": round((polls[0] - counters["polls"]) / count, 1),
        "host_cpu_cores": round(cpu / elapsed, 2),
        # The clients share the machine's cores with the host they measure.
        "client_cpu_cores": round((time.process_time() - counters["client"]) / elapsed, 2),
        "host_cpu_ms_per_order": round(ms * cpu / count, 1),
        # With worker processes: the host's own part (HTTP: the POST and the status polls).
        "http_process_cpu_ms_per_order": round(ms * own / count, 1),
    }


async def _finish(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                  polls: list[int], poll_interval: float | None, timeout: float = 60) -> str:
    """Long-polls the command, or (``poll_interval``) polls it plainly, until it finishes."""
    if poll_interval is None:
        headers = {**headers, "Prefer": LONG_POLL}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polls[0] += 1
        async with session.get(url, headers=headers) as response:
            status = str((await response.json())["status"])
        if status in ("succeeded", "failed"):
            return status
        if poll_interval is not None:
            await asyncio.sleep(poll_interval)
    raise RuntimeError(f"{url} did not finish")


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "python": platform.python_version(), "machine": platform.machine(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (RESULTS / "orders_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [("orders/s (POST to succeeded)", result["orders_per_s"], ">= 100"),
            ("202 latency p50 (ms)", result["accepted_ms_p50"], ""),
            ("202 latency p99 (ms)", result["accepted_ms_p99"], "<= 10 (seed: 100)"),
            ("202 latency p99 (ms) in the warm-up (all clients' first orders at once)",
             result["warmup_accepted_ms_p99"], ""),
            ("POST to succeeded p50 (ms)", result["post_to_succeeded_ms_p50"], ""),
            ("POST to succeeded p99 (ms)", result["post_to_succeeded_ms_p99"], ""),
            ("status polls per order", result["polls_per_order"], ""),
            ("units of work per order (episodes, invocations, deliveries)",
             result["units_per_order"], ""),
            ("host CPU per order (ms), all processes", result["host_cpu_ms_per_order"], ""),
            ("  of which the HTTP (host) process", result["http_process_cpu_ms_per_order"], ""),
            ("host CPU used (cores)", result["host_cpu_cores"], ""),
            ("benchmark clients' CPU (cores)", result["client_cpu_cores"], "")]
    lines = ["# Orders benchmark (devhost)", "",
             f"{result['clients']} concurrent clients, {result['seconds']} s measured after "
             f"{result['warmup_seconds']} s of warm-up, devhost with "
             f"{result['worker_processes']} worker process(es) (FUNCTIONS_WORKER_PROCESS_COUNT), "
             f"status: {result['status_polling']}, "
             f"{result['orders']} orders measured, outcomes {result['outcomes']}, "
             f"Python {result['python']} on {result['machine']}, {result['when']}.", "",
             "| measure | value | target |", "|---|---|---|",
             *(f"| {name} | {value} | {target} |" for name, value, target in rows), "",
             "Units of work per order, by kind and function, and why each is there:", "",
             "| unit | per order | what it is |", "|---|---|---|",
             *(f"| {key} | {count} | {UNIT_REASONS.get(key, '')} |"
               for key, count in result["runs_per_order"].items())]
    (RESULTS / "orders_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def bench_env(tmp: str, hub: str) -> dict[str, str]:
    """The example settings, with this run's own data and key folders and task hub."""
    settings = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    return {**settings, "ORDERS_DATA_DIR": f"{tmp}/orders", "FIELD_KEYS_DIR": f"{tmp}/keys",
            "ORDERS_TASK_HUB": hub, "DEVHOST_LOG_LEVEL": "WARNING"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of load before the measured window starts")
    parser.add_argument("--poll-interval", type=float, default=None,
                        help="poll every this many seconds instead of long-polling")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as tmp:
        env = bench_env(tmp, "Bench")
        process = DevhostProcess(ROOT, Path(tmp) / "devhost", env=env).start()
        try:
            host = DevhostClient(process)
            setup(host, args.clients)
            assert process.proc is not None
            result = run(host, process.proc.pid, args.clients, args.duration, args.warmup,
                         args.poll_interval)
            write({**result, "worker_processes": env.get("FUNCTIONS_WORKER_PROCESS_COUNT", "1"),
                   "status_polling": (f"every {args.poll_interval} s" if args.poll_interval
                                      else f"long poll (Prefer: {LONG_POLL})")})
        finally:
            process.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
