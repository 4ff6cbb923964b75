"""An order not shipped before FULFILMENT_DEADLINE is cancelled by the system, and released;
shipment or cancellation ends its watch early.

devhost's clock is moved past the deadline instead of waiting for it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import azure.durable_functions as df
from devhost.testing import DevhostClient
from e2e_helpers import DEADLINE_SECONDS, OrdersApi, order_body

from orchestrators.deadline.start import start_watch
from security.keys import LocalKeyProvider


def test_unshipped_order_is_cancelled_at_the_deadline(api: OrdersApi, uid: str) -> None:
    ivy, sku = f"ivy-{uid}", f"SKU-{uid}"
    api.customer(ivy)
    api.stock(sku, 3, price=700)
    placed = api.run("POST", "orders", order_body((sku, 2, 700)), ivy, "customer")
    order_id = placed["orderId"]
    api.host.wait(f"deadline-{order_id}", until=("Running",), timeout=10)
    api.host.advance(DEADLINE_SECONDS + 60)
    watch = api.host.wait(f"deadline-{order_id}", timeout=20)
    assert watch["runtimeStatus"] == "Completed", watch
    assert watch["output"]["cancellation"]["status"] == "succeeded", watch
    state = api.order(order_id) or {}
    assert (state["status"], state["cancellationReason"]) == ("cancelled", "fulfilment-deadline")
    assert api.inventory(sku) == {"onHand": 3, "reserved": 0}
    assert api.credit(ivy)["openBalance"] == 0


def _activity_results(api: OrdersApi, instance_id: str) -> dict[str, list[object]]:
    """What each activity of a finished instance returned, from its history."""
    status = api.host.status(instance_id, history=True, output=True) or {}
    results: dict[str, list[object]] = {}
    for event in status.get("historyEvents") or []:
        if event["EventType"] == "TaskCompleted":
            results.setdefault(event["FunctionName"], []).append(event.get("Result"))
    return results


def _watch_started(api: OrdersApi, order_id: str) -> None:
    """The activity that published the order's OrderPlaced event started its watch."""
    api.host.wait(f"deadline-{order_id}", until=("Running",), timeout=10)


class _ManagementClient:
    """The durable client calls ``start_watch`` makes, sent to the host's management API."""

    def __init__(self, host: DevhostClient) -> None:
        self.host = host

    async def get_status(self, instance_id: str) -> Any:
        status = self.host.status(instance_id)
        return SimpleNamespace(runtime_status=status["runtimeStatus"]) if status else None

    async def read_entity_state(self, entity: df.EntityId) -> Any:
        state = self.host.entity(entity.name, entity.key)
        return SimpleNamespace(entity_exists=state is not None, entity_state=state)

    async def start_new(self, name: str, instance_id: str, watch: Any) -> None:
        self.host.start(name, watch, instance_id)


def _start_again(api: OrdersApi, order_id: str) -> str:
    """What the publish activity does once a placement is out, run once more (as its retry or
    a host restart would)."""
    client: Any = _ManagementClient(api.host)
    return asyncio.run(start_watch(client, order_id, None,
                                   deadline=timedelta(seconds=DEADLINE_SECONDS),
                                   keys=LocalKeyProvider(api.keys_dir)))


def test_placement_starts_the_watch_and_shipment_ends_it(api: OrdersApi, uid: str) -> None:
    """Shipment ends the watch at once (the hint comes from ship_order, not from the API), and
    moving past the deadline afterwards cancels nothing. An unshipped order placed alongside
    shows the clock really passed its deadline."""
    una, sku = f"una-{uid}", f"SKU-{uid}"
    api.customer(una)
    api.stock(sku, 5, price=900)
    shipped_order = api.run("POST", "orders", order_body((sku, 2, 900)), una, "customer")
    open_order = api.run("POST", "orders", order_body((sku, 1, 900)), una, "customer")
    order_id = shipped_order["orderId"]
    _watch_started(api, order_id)
    _watch_started(api, open_order["orderId"])

    shipment = api.run("POST", f"orders/{order_id}/ship",
                       {"carrier": "DHL", "trackingNumber": f"T-{uid}"}, "fred", "fulfilment")
    assert shipment["status"] == "succeeded", shipment
    assert _activity_results(api, shipment["commandId"])["notify_deadline"] == ["notified"]
    watch = api.host.wait(f"deadline-{order_id}", timeout=20)
    assert (watch["runtimeStatus"], watch["output"]["deadline"]) == ("Completed", "ended early")

    api.host.advance(DEADLINE_SECONDS + 60)
    passed = api.host.wait(f"deadline-{open_order['orderId']}", timeout=20)
    assert passed["output"]["deadline"] == "passed", passed
    assert passed["output"]["cancellation"]["status"] == "succeeded", passed
    assert (api.order(order_id) or {})["status"] == "shipped"
    assert api.host.status(f"deadline-{order_id}")["output"]["deadline"] == "ended early"
    assert api.inventory(sku) == {"onHand": 3, "reserved": 0}
    assert api.archived(f"orders/{order_id}") == [f"{order_id}:1", f"{order_id}:2"]


