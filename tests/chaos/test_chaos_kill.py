"""Kill under load: the host and each of its workers are SIGKILLed while clients order.

Concurrent clients place orders for scarce stock and ship, deliver and cancel them; meanwhile
the host (then each worker process in turn, FUNCTIONS_WORKER_PROCESS_COUNT=2 as the app runs
locally) is killed at random moments and the host restarted on the same data. Afterwards:
every accepted command ended succeeded or failed, none lost and none run twice (each order's
version counts its succeeded commands); stock never oversold and the counts add up from the
orders; each customer's open balance is the total of their open orders; and every view equals
a rebuild from the event archive.

Short (make test): 150 orders, 3 kills. ``CHAOS_LONG=1``: 2,000 orders, 30 kills.
``CHAOS_RESULTS=1`` writes bench/results/chaos_kill.{json,md}.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from chaos_world import (
    ROOT,
    Shop,
    chaos_monkey,
    check_books,
    distinct_commands,
    host_env,
    long_run,
    views_match_the_archive,
    views_match_the_orders,
)
from devhost.testing import DevhostProcess

pytestmark = pytest.mark.slow
ORDERS, KILLS = (2000, 30) if long_run() else (150, 3)
CLIENTS = 8
SEED = int(os.environ.get("CHAOS_SEED", "7"))
# Scarce: about a third of what the clients ask for (avg 1.5 lines of 2 units per order).
SKUS = {"CHAOS-A": 500, "CHAOS-B": 700, "CHAOS-C": 900}
STOCK = max(20, ORDERS // 3)
# Credit for about a tenth of the orders at once per client: stock, not credit, runs out first.


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Shop, Path]]:
    data = tmp_path_factory.mktemp("chaos-kill")
    env = host_env(data, "ChaosKill")
    assert env["FUNCTIONS_WORKER_PROCESS_COUNT"] == "2"
    process = DevhostProcess(ROOT, data / "devhost", env=env).start(timeout=60)
    try:
        yield (Shop(process, SEED, SKUS, STOCK, credit_limit=170 * ORDERS, clients=CLIENTS),
               data / "orders")
    finally:
        process.stop()


def test_no_command_is_lost_or_run_twice_when_processes_die(shop: tuple[Shop, Path]) -> None:
    store, data = shop
    started = time.monotonic()
    store.open_shop()
    kills = ["host" if i % 3 == 0 else f"worker-{(i // 3 + i) % 2}" for i in range(KILLS)]
    per_client = [ORDERS // CLIENTS + (n < ORDERS % CLIENTS) for n in range(CLIENTS)]
    finished = threading.Event()
    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        monkey = pool.submit(chaos_monkey, store, kills, ORDERS, finished.is_set)
        clients = [pool.submit(store.client, n, count) for n, count in enumerate(per_client)]
        for client in clients:
            client.result()
        finished.set()
        kill_log = monkey.result()
    outcomes = store.finish()
    books = check_books(store)
    views = views_match_the_archive(data)
    views_match_the_orders(store, data)

    assert len(kill_log) == KILLS, kill_log  # every kill landed while the clients worked
    assert {k["target"] for k in kill_log} >= {"host", "worker-0", "worker-1"} or KILLS < 3
    assert not store.server_errors, store.server_errors
    placed = sum(n for key, n in outcomes.items() if key == "place succeeded")
    assert placed > 0 and any(k.startswith("place failed InsufficientStock") for k in outcomes), \
        outcomes
    write_results(store, outcomes, books, views, kill_log, time.monotonic() - started)


def write_results(store: Shop, outcomes: Any, books: dict[str, Any], views: dict[str, int],
                  kill_log: list[dict[str, Any]], seconds: float) -> None:
    if os.environ.get("CHAOS_RESULTS", "") in ("", "0"):
        return
    figures = {
        "run": "long" if long_run() else "short", "seed": SEED, "clients": CLIENTS,
        "ordersSent": ORDERS, "kills": kill_log, "killCount": len(kill_log),
        "commandsAccepted": len(distinct_commands(store.sent)),
        "acceptedAnswers": len(store.sent),
        "commandsByOutcome": dict(sorted(outcomes.items())),
        "refusedAtTheEdge": dict(store.refused), "retriesAfterDeadHost": store.retries,
        "serverErrors": dict(store.server_errors), "orders": books, "views": views,
        "seconds": round(seconds, 1),
    }
    out = ROOT / "bench" / "results"
    (out / "chaos_kill.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [
        f"# Kill under load ({figures['run']} run)", "",
        f"{CLIENTS} clients sent {ORDERS} orders (plus ships, deliveries and cancellations) "
        f"for 3 scarce SKUs ({STOCK} units each) against devhost with 2 workers, while "
        f"{len(kill_log)} SIGKILLs hit the host and each worker in turn; {seconds:.0f} s in all.",
        "", "| | |", "|---|---|",
        f"| commands accepted (202) | {figures['commandsAccepted']} |",
        f"| requests sent again after a dead host | {store.retries} |",
        f"| refused at the edge | {dict(store.refused)} |",
        f"| orders by final status | {books['byStatus']} |",
        f"| events in the archive | {views['events']} |", "",
        "| command outcome | count |", "|---|---|",
        *[f"| {key} | {n} |" for key, n in sorted(outcomes.items())], "",
        "| kill | target | after orders | restart (s) |", "|---|---|---|---|",
        *[f"| {i} | {k['target']} | {k['afterOrders']} | {k['restartSeconds']} |"
          for i, k in enumerate(kill_log, 1)], "",
        "Checked after the run: every accepted command succeeded or failed (none lost); each "
        "order's version is the number of its succeeded commands (none ran twice); on hand "
        "and reserved stock equal what the orders say, 0 <= reserved <= on hand; each open "
        "credit balance is the total of the customer's open orders; the views equal a rebuild "
        "from the event archive and show each order's status and version.",
    ]
    (out / "chaos_kill.md").write_text("\n".join(lines) + "\n")
