"""Long polls of a command's status (``Prefer: wait=N``, RFC 7240) over HTTP."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from e2e_helpers import OrdersApi, order_body

WAIT_MAX = 20  # COMMAND_WAIT_MAX's default


def _running_command(api: OrdersApi, sub: str) -> str:
    """A command that stays running: an instance with a command's envelope that waits an hour
    on a durable timer (the fulfilment-deadline workflow, started through the management API
    with an input sealed by the app's key, as the workflow requires)."""
    command_id = f"cmd-{uuid.uuid4().hex}"
    api.host.start("fulfilment_deadline", api.sealed({
        "commandId": command_id, "type": "PlaceOrder", "issuer": {"userId": sub},
        "orderId": f"o-{command_id}", "deadlineMs": 3_600_000,
    }, command_id), instance_id=command_id)
    api.host.wait(command_id, until=("Running",))
    return command_id


def test_one_request_returns_the_outcome(api: OrdersApi, uid: str) -> None:
    alice, sku = f"alice-{uid}", f"SKU-{uid}"
    api.customer(alice)
    api.stock(sku, 5, price=700)
    accepted = api.send("POST", "orders", order_body((sku, 1, 700)), alice, "customer")
    assert accepted.status_code == 202, accepted.text
    answer = api.status(accepted.json()["commandId"], alice, "customer", prefer="wait=10")
    assert answer.status_code == 200
    assert answer.headers["Preference-Applied"] == "wait=10"
    assert answer.json()["status"] == "succeeded", answer.text


def test_an_unfinished_command_is_answered_when_the_wait_ends(api: OrdersApi, uid: str) -> None:
    alice = f"alice-{uid}"
    command_id = _running_command(api, alice)
    started = time.monotonic()
    answer = api.status(command_id, alice, "customer", prefer="wait=1")
    assert time.monotonic() - started >= 1.0
    assert answer.status_code == 200 and answer.json()["status"] == "running"
    assert answer.headers["Preference-Applied"] == "wait=1"
    api.host.action(command_id, "terminate")


def test_the_wait_ends_as_soon_as_the_command_finishes(api: OrdersApi, uid: str) -> None:
    alice = f"alice-{uid}"
    command_id = _running_command(api, alice)
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        pending = pool.submit(api.status, command_id, alice, "customer", prefer="wait=15")
        api.host.action(command_id, "terminate")
        answer = pending.result(timeout=30)
    assert time.monotonic() - started < 10
    assert answer.json()["status"] == "failed"
    assert answer.json()["error"]["code"] == "InternalError"


def test_waits_are_capped_and_odd_preferences_ignored(api: OrdersApi, uid: str) -> None:
    alice = f"alice-{uid}"
    accepted = api.send("POST", "customers", {"name": "A", "email": "a@example.com"},
                        alice, "customer")
    command_id = accepted.json()["commandId"]
    capped = api.status(command_id, alice, "customer", prefer="respond-async, wait=86400")
    assert capped.headers["Preference-Applied"] == f"wait={WAIT_MAX}"
    assert capped.json()["status"] == "succeeded"
    for odd in ("wait=soon", "wait=-1", "wait", "handling=lenient"):
        answer = api.status(command_id, alice, "customer", prefer=odd)
        assert answer.status_code == 200, (odd, answer.text)
        assert "Preference-Applied" not in answer.headers, odd


def test_no_wait_for_a_command_the_caller_may_not_read(api: OrdersApi, uid: str) -> None:
    alice, mallory = f"alice-{uid}", f"mallory-{uid}"
    command_id = _running_command(api, alice)
    started = time.monotonic()
    answer = api.status(command_id, mallory, "customer", prefer="wait=5")
    assert answer.status_code == 404
    assert time.monotonic() - started < 4
    api.host.action(command_id, "terminate")
