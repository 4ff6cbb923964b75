"""Clients that keep ordering while the host dies, and the checks a user would make afterwards.

``Shop`` drives the app over HTTP as customers and fulfilment staff do: every command carries an
``Idempotency-Key``, and a request that meets a dead host (refused connection, cut answer) is
sent again with the same key until it is answered, as a careful client would. Each ``202`` is
remembered with what it asked, so the run can be checked: every accepted command finished, the
stock and credit counts add up from the orders, and the views are what the event archive says.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from devhost.testing import DevhostClient, DevhostProcess

from projections.projector import name_opener
from projections.rebuild import replay_archive
from readmodels.sqlite_archive import SqliteEventArchive
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import VIEWS
from security.keys import LocalKeyProvider

ROOT = Path(__file__).resolve().parents[2]
FINAL = ("succeeded", "failed")
ADDRESS = {"name": "Chaos Example", "street": "Hauptstrasse 1", "city": "Berlin",
           "postalCode": "10115", "country": "DE"}


def long_run() -> bool:
    """``CHAOS_LONG=1`` (the soak run): many more orders and kills."""
    return os.environ.get("CHAOS_LONG", "") not in ("", "0")


def host_env(data: Path, hub: str) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    return {**example,  # FUNCTIONS_WORKER_PROCESS_COUNT=2, as the app runs locally
            "ORDERS_DATA_DIR": str(data / "orders"), "FIELD_KEYS_DIR": str(data / "keys"),
            "ORDERS_TASK_HUB": hub, "ORDERS_STORE": "embedded"}


@dataclass
class Sent:
    """One accepted command: what it was for, and how it ended."""

    command_id: str
    kind: str  # place | ship | deliver | cancel
    order_id: str
    issuer: str
    status: dict[str, Any] = field(default_factory=dict)


@dataclass
class Shop:
    process: DevhostProcess
    seed: int
    skus: dict[str, int]  # sku -> unit price
    stock: int  # units of each SKU at the start
    credit_limit: int
    clients: int
    sent: list[Sent] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)  # not accepted: status (e.g. 404)
    retries: int = 0  # requests sent again with the same key after a dead host
    server_errors: Counter[str] = field(default_factory=Counter)
    placed_orders: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.host = DevhostClient(self.process)
        self.tokens = {"fred": self.host.token("fred", ["fulfilment"]),
                       "ada": self.host.token("ada", ["admin"])}
        for n in range(self.clients):
            self.tokens[self.customer(n)] = self.host.token(self.customer(n), ["customer"])

    @staticmethod
    def customer(n: int) -> str:
        return f"chaos-c{n}"

    @property
    def url(self) -> str:
        return self.process.url

    # -- requests that outlive a dead host ---------------------------------------------------

    def send(self, method: str, path: str, body: Any, who: str, key: str | None = None,
             deadline: float = 120) -> requests.Response:
        """Send until the host answers (other than 5xx); a dead host means "try again"."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key:
            headers["Idempotency-Key"] = key
        give_up = time.monotonic() + deadline
        backoff = 0.05
        while True:
            try:
                answer = requests.request(method, f"{self.url}/api/{path}", json=body,
                                          headers=headers, timeout=30)
                if answer.status_code < 500:
                    return answer
                with self.lock:
                    self.server_errors[f"{answer.status_code} {method} {path.split('/')[0]}"] \
                        += 1
            except requests.RequestException:
                pass
            if time.monotonic() > give_up:
                raise AssertionError(f"{method} {path} never answered within {deadline}s")
            with self.lock:
                self.retries += 1
            time.sleep(backoff)  # back off between attempts while the host restarts
            backoff = min(backoff * 2, 0.5)

    def command(self, kind: str, method: str, path: str, body: Any, who: str, key: str,
                order_id: str) -> Sent | None:
        answer = self.send(method, path, body, who, key)
        if answer.status_code != 202:
            with self.lock:
                self.refused[f"{kind} {answer.status_code}"] += 1
            return None
        sent = Sent(answer.json()["commandId"], kind, order_id, who)
        with self.lock:
            self.sent.append(sent)
        return sent

    def run(self, method: str, path: str, body: Any, who: str, key: str) -> dict[str, Any]:
        answer = self.send(method, path, body, who, key)
        assert answer.status_code == 202, answer.text
        return self.outcome(answer.json()["commandId"], who)

    def outcome(self, command_id: str, who: str, deadline: float = 120) -> dict[str, Any]:
        """The command's final status (long polls, through restarts)."""
        give_up = time.monotonic() + deadline
        while time.monotonic() < give_up:
            try:
                answer = requests.get(f"{self.url}/api/commands/{command_id}", timeout=30,
                                      headers={"Authorization": f"Bearer {self.tokens[who]}",
                                               "Prefer": "wait=5"})
            except requests.RequestException:
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)  # the host is restarting: ask again
                continue
            assert answer.status_code in (200, 502, 503), answer.text
            if answer.status_code == 200 and answer.json()["status"] in FINAL:
                return dict(answer.json())
        raise AssertionError(f"command {command_id} never finished (lost?)")

    # -- the scene -----------------------------------------------------------------------------

    def open_shop(self) -> None:
        for sku, price in self.skus.items():
            done = self.run("PUT", f"products/{sku}", {"name": sku, "unitPrice": price,
                                                       "currency": "EUR"}, "fred", f"price-{sku}")
            assert done["status"] == "succeeded", done
            done = self.run("POST", f"products/{sku}/stock", {"delta": self.stock}, "fred",
                            f"stock-{sku}")
            assert done["status"] == "succeeded", done
        for n in range(self.clients):
            who = self.customer(n)
            done = self.run("POST", "customers", {"name": f"Client {n}",
                                                  "email": f"{who}@example.com"}, who, "register")
            assert done["status"] == "succeeded", done
            done = self.run("PUT", f"customers/{who}/credit-limit",
                            {"amount": self.credit_limit, "currency": "EUR"}, "ada",
                            f"limit-{who}")
            assert done["status"] == "succeeded", done

    def client(self, n: int, orders: int) -> None:
        """Place ``orders`` orders; between them ship, deliver or cancel earlier ones."""
        rng = random.Random(f"{self.seed}:{n}")
        who = self.customer(n)
        mine: list[str] = []
        for i in range(orders):
            order_id = f"o{n}-{i}"
            skus = rng.sample(sorted(self.skus), rng.randint(1, 2))
            body = {"orderId": order_id, "currency": "EUR", "shippingAddress": ADDRESS,
                    "lines": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in skus]}
            placing = self.command("place", "POST", "orders", body, who, f"place-{order_id}",
                                   order_id)
            with self.lock:
                self.placed_orders += 1
            # As a shop's client does: learn whether the order was placed before acting on it.
            if placing and self.outcome(placing.command_id, who)["status"] == "succeeded":
                mine.append(order_id)
            for _ in range(rng.choice((0, 1, 1, 2))):
                if not mine:
                    break
                target = rng.choice(mine)
                action = rng.choice(("ship", "ship", "deliver", "cancel"))
                key = f"{action}-{target}-{rng.randrange(3)}"  # now and then the same again
                if action == "cancel":
                    self.command("cancel", "POST", f"orders/{target}/cancel",
                                 {"reason": "chaos"}, who, key, target)
                elif action == "ship":
                    self.command("ship", "POST", f"orders/{target}/ship",
                                 {"carrier": "DHL", "trackingNumber": f"T-{target}"}, "fred",
                                 key, target)
                else:
                    self.command("deliver", "POST", f"orders/{target}/deliver", {}, "fred",
                                 key, target)

    # -- after the run -------------------------------------------------------------------------

    def finish(self) -> Counter[str]:
        """Every accepted command's final status; the counts by kind and outcome."""
        outcomes: Counter[str] = Counter()
        finals: dict[str, dict[str, Any]] = {}
        for sent in self.sent:
            if sent.command_id not in finals:
                finals[sent.command_id] = self.outcome(sent.command_id, sent.issuer)
            sent.status = finals[sent.command_id]
        for sent in distinct_commands(self.sent):
            code = (sent.status.get("error") or {}).get("code", "")
            outcomes[f"{sent.kind} {sent.status['status']}{' ' + code if code else ''}"] += 1
        return outcomes

    def order_states(self) -> dict[str, dict[str, Any]]:
        ids = sorted({s.order_id for s in self.sent})
        states = {order_id: self.host.entity("Order", order_id) for order_id in ids}
        return {order_id: state for order_id, state in states.items()
                if isinstance(state, dict) and state.get("status") not in (None, "new")}


