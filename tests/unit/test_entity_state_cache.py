"""Entity state reuse: what this process stored is reused, anything else is decoded afresh.

Runs the Inventory entity function through the Durable Functions SDK's own entity executor,
with the stored state handed back as JSON text the way the runtime does between batches.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from domain_builders import FRED, SYSTEM

from entities import operations, triggers
from entities.inventory import InventoryState

AT = "2026-01-01T00:00:00.000Z"


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> operations.DecodedStates:
    cache = operations.DecodedStates(capacity=2)
    monkeypatch.setattr(operations, "decoded_states", cache)
    return cache


def run_batch(sku: str, state: str | None, *operations: tuple[str, dict[str, Any]]
              ) -> tuple[str | None, list[Any]]:
    """One batch on entity Inventory@sku: the stored state after it, and each result."""
    request = {"self": {"name": "Inventory", "key": sku}, "exists": state is not None,
               "state": state,
               # An operation's input is JSON text inside a JSON string, as the runtime sends it.
               "batch": [{"name": name, "input": json.dumps(json.dumps(data)), "isSignal": False}
                         for name, data in operations]}
    handle = triggers.inventory_entity._function.get_user_function()  # the SDK's executor
    out = json.loads(handle(func.EntityContext(json.dumps(request))))
    return out.get("entityState"), [json.loads(r["result"]) for r in out["results"]]


def stock(delta: int, command_id: str) -> tuple[str, dict[str, Any]]:
    return ("adjust", {"principal": FRED.to_dict(), "occurredAt": AT,
                       "command": {"commandId": command_id, "sku": "SKU-1", "delta": delta}})


def price() -> tuple[str, dict[str, Any]]:
    return ("price", {"principal": FRED.to_dict(), "occurredAt": AT,
                      "command": {"commandId": "p-1", "sku": "SKU-1", "name": "A book",
                                  "unitPrice": 100, "currency": "EUR"}})


def reserve(order_id: str, quantity: int) -> tuple[str, dict[str, Any]]:
    return ("reserve", {"orderId": order_id, "quantity": quantity, "currency": "EUR",
                        "principal": SYSTEM.to_dict(),
                        "occurredAt": AT, "commandId": f"place-{order_id}"})


def test_batches_build_on_the_state_stored_before() -> None:
    state, _ = run_batch("SKU-1", None, price(), stock(5, "c-1"))
    state, results = run_batch("SKU-1", state, reserve("o-1", 2), reserve("o-2", 2))
    assert [r["summary"]["available"] for r in results] == [3, 1]
    state, results = run_batch("SKU-1", state, reserve("o-3", 2))
    assert results[0]["error"]["code"] == "InsufficientStock"


def test_state_changed_elsewhere_is_read_not_the_remembered_one() -> None:
    state, _ = run_batch("SKU-1", None, price(), stock(5, "c-1"))
    elsewhere = json.loads(state or "{}")
    elsewhere["onHand"] = 1  # stored by another process since this one last saw it
    _, results = run_batch("SKU-1", json.dumps(elsewhere), reserve("o-1", 2))
    assert results[0]["error"]["code"] == "InsufficientStock"


def test_a_remembered_state_is_reused_only_for_its_own_json(
        fresh_cache: triggers.DecodedStates) -> None:
    state, _ = run_batch("SKU-1", None, price(), stock(5, "c-1"))
    stored = json.loads(state or "{}")
    remembered = fresh_cache.load(InventoryState, "SKU-1", stored)
    assert fresh_cache.load(InventoryState, "SKU-1", json.loads(state or "{}")) is remembered
    assert fresh_cache.load(InventoryState, "SKU-2", stored) is not remembered
    assert fresh_cache.load(InventoryState, "SKU-1", None) == InventoryState()
    for sku in ("SKU-2", "SKU-3"):  # capacity 2: SKU-1 is forgotten, and decoded again
        run_batch(sku, None, stock(1, f"c-{sku}"))
    again = fresh_cache.load(InventoryState, "SKU-1", stored)
    assert again == remembered and again is not remembered
