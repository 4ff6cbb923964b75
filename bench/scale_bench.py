"""Scale benchmark (not a test): does the cost of one operation stay flat as the data grows?

Three parts, on the embedded stores (``ORDERS_STORE=embedded``), each at several sizes:

1. ``inventory``: one SKU with N open orders. The app's ``Inventory`` entity function is called
   through the Durable SDK as devhost calls it (a batch request in, the batch result out, JSON
   both ways); N open orders are N ``reserve`` steps, each with its own command id. Measured:
   the stored state's size and one ``reserve``, with the state reused (this process stored it
   last, see ``entities/triggers.py``) and decoded afresh (another process stored it).
2. ``customer``: one customer with N orders. Seeded in bulk (see below), then on a running
   devhost: place-order latency, ``POST /api/orders`` to ``succeeded`` (long poll) and to the
   order counted in ``GET /api/customers/{id}/summary`` (the projection included); and, with the
   host stopped, the cost of folding one more ``OrderPlaced`` of that customer through the app's
   ``Projector`` on the seeded SQLite view store: time and the documents it read and wrote.
3. ``store``: N stored orders of many customers (``--orders-per-customer``, 1,000 by default),
   seeded in bulk, then on a devhost pointed at those stores: query latency for order details,
   a customer's order page (the first one and one at a random depth) and the summary, cache
   misses and hits; place-order throughput with that data present (``orders_bench``'s clients);
   and the fold of one more ``OrderPlaced`` of a seeded customer, as in part 2.

How parts 2 and 3 seed (without the O(N) of replaying every command):

* the views: each order's documents come from the app's pure folds (``projections.fold``), one
  ``OrderPlaced`` event at a time, and are written straight into the adapter's tables in its own
  row format; each customer's summary is folded from its registration and every order's row
  the way the committed projector folds it. Before seeding, ``check_seeding`` folds the same
  events for a small customer through the real ``Projector`` and stops the bench if any document
  differs: the seeded views are exactly what the app would have written.
* the event archive: every event a placement archives (``OrderPlaced``, ``CreditReserved``,
  ``StockReserved``) and each customer's ``CustomerRegistered``, through
  ``SqliteEventArchive.append``. Addresses and e-mails are real envelopes under each customer's
  key, sealed as the API seals them (``api.edge_crypto``), so queries decrypt as usual.
* devhost's store (the write model): in part 2 the customer's and the SKU's entity states come
  from N real ``reserveCredit`` / ``reserve`` steps run through the entity functions; in part 3
  every seeded order gets an ``Order`` entity and every seeded customer a ``Customer`` entity,
  copied from the states a real placement left (ids substituted). Orchestration instances and
  their histories are not seeded.

Each size of part 3 gets a folder of its own, seeded on a copy of the size before (10,000, then
90,000 more, ...) by two worker processes. Parts 2 and 3 seed every size first and then measure
in rounds (``--measuring``) that take the sizes in turn, keeping each figure's best round: the
machine is shared, and its load drifting over time then falls on every size alike.
Writes ``bench/results/scale_bench.{json,md}`` and the plot ``scale_bench.png`` (bench/plots.py).

Usage: ``python bench/scale_bench.py [--parts inventory,customer,store]
[--inventory-sizes 0,1000,10000,100000] [--customer-sizes 0,1000,10000]
[--store-sizes 10000,100000,1000000] [--quick] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import itertools
import json
import multiprocessing
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULTS = ROOT / "bench" / "results"
SETTINGS = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
CREDIT = 10**12
TARGET_RATIO = 1.2  # each figure at the largest size within ±20% of the smallest
STATE_LIMIT = 8 * 1024  # entity state under 8 KB at any size
FULFILMENT = {"userId": "fred", "roles": ["fulfilment"], "name": "Fred", "authType": "aad"}
ADDRESS = {"name": "Ada Bench", "street": "Loop 1", "city": "Berlin", "postalCode": "10115",
           "country": "DE"}
START = datetime(2025, 1, 1, tzinfo=UTC)
PRICE = 999
SEED_SKUS = [f"SEED-{i}" for i in range(10)]
TEMPLATE_CUSTOMER = "scale-template-customer"


def _environment(work: Path) -> dict[str, str]:
    """The app's settings for this process and every host: one key folder for the whole run
    (the app caches its settings and key provider), the data folder per host."""
    return {**SETTINGS, "ORDERS_DATA_DIR": str(work / "unused-orders"),
            "FIELD_KEYS_DIR": str(work / "keys"), "ORDERS_TASK_HUB": "Scale",
            "DEVHOST_LOG_LEVEL": "WARNING", "DEFAULT_CREDIT_LIMIT": str(CREDIT)}


# The app's modules read the settings when first used; main() sets them before these imports
# are used (they are imported here so that ruff and readers see them in one place).
import azure.functions as func  # noqa: E402

from contracts.customer_events import CreditReserved, CustomerRegistered  # noqa: E402
from contracts.events import Event, to_event_grid  # noqa: E402
from contracts.inventory_events import StockReserved  # noqa: E402
from contracts.order_events import OrderPlaced  # noqa: E402
from contracts.values import OrderLine, ShippingAddress  # noqa: E402
from contracts.wire import format_timestamp  # noqa: E402
from projections import fold  # noqa: E402
from projections.projector import Projector  # noqa: E402
from readmodels import sqlite_views  # noqa: E402
from readmodels.sqlite_archive import SqliteEventArchive  # noqa: E402
from readmodels.sqlite_views import SqliteViewStore  # noqa: E402
from readmodels.views import (  # noqa: E402
    CUSTOMER_ORDERS,
    CUSTOMER_SUMMARY,
    ORDER_DETAILS,
    check_document,
)
from security.crypto import FieldCipher, field_aad  # noqa: E402
from security.keys import KeyProvider, LocalKeyProvider, customer_key_name  # noqa: E402

# devhost is first-party in one checkout and an installed package in another: kept apart.
# isort: off
from devhost.loader import load_app  # noqa: E402
from devhost.records import Batch  # noqa: E402
from devhost.store import Store  # noqa: E402
from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402
from summary_cost import CountingViews  # noqa: E402
# isort: on

Doc = dict[str, Any]


# -- measuring -------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def spread(values: list[float], name: str) -> dict[str, float]:
    """p50 and p99 (and best) of timings in seconds, as ``<name>_ms_<stat>`` in milliseconds."""
    return {f"{name}_ms_p50": ms(percentile(values, 50)),
            f"{name}_ms_p99": ms(percentile(values, 99)),
            f"{name}_ms_best": ms(min(values)) if values else 0.0}


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``itertools.batched`` (Python 3.12) for 3.11."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "memory": memory,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


APP_PATHS = ("activities", "api", "contracts", "entities", "orchestrators", "projections",
             "readmodels", "security", "observability", "devhost", "function_app.py",
             "app_settings.py", "host.json")


def checkout() -> dict[str, Any]:
    """The commit measured, and how many files of the app (and devhost) differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                                  text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    changed: Counter[str] = Counter()
    for line in git("status", "--porcelain", "--untracked-files=no").splitlines():
        top = line[3:].split(" -> ")[-1].split("/", 1)[0]
        if top in APP_PATHS:
            changed[top] += 1
    return {"commit": git("rev-parse", "HEAD").strip(),
            "subject": git("log", "-1", "--format=%s").strip(),
            "uncommitted": [f"{top} ({count} files)" for top, count in sorted(changed.items())]}