def distinct_commands(sent: list[Sent]) -> list[Sent]:
    """One per command id (a repeated Idempotency-Key gives the same command again)."""
    seen: dict[str, Sent] = {}
    for s in sent:
        seen.setdefault(s.command_id, s)
    return list(seen.values())


def check_books(shop: Shop) -> dict[str, Any]:
    """What a user would notice if a command were lost or ran twice, from the entities."""
    orders = shop.order_states()
    problems: list[str] = []
    succeeded: Counter[tuple[str, str]] = Counter()
    for sent in distinct_commands(shop.sent):
        assert sent.status.get("status") in FINAL, sent
        if sent.status["status"] == "succeeded":
            succeeded[(sent.order_id, sent.kind)] += 1
    for order_id, state in orders.items():
        # Each state change of an order is one command that succeeded once: the order's
        # version counts them (placed 1, then +1 for each ship, deliver, cancel).
        changes = sum(n for (oid, _), n in succeeded.items() if oid == order_id)
        if int(state.get("version", 0)) != changes:
            problems.append(f"{order_id}: version {state.get('version')} but {changes} "
                            f"succeeded commands: {state.get('status')}")
        counts = {"placed": (1, 0, 0, 0), "shipped": (1, 1, 0, 0), "delivered": (1, 1, 1, 0),
                  "cancelled": (1, 0, 0, 1)}[str(state["status"])]
        expected = set(zip(("place", "ship", "deliver", "cancel"), counts, strict=True))
        for kind, count in expected:
            if succeeded[(order_id, kind)] != count:
                problems.append(f"{order_id} is {state['status']} but {kind} succeeded "
                                f"{succeeded[(order_id, kind)]} times")
    for order_id, kind in succeeded:
        if kind == "place" and order_id not in orders:
            problems.append(f"{order_id}: placement succeeded, no order")
    for sku in shop.skus:
        inv = shop.host.entity("Inventory", sku) or {}
        on_hand, reserved = int(inv.get("onHand", 0)), int(inv.get("reserved", 0))
        held = sum(line["quantity"] for o in orders.values() if o["status"] == "placed"
                   for line in o["lines"] if line["sku"] == sku)
        gone = sum(line["quantity"] for o in orders.values()
                   if o["status"] in ("shipped", "delivered")
                   for line in o["lines"] if line["sku"] == sku)
        if not 0 <= reserved <= on_hand:
            problems.append(f"{sku}: reserved {reserved} outside 0..onHand {on_hand}")
        if (on_hand, reserved) != (shop.stock - gone, held):
            problems.append(f"{sku}: onHand {on_hand}, reserved {reserved}; the orders say "
                            f"{shop.stock - gone} and {held}")
    for n in range(shop.clients):
        who = shop.customer(n)
        customer = shop.host.entity("Customer", who) or {}
        open_total = sum(int(o["total"]) for o in orders.values()
                         if o.get("customerId") == who and o["status"] in ("placed", "shipped"))
        settled = sum(int(o["total"]) for o in orders.values()
                      if o.get("customerId") == who and o["status"] == "delivered")
        balance = int(customer.get("openBalance", 0))
        if balance != open_total or int(customer.get("settledTotal", 0)) != settled:
            problems.append(f"{who}: open balance {balance} (orders: {open_total}), settled "
                            f"{customer.get('settledTotal')} (orders: {settled})")
        if balance > int(customer.get("creditLimit", 0)):
            problems.append(f"{who}: open balance {balance} over the limit")
    assert not problems, "\n".join(problems)
    return {"orders": len(orders),
            "byStatus": dict(Counter(str(o["status"]) for o in orders.values()))}


