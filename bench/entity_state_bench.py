"""Inventory entity benchmark (not a test): what one reservation costs as a SKU's open orders grow.

An Inventory entity keeps counts, not a reservation per open order (it did before 2026-12), and
Durable Functions loads and stores an entity's whole state on every batch. This
runs the app's own `Inventory` entity function through the Durable SDK the way devhost does (a
batch request in, the batch result out, JSON both ways), holding N open reservations, and
reports the state's size and the time of one `reserve`: decoded afresh (the state came from
another process) and reused (this process stored it last, see `entities/triggers.py`).

Writes ``bench/results/entity_state_bench.{json,md}``.
Usage: ``python bench/entity_state_bench.py [--sizes 0,100,500,2000,10000]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import azure.functions as func

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost.loader import load_app  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SKU = "BENCH-SKU"
PRINCIPAL = {"userId": "fred", "roles": ["fulfilment"], "name": "Fred", "authType": "aad"}


def reserve_input(order_id: str) -> dict[str, Any]:
    """The reserve step of the place command for ``order_id``."""
    return {"orderId": order_id, "quantity": 1, "currency": "EUR", "principal": PRINCIPAL,
            "occurredAt": "2026-12-04T10:00:00.000000Z", "commandId": f"cmd-{order_id}"}


def _input(value: Any) -> str:
    """An operation's input as an orchestration sends it: the SDK's JSON, as a JSON string."""
    return json.dumps(json.dumps(value))


class Entity:
    """The app's Inventory entity function, called as devhost calls it."""

    def __init__(self) -> None:
        fn = load_app(ROOT).durable("entityTrigger", "Inventory")
        assert fn is not None, "the app has no Inventory entity"
        self.fn = fn.callable

    def call(self, state: str | None, operation: str, value: dict[str, Any]) -> str:
        """One operation in a batch of its own; returns the state the entity stored."""
        request = json.dumps({"self": {"name": "Inventory", "key": SKU},
                              "exists": state is not None, "state": state,
                              "batch": [{"name": operation, "input": _input(value),
                                         "isSignal": False}]})
        out = json.loads(self.fn(context=func.EntityContext(request)))
        result = json.loads(out["results"][0]["result"])
        if not result.get("ok"):
            raise RuntimeError(f"{operation} refused: {result}")
        return str(out["entityState"])

    def run(self, state: str, order_id: str) -> str:
        return self.call(state, "reserve", reserve_input(order_id))

    def stocked(self, open_orders: int) -> str:
        """A catalog product with plenty of stock and `open_orders` reservations."""
        state = self.call(None, "command", {
            "type": "PriceProduct",
            "command": {"commandId": "cmd-price", "sku": SKU, "name": "Bench",
                        "unitPrice": 100, "currency": "EUR"},
            "principal": PRINCIPAL, "occurredAt": "2026-12-04T09:00:00.000000Z"})
        state = self.call(state, "command", {
            "type": "AdjustStock",
            "command": {"commandId": "cmd-stock", "sku": SKU, "delta": 1_000_000},
            "principal": PRINCIPAL, "occurredAt": "2026-12-04T09:00:00.000000Z"})
        for n in range(open_orders):
            state = self.run(state, f"ord-{n:024d}")
        return state


def measure(entity: Entity, open_orders: int, repeat: int) -> dict[str, Any]:
    state = entity.stocked(open_orders)
    size = len(state.encode())
    names = (f"ord-next-{n:019d}" for n in itertools.count())
    reused, decoded = [], []
    for _ in range(repeat):
        # Reused: this process stored the state last, so the entity does not decode it again.
        started = time.perf_counter()
        state = entity.run(state, next(names))
        reused.append(time.perf_counter() - started)
    for _ in range(repeat):
        # Decoded: another process stored it last; the entity's cache holds some other state.
        entity.run(entity.stocked(0), "ord-evict")
        started = time.perf_counter()
        entity.run(state, next(names))
        decoded.append(time.perf_counter() - started)
    return {"open_orders": open_orders, "state_bytes": size,
            "reserve_ms_reused": round(min(reused) * 1000, 3),
            "reserve_ms_decoded": round(min(decoded) * 1000, 3)}


def write(rows: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"rows": rows, "python": platform.python_version(), "machine": platform.machine(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (RESULTS / "entity_state_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Inventory entity benchmark", "",
             "One `reserve` on an Inventory entity holding N open reservations, through the "
             "Durable SDK as devhost runs it (best of several), "
             f"Python {result['python']} on {result['machine']}, {result['when']}.", "",
             "| open reservations | state (bytes) | reserve, state reused (ms) "
             "| reserve, state decoded (ms) |", "|---|---|---|---|",
             *(f"| {r['open_orders']} | {r['state_bytes']} | {r['reserve_ms_reused']} | "
               f"{r['reserve_ms_decoded']} |" for r in rows)]
    (RESULTS / "entity_state_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,100,500,2000,10000",
                        help="numbers of open reservations to measure at")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    settings = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    with tempfile.TemporaryDirectory(prefix="entity-bench-") as tmp:
        os.environ.update({**settings, "ORDERS_DATA_DIR": f"{tmp}/orders",
                           "FIELD_KEYS_DIR": f"{tmp}/keys"})
        entity = Entity()
        write([measure(entity, int(n), args.repeat) for n in args.sizes.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
