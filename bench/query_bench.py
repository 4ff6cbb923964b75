"""Read-side benchmark on devhost (not a test): query latency and projection lag.

* query p50/p99 for a cache miss (the first read of each order) and a cache hit (the reads
  after it), measured at the client over HTTP, so they include devhost's HTTP handling;
* projection lag p50/p99 under a steady load of orders: from the event's time (``placedAt``)
  until ``GET /api/orders/{id}`` first answers 200, polled every few milliseconds.

Writes ``bench/results/query_bench.{json,md}``. Usage: ``python bench/query_bench.py [--orders N]
[--rate R] [--seconds S]``.

``--stored 100000`` measures instead the lists (staff order list by each filter, deep pages,
search pages, the catalog), order history, time travel, read-your-writes tokens and the
caller's commands on that many stored orders, seeded through the projector
(``bench/seed_store.py``); it writes ``bench/results/query_bench_stored.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ADDRESS = {"name": "Bench", "street": "Street 1", "city": "City", "postalCode": "1",
           "country": "DE"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 2)


class Bench:
    def __init__(self, client: DevhostClient) -> None:
        self.client = client
        self.auth = {"Authorization": f"Bearer {client.token('bench', ['customer'])}"}
        staff = client.token("stock", ["fulfilment"])
        self.staff = {"Authorization": f"Bearer {staff}"}

    def command(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
        sent = self.client.http("POST", f"api/{path}", json=body, headers=headers)
        assert sent.status_code == 202, sent.text
        return str(sent.json().get("orderId", ""))

    def settle(self, path: str, body: dict[str, Any], headers: dict[str, str],
               method: str = "POST") -> None:
        """Run a set-up command to completion (polling its status with a deadline)."""
        sent = self.client.http(method, f"api/{path}", json=body, headers=headers)
        location, deadline = sent.headers["Location"], time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.client.http("GET", location, headers=headers).json()["status"]
            if status in ("succeeded", "failed"):
                assert status == "succeeded", path
                return
            time.sleep(0.02)
        raise RuntimeError(f"{path} did not finish")

    def wait_visible(self, order_id: str, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.client.http("GET", f"api/orders/{order_id}",
                                headers=self.auth).status_code == 200:
                return time.time()
            time.sleep(0.003)
        raise RuntimeError(f"order {order_id} never became visible")

    def wait_summary(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.client.http("GET", "api/customers/bench/summary", headers=self.auth)
            if got.status_code == 200 and got.json()["orderCount"] >= count:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the summary never counted {count} orders")

    def place(self) -> str:
        return self.command("orders", {"currency": "EUR", "lines": [
            {"sku": "BENCH", "quantity": 1, "unitPrice": 100}], "shippingAddress": ADDRESS},
            self.auth)

    def timed_get(self, order_id: str) -> tuple[float, str]:
        start = time.perf_counter()
        response = self.client.http("GET", f"api/orders/{order_id}", headers=self.auth)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.text
        return elapsed, response.headers.get("x-cache", "")


def query_latency(bench: Bench, orders: int,
                  series: dict[str, list[list[float]]]) -> dict[str, Any]:
    ids = [bench.place() for _ in range(orders)]
    bench.wait_summary(orders)  # not through GET /orders/{id}: that would fill the cache
    misses, hits = [], []
    start = time.monotonic()
    for order_id in ids:
        for _ in range(6):  # the first read misses the cache, the next five hit it
            elapsed, source = bench.timed_get(order_id)
            (hits if source == "hit" else misses).append(elapsed)
            name = "query_hit_ms" if source == "hit" else "query_miss_ms"
            series[name].append([round(time.monotonic() - start, 3), elapsed])
    return {"miss_ms_p50": percentile(misses, 50), "miss_ms_p99": percentile(misses, 99),
            "hit_ms_p50": percentile(hits, 50), "hit_ms_p99": percentile(hits, 99),
            "misses": len(misses), "hits": len(hits)}


def projection_lag(bench: Bench, rate: float, seconds: float,
                   series: dict[str, list[list[float]]]) -> dict[str, Any]:
    """Orders go in at a steady rate; one watcher polls the pending ones round-robin, so the
    measurement itself adds little load (many pollers would steal the host's two cores)."""
    pending: dict[str, None] = {}
    visible: dict[str, float] = {}
    placed_at: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or pending:
            with lock:
                ids = list(pending)
            for order_id in ids:
                got = bench.client.http("GET", f"api/orders/{order_id}", headers=bench.auth)
                if got.status_code == 200:
                    visible[order_id] = time.time()
                    placed = got.json()["placedAt"].replace("Z", "+00:00")
                    visible[order_id] -= datetime.fromisoformat(placed).timestamp()
                    with lock:
                        pending.pop(order_id, None)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.monotonic()
    for index in range(int(rate * seconds)):
        time.sleep(max(0.0, start + index / rate - time.monotonic()))
        order_id = bench.place()
        placed_at[order_id] = round(time.monotonic() - start, 3)
        with lock:
            pending[order_id] = None
    done.set()
    watcher.join(timeout=60)
    lags = [lag * 1000 for lag in visible.values()]
    series["lag_ms"] = sorted([placed_at[order_id], lag * 1000]
                              for order_id, lag in visible.items())
    return {"lag_ms_p50": percentile(lags, 50), "lag_ms_p99": percentile(lags, 99),
            "orders": len(lags), "rate_per_s": rate}


def fold_lag(bench: Bench, rate: float, seconds: float) -> dict[str, Any]:
    """Projection alone: synthetic OrderPlaced events published into devhost's Event Grid (the
    delivery path the write side's output binding uses), stamped with the time of publishing."""
    from contracts.events import Event, to_event_grid
    from contracts.order_events import OrderPlaced
    from contracts.values import OrderLine, ShippingAddress
    from contracts.wire import format_timestamp

    master = bench.client.keys.master_key
    address = ShippingAddress("enc:x", "enc:x", "enc:x", "enc:x", "DE")
    lags = []
    start = time.monotonic()
    for index in range(int(rate * seconds)):
        time.sleep(max(0.0, start + index / rate - time.monotonic()))
        order_id = f"fold-{index}-{int(time.time() * 1000)}"
        sent_at = time.time()
        event = Event.create(OrderPlaced("bench", "EUR", (OrderLine("BENCH", 1, 100),), 100,
                                         address), aggregate_id=order_id, version=1,
                             occurred_at=format_timestamp(datetime.now().astimezone()),
                             actor="bench")
        posted = bench.client.http("POST", "admin/functions/project_views",
                                   headers={"x-functions-key": master},
                                   json={"input": json.dumps(to_event_grid(event))})
        assert posted.status_code == 202, posted.text
        lags.append((bench.wait_visible(order_id) - sent_at) * 1000)
    return {"lag_ms_p50": percentile(lags, 50), "lag_ms_p99": percentile(lags, 99),
            "orders": len(lags), "rate_per_s": rate}


def markdown(result: dict[str, Any]) -> str:
    q, lag, fold = result["queries"], result["lag"], result["fold"]
    return "\n".join([
        "# Read-side benchmark (devhost, embedded stores)", "",
        f"Machine: {result['machine']}. Client-side timings over HTTP.", "",
        "| measure | p50 | p99 | target p99 |", "|---|---|---|---|",
        f"| query, cache hit | {q['hit_ms_p50']} ms | {q['hit_ms_p99']} ms | 5 ms |",
        f"| query, cache miss | {q['miss_ms_p50']} ms | {q['miss_ms_p99']} ms | 20 ms |",
        f"| end-to-end lag at {lag['rate_per_s']} orders/s | {lag['lag_ms_p50']} ms | "
        f"{lag['lag_ms_p99']} ms | (seeds: 2 s) |",
        f"| projection only (delivery to view) at {fold['rate_per_s']} events/s | "
        f"{fold['lag_ms_p50']} ms | {fold['lag_ms_p99']} ms | 100 ms |", "",
        "End-to-end lag runs from the event's own time (stamped by the place_order "
        "orchestration before the Order entity, the publish activity and the delivery run) "
        "to the first 200 from GET /api/orders/{id}; the projection-only lag runs from "
        "publishing into devhost's Event Grid to that 200.", "",
        f"{q['misses']} misses, {q['hits']} hits; {lag['orders']} orders for the lag.", ""])


# -- the read API's lists, history, time travel and tokens on many stored orders ------------

def _timed(client: DevhostClient, path: str, headers: dict[str, str]) -> tuple[float, Any]:
    start = time.perf_counter()
    response = client.http("GET", f"api/{path}", headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.text)
    return elapsed, response.json()


def _measure(client: DevhostClient, paths: list[str], headers: dict[str, str]) -> dict[str, Any]:
    times = [_timed(client, path, headers)[0] for path in paths]
    return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
            "requests": len(times)}


