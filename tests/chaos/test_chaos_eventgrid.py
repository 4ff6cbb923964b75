"""Event Grid chaos: duplicated, delayed, reordered and failed deliveries change no view.

The same script of commands (catalog prices and price changes, stock in and out, customers,
orders placed, shipped, delivered and cancelled, an address change, a credit limit) runs on a
clean host and on one with devhost's ``--chaos-eventgrid`` (duplicates, delays, reordering)
whose app also fails deliveries: a quarter of the events have their first delivery fail, half
of those before the fold, half after it (the fold written, the delivery still failed, as when
a process dies before it acknowledges). Afterwards the chaotic host's views are byte for byte
an in-order replay of its event archive, nothing is dead-lettered, and every answer a user
reads (orders, lists, summaries, products) is the clean run's, but for the times.

devhost's chaos mode has no failed deliveries of its own yet; ``flaky_app`` wraps the real app
and fails them in the Event Grid trigger (see the report: a ``--chaos-fail-rate`` would do it
in devhost).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from chaos_world import ADDRESS, ROOT, host_env
from devhost.testing import DevhostClient, DevhostProcess

from projections.projector import name_opener
from projections.rebuild import replay_archive
from readmodels.sqlite_archive import SqliteEventArchive
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import VIEWS
from security.keys import LocalKeyProvider

pytestmark = pytest.mark.slow
FLAKY_APP = '''"""The orders app, with its Event Grid trigger failing deliveries now and then."""
import hashlib
import importlib.util
import os
import sys

ROOT = os.environ["CHAOS_APP_ROOT"]
sys.path.insert(0, ROOT)
_spec = importlib.util.spec_from_file_location("orders_function_app",
                                               os.path.join(ROOT, "function_app.py"))
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
app = _module.app

from projections import triggers  # noqa: E402

_real = triggers.projector
_attempts: dict[str, int] = {}


def _note(what: str, event_id: str) -> None:
    with open(os.environ["CHAOS_FAIL_LOG"], "a") as log:
        log.write(f"{what} {event_id}\\n")


class _Flaky:
    def __init__(self, inner):
        self.inner = inner

    def handle(self, message):
        event_id = str(message.get("id"))
        first = _attempts.get(event_id, 0) == 0
        _attempts[event_id] = _attempts.get(event_id, 0) + 1
        share = int(hashlib.sha256(event_id.encode()).hexdigest(), 16) % 8
        if first and share == 0:
            _note("before", event_id)
            raise RuntimeError("chaos: the delivery failed before the fold")
        self.inner.handle(message)
        if first and share == 1:
            _note("after", event_id)
            raise RuntimeError("chaos: the delivery failed after the fold")


triggers.projector = lambda: _Flaky(_real())
'''


def start(root: Path, data: Path, hub: str, args: list[str], extra: dict[str, str]
          ) -> tuple[DevhostProcess, Path]:
    env = {**host_env(data, hub), **extra,
           "DEVHOST_EVENTGRID_SUBSCRIPTIONS": str(ROOT / "infra" / "eventgrid-subscriptions.json")}
    process = DevhostProcess(root, data / "devhost", args=args, env=env).start(timeout=60)
    return process, data / "orders"


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app = tmp_path_factory.mktemp("flaky-app")
    shutil.copy(ROOT / "host.json", app / "host.json")
    (app / "function_app.py").write_text(FLAKY_APP)
    fail_log = app / "failures.log"
    fail_log.touch()
    clean, clean_data = start(ROOT, tmp_path_factory.mktemp("eg-clean"), "EgClean", [], {})
    chaos, chaos_data = start(
        app, tmp_path_factory.mktemp("eg-chaos"), "EgChaos",
        ["--chaos-eventgrid", "--chaos-seed", "5", "--chaos-max-delay", "0.5",
         "--eventgrid-retry-delay", "0.2"],
        {"CHAOS_APP_ROOT": str(ROOT), "CHAOS_FAIL_LOG": str(fail_log)})
    try:
        yield {"clean": (clean, clean_data), "chaos": (chaos, chaos_data), "failures": fail_log}
    finally:
        clean.stop()
        chaos.stop()


class Script:
    """The commands, each awaited, with the same ids and bodies on either host."""

    def __init__(self, process: DevhostProcess) -> None:
        self.host = DevhostClient(process)
        self.tokens: dict[str, str] = {}

    def token(self, who: str) -> str:
        role = {"fred": "fulfilment", "ada": "admin", "sue": "support"}.get(who, "customer")
        if who not in self.tokens:
            self.tokens[who] = self.host.token(who, [role])
        return self.tokens[who]

    def run(self, method: str, path: str, body: Any, who: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        sent = self.host.http(method, f"api/{path}", json=body, headers=headers)
        if sent.status_code != 202:
            return {"status": f"refused {sent.status_code}"}
        command_id = sent.json()["commandId"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.host.http("GET", f"api/commands/{command_id}",
                                    headers={**headers, "Prefer": "wait=5"}).json()
            if status["status"] in ("succeeded", "failed"):
                return dict(status)
        raise AssertionError(f"{method} {path} never finished")

    def play(self) -> list[str]:
        outcomes = []

        def do(method: str, path: str, body: Any, who: str) -> None:
            done = self.run(method, path, body, who)
            outcomes.append(f"{method} {path}: {done['status']} "
                            f"{(done.get('error') or {}).get('code', '')}".strip())

        for sku, price in (("EG-1", 1200), ("EG-2", 450), ("EG-3", 999)):
            do("PUT", f"products/{sku}", {"name": f"Product {sku}", "unitPrice": price,
                                          "currency": "EUR"}, "fred")
            do("POST", f"products/{sku}/stock", {"delta": 40}, "fred")
        for who in ("kim", "lou", "max"):
            do("POST", "customers", {"name": who.title(), "email": f"{who}@example.com",
                                     "phone": "+49 30 555"}, who)
        do("PUT", "customers/max/credit-limit", {"amount": 3000, "currency": "EUR"}, "ada")
        for n in range(12):
            who = ("kim", "lou", "max")[n % 3]
            lines = [{"sku": ("EG-1", "EG-2", "EG-3")[n % 3], "quantity": 1 + n % 4}]
            if n % 2:
                lines.append({"sku": "EG-2" if n % 3 != 1 else "EG-3", "quantity": 2})
            do("POST", "orders", {"orderId": f"eg-{n}", "currency": "EUR", "lines": lines,
                                  "shippingAddress": ADDRESS}, who)
            if n == 5:  # a price change between orders: later orders take the new price
                do("PUT", "products/EG-2", {"name": "Product EG-2 (new)", "unitPrice": 500,
                                            "currency": "EUR"}, "fred")
        for n in (0, 1, 4, 7):
            do("POST", f"orders/eg-{n}/ship", {"carrier": "DHL", "trackingNumber": f"EG{n}"},
               "fred")
        for n in (0, 4):
            do("POST", f"orders/eg-{n}/deliver", {}, "fred")
        for n, who in ((2, "max"), (3, "kim"), (1, "lou")):  # eg-1 is shipped: refused
            do("POST", f"orders/eg-{n}/cancel", {"reason": "changed mind"}, who)
        do("POST", "orders/eg-6/address", {"shippingAddress": {**ADDRESS, "city": "Hamburg"}},
           "kim")
        do("POST", "orders/eg-9/cancel", {"reason": "support"}, "sue")
        do("POST", "products/EG-1/stock", {"delta": -5, "reason": "damaged"}, "fred")
        do("POST", "customers", {"customerId": "kim", "name": "Kim K.",
                                 "email": "kim@example.com"}, "kim")  # already exists: fails
        return outcomes

    def answers(self) -> dict[str, Any]:
        """What users read, from the query routes (times masked: the runs are minutes apart)."""
        reads = [("kim", "customers/kim/orders?limit=100"), ("lou", "customers/lou/summary"),
                 ("max", "customers/max/summary"), ("kim", "customers/kim/summary"),
                 ("sue", "orders?search=eg-"), ("fred", "products/EG-1"),
                 ("fred", "products/EG-2"), ("fred", "products/EG-3"),
                 *[("sue", f"orders/eg-{n}") for n in range(12)]]
        out = {}
        for who, path in reads:
            answer = requests.get(f"{self.host.url}/api/{path}", timeout=30,
                                  headers={"Authorization": f"Bearer {self.token(who)}"})
            out[path] = (answer.status_code, mask_times(answer.json()))
        return out


_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def mask_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: mask_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_times(v) for v in value]
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    return value


def view_bytes(views: SqliteViewStore) -> dict[str, list[str]]:
    return {view: [json.dumps(doc) for doc in views.scan(view)] for view in VIEWS}


def settled(data: Path, timeout: float = 60) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The live views and an in-order replay of the archive, once they agree (or the deadline)."""
    views = SqliteViewStore(data / "views.db")
    archive = SqliteEventArchive(data / "event-archive.db")
    open_name = name_opener(LocalKeyProvider(data.parent / "keys"))  # names are sealed
    deadline = time.monotonic() + timeout
    while True:
        replayed = view_bytes(replay_archive(archive, io.StringIO(), open_name)[0])
        live = view_bytes(views)
        if live == replayed or time.monotonic() > deadline:
            return live, replayed
        time.sleep(0.2)  # deliveries still due (delays, retries): read again


def test_views_survive_duplicates_reordering_failures_and_delays(hosts: dict[str, Any]) -> None:
    clean_process, clean_data = hosts["clean"]
    chaos_process, chaos_data = hosts["chaos"]
    clean, chaos = Script(clean_process), Script(chaos_process)
    outcomes = chaos.play()
    assert outcomes == clean.play()  # the same commands, with the same outcomes
    assert sum("succeeded" in o for o in outcomes) >= 30, outcomes

    live, replayed = settled(chaos_data)
    assert live == replayed  # byte for byte: an in-order, once-only fold of the same events
    assert settled(clean_data)[0] == settled(clean_data)[1]
    assert chaos.answers() == clean.answers()

    failures = hosts["failures"].read_text().split()
    assert {"before", "after"} <= set(failures[::2]), "no delivery failed"
    letters = subprocess.run([sys.executable, "-m", "devhost", "deadletters", "list", "--data",
                              str(chaos_process.data_dir)], capture_output=True, text=True,
                             timeout=60, check=True, env={**os.environ})
    assert letters.stdout.strip() == ""
    deliveries = chaos_process.output().count('"function": "project_views"')
    events = len(replayed["order_details"])
    assert deliveries > events  # duplicates and retries happened