def file_bytes(*paths: Path) -> int:
    return sum(Path(f"{p}{suffix}").stat().st_size for p in paths for suffix in ("", "-wal")
               if Path(f"{p}{suffix}").exists())


# -- entity functions, called as devhost calls them ------------------------------------------

def _input(value: Any) -> str:
    """An operation's input as an orchestration sends it: the SDK's JSON, as a JSON string."""
    return json.dumps(json.dumps(value))


@functools.cache
def the_app() -> Any:
    """The app, loaded once: its functions register themselves by name."""
    return load_app(ROOT)


class EntityFunction:
    """One of the app's entity functions (``Inventory``, ``Customer``), for one key."""

    def __init__(self, name: str, key: str) -> None:
        fn = the_app().durable("entityTrigger", name)
        assert fn is not None, f"the app has no {name} entity"
        self.fn, self.name, self.key = fn.callable, name, key

    def call(self, state: str | None, operation: str, value: Doc) -> tuple[str, Doc]:
        """One operation in a batch of its own: the state the entity stored, and its result."""
        request = json.dumps({"self": {"name": self.name, "key": self.key},
                              "exists": state is not None, "state": state,
                              "batch": [{"name": operation, "input": _input(value),
                                         "isSignal": False}]})
        out = json.loads(self.fn(context=func.EntityContext(request)))
        result = json.loads(out["results"][0]["result"])
        if not result.get("ok"):
            raise RuntimeError(f"{self.name} {operation} refused: {result}")
        return str(out["entityState"]), result

    def step(self, state: str, operation: str, at: str, principal: Doc = FULFILMENT,
             **fields: Any) -> tuple[str, Doc]:
        """A workflow step, with the command id of the order it is for."""
        return self.call(state, operation, {
            **fields, "principal": principal, "occurredAt": at,
            "commandId": f"cmd-{fields['orderId']}"})


# -- part 1: the Inventory entity ------------------------------------------------------------

def stocked_inventory(entity: EntityFunction) -> str:
    """A catalog product with plenty of stock and no open orders."""
    state = None
    for command_type, command in (
            ("PriceProduct", {"commandId": "cmd-price", "sku": entity.key, "name": "Bench",
                              "unitPrice": 100, "currency": "EUR"}),
            ("AdjustStock", {"commandId": "cmd-stock", "sku": entity.key, "delta": 1_000_000})):
        state, _ = entity.call(state, "command", {
            "type": command_type, "command": command, "principal": FULFILMENT,
            "occurredAt": "2026-12-04T09:00:00.000000Z"})
    assert state is not None
    return state


def reserve(entity: EntityFunction, state: str, order_id: str) -> str:
    return entity.step(state, "reserve", "2026-12-04T10:00:00.000000Z", orderId=order_id,
                       quantity=1, currency="EUR")[0]


def inventory_part(sizes: list[int], repeat: int) -> list[Doc]:
    entity = EntityFunction("Inventory", "BENCH-SKU")
    empty = stocked_inventory(entity)
    state, held, rows = empty, 0, []
    for size in sorted(sizes):
        started = time.perf_counter()
        for n in range(held, size):  # seeding continues from the size before
            state = reserve(entity, state, f"ord-{n:024d}")
        held = size
        seeded = time.perf_counter() - started
        names = (f"ord-next-{size}-{n:013d}" for n in itertools.count())
        reused, decoded, measured = [], [], state
        for _ in range(repeat):
            # Reused: this process stored the state last, so the entity does not decode it.
            began = time.perf_counter()
            measured = reserve(entity, measured, next(names))
            reused.append(time.perf_counter() - began)
        for _ in range(repeat):
            # Decoded: another process stored it last; the entity's cache holds another state.
            reserve(entity, empty, "ord-evict")
            began = time.perf_counter()
            reserve(entity, measured, next(names))
            decoded.append(time.perf_counter() - began)
        rows.append({"size": size, "state_bytes": len(state.encode()),
                     "reserve_reused_ms_best": ms(min(reused)),
                     "reserve_reused_ms_p50": ms(statistics.median(reused)),
                     "reserve_decoded_ms_best": ms(min(decoded)),
                     "reserve_decoded_ms_p50": ms(statistics.median(decoded)),
                     "seed_seconds": round(seeded, 1)})
        print(f"inventory: {rows[-1]}", file=sys.stderr)
    return rows


# -- bulk seeding ----------------------------------------------------------------------------

class RememberedKeys:
    """The local key provider, asked once per key: it checks the key file on every call, which
    would dominate sealing a million addresses. The keys (and so the envelopes) are the same."""

    def __init__(self, inner: KeyProvider) -> None:
        self.inner = inner
        self.known: dict[str, tuple[str, bytes]] = {}

    def current(self, key_name: str) -> tuple[str, bytes]:
        if key_name not in self.known:
            self.known[key_name] = self.inner.current(key_name)
        return self.known[key_name]

    def get(self, key_name: str, version: str) -> bytes:
        return self.inner.get(key_name, version)


_cipher: FieldCipher | None = None


def seal(record: str, record_id: str, customer_id: str, field: str, value: str) -> str:
    """As the API seals (``api.edge_crypto``): the customer's key, bound to record and field."""
    global _cipher
    if _cipher is None:
        _cipher = FieldCipher(RememberedKeys(LocalKeyProvider(os.environ["FIELD_KEYS_DIR"])))
    return _cipher.encrypt(value, field_aad(record, record_id, field),
                           key_name=customer_key_name(customer_id))


def sealed_address(order_id: str, customer_id: str) -> ShippingAddress:
    return ShippingAddress.from_dict({
        **ADDRESS, **{name: seal("order", order_id, customer_id, f"shippingAddress.{name}",
                                 ADDRESS[name])
                      for name in ("name", "street", "city", "postalCode")}})


