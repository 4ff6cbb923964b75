"""What every engine's runner shares: the two workflows' data and the measurement helpers.

Standard library only: it is imported both from the app's .venv (devhost) and from .venv-peers
(DBOS, Temporal). Each runner prints one JSON object (``result``) on its last line of output.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

CITIES = ("Tokyo", "Seattle", "London", "Paris", "Cairo")
WORKFLOWS = ("hello_sequence5", "place_order")
WARMUP = 20  # workflows run (and not timed) before the 1,000, so imports and caches are warm
HOST = "127.0.0.1"


def hello(city: str) -> str:
    return f"Hello {city}!"


def order_input(i: int) -> dict[str, Any]:
    return {"order": f"order-{i}", "customer": f"customer-{i % 50}", "sku": f"sku-{i % 10}",
            "quantity": 1 + i % 3}


def reserve_credit(order: dict[str, Any]) -> dict[str, Any]:
    return {"resource": "credit", "owner": order["customer"], "order": order["order"],
            "amount": 999 * order["quantity"]}


def reserve_stock(order: dict[str, Any]) -> dict[str, Any]:
    return {"resource": "stock", "owner": order["sku"], "order": order["order"],
            "quantity": order["quantity"]}


def record_order(order: dict[str, Any], credit: dict[str, Any],
                 stock: dict[str, Any]) -> dict[str, Any]:
    return {"order": order["order"], "status": "placed", "reservations": [credit, stock]}


def publish_order(record: dict[str, Any]) -> str:
    return f"OrderPlaced {record['order']}"


def expected(workflow: str, i: int) -> Any:
    """What workflow ``i`` returns, to check a sample of outputs on every engine."""
    if workflow == "hello_sequence5":
        return [hello(c) for c in CITIES]
    order = order_input(i)
    return record_order(order, reserve_credit(order), reserve_stock(order))


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and every process under it, from /proc."""
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
        todo += children.get(current, [])
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


class Clock:
    """Wall clock and the CPU of this process's tree (client, engine, workers, server)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.cpu = tree_cpu_seconds(os.getpid())
        self.stopped: tuple[float, float] | None = None

    def stop(self) -> None:
        """All completed: what comes after (checks, reading latencies) is not timed."""
        self.stopped = (time.perf_counter() - self.started,
                        tree_cpu_seconds(os.getpid()) - self.cpu)

    def result(self, engine: str, version: str, workflow: str, instances: int,
               latencies_ms: list[float], **extra: Any) -> dict[str, Any]:
        if self.stopped is None:
            self.stop()
        assert self.stopped is not None
        seconds, cpu = self.stopped
        out = {"engine": engine, "version": version, "workflow": workflow,
               "instances": instances, "seconds": round(seconds, 3),
               "workflows_per_s": round(instances / seconds, 1),
               "cpu_seconds": round(cpu, 2),
               "cpu_ms_per_workflow": round(1000 * cpu / instances, 2)}
        if latencies_ms:
            out["latency_p50"] = round(percentile(latencies_ms, 50), 1)
            out["latency_p99"] = round(percentile(latencies_ms, 99), 1)
        return {**out, **extra}


def emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)