def test_a_late_placement_event_starts_no_watch_for_a_closed_order(api: OrdersApi,
                                                                 uid: str) -> None:
    """The publish activity may run again after the order was cancelled (or after its watch
    ended): no watch is started then, and an existing one is left alone."""
    yuri, sku = f"yuri-{uid}", f"SKU-{uid}"
    api.customer(yuri)
    api.stock(sku, 2, price=300)
    closed = api.run("POST", "orders", order_body((sku, 1, 300)), yuri, "customer")["orderId"]
    _watch_started(api, closed)
    assert api.run("POST", f"orders/{closed}/cancel", {"reason": "no"}, yuri,
                   "customer")["status"] == "succeeded"
    api.host.wait(f"deadline-{closed}", timeout=20)
    assert api.host.purge(f"deadline-{closed}").status_code == 200
    assert _start_again(api, closed) == "unneeded"
    assert api.host.status(f"deadline-{closed}") is None

    open_order = api.run("POST", "orders", order_body((sku, 1, 300)), yuri,
                         "customer")["orderId"]
    _watch_started(api, open_order)
    before = api.host.status(f"deadline-{open_order}") or {}
    assert _start_again(api, open_order) == "exists"
    after = api.host.status(f"deadline-{open_order}") or {}
    assert (after["runtimeStatus"], after["createdTime"]) == ("Running", before["createdTime"])


def test_cancellation_ends_the_watch_early(api: OrdersApi, uid: str) -> None:
    vera, sku = f"vera-{uid}", f"SKU-{uid}"
    api.customer(vera)
    api.stock(sku, 1, price=300)
    order_id = api.run("POST", "orders", order_body((sku, 1, 300)), vera, "customer")["orderId"]
    _watch_started(api, order_id)
    cancelled = api.run("POST", f"orders/{order_id}/cancel", {"reason": "not needed"},
                        vera, "customer")
    assert cancelled["status"] == "succeeded", cancelled
    assert _activity_results(api, cancelled["commandId"])["notify_deadline"] == ["notified"]
    watch = api.host.wait(f"deadline-{order_id}", timeout=20)
    assert watch["output"]["deadline"] == "ended early", watch


def test_a_refused_order_gets_no_watch(api: OrdersApi, uid: str) -> None:
    walt, sku = f"walt-{uid}", f"SKU-{uid}"
    api.customer(walt)
    api.stock(sku, 1, price=300)
    refused = api.run("POST", "orders", order_body((sku, 2, 300)), walt, "customer")
    assert refused["error"]["code"] == "InsufficientStock", refused
    api.host.wait_idle(kinds=("eventgrid",))  # the refusal's events have all been delivered
    assert api.host.status(f"deadline-{refused['orderId']}") is None


def test_a_missing_or_ended_watch_does_not_fail_the_command(api: OrdersApi, uid: str) -> None:
    """The hint is best effort: no watcher (purged) or one already ended (terminated) is fine."""
    xia, sku = f"xia-{uid}", f"SKU-{uid}"
    api.customer(xia)
    api.stock(sku, 2, price=300)
    purged = api.run("POST", "orders", order_body((sku, 1, 300)), xia, "customer")["orderId"]
    ended = api.run("POST", "orders", order_body((sku, 1, 300)), xia, "customer")["orderId"]
    _watch_started(api, purged)
    _watch_started(api, ended)
    api.host.action(f"deadline-{purged}", "terminate", "test")
    api.host.action(f"deadline-{ended}", "terminate", "test")
    api.host.wait(f"deadline-{purged}", timeout=10)
    api.host.wait(f"deadline-{ended}", timeout=10)
    assert api.host.purge(f"deadline-{purged}").status_code == 200
    results = []
    for order_id in (purged, ended):
        shipment = api.run("POST", f"orders/{order_id}/ship",
                           {"carrier": "DHL", "trackingNumber": f"T-{order_id}"},
                           "fred", "fulfilment")
        assert shipment["status"] == "succeeded", shipment
        results += _activity_results(api, shipment["commandId"])["notify_deadline"]
    assert results == ["no watch", "already ended"]
