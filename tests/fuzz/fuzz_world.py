"""The fuzzer's world: a devhost with real data, the callers, and the ids they can name.

Generated requests mostly name ids nobody has, and meet only 404s. So the host gets real data
first (customers, priced and stocked SKUs, orders in every state), and every id an answer
reveals (the subject and ``commandId`` of a ``202``, a list's continuation token) joins the
pools; ``feed_real_ids`` puts pool ids into generated paths and bodies where the generated
component is meant to be valid.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from devhost.testing import DevhostClient

ROOT = Path(__file__).resolve().parents[2]
FINAL = ("succeeded", "failed")


def long_run() -> bool:
    """``FUZZ_LONG=1`` (the soak run): many more cases per operation and role."""
    return os.environ.get("FUZZ_LONG", "") not in ("", "0")


def host_env(data: Path) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    return {
        **example,
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "ORDERS_TASK_HUB": "Fuzz",
        "ORDERS_STORE": "embedded",
        # A generated minVersion above a view's version waits this long, then answers 409, and
        # a generated `Prefer: wait=N` on a running command waits up to COMMAND_WAIT_MAX: short
        # so that hundreds of such cases stay quick (the answers are the same, only sooner).
        "MIN_VERSION_WAIT": "0.05s",
        "COMMAND_WAIT_MAX": "1s",
    }


@dataclass(frozen=True)
class Caller:
    role: str  # "anonymous" has no token
    sub: str | None
    token: str | None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


ROLES = ("customer", "support", "fulfilment", "admin", "anonymous")
SUBS = {"customer": "cara", "support": "sam", "fulfilment": "fred", "admin": "ada"}


@dataclass
class World:
    host: DevhostClient
    callers: dict[str, Caller] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    continuations: dict[str, list[str]] = field(default_factory=dict)  # by path and filters
    tokens: list[str] = field(default_factory=list)  # consistency tokens of succeeded commands
    excluded: dict[str, int] = field(default_factory=dict)  # known devhost answers, by reason
    answers: dict[str, dict[str, int]] = field(default_factory=dict)  # operation -> status -> n
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        for role in ROLES:
            sub = SUBS.get(role)
            token = self.host.token(sub, [role]) if sub else None
            self.callers[role] = Caller(role, sub, token)

    # -- setting the scene ------------------------------------------------------------------

    def send(self, method: str, path: str, body: Any, role: str) -> requests.Response:
        return self.host.http(method, f"api/{path}", json=body,
                              headers=self.callers[role].headers())

    def run(self, method: str, path: str, body: Any, role: str) -> dict[str, Any]:
        """Send a command, wait for it (long poll, with a deadline), return its status."""
        sent = self.send(method, path, body, role)
        assert sent.status_code == 202, sent.text
        self.learn(sent)
        command_id = sent.json()["commandId"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.host.http("GET", f"api/commands/{command_id}",
                                    headers={**self.callers[role].headers(),
                                             "Prefer": "wait=5"}).json()
            if status["status"] in FINAL:
                assert status["status"] == "succeeded", status
                _add(self.tokens, status.get("consistencyToken"))
                return dict(status)
        raise AssertionError(f"command {command_id} did not finish")

    def seed(self) -> None:
        """Two customers with orders placed, shipped, delivered and cancelled; three SKUs."""
        for customer in ("cara", "dan"):
            role = "customer" if customer == "cara" else "support"
            self.run("POST", "customers", {"customerId": customer, "name": customer.title(),
                                           "email": f"{customer}@example.com",
                                           "phone": "+49 30 1234567"}, role)
        for n, sku in enumerate(("FZ-1", "FZ-2", "fz.3"), 1):
            self.run("PUT", f"products/{sku}", {"name": f"Fuzz {n}", "unitPrice": 100 * n,
                                                "currency": "EUR"}, "fulfilment")
            self.run("POST", f"products/{sku}/stock", {"delta": 10_000}, "fulfilment")
        actions = ("ship", "deliver", "cancel", None, None)
        for i, action in enumerate(actions):
            for customer in ("cara", "dan"):
                order_id = f"fz-{customer}-{i}"
                self.run("POST", "orders", {
                    "orderId": order_id, "customerId": customer, "currency": "EUR",
                    "lines": [{"sku": "FZ-1", "quantity": 1}, {"sku": "FZ-2", "quantity": 2}],
                    "shippingAddress": {"name": "Fuzz Example", "street": "Hauptstrasse 1",
                                        "city": "Berlin", "postalCode": "10115",
                                        "country": "DE"}}, "support")
                if action in ("ship", "deliver"):
                    self.run("POST", f"orders/{order_id}/ship",
                             {"carrier": "DHL", "trackingNumber": f"TRK{i}{customer}"},
                             "fulfilment")
                if action == "deliver":
                    self.run("POST", f"orders/{order_id}/deliver", {}, "fulfilment")
                if action == "cancel":
                    self.run("POST", f"orders/{order_id}/cancel", {"reason": "changed mind"},
                             "support")
        # The views have every order, and a list answer hands out a continuation token.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page = self.send("GET", "customers/cara/orders?limit=2", None, "customer")
            if page.status_code == 200 and len(page.json()["items"]) == 2:
                self.learn(page)
                if len(self.send("GET", "customers/dan/orders", None, "support")
                       .json().get("items", [])) == len(actions):
                    return
            time.sleep(0.05)
        raise AssertionError("the seeded orders never reached the views")

    # -- what answers reveal ----------------------------------------------------------------

    def learn(self, response: requests.Response | Any, query: dict[str, Any] | None = None
              ) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        if response.status_code == 202:
            _add(self.commands, body.get("commandId"))
            _add(self.orders, body.get("orderId"))
            _add(self.customers, body.get("customerId"))
            _add(self.skus, body.get("sku"))
        _add(self.tokens, body.get("consistencyToken"))
        token = body.get("continuation")
        if response.status_code == 200 and isinstance(token, str):
            path = urlsplit(response.request.path_url).path
            _add(self.continuations.setdefault(_page_key(path, query), []), token)

    def count(self, label: str, status: int) -> None:
        statuses = self.answers.setdefault(label, {})
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    def exclude(self, reason: str) -> None:
        self.excluded[reason] = self.excluded.get(reason, 0) + 1


def _add(pool: list[str], value: Any) -> None:
    if isinstance(value, str) and value not in pool:
        pool.append(value)


# -- putting real ids into generated cases ---------------------------------------------------

_PATH_POOLS: dict[str, Callable[[World], list[str]]] = {
    "orderId": lambda w: w.orders,
    "customerId": lambda w: w.customers,
    "sku": lambda w: w.skus,
    "commandId": lambda w: w.commands,
}


def _positive(case: Any, location: str) -> bool:
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation import GenerationMode

    info = case.meta.components.get(ParameterLocation(location)) if case.meta else None
    return info is None or info.mode == GenerationMode.POSITIVE


def _page_key(path: str, query: dict[str, Any] | None) -> str:
    """A page token is valid only for the query that issued it: the same path and filters."""
    filters = sorted((str(k), str(v)) for k, v in (query or {}).items()
                     if k not in _NOT_FILTERS and v not in ("", None))
    return f"{path}?{filters}"


_NOT_FILTERS = {"limit", "continuation", "minVersion", "after", "code"}


def honour_unsaid_rules(world: World, case: Any) -> None:
    """Make a valid component valid by the rules JSON Schema cannot say, as the document says
    them in words: a continuation token is opaque (only one the API issued for the same query
    is valid), so is a consistency token (``after``: only one the API issued), and
    ``x-unique-by`` (no two lines name the same SKU)."""
    if case.query and "continuation" in case.query and _positive(case, "query"):
        query = dict(case.query)
        issued = world.continuations.get(_page_key(case.formatted_path, query), [])
        if issued:
            query["continuation"] = issued[len(str(query["continuation"])) % len(issued)]
        else:
            query.pop("continuation")
        case.query = query
    if case.query and case.query.get("after") and _positive(case, "query"):
        query = dict(case.query)
        if world.tokens:
            query["after"] = world.tokens[len(str(query["after"])) % len(world.tokens)]
        else:
            query.pop("after")
        case.query = query
    if isinstance(case.body, dict) and _positive(case, "body"):
        schema = _body_schema(case)
        for name, prop in (schema.get("properties") or {}).items():
            key = prop.get("x-unique-by")
            items = case.body.get(name)
            if key and isinstance(items, list):
                seen: set[str] = set()
                for n, item in enumerate(items):
                    if isinstance(item, dict) and isinstance(item.get(key), str):
                        if item[key] in seen:
                            item[key] = f"{item[key][:58]}-u{n}"
                        seen.add(item[key])


def _body_schema(case: Any) -> dict[str, Any]:
    raw = case.operation.definition.raw
    content = ((raw.get("requestBody") or {}).get("content") or {}).get("application/json")
    return dict((content or {}).get("schema") or {})


def feed_real_ids(world: World, case: Any, seed: int, paths: bool = True) -> None:
    """Three times in four, put a real id (one seeded or revealed by an answer) in place of a
    generated one, in a valid path or body: chosen by a generator seeded from the case
    itself, so a fixed seed sends the same requests (given the same pools). ``paths=False``
    leaves paths alone (in linked sequences, where links bring the real ids)."""
    rng = random.Random(f"{seed}:{case.operation.label}:{case.path_parameters!r}:{case.body!r}")

    def pick(pool: list[str], value: Any) -> Any:
        return rng.choice(pool) if pool and rng.random() < 0.75 else value

    if paths and case.path_parameters and _positive(case, "path"):
        case.path_parameters = {
            name: pick(_PATH_POOLS[name](world), value) if name in _PATH_POOLS else value
            for name, value in case.path_parameters.items()}
    body = case.body
    if isinstance(body, dict) and _positive(case, "body"):
        if isinstance(body.get("customerId"), str):
            body["customerId"] = pick(world.customers, body["customerId"])
        lines = body.get("lines")
        if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
            if rng.random() < 0.75:
                body["currency"] = "EUR"
            skus = rng.sample(world.skus, len(world.skus))
            for line, sku in zip(lines, skus, strict=False):
                if rng.random() < 0.75:
                    line["sku"] = sku  # distinct: a SKU may appear on one line only


# -- answers devhost gives, not the app -------------------------------------------------------

NEWLINE_404 = ("devhost answers a path with a newline in an id with its own plain-text 404 "
               "(no problem+json, no code)")
BAD_HEADER_400 = ("devhost's HTTP server answers a header value it cannot parse with a "
                  "plain-text 400")


def devhost_answer(case: Any, response: Any) -> str | None:
    """Why this answer is devhost's own rather than the app's, or None (it is the app's)."""
    status = response.status_code
    media = next((value for name, value in dict(response.headers).items()
                  if name.lower() == "content-type"), "")
    media = (media[0] if isinstance(media, list) else media).split(";")[0].strip().lower()
    # Path parameters arrive percent-encoded (as sent).
    path_values = "".join(unquote(str(v)) for v in (case.path_parameters or {}).values())
    if status == 404 and media == "text/plain" and ("\n" in path_values or "\r" in path_values):
        return NEWLINE_404
    if status == 400 and media == "text/plain":
        headers = "".join(str(v) for v in (case.headers or {}).values())
        if any(not 0x20 <= ord(ch) <= 0x7E for ch in headers):
            return BAD_HEADER_400
    return None
