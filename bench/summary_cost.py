"""Projection cost benchmark (not a test): what one event costs as its customer's orders grow.

Folds, through the app's own ``Projector`` on the embedded SQLite view store (in memory, no
cache), the events of one customer who already has N placed orders, and counts per event what
the fold asked of the store: point reads, queries (``customer_orders`` pages) and the documents
they returned, writes, and the time. Measured events, each several times:

* ``registration``: the customer's ``CustomerRegistered``, delivered after the N orders (Event
  Grid may reorder; the profile must reach every order's answer), once;
* ``place``: a new order of the customer (``OrderPlaced``);
* ``ship``: that order shipped (``OrderShipped``);
* ``redelivery``: the ``OrderShipped`` again (Event Grid delivers at least once);
* ``profile``: the customer's credit currency changed (``CreditLimitChanged``).

Rounds 2 and later also find the orders of the rounds before (N + up to ``repeat - 1``).
The existing orders are seeded through the same projector (one ``OrderPlaced`` each); the
script uses only the projector's public surface, so it also measures an older checkout
(``PYTHONPATH=<checkout> python bench/summary_cost.py --label before``).

Writes ``bench/results/summary_cost.<label>.json``.
Usage: ``python bench/summary_cost.py [--sizes 0,1000,10000] [--repeat 5] [--label after]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))

from contracts.customer_events import CreditLimitChanged, CustomerRegistered  # noqa: E402
from contracts.events import Event, to_event_grid  # noqa: E402
from contracts.order_events import OrderPlaced, OrderShipped  # noqa: E402
from contracts.payload import EventPayload  # noqa: E402
from contracts.values import OrderLine, ShippingAddress  # noqa: E402
from projections.projector import Projector  # noqa: E402
from readmodels.sqlite_views import SqliteViewStore  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CUSTOMER = "c-bench"
START = datetime(2026, 1, 1, tzinfo=UTC)
ADDRESS = ShippingAddress("enc:v1:n", "enc:v1:s", "enc:v1:c", "enc:v1:p", "DE")


class CountingViews:
    """The view store, counting what the projector asks of it."""

    def __init__(self, inner: SqliteViewStore) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()

    def read(self, *args: Any, **kwargs: Any) -> Any:
        self.counts["reads"] += 1
        return self.inner.read(*args, **kwargs)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        self.counts["writes"] += 1
        return self.inner.create(*args, **kwargs)

    def replace(self, *args: Any, **kwargs: Any) -> Any:
        self.counts["writes"] += 1
        return self.inner.replace(*args, **kwargs)

    def customer_orders(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        page = self.inner.customer_orders(*args, **kwargs)
        self.counts["queries"] += 1
        self.counts["rows_read"] += len(page)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def event(payload: EventPayload, aggregate: str, version: int, second: int) -> dict[str, Any]:
    at = (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return to_event_grid(Event.create(payload, aggregate_id=aggregate, version=version,
                                      occurred_at=at, actor="bench"))


def placed(order_id: str, second: int) -> dict[str, Any]:
    payload = OrderPlaced(CUSTOMER, "EUR", (OrderLine("SKU-1", 1, 100),), 100, ADDRESS)
    return event(payload, order_id, 1, second)


def count(views: CountingViews, fold: Callable[[], None]) -> Counter[str]:
    views.counts.clear()
    begun = time.perf_counter()
    fold()
    views.counts["us"] = round((time.perf_counter() - begun) * 1e6)
    return Counter(views.counts)


def measure(size: int, repeat: int) -> dict[str, Any]:
    views = CountingViews(SqliteViewStore(":memory:"))
    projector = Projector(views, None)  # type: ignore[arg-type]
    started = time.perf_counter()
    for index in range(size):
        projector.handle(placed(f"o-{index:06d}", index + 1))
    seeded = time.perf_counter() - started
    costs: dict[str, list[Counter[str]]] = {}
    # Delivered after the orders (any order is possible): the profile meets N orders.
    register = event(CustomerRegistered("Bench", "enc:v1:e", None, 10**6, "EUR"), CUSTOMER, 1,
                     0)
    costs["registration"] = [count(views, lambda: projector.handle(register))]
    second = size + 10
    for round_ in range(repeat):
        order_id = f"o-new-{round_}"
        ship = event(OrderShipped("DHL", f"T-{round_}"), order_id, 2, second + 1)
        steps = [("place", placed(order_id, second)), ("ship", ship), ("redelivery", ship),
                 ("profile", event(CreditLimitChanged(10**6 + round_, "EUR"), CUSTOMER,
                                   round_ + 2, second + 2))]
        second += 3
        for name, message in steps:
            costs.setdefault(name, []).append(
                count(views, lambda message=message: projector.handle(message)))
    per_event = {name: {key: round(sum(c[key] for c in runs) / len(runs), 1)
                        for key in ("reads", "queries", "rows_read", "writes", "us")}
                 for name, runs in costs.items()}
    return {"orders": size, "seed_seconds": round(seeded, 2), "per_event": per_event}


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| orders | event | point reads | queries | docs queried | writes | ms |",
             "|---|---|---|---|---|---|---|"]
    for result in results:
        for name, cost in result["per_event"].items():
            lines.append(f"| {result['orders']} | {name} | {cost['reads']} | {cost['queries']} "
                         f"| {cost['rows_read']} | {cost['writes']} "
                         f"| {cost['us'] / 1000:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(measure(size, args.repeat))
        print(f"{size} orders seeded in {results[-1]['seed_seconds']} s", file=sys.stderr)
    print(table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"label": args.label, "python": platform.python_version(),
            "machine": platform.machine(), "repeat": args.repeat,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    out = RESULTS / f"summary_cost.{args.label}.json"
    out.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
