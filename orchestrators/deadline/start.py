"""Start an order's fulfilment deadline watch, from the activity that publishes its placement.

An orchestrator cannot start another instance by id itself, so ``publish_events`` (which has a
durable client, as any Azure trigger may) calls ``start_watch`` once the order's events are out.
That is the same moment an ``OrderPlaced`` subscription would have started it, without a second
Event Grid round trip and delivery per order.

The activity runs at least once (its retries, a host restart), so a start looks first: an
existing watch, whatever its state, is left alone (``start_new`` on an existing id would replace
that instance in Azure), and an order that already left ``placed`` gets none. A start that fails
raises, so the activity's retries run it again.
"""

from __future__ import annotations

from datetime import timedelta

import azure.durable_functions as df

from entities.verbs import ORDER
from observability.logs import get_logger
from orchestrators.deadline import FULFILMENT_DEADLINE, deadline_instance_id
from security.command_seal import seal
from security.keys import KeyProvider

log = get_logger("orders.deadline")


async def runtime_status(client: df.DurableOrchestrationClient, instance_id: str) -> str | None:
    """The instance's runtime status name, or None when there is no such instance."""
    status = await client.get_status(instance_id)
    runtime = getattr(status, "runtime_status", None) if status else None
    if runtime is None:
        return None
    return str(getattr(runtime, "value", runtime))


async def _still_placed(client: df.DurableOrchestrationClient, order_id: str) -> bool:
    state = await client.read_entity_state(df.EntityId(ORDER, order_id))
    order = state.entity_state if state.entity_exists else None
    return isinstance(order, dict) and order.get("status") == "placed"


async def start_watch(client: df.DurableOrchestrationClient, order_id: str,
                      correlation_id: str | None, *, deadline: timedelta,
                      keys: KeyProvider) -> str:
    """Start ``deadline-{orderId}``, ``deadline`` from now, unless it exists or the order is
    closed; says which. ``keys`` seal the watch's input (the app's ``command-seal`` key)."""
    instance_id = deadline_instance_id(order_id)
    if await runtime_status(client, instance_id) is not None:
        return "exists"
    if not await _still_placed(client, order_id):
        log.info("order closed before its deadline watch started",
                 event="deadline.watch.unneeded", orderId=order_id)
        return "unneeded"
    watch = {
        "orderId": order_id,
        # Whole milliseconds: a sealed input holds no floats, whose JSON form may change hands.
        "deadlineMs": int(deadline.total_seconds() * 1000),
        "correlationId": correlation_id,
    }
    await client.start_new(FULFILMENT_DEADLINE, instance_id,
                           seal(watch, instance_id, keys))
    log.info("fulfilment deadline watch started", event="deadline.watch.started",
             orderId=order_id, instanceId=instance_id)
    return "started"
