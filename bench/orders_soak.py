"""Orders soak (not a test): a steady rate of orders, with queries mixed in, for many minutes.

Where ``orders_bench.py`` finds the peak, this holds a fixed rate (open loop: orders arrive on
schedule whether or not the host keeps up, as real clients do) and records every ``--interval``
seconds: orders accepted and finished, ``202``, POST-to-finished and query p99, RSS of every
devhost process, and the size of each store file and its WAL. A host that keeps up shows flat
lines; one falling behind shows a growing backlog, latency and memory. Each order is placed,
long-polled to its end, then read back with the command's consistency token (``?after=``).

At the end the orders still in flight get ``--drain`` seconds; any that never finish are
reported as lost. Results: bench/results/orders_soak.{json,md} and plots (bench/plots.py).

    .venv/bin/python bench/orders_soak.py --rate 40 --duration 600
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402
from orders_bench import (  # noqa: E402
    LONG_POLL,
    bench_env,
    host_cpu_seconds,
    order_body,
    percentile,
    setup,
)

RESULTS = ROOT / "bench" / "results"
CUSTOMERS = 50


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def file_sizes_mb(folders: Iterable[Path]) -> dict[str, float]:
    """Every SQLite file and WAL under ``folders``, by name relative to its folder."""
    sizes: dict[str, float] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.suffix in (".db", ".sqlite") or path.name.endswith(("-wal", ".db-wal")):
                try:
                    sizes[f"{folder.name}/{path.relative_to(folder)}"] = round(
                        path.stat().st_size / 2**20, 2)
                except OSError:
                    continue
    return sizes


class Soak:
    def __init__(self, host: DevhostClient, rate: float, duration: float,
                 interval: float) -> None:
        self.host, self.rate, self.duration, self.interval = host, rate, duration, interval
        self.began = 0.0
        # (started at, 202 in, finished in or None, outcome, query ms or None)
        self.orders: list[list[Any]] = []
        self.errors: dict[str, int] = {}

    def _error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def order(self, session: aiohttp.ClientSession, n: int) -> None:
        buyer = f"buyer-{n % CUSTOMERS}"
        headers = {"Authorization": f"Bearer {self.host.token(buyer, ['customer'])}"}
        record: list[Any] = [time.perf_counter() - self.began, None, None, None, None]
        self.orders.append(record)
        started = time.perf_counter()
        try:
            async with session.post(f"{self.host.url}/api/orders", json=order_body(n),
                                    headers=headers) as response:
                body = await response.json()
                if response.status != 202:
                    self._error(f"POST {response.status}")
                    return
            record[1] = (time.perf_counter() - started) * 1000
            status = await self._finish(session, body["commandId"], headers)
            record[2] = (time.perf_counter() - started) * 1000
            record[3] = status.get("status")
            if status.get("status") == "succeeded":
                record[4] = await self._query(session, body["orderId"], headers,
                                              status.get("consistencyToken"))
        except (TimeoutError, aiohttp.ClientError) as error:
            self._error(type(error).__name__)

    async def _finish(self, session: aiohttp.ClientSession, command_id: str,
                      headers: dict[str, str]) -> dict[str, Any]:
        url = f"{self.host.url}/api/commands/{command_id}"
        while True:
            async with session.get(url, headers={**headers, "Prefer": LONG_POLL}) as response:
                status = dict(await response.json())
            if status.get("status") in ("succeeded", "failed"):
                return status

    async def _query(self, session: aiohttp.ClientSession, order_id: str,
                     headers: dict[str, str], token: str | None) -> float | None:
        started = time.perf_counter()
        params = {"after": token} if token else {}
        async with session.get(f"{self.host.url}/api/orders/{order_id}", headers=headers,
                               params=params) as response:
            await response.read()
            if response.status != 200:
                self._error(f"GET order {response.status}")
                return None
        return (time.perf_counter() - started) * 1000

    async def run(self, pid: int, folders: list[Path], drain: float) -> dict[str, Any]:
        samples: list[dict[str, Any]] = []
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=120)) as session:
            self.began = time.perf_counter()
            tasks: set[asyncio.Task[None]] = set()
            n, next_sample = 0, self.interval
            cpu_before = host_cpu_seconds(pid)
            samples.append(self._sample(0.0, pid, folders))
            while (now := time.perf_counter() - self.began) < self.duration:
                while n < now * self.rate:  # open loop: every order due by now is sent
                    task = asyncio.create_task(self.order(session, n))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    n += 1
                if now >= next_sample:
                    samples.append(self._sample(now, pid, folders))
                    next_sample += self.interval
                await asyncio.sleep(0.005)
            cpu = host_cpu_seconds(pid) - cpu_before
            if tasks:
                await asyncio.wait(tasks, timeout=drain)
            samples.append(self._sample(time.perf_counter() - self.began, pid, folders))
            for task in tasks:
                task.cancel()
        return self._summary(samples, cpu)

    def _sample(self, at: float, pid: int, folders: list[Path]) -> dict[str, Any]:
        window = [o for o in self.orders if at - self.interval <= o[0] < at]
        finished = [o for o in self.orders if o[2] is not None]
        return {
            "at": round(at, 1),
            "sent": len(self.orders), "finished": len(finished),
            "in_flight": len(self.orders) - len(finished),
            "accepted_ms_p99": round(percentile([o[1] for o in window if o[1]], 99), 1),
            "finished_ms_p99": round(percentile([o[2] for o in window if o[2]], 99), 1),
            "query_ms_p99": round(percentile([o[4] for o in window if o[4]], 99), 1),
            "rss_mb": {str(p): rss_mb(p) for p in process_tree(pid)},
            "files_mb": file_sizes_mb(folders),
        }

    def _summary(self, samples: list[dict[str, Any]], cpu: float) -> dict[str, Any]:
        measured = [o for o in self.orders if o[0] < self.duration]
        outcomes: dict[str, int] = {}
        for o in measured:
            outcomes[str(o[3])] = outcomes.get(str(o[3]), 0) + 1
        minute = [o for o in measured if o[0] < 60]
        last = [o for o in measured if o[0] >= self.duration - 60]
        series = {name: [[s["at"], s[name]] for s in samples[1:]]
                  for name in ("accepted_ms_p99", "finished_ms_p99", "query_ms_p99")}
        return {
            "rate": self.rate, "duration_s": self.duration, "interval_s": self.interval,
            "orders": len(measured), "outcomes": outcomes, "errors": self.errors,
            "lost": sum(1 for o in measured if o[1] is not None and o[2] is None),
            "orders_per_s": round(outcomes.get("succeeded", 0) / self.duration, 1),
            "host_cpu_ms_per_order": round(1000 * cpu / max(1, len(measured)), 1),
            "first_minute": _figures(minute), "last_minute": _figures(last),
            "start": samples[0], "end": samples[-1], "samples": samples,
            "series": {f"{name.replace('_ms_p99', '')}_ms": points
                       for name, points in series.items()},
        }


def _figures(orders: list[list[Any]]) -> dict[str, float]:
    return {"accepted_ms_p99": round(percentile([o[1] for o in orders if o[1]], 99), 1),
            "finished_ms_p99": round(percentile([o[2] for o in orders if o[2]], 99), 1),
            "query_ms_p99": round(percentile([o[4] for o in orders if o[4]], 99), 1)}


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "python": platform.python_version(), "machine": platform.machine(),
              "cores": os.cpu_count(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (RESULTS / "orders_soak.json").write_text(json.dumps(result, indent=2) + "\n")
    start, end = result["start"], result["end"]
    rss = [(pid, start["rss_mb"].get(pid, "-"), mb) for pid, mb in end["rss_mb"].items()]
    files = sorted(set(start["files_mb"]) | set(end["files_mb"]))
    rows = [
        f"| {name} | {result['first_minute'][key]} | {result['last_minute'][key]} |"
        for name, key in (("202 p99 (ms)", "accepted_ms_p99"),
                          ("POST to finished p99 (ms)", "finished_ms_p99"),
                          ("query p99 (ms)", "query_ms_p99"))]
    lines = [
        "# Orders soak (devhost)", "",
        f"{result['rate']} orders/s offered for {result['duration_s']} s (open loop), each "
        "order long-polled to its end and read back with its consistency token; "
        f"{result['orders']} orders, outcomes {result['outcomes']}, lost {result['lost']}, "
        f"errors {result['errors'] or 'none'}; {result['orders_per_s']} orders/s succeeded; "
        f"host CPU {result['host_cpu_ms_per_order']} ms per order. Python {result['python']} "
        f"on {result['machine']}, {result['cores']} cores, {result['when']}.", "",
        "| latency | first minute | last minute |", "|---|---|---|", *rows, "",
        "| process | RSS at start (MB) | RSS at end (MB) |", "|---|---|---|",
        *(f"| {pid} | {before} | {after} |" for pid, before, after in rss), "",
        "| file | size at start (MB) | size at end (MB) |", "|---|---|---|",
        *(f"| {name} | {start['files_mb'].get(name, '-')} | {end['files_mb'].get(name, '-')} |"
          for name in files), "",
        f"In flight at the end of the offered load: {result['samples'][-2]['in_flight']}; "
        f"after the drain: {end['in_flight']}. The series (every {result['interval_s']} s) is "
        "in orders_soak.json and orders_soak.series.png.",
    ]
    (RESULTS / "orders_soak.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="orders per second offered")
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds per sample")
    parser.add_argument("--drain", type=float, default=120.0,
                        help="seconds the orders in flight get after the load stops")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orders-soak-") as tmp:
        env = bench_env(tmp, "Soak")
        process = DevhostProcess(ROOT, Path(tmp) / "devhost", env=env).start()
        try:
            host = DevhostClient(process)
            setup(host, CUSTOMERS)
            assert process.proc is not None
            soak = Soak(host, args.rate, args.duration, args.interval)
            result = asyncio.run(soak.run(process.proc.pid,
                                          [Path(tmp) / "devhost", Path(tmp) / "orders"],
                                          args.drain))
            write({**result, "worker_processes":
                   env.get("FUNCTIONS_WORKER_PROCESS_COUNT", "1")})
        finally:
            process.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