def stamp(moment: datetime) -> str:
    return format_timestamp(moment)


def placed_event(customer_id: str, order_id: str, at: str, sku: str) -> Event:
    return Event.create(OrderPlaced(customer_id, "EUR", (OrderLine(sku, 1, PRICE),), PRICE,
                                    sealed_address(order_id, customer_id)),
                        aggregate_id=order_id, version=1, occurred_at=at, actor=customer_id)


def registered_event(customer_id: str, at: str) -> Event:
    email = seal("customer", customer_id, customer_id, "email", f"{customer_id}@example.com")
    return Event.create(CustomerRegistered(f"Customer {customer_id}", email, None, CREDIT, "EUR"),
                        aggregate_id=customer_id, version=1, occurred_at=at, actor=customer_id)


def order_id_of(customer_id: str, n: int) -> str:
    """An id of the API's form (``ord-`` and 24 hex digits), reproducible for sampling."""
    return "ord-" + hashlib.blake2b(f"{customer_id}/{n}".encode(), digest_size=12).hexdigest()


def _totals(summary: Doc | None, customer_id: str, rows: list[Doc]) -> Doc:
    """The summary after every row of the customer, as the committed projector folds it."""
    if hasattr(fold, "summarize"):  # the totals recomputed from every row, on every event
        return dict(fold.summarize(summary, customer_id, rows))
    if hasattr(fold, "count_order") and hasattr(fold, "settle_order"):  # counted per order
        current = summary
        for row in rows:
            current = fold.count_order(current, customer_id, row, None) or current
            current = fold.settle_order(current, str(row["orderId"]), row) or current
        assert current is not None
        return current
    raise SystemExit("projections.fold has neither summarize nor count_order/settle_order: "
                     "teach scale_bench._totals how the projector folds a summary now")


def fold_customer(customer_id: str, summary: Doc | None,
                  orders: list[Event]) -> tuple[list[Doc], list[Doc], Doc]:
    """The order documents, list rows and summary the projector writes for ``orders`` (every
    order of the customer) on top of ``summary`` (its registration folded)."""
    docs = [fold.apply_order_event(None, event) for event in orders]
    rows = [fold.customer_row(doc) for doc in docs]
    summary = _totals(summary, customer_id, [row for row in rows if row is not None])
    if "customerVersion" in fold.new_order_doc("x"):  # order documents copy the profile
        profile = summary.get("profile")
        docs = [fold.with_customer(doc, profile) or doc for doc in docs]
    return [d for d in docs if d is not None], [r for r in rows if r is not None], summary


def check_seeding() -> None:
    """Stop unless seeding gives exactly the documents the real projector writes."""
    customer = "scale-check"
    registration = registered_event(customer, stamp(START))
    orders = [placed_event(customer, order_id_of(customer, n),
                           stamp(START + timedelta(hours=n + 1)), SEED_SKUS[n % 10])
              for n in range(25)]
    real = SqliteViewStore(":memory:")
    projector = Projector(real, None)
    for event in (registration, *orders):
        projector.apply(event)
    docs, rows, summary = fold_customer(customer, fold.apply_customer_event(None, registration),
                                        orders)
    seeded = {ORDER_DETAILS: docs, CUSTOMER_ORDERS: rows, CUSTOMER_SUMMARY: [summary]}
    for view, expected in seeded.items():
        written = sorted(real.scan(view), key=lambda d: str(d["id"]))
        if written != sorted(expected, key=lambda d: str(d["id"])):
            raise SystemExit(f"seeded {view} documents differ from the projector's: update "
                             "scale_bench.fold_customer to the projector's current folds")


def view_rows(view: str, docs: Iterable[Doc]) -> list[tuple[Any, ...]]:
    """Rows of the embedded view store's tables, as its ``create`` writes them."""
    return [(check_document(view, doc), doc["id"], uuid.uuid4().hex, json.dumps(doc),
             *sqlite_views._columns(doc)) for doc in docs]


def insert_views(views: SqliteViewStore, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """One transaction for a block of documents (``create`` commits each one)."""
    with views._lock, views._db:
        for view, values in rows.items():
            table = sqlite_views._table(view, views.generations()[view])
            views._db.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                                  values)


# -- hosts -----------------------------------------------------------------------------------

@contextlib.contextmanager
def running_host(folder: Path, env: dict[str, str]) -> Iterator[tuple[DevhostProcess,
                                                                       DevhostClient]]:
    process = DevhostProcess(ROOT, folder / "devhost",
                             env={**env, "ORDERS_DATA_DIR": str(folder / "orders")}).start()
    try:
        yield process, DevhostClient(process)
    finally:
        process.stop()


def host_store(folder: Path) -> Store:
    return Store(folder / "devhost" / "devhost.db")


def entity_row(store: Store, name: str, key: str) -> tuple[str, str]:
    row = store._query("SELECT entity_id, state FROM entities WHERE name = ? AND key = ?",
                       (name.lower(), key))
    assert row, f"no {name} entity {key} in the host's store"
    return str(row[0]["entity_id"]), str(row[0]["state"])


def write_entities(store: Store, rows: list[tuple[str, str, str, str, float]]) -> None:
    store.commit(Batch(entities=rows))


# -- part 2: one customer with N orders ------------------------------------------------------

CUSTOMER = "scale-customer"
CUSTOMER_SKU = "SCALE-C"
# place_order runs its steps as the caller.
BUYER = {"userId": CUSTOMER, "roles": ["customer"], "name": "Scale", "authType": "aad"}


def _orders_client() -> Any:
    import orders_bench  # the benches' HTTP client (bench/orders_bench.py)

    return orders_bench


def customer_setup(host: DevhostClient) -> None:
    ob = _orders_client()
    fred, buyer = ob.Client(host, "fred", "fulfilment"), ob.Client(host, CUSTOMER, "customer")
    fred.finish(fred.post(f"products/{CUSTOMER_SKU}", {"name": "Scale", "unitPrice": PRICE,
                                                       "currency": "EUR"}, method="PUT")[0])
    fred.finish(fred.post(f"products/{CUSTOMER_SKU}/stock", {"delta": 1_000_000})[0])
    buyer.finish(buyer.post("customers", {"name": "Scale Customer",
                                          "email": "scale@example.com"})[0])
    host.wait_idle(kinds=("ctrl", "activity", "entity", "eventgrid"))