def views_match_the_archive(data: Path, timeout: float = 60) -> dict[str, int]:
    """The live views, once the deliveries have settled, equal a rebuild from the archive."""
    views = SqliteViewStore(data / "views.db")
    archive = SqliteEventArchive(data / "event-archive.db")
    open_name = name_opener(LocalKeyProvider(data.parent / "keys"))  # names are sealed
    deadline = time.monotonic() + timeout
    while True:
        expected_store, events, _ = replay_archive(archive, io.StringIO(), open_name)
        expected = {view: list(expected_store.scan(view)) for view in VIEWS}
        actual = {view: list(views.scan(view)) for view in VIEWS}
        if actual == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # deliveries still arriving (retries back off): read again
    for view in VIEWS:
        assert actual[view] == expected[view], f"{view} differs from a rebuild of the archive"
    return {"events": events, **{view: len(docs) for view, docs in expected.items()}}


def views_match_the_orders(shop: Shop, data: Path) -> None:
    """Each order's view shows the status and version its entity has (no event lost)."""
    views = SqliteViewStore(data / "views.db")
    for order_id, state in shop.order_states().items():
        stored = views.read("order_details", order_id, order_id)
        assert stored is not None, f"{order_id} is not in the views"
        assert (stored.doc["status"], stored.doc["version"]) == \
            (state["status"], state["version"]), order_id


def kill_one(process: DevhostProcess, target: str) -> str:
    """SIGKILL the host (then start it again on the same data) or one of its workers (the
    host starts a new one). Returns what was killed."""
    if target == "host":
        process.kill()
        process.start(timeout=60)
        return "host"
    index = int(target.removeprefix("worker-"))
    pids = process.worker_pids()
    assert len(pids) >= 2, f"expected two workers, found {pids}"
    victim = pids[index % len(pids)]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = process.worker_pids()
        if len(now) == len(pids) and victim not in now:
            return target
        time.sleep(0.05)
    raise AssertionError(f"no new worker after killing {victim}: {process.worker_pids()}")


def chaos_monkey(shop: Shop, kills: list[str], total_orders: int,
                 done: Callable[[], bool]) -> list[dict[str, Any]]:
    """Kill at random moments while the clients work: kill i waits for a random share of the
    orders (spread over the run) to have been sent."""
    rng = random.Random(f"{shop.seed}:kills")
    log: list[dict[str, Any]] = []
    for i, target in enumerate(kills):
        share = (i + rng.uniform(0.3, 0.9)) / len(kills)
        while shop.placed_orders < share * total_orders * 0.95 and not done():
            time.sleep(0.01)  # waiting for the load to reach the kill's moment
        if done():
            break
        started, after = time.monotonic(), shop.placed_orders
        kill_one(shop.process, target)
        log.append({"target": target, "afterOrders": after,
                    "restartSeconds": round(time.monotonic() - started, 2)})
    return log