def _deep_pages(client: DevhostClient, path: str, headers: dict[str, str],
                pages: int) -> list[str]:
    """The paths of pages 2..pages+1 of a list, by following its continuation tokens."""
    found, token = [], None
    for _ in range(pages):
        page = f"{path}&continuation={token}" if token else path
        token = _timed(client, page, headers)[1]["continuation"]
        if not token:
            break
        found.append(f"{path}&continuation={token}")
    return found


def stored_queries(bench: Bench, orders: int, customers: int, rounds: int) -> dict[str, Any]:
    from seed_store import RARE_SKU, SKUS

    client = bench.client
    staff = {"Authorization": f"Bearer {client.token('sam', ['support'])}"}
    rng = random.Random(7)
    order = [f"seed-{rng.randrange(orders):06d}" for _ in range(rounds)]
    customer = [f"seed-c{rng.randrange(customers):05d}" for _ in range(rounds)]
    days = [f"2026-01-{1 + rng.randrange(28):02d}" for _ in range(rounds)]
    # A real command for the read-your-writes figures (seeded customers have no entity).
    bench.settle("customers", {"name": "Bench", "email": "bench@example.com"}, bench.auth)
    placed = bench.place()
    token = ""
    deadline = time.monotonic() + 30
    while not token and time.monotonic() < deadline:
        listed = client.http("GET", "api/commands?limit=1", headers=bench.auth).json()["items"]
        token = str(listed[0].get("consistencyToken") or "") if listed else ""
        time.sleep(0.05)
    measures = {
        "orders list (support, first page)": ["orders?limit=20"] * rounds,
        "orders list, status=shipped": ["orders?status=shipped&limit=20"] * rounds,
        "orders list, one customer": [f"orders?customerId={c}" for c in customer],
        "orders list, a common SKU": [f"orders?sku={rng.choice(SKUS)}" for _ in range(rounds)],
        "orders list, a rare SKU": [f"orders?sku={RARE_SKU}"] * max(10, rounds // 10),
        "orders list, placed on one day": [
            f"orders?placedFrom={d}T00:00:00Z&placedTo={d}T23:59:59Z" for d in days],
        "orders list, pages 2-51": _deep_pages(client, "orders?limit=20", staff, 50),
        "search page 2 (customer name)": _deep_pages(
            client, f"orders?search=seed%20{customer[0]}&limit=5", staff, 1) * rounds,
        "order history (events)": [f"orders/{o}/events" for o in order],
        "time travel (asOfVersion=1)": [f"orders/{o}?asOfVersion=1" for o in order],
        "products list": ["products?limit=20"] * rounds,
        "products list, q=": [f"products?q=seed-{rng.randrange(50):02d}" for _ in range(rounds)],
        "product with stock counts": [f"products/{rng.choice(SKUS)}" for _ in range(rounds)],
        "summary ?after=token": [f"customers/bench/summary?after={token}"] * rounds,
        "order ?after=token": [f"orders/{placed}?after={token}"] * rounds,
    }
    results = {name: _measure(client, paths, staff if "after" not in name else bench.auth)
               for name, paths in measures.items() if paths}
    results["my commands"] = _measure(client, ["commands?mine"] * rounds, bench.auth)
    return results


def stored_markdown(result: dict[str, Any]) -> str:
    rows = [f"| {name} | {m['p50_ms']} ms | {m['p99_ms']} ms | {m['requests']} |"
            for name, m in result["queries"].items()]
    return "\n".join([
        f"# Read API on {result['orders']:,} stored orders (devhost, embedded stores)", "",
        f"Machine: {result['machine']}. {result['orders']:,} orders of {result['customers']:,} "
        f"customers (about 150,000 events), seeded through the projector in "
        f"{result['seed_seconds']} s; then each query over HTTP, one at a time, timed at the "
        "client (devhost's HTTP handling included).", "",
        "| query | p50 | p99 | requests |", "|---|---|---|---|", *rows, "",
        "A rare SKU is in one order of 10,000: the list by SKU walks the SKU's own index rows "
        "(readmodels/sqlite_views.py), so it costs what a common one does. Search runs one "
        "indexed query per criterion (id prefix, the named customers' orders, tracking number) "
        "and merges them.", ""])


def stored_main(orders: int, rounds: int, seeded_dir: str | None) -> int:
    from seed_store import seed

    customers = max(1, orders // 100)
    if seeded_dir:  # a folder an earlier run seeded; its host state starts afresh
        data, seeded = Path(seeded_dir), {"seconds": "(earlier)"}
        shutil.rmtree(data / "devhost", ignore_errors=True)
    else:
        data = Path(tempfile.mkdtemp(prefix="query-bench-stored-"))
        seeded = seed(data / "orders", data / "keys", orders, customers)
        print(f"seeded into {data}", flush=True)
    env = {**json.loads((ROOT / "local.settings.example.json").read_text())["Values"],
           "ORDERS_DATA_DIR": str(data / "orders"), "FIELD_KEYS_DIR": str(data / "keys"),
           "ORDERS_STORE": "embedded", "DEFAULT_CREDIT_LIMIT": str(10**12),
           "DEVHOST_LOG_LEVEL": "WARNING"}
    host = DevhostProcess(ROOT, data / "devhost", env=env).start()
    try:
        bench = Bench(DevhostClient(host))
        bench.settle("products/BENCH", {"name": "Bench", "unitPrice": 100, "currency": "EUR"},
                     bench.staff, method="PUT")
        bench.settle("products/BENCH/stock", {"delta": 1_000}, bench.staff)
        result = {"machine": "2 cores (shared)", "orders": orders, "customers": customers,
                  "seed_seconds": seeded["seconds"],
                  "queries": stored_queries(bench, orders, customers, rounds)}
    finally:
        host.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "query_bench_stored.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "query_bench_stored.md").write_text(stored_markdown(result))
    print(stored_markdown(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--stored", type=int, default=0,
                        help="instead: the list, history, time-travel and token queries on "
                             "this many stored orders (query_bench_stored.*)")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seeded", help="with --stored: reuse this folder an earlier run seeded")
    args = parser.parse_args()
    if args.stored:
        return stored_main(args.stored, args.rounds, args.seeded)
    data = Path(tempfile.mkdtemp(prefix="query-bench-"))
    env = {**json.loads((ROOT / "local.settings.example.json").read_text())["Values"],
           "ORDERS_DATA_DIR": str(data / "orders"), "FIELD_KEYS_DIR": str(data / "keys"),
           "DEFAULT_CREDIT_LIMIT": str(10**12), "DEVHOST_LOG_LEVEL": "WARNING"}
    host = DevhostProcess(ROOT, data / "devhost", env=env).start()
    try:
        bench = Bench(DevhostClient(host))
        bench.settle("customers", {"name": "Bench", "email": "bench@example.com"}, bench.auth)
        bench.settle("products/BENCH", {"name": "Bench", "unitPrice": 100, "currency": "EUR"},
                     bench.staff, method="PUT")
        bench.settle("products/BENCH/stock", {"delta": 1_000_000}, bench.staff)
        series: dict[str, list[list[float]]] = {"query_hit_ms": [], "query_miss_ms": []}
        result = {"machine": "2 cores", "queries": query_latency(bench, args.orders, series),
                  "lag": projection_lag(bench, args.rate, args.seconds, series),
                  "fold": fold_lag(bench, args.rate, args.seconds),
                  "series": series}  # samples over the run, for bench/plots.py
    finally:
        host.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "query_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "query_bench.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