def seed_customer(folder: Path, size: int) -> None:
    """N open orders of the customer: its and the SKU's entity states through N real steps,
    its views folded in bulk, every event a placement archives."""
    store = host_store(folder)
    try:
        customer_id, customer_state = entity_row(store, "Customer", CUSTOMER)
        sku_id, sku_state = entity_row(store, "Inventory", CUSTOMER_SKU)
        customer_fn = EntityFunction("Customer", CUSTOMER)
        sku_fn = EntityFunction("Inventory", CUSTOMER_SKU)
        orders, messages = [], []
        for n in range(size):
            order_id = order_id_of(CUSTOMER, n)
            at = stamp(START + timedelta(minutes=n))
            sku_state, held = sku_fn.step(sku_state, "reserve", at, BUYER, orderId=order_id,
                                          quantity=1, currency="EUR")
            customer_state, credit = customer_fn.step(customer_state, "reserveCredit", at, BUYER,
                                                      orderId=order_id, amount=PRICE,
                                                      currency="EUR")
            orders.append(placed_event(CUSTOMER, order_id, at, CUSTOMER_SKU))
            messages += [to_event_grid(orders[-1]),
                         *(to_event_grid(Event.from_dict(e)) for e in
                           held["result"]["events"] + credit["result"]["events"])]
        now = time.time()
        write_entities(store, [(customer_id, "customer", CUSTOMER, customer_state, now),
                               (sku_id, "inventory", CUSTOMER_SKU, sku_state, now)])
    finally:
        store.close()
    views = SqliteViewStore(folder / "orders" / "views.db")
    archive = SqliteEventArchive(folder / "orders" / "event-archive.db")
    try:
        stored = views.read(CUSTOMER_SUMMARY, CUSTOMER, CUSTOMER)
        assert stored is not None, "the customer's registration was not projected"
        docs, rows, summary = fold_customer(CUSTOMER, stored.doc, orders)
        insert_views(views, {ORDER_DETAILS: view_rows(ORDER_DETAILS, docs),
                             CUSTOMER_ORDERS: view_rows(CUSTOMER_ORDERS, rows)})
        views.replace(CUSTOMER_SUMMARY, summary, stored.etag)
        for chunk in chunks(messages, 10_000):
            archive.append(chunk)
    finally:
        views.close()
        archive.close()


def customer_state_bytes(folder: Path) -> int:
    store = host_store(folder)
    try:
        return len(entity_row(store, "Customer", CUSTOMER)[1].encode())
    finally:
        store.close()


def place_and_see(host: DevhostClient, orders: int, warmup: int) -> dict[str, Any]:
    """One client places orders one after another: POST to succeeded (long poll), and POST to
    the order counted in the customer's summary (the projection included)."""
    ob = _orders_client()
    buyer = ob.Client(host, CUSTOMER, "customer")
    summary_url = f"{host.url}/api/customers/{CUSTOMER}/summary"

    def counted() -> int:
        response = buyer.session.get(summary_url, timeout=30)
        return int(response.json()["orderCount"]) if response.status_code == 200 else -1

    succeeded, visible = [], []
    body = {"currency": "EUR", "lines": [{"sku": CUSTOMER_SKU, "quantity": 1}],
            "shippingAddress": ADDRESS}
    for n in range(warmup + orders):
        before = counted()
        began = time.perf_counter()
        command_id, _ = buyer.post("orders", body)
        outcome = buyer.finish(command_id)
        done = time.perf_counter() - began
        if outcome["status"] != "succeeded":
            raise RuntimeError(f"an order failed: {outcome}")
        deadline = time.monotonic() + 60
        while counted() < before + 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the summary never counted the order")
            time.sleep(0.003)
        if n >= warmup:
            succeeded.append(done)
            visible.append(time.perf_counter() - began)
    return {**spread(succeeded, "post_to_succeeded"), **spread(visible, "post_to_summary"),
            "orders": orders}


def fold_cost(views_path: Path, customer_id: str, rounds: int, warmup: int = 3) -> Doc:
    """Fold one more ``OrderPlaced`` of the customer through the app's ``Projector`` on the
    seeded view file (no query cache): the time, and the documents it read and wrote."""
    views = CountingViews(SqliteViewStore(views_path))
    projector = Projector(views, None)  # type: ignore[arg-type]
    times, counts = [], []
    try:
        for n in range(warmup + rounds):
            order_id = "ord-" + uuid.uuid4().hex[:24]  # a new order every time
            event = placed_event(customer_id, order_id, stamp(datetime.now(UTC)), SEED_SKUS[0])
            views.counts.clear()
            began = time.perf_counter()
            projector.apply(event)
            elapsed = time.perf_counter() - began
            if n >= warmup:
                times.append(elapsed)
                counts.append(Counter(views.counts))
    finally:
        views.inner.close()
    per_event = {key: round(statistics.fmean(c[key] for c in counts), 1)
                 for key in ("reads", "queries", "rows_read", "writes")}
    return {"fold_ms_p50": ms(statistics.median(times)), "fold_ms_best": ms(min(times)),
            **{f"fold_{key}": value for key, value in per_event.items()}}


def best_of(runs: list[Doc]) -> Doc:
    """One row from the measuring rounds of a size: the lowest time and the highest rate each
    figure reached (the machine is shared), every round's value kept under ``rounds``."""
    row: Doc = {}
    for key in runs[0]:
        values = [run[key] for run in runs if key in run]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if "_ms_" in key and len(numbers) == len(values):
            row[key] = min(numbers)
        elif key.endswith("_per_s") and len(numbers) == len(values):
            row[key], row[f"{key}_rounds"] = max(numbers), numbers
        else:
            row[key] = values[-1]
    row["rounds"] = runs
    return row


def customer_part(sizes: list[int], work: Path, env: dict[str, str], orders: int,
                  rounds: int, measuring: int) -> list[Doc]:
    """Every size seeded first, then measured in rounds that take the sizes in turn, so that
    the machine's load drifting over time falls on every size alike."""
    folders, seeded = {}, {}
    for size in sorted(sizes):
        folders[size] = work / f"customer-{size}"
        with running_host(folders[size], env) as (_, host):
            customer_setup(host)
        started = time.perf_counter()
        seed_customer(folders[size], size)
        seeded[size] = round(time.perf_counter() - started, 1)
        print(f"customer: seeded {size} orders in {seeded[size]} s", file=sys.stderr)
    runs: dict[int, list[Doc]] = {size: [] for size in folders}
    for turn in range(measuring):
        for size, folder in folders.items():
            with running_host(folder, env) as (_, host):
                latency = place_and_see(host, orders, warmup=3)
            runs[size].append({**latency, **fold_cost(folder / "orders" / "views.db", CUSTOMER,
                                                      rounds)})
            print(f"customer: round {turn + 1}, {size}: {runs[size][-1]}", file=sys.stderr)
    rows = [{"size": size, **best_of(runs[size]),
             "customer_state_bytes": customer_state_bytes(folders[size]),
             "seed_seconds": seeded[size]} for size in folders]
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
    return rows


