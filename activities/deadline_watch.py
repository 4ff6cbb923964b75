"""The workflows' way to reach an order's fulfilment-deadline watcher (another instance).

An orchestrator cannot start or signal another orchestration instance by id itself, so these two
activities do it with a durable client binding, as Azure does on any trigger:

- ``start_deadline_watch`` (``place_order``, once the order is placed): starts
  ``deadline-{orderId}`` unless it already exists, whatever its state. ``start_new`` on an
  existing id would replace that instance in Azure, so a retried activity or a replayed
  ``place_order`` must look first.
- ``notify_deadline`` (``ship_order`` and ``cancel_order``, once the order accepted the command):
  raises ``OrderClosed`` to the watcher if it is still waiting. The event is a hint: the watcher
  re-checks the Order entity before it ends, and the entity refuses a deadline cancellation of
  a shipped or cancelled order, so a lost hint only keeps the watcher until its deadline.

Both are idempotent; a failure raises so the orchestrator's retry options apply.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from app_settings import get_settings
from observability.logs import get_logger
from orchestrators.names import (
    FULFILMENT_DEADLINE,
    NOTIFY_DEADLINE,
    ORDER_CLOSED_EVENT,
    START_DEADLINE_WATCH,
    deadline_instance_id,
)

bp = df.Blueprint()
log = get_logger("orders.deadline")
_FINISHED = ("Completed", "Failed", "Terminated", "Canceled")


async def _runtime_status(client: df.DurableOrchestrationClient, instance_id: str) -> str | None:
    """The instance's runtime status name, or None when there is no such instance."""
    status = await client.get_status(instance_id)
    runtime = getattr(status, "runtime_status", None) if status else None
    if runtime is None:
        return None
    return str(getattr(runtime, "value", runtime))


@bp.activity_trigger(input_name="watch", activity=START_DEADLINE_WATCH)
@bp.durable_client_input(client_name="client")
async def start_deadline_watch(watch: dict[str, Any],
                               client: df.DurableOrchestrationClient) -> str:
    order_id = str(watch["orderId"])
    instance_id = deadline_instance_id(order_id)
    if await _runtime_status(client, instance_id) is not None:
        return "exists"
    payload = {
        "orderId": order_id,
        "deadlineSeconds": get_settings().fulfilment_deadline.total_seconds(),
        "correlationId": watch.get("correlationId"),
    }
    await client.start_new(FULFILMENT_DEADLINE, instance_id, payload)
    log.info("fulfilment deadline watch started", event="deadline.watch.started",
             orderId=order_id, instanceId=instance_id)
    return "started"


@bp.activity_trigger(input_name="closed", activity=NOTIFY_DEADLINE)
@bp.durable_client_input(client_name="client")
async def notify_deadline(closed: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    order_id = str(closed["orderId"])
    instance_id = deadline_instance_id(order_id)
    status = await _runtime_status(client, instance_id)
    if status is None or status in _FINISHED:
        return "no watch" if status is None else "already ended"
    await client.raise_event(instance_id, ORDER_CLOSED_EVENT, {"orderId": order_id})
    return "notified"