# -- part 3: many stored orders --------------------------------------------------------------

class Templates:
    """The entity states a real placement left, to copy for the seeded orders and customers."""

    def __init__(self, order_id: str, order_state: str, customer_state: str) -> None:
        self.order_id, self.order_state, self.customer_state = order_id, order_state, \
            customer_state

    def order(self, order_id: str, customer_id: str) -> str:
        return self._as(self.order_state, customer_id).replace(self.order_id, order_id)

    def customer(self, customer_id: str) -> str:
        return self._as(self.customer_state, customer_id)

    @staticmethod
    def _as(state: str, customer_id: str) -> str:
        return (state.replace(customer_key_name(TEMPLATE_CUSTOMER), customer_key_name(customer_id))
                .replace(TEMPLATE_CUSTOMER, customer_id))


def store_customer(index: int) -> str:
    return f"scale-{index:06d}"


def order_time(index: int, n: int, per_customer: int) -> datetime:
    """A customer's orders spread over a year; customers interleaved."""
    return START + timedelta(seconds=n * (31_536_000 // per_customer) + index * 7)


_templates: Templates | None = None


def _init_worker(templates: Templates) -> None:
    global _templates
    _templates = templates


def seed_block(job: tuple[int, int]) -> dict[str, Any]:
    """Everything one seeded customer adds (worker process): rows for the views, the archive's
    messages, the entity rows, and the newest stock event of each seeded SKU."""
    index, per_customer = job
    assert _templates is not None
    customer_id = store_customer(index)
    registration = registered_event(customer_id, stamp(START - timedelta(days=1)))
    orders, messages, stock, now = [], [to_event_grid(registration)], {}, time.time()
    entities = [(f"@customer@{customer_id}", "customer", customer_id,
                 _templates.customer(customer_id), now)]
    for n in range(per_customer):
        order_id = order_id_of(customer_id, n)
        at = stamp(order_time(index, n, per_customer))
        number = index * per_customer + n  # the store's n-th order: SKUs take turns
        sku, reserved = SEED_SKUS[number % len(SEED_SKUS)], number // len(SEED_SKUS) + 1
        orders.append(placed_event(customer_id, order_id, at, sku))
        credit = Event.create(CreditReserved(order_id, PRICE, "EUR"), aggregate_id=customer_id,
                              version=n + 2, occurred_at=at, actor=customer_id)
        held = Event.create(StockReserved(order_id, 1, on_hand=1_000_000, reserved=reserved,
                                          unit_price=PRICE),
                            aggregate_id=sku, version=reserved + 2, occurred_at=at,
                            actor=customer_id)
        messages += [to_event_grid(orders[-1]), to_event_grid(credit), to_event_grid(held)]
        stock[sku] = messages[-1]
        entities.append((f"@order@{order_id}", "order", order_id,
                         _templates.order(order_id, customer_id), now))
    docs, rows, summary = fold_customer(customer_id, fold.apply_customer_event(None,
                                                                               registration),
                                        orders)
    return {"views": {ORDER_DETAILS: view_rows(ORDER_DETAILS, docs),
                      CUSTOMER_ORDERS: view_rows(CUSTOMER_ORDERS, rows),
                      CUSTOMER_SUMMARY: view_rows(CUSTOMER_SUMMARY, [summary])},
            "messages": messages, "entities": entities, "stock": stock}


def store_setup(host: DevhostClient, clients: int) -> str:
    """``orders_bench``'s products and buyers (for throughput), the seeded orders' SKUs, and one
    real placement whose entity states the seeded ones copy."""
    ob = _orders_client()
    ob.setup(host, clients)
    fred = ob.Client(host, "fred", "fulfilment")
    for sku in SEED_SKUS:
        fred.finish(fred.post(f"products/{sku}", {"name": sku, "unitPrice": PRICE,
                                                  "currency": "EUR"}, method="PUT")[0])
        fred.finish(fred.post(f"products/{sku}/stock", {"delta": 1_000_000})[0])
    buyer = ob.Client(host, TEMPLATE_CUSTOMER, "customer")
    buyer.finish(buyer.post("customers", {"name": "Template", "email": "t@example.com"})[0])
    placed = buyer.finish(buyer.post("orders", {
        "currency": "EUR", "lines": [{"sku": ob.SKUS[0], "quantity": 1}],
        "shippingAddress": ADDRESS})[0])
    host.wait_idle(kinds=("ctrl", "activity", "entity", "eventgrid"))
    return str(placed["orderId"])


def seed_store(folder: Path, pool: Any, first: int, last: int, per_customer: int) -> None:
    """Customers ``first`` to ``last - 1`` with all their orders, in blocks of 20 customers."""
    views = SqliteViewStore(folder / "orders" / "views.db")
    archive = SqliteEventArchive(folder / "orders" / "event-archive.db")
    store = host_store(folder)
    stock: dict[str, Doc] = {}
    try:
        for chunk in chunks(range(first, last), 20):
            for block in pool.imap(seed_block, [(i, per_customer) for i in chunk]):
                insert_views(views, block["views"])
                archive.append(block["messages"])
                write_entities(store, block["entities"])
                stock.update(block["stock"])
        # The products view: each seeded SKU's newest stock event, through the projector.
        projector = Projector(views, None)
        for message in stock.values():
            projector.handle(message)
    finally:
        views.close()
        archive.close()
        store.close()


def query_latency(host: DevhostClient, customers: int, per_customer: int,
                  samples: int, seed: int) -> Doc:
    """Order details, a customer's first page and a page at a random depth, and the summary, as
    the customer; each resource read twice (the first read misses the query cache)."""
    from api.queries.query_params import Continuation

    rng = random.Random(seed)
    session = host.session
    tokens: dict[str, str] = {}

    def get(path: str, customer_id: str, **params: str) -> tuple[float, str]:
        if customer_id not in tokens:
            tokens[customer_id] = host.token(customer_id, ["customer"])
        began = time.perf_counter()
        response = session.get(f"{host.url}/api/{path}", params=params, timeout=30,
                               headers={"Authorization": f"Bearer {tokens[customer_id]}"})
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text}")
        return elapsed, response.headers.get("x-cache", "")

    def deep(c: int, n: int) -> str:
        customer = store_customer(c)
        after = f"{stamp(order_time(c, n, per_customer))}|{order_id_of(customer, n)}"
        return Continuation(after, None).encode()

    # Summaries first: a page reads its customer's summary too, which would then be cached.
    kinds = (("summary", lambda c, n: (f"customers/{store_customer(c)}/summary", {})),
             ("page", lambda c, n: (f"customers/{store_customer(c)}/orders", {})),
             ("deep_page", lambda c, n: (f"customers/{store_customer(c)}/orders",
                                         {"continuation": deep(c, n)})),
             ("order", lambda c, n: (f"orders/{order_id_of(store_customer(c), n)}", {})))
    picks = rng.sample(range(customers), min(customers, samples))
    times: dict[str, list[float]] = {}
    for name, make in kinds:
        chosen = [rng.randrange(customers) for _ in range(samples)] if name == "order" else picks
        for customer in chosen:
            path, params = make(customer, rng.randrange(per_customer))
            for _ in range(2):  # the first read of a resource misses the cache, the second hits
                elapsed, source = get(path, store_customer(customer), **params)
                kind = "hit" if source == "hit" else "miss"
                times.setdefault(f"{name}_{kind}", []).append(elapsed)
    result: Doc = {}
    for key, values in sorted(times.items()):
        result.update(spread(values, key))
        result[f"{key}_reads"] = len(values)
    return result


def throughput(process: DevhostProcess, host: DevhostClient, clients: int, seconds: float,
               warmup: float) -> Doc:
    ob = _orders_client()
    assert process.proc is not None
    result = ob.run(host, process.proc.pid, clients, seconds, warmup, None)
    keep = ("orders_per_s", "accepted_ms_p50", "accepted_ms_p99", "post_to_succeeded_ms_p50",
            "post_to_succeeded_ms_p99", "host_cpu_ms_per_order", "outcomes")
    return {key: result[key] for key in keep}


def settle_files(folder: Path) -> None:
    """Every SQLite file of a data folder with its write-ahead log folded in, so the folder can
    be copied as it is."""
    for path in [*folder.glob("orders/*.db"), folder / "devhost" / "devhost.db"]:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def measure_store(folder: Path, env: dict[str, str], customers: int, per_customer: int,
                  clients: int, seconds: float, samples: int, rounds: int, seed: int) -> Doc:
    orders = folder / "orders"
    for leftover in orders.glob("query-cache.db*"):
        leftover.unlink()  # every run starts with an empty query cache
    with running_host(folder, env) as (process, host):
        queries = query_latency(host, customers, per_customer, samples, seed)
        placing = throughput(process, host, clients, seconds, warmup=3.0)
    return {**queries, "orders_per_s": placing.pop("orders_per_s"),
            **{f"place_{key}": value for key, value in placing.items()},
            **fold_cost(orders / "views.db", store_customer(0), rounds)}


def store_part(sizes: list[int], work: Path, env: dict[str, str], per_customer: int,
               clients: int, seconds: float, samples: int, rounds: int,
               measuring: int) -> list[Doc]:
    """Each size in a folder of its own, seeded on a copy of the size before; then measured in
    rounds that take the sizes in turn."""
    if any(size % per_customer for size in sizes):
        raise SystemExit(f"--store-sizes must be multiples of --orders-per-customer "
                         f"({per_customer})")
    base = work / "store-0"
    with running_host(base, env) as (_, host):
        template_order = store_setup(host, clients)
    store = host_store(base)
    try:
        _, order_state = entity_row(store, "Order", template_order)
        _, customer_state = entity_row(store, "Customer", TEMPLATE_CUSTOMER)
    finally:
        store.close()
    templates = Templates(template_order, order_state, customer_state)
    folders, seeded, previous, customers = {}, {}, base, 0
    # Forked before this process opens the stores; two workers, the machine's two cores.
    with multiprocessing.get_context("fork").Pool(2, _init_worker, (templates,)) as pool:
        for size in sorted(sizes):
            folder = folders[size] = work / f"store-{size}"
            settle_files(previous)
            shutil.copytree(previous, folder)
            started = time.perf_counter()
            seed_store(folder, pool, customers, size // per_customer, per_customer)
            customers, previous = size // per_customer, folder
            seeded[size] = round(time.perf_counter() - started, 1)
            print(f"store: seeded {size} orders in {seeded[size]} s", file=sys.stderr)
    settle_files(previous)
    runs: dict[int, list[Doc]] = {size: [] for size in folders}
    for turn in range(measuring):
        for size, folder in folders.items():
            runs[size].append(measure_store(folder, env, size // per_customer, per_customer,
                                            clients, seconds, samples, rounds, seed=turn))
            print(f"store: round {turn + 1}, {size}: {runs[size][-1]}", file=sys.stderr)
    rows = []
    for size, folder in folders.items():
        orders = folder / "orders"
        rows.append({"size": size, "customers": size // per_customer, **best_of(runs[size]),
                     "views_bytes": file_bytes(orders / "views.db"),
                     "archive_bytes": file_bytes(orders / "event-archive.db"),
                     "host_store_bytes": file_bytes(folder / "devhost" / "devhost.db"),
                     "seed_seconds": seeded[size]})
    return rows


# -- results ---------------------------------------------------------------------------------

PARTS: dict[str, Doc] = {
    "inventory": {
        "title": "1. One SKU with N open orders: the Inventory entity",
        "size": "open orders",
        "figures": {"state_bytes": "state (bytes)",
                    "reserve_reused_ms_best": "reserve, state reused (ms, best)",
                    "reserve_reused_ms_p50": "reserve, state reused (ms, median)",
                    "reserve_decoded_ms_best": "reserve, state decoded (ms, best)",
                    "reserve_decoded_ms_p50": "reserve, state decoded (ms, median)"},
        "flat": ["state_bytes", "reserve_reused_ms_best", "reserve_decoded_ms_best"],
    },
    "customer": {
        "title": "2. One customer with N orders",
        "size": "customer's orders",
        "figures": {"post_to_succeeded_ms_p50": "POST to succeeded p50 (ms)",
                    "post_to_succeeded_ms_p99": "POST to succeeded p99 (ms)",
                    "post_to_summary_ms_p50": "POST to counted in summary p50 (ms)",
                    "post_to_summary_ms_p99": "POST to counted in summary p99 (ms)",
                    "fold_ms_p50": "fold one OrderPlaced (ms, median)",
                    "fold_ms_best": "fold one OrderPlaced (ms, best)",
                    "fold_reads": "fold: point reads", "fold_queries": "fold: queries",
                    "fold_rows_read": "fold: rows read by queries",
                    "fold_writes": "fold: writes",
                    "customer_state_bytes": "Customer entity state (bytes)"},
        "flat": ["post_to_succeeded_ms_p50", "post_to_summary_ms_p50", "fold_ms_p50",
                 "fold_rows_read", "customer_state_bytes"],
    },
    "store": {
        "title": "3. N stored orders of many customers",
        "size": "stored orders",
        "figures": {"customers": "customers",
                    "order_miss_ms_p50": "order details, miss p50 (ms)",
                    "order_miss_ms_p99": "order details, miss p99 (ms)",
                    "order_hit_ms_p50": "order details, hit p50 (ms)",
                    "order_hit_ms_p99": "order details, hit p99 (ms)",
                    "page_miss_ms_p50": "first page, miss p50 (ms)",
                    "page_miss_ms_p99": "first page, miss p99 (ms)",
                    "page_hit_ms_p50": "first page, hit p50 (ms)",
                    "deep_page_miss_ms_p50": "page at random depth, miss p50 (ms)",
                    "deep_page_miss_ms_p99": "page at random depth, miss p99 (ms)",
                    "summary_miss_ms_p50": "summary, miss p50 (ms)",
                    "summary_miss_ms_p99": "summary, miss p99 (ms)",
                    "summary_hit_ms_p50": "summary, hit p50 (ms)",
                    "miss_samples": "misses read: order / page / deep page / summary",
                    "orders_per_s": "place orders/s (best round)",
                    "orders_per_s_rounds": "place orders/s (each round)",
                    "place_post_to_succeeded_ms_p50": "POST to succeeded p50 (ms)",
                    "place_post_to_succeeded_ms_p99": "POST to succeeded p99 (ms)",
                    "place_host_cpu_ms_per_order": "host CPU per order (ms)",
                    "fold_ms_p50": "fold one OrderPlaced (ms, median)",
                    "fold_rows_read": "fold: rows read by queries",
                    "views_bytes": "views.db (bytes)", "archive_bytes": "event archive (bytes)",
                    "host_store_bytes": "devhost.db (bytes)",
                    "seed_seconds": "seeding (s)"},
        "flat": ["order_miss_ms_p50", "order_miss_ms_p99", "page_miss_ms_p50",
                 "page_miss_ms_p99", "deep_page_miss_ms_p50", "summary_miss_ms_p50",
                 "summary_miss_ms_p99", "orders_per_s", "place_post_to_succeeded_ms_p50",
                 "place_host_cpu_ms_per_order", "fold_ms_p50"],
    },
}


def _ratio(high: float, low: float) -> float | None:
    if high == low:
        return 1.0
    return round(high / low, 2) if low else None


def flatness(parts: dict[str, list[Doc]]) -> list[Doc]:
    """Each tracked figure at the largest size over the smallest, against the ±20% target; and
    over the second smallest, since a state fills up to its bound in its first few orders."""
    verdicts = []
    for part, rows in parts.items():
        if len(rows) < 2:
            continue
        first, second, last = rows[0], rows[1], rows[-1]
        for key in PARTS[part]["flat"]:
            low, high, next_ = first.get(key), last.get(key), second.get(key)
            if not all(isinstance(v, int | float) for v in (low, high, next_)):
                continue
            ratio = _ratio(high, low)
            # The same ratio within each measuring round, whose sizes ran minutes apart.
            per_round = [_ratio(b[key], a[key]) for a, b in zip(first.get("rounds", []),
                                                                  last.get("rounds", []),
                                                                  strict=False)
                         if isinstance(a.get(key), int | float)
                         and isinstance(b.get(key), int | float)]
            verdicts.append({"part": part, "figure": key, "smallest": low, "largest": high,
                             "ratio": ratio, "ratio_each_round": per_round,
                             "sizes": [first["size"], last["size"]],
                             "ratio_to_second_size": _ratio(high, next_)
                             if len(rows) > 2 else None,
                             "within_20pct": ratio is not None
                             and 1 / TARGET_RATIO <= ratio <= TARGET_RATIO})
    return verdicts


def markdown(result: Doc) -> str:
    out = ["# Scale benchmark: cost as the data grows", "",
           f"Measured {result['when']} on {result['machine']['cpu']} "
           f"({result['machine']['cores']} cores, {result['machine']['memory']}), "
           f"{result['machine']['os']}, Python {result['machine']['python']}; "
           f"commit `{result['checkout']['commit'][:12]}` ({result['checkout']['subject']})"
           + (f", uncommitted changes in {', '.join(result['checkout']['uncommitted'])}"
              if result["checkout"]["uncommitted"] else "") + ". "
           f"The run took {result['minutes']} minutes. "
           "Embedded stores (ORDERS_STORE=embedded). The machine is shared (2 cores): read "
           "the ratios and the best-of figures before single numbers.", "",
           "How the data was seeded: " + SEEDING, ""]
    for part, rows in result["parts"].items():
        spec = PARTS[part]
        rows = [{**row, "miss_samples": " / ".join(
            str(row.get(f"{kind}_miss_reads", "-"))
            for kind in ("order", "page", "deep_page", "summary"))} if part == "store" else row
            for row in rows]
        keys = [k for k in spec["figures"] if any(k in row for row in rows)]
        out += [f"## {spec['title']}", "", NOTES[part].format(**result["settings"]), "",
                f"| {spec['size']} | " + " | ".join(spec["figures"][k] for k in keys) + " |",
                "|---" * (len(keys) + 1) + "|",
                *(f"| {row['size']:,} | " + " | ".join(_cell(row.get(k)) for k in keys) + " |"
                  for row in rows), ""]
    out += ["## Against the targets (reported, not asserted)", "",
            "Each figure at the largest size over the smallest (target: within ±20%); "
            f"entity state under {STATE_LIMIT} bytes at any size.", "",
            "| part | figure | smallest size | largest size | largest / smallest "
            "| within ±20% | same, each round | largest / second size |",
            "|---|---|---|---|---|---|---|---|",
            *(f"| {v['part']} | {v['figure']} | {_cell(v['smallest'])} at {v['sizes'][0]:,} "
              f"| {_cell(v['largest'])} at {v['sizes'][1]:,} | {v['ratio']} "
              f"| {'yes' if v['within_20pct'] else 'NO'} "
              f"| {' / '.join(str(r) for r in v.get('ratio_each_round') or [])} "
              f"| {_cell(v['ratio_to_second_size'])} |" for v in result["flatness"]), ""]
    largest = result.get("largest_state_bytes")
    if largest:
        verdict = "under" if largest < STATE_LIMIT else "OVER"
        out += [f"Largest entity state at any size: {largest:,} bytes ({verdict} the "
                f"{STATE_LIMIT:,}-byte target).", ""]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def summarised(result: Doc) -> Doc:
    """The measured rows with what is read off them: ratios, the largest state, the plot's
    series (also run again by ``--report`` on a result file)."""
    parts = result["parts"]
    states = [row[key] for rows in parts.values() for row in rows
              for key in ("state_bytes", "customer_state_bytes") if key in row]
    return {**result, "flatness": flatness(parts),
            "largest_state_bytes": max(states, default=None),
            "scaling": {part: {"size": PARTS[part]["size"],
                               "sizes": [row["size"] for row in rows],
                               "series": {key: [row.get(key) for row in rows]
                                          for key in PARTS[part]["flat"]}}
                        for part, rows in parts.items()}}


def write(result: Doc) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "scale_bench.md").write_text(markdown(result))
    import plots

    plots.plot(RESULTS / "scale_bench.json")
    print(markdown(result))


SEEDING = (
    "parts 2 and 3 were seeded in bulk, not by replaying commands. View documents come from the "
    "app's own folds (projections.fold) over one synthetic OrderPlaced per order and are written "
    "straight into the SQLite view store's tables; each summary is folded from the customer's "
    "registration and all its order rows as the committed projector folds it, and the bench "
    "first checks, on a 25-order customer, that this gives exactly the documents the real "
    "Projector writes. The event archive gets what each placement archives (OrderPlaced, "
    "CreditReserved, StockReserved) and each customer's CustomerRegistered, via "
    "SqliteEventArchive.append. Addresses and e-mails are real envelopes under each customer's "
    "key. Part 2's Customer and Inventory entity states are the result of N real reserveCredit "
    "and reserve steps through the entity functions; part 3's Order and Customer entity states "
    "are copies of the states one real placement left, with ids substituted. Orchestration "
    "instances and histories are not seeded.")
NOTES = {
    "inventory": "The app's Inventory entity function through the Durable SDK, as devhost runs "
                 "it; N open orders = N reserve steps, each its own command. Best and median "
                 "of {repeat} steps per size; reused = this process stored the state last, "
                 "decoded = another process did.",
    "customer": "Place-order latency on devhost: one client placing {orders} orders one after "
                "another (after 3 warm-up orders), POST /api/orders to succeeded (long poll) "
                "and to the order counted in GET /api/customers/{{id}}/summary. The fold: one "
                "more OrderPlaced of that customer through projections.projector.Projector on "
                "the seeded views.db (host stopped, no query cache), median and best of "
                "{rounds} folds; reads, queries, rows and writes are per event. The sizes were "
                "measured in {measuring} rounds taking each size in turn; each time is the best "
                "round's, each count the last round's. Measuring adds orders to the customer "
                "({orders} + 3 placed and {rounds} + 3 folded per round), so the fold at size 0 "
                "already reads some rows.",
    "store": "{orders_per_customer:,} orders per customer. Queries through devhost as the "
             "customer who owns the resource, each run with an empty query cache: each sampled "
             "resource read twice (a miss, then a hit; counted by the x-cache header). Orders "
             "are sampled at random ({samples} per run); pages and summaries of up to {samples} "
             "customers, so at the smallest size there are only as many misses as customers "
             "(see the samples column) and their p99 is the slowest of a few. Throughput: "
             "bench/orders_bench.py's {clients} clients (customers and SKUs of their own) for "
             "{seconds:g} s after a 3 s warm-up. The fold: one more OrderPlaced of a seeded "
             "customer through the Projector on the seeded views.db. Each size has its own copy "
             "of the data; the sizes were measured in {measuring} rounds taking each size in "
             "turn, and each figure is the best round's (every round is in the JSON).",
}


def main() -> int:
    # Long: the command line (one option per size series) and one call per part, in order.
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="inventory,customer,store")
    parser.add_argument("--inventory-sizes", default="0,1000,10000,100000")
    parser.add_argument("--customer-sizes", default="0,1000,10000")
    parser.add_argument("--store-sizes", default="10000,100000,1000000")
    parser.add_argument("--orders-per-customer", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7, help="entity steps timed per size")
    parser.add_argument("--orders", type=int, default=30,
                        help="orders placed per size in part 2")
    parser.add_argument("--rounds", type=int, default=15, help="folds timed per size")
    parser.add_argument("--samples", type=int, default=200, help="resources read per query")
    parser.add_argument("--clients", type=int, default=20, help="throughput clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="throughput window")
    parser.add_argument("--measuring", type=int, default=2,
                        help="rounds of measuring (each takes every size in turn); best kept")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and samples: a check that the bench runs")
    parser.add_argument("--keep", type=Path, default=None,
                        help="seed and keep the data in this folder (default: a temporary one)")
    parser.add_argument("--report", type=Path, default=None,
                        help="measure nothing: write the report again from this result file")
    args = parser.parse_args()
    if args.report:
        earlier = json.loads(args.report.read_text())
        earlier.pop("notes", None)  # written by an earlier version: NOTES says it now
        write(summarised(earlier))
        return 0
    if args.quick:
        args.inventory_sizes, args.customer_sizes = "0,500", "0,200"
        args.store_sizes, args.orders_per_customer = "2000,6000", 500
        args.orders, args.rounds, args.samples, args.seconds = 8, 5, 40, 5.0
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; parts: {', '.join(PARTS)}")

    def sizes(text: str) -> list[int]:
        return sorted({int(s) for s in text.split(",")})

    work = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = _environment(work)
    os.environ.update(env)
    began = time.perf_counter()
    results: dict[str, list[Doc]] = {}
    try:
        if "inventory" in parts:
            results["inventory"] = inventory_part(sizes(args.inventory_sizes), args.repeat)
        if {"customer", "store"} & set(parts):
            check_seeding()
        if "customer" in parts:
            results["customer"] = customer_part(sizes(args.customer_sizes), work, env,
                                                args.orders, args.rounds, args.measuring)
        if "store" in parts:
            results["store"] = store_part(sizes(args.store_sizes), work, env,
                                          args.orders_per_customer, args.clients, args.seconds,
                                          args.samples, args.rounds, args.measuring)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    write(summarised({
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(), "checkout": checkout(),
        "minutes": round((time.perf_counter() - began) / 60, 1),
        "settings": {k: v for k, v in vars(args).items() if k not in ("keep", "report")},
        "seeding": SEEDING, "parts": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
