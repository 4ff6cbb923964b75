"""How an order's fulfilment-deadline watcher (another orchestration instance) is reached.

An orchestrator cannot start or signal another orchestration instance by id itself, so these
functions do it with a durable client binding, as Azure does on any trigger:

- ``start_deadline_watch`` (Event Grid trigger, subscribed to ``Orders.OrderPlaced`` only):
  starts ``deadline-{orderId}`` unless it already exists, whatever its state, or the order has
  already left ``placed``. Reacting to the event keeps ``place_order`` to its own steps and lets
  its command finish one round earlier. Event Grid delivers at least once and retries a failed
  delivery, so a start that fails raises; ``start_new`` on an existing id would replace that
  instance in Azure, so a repeated delivery must look first.
- ``notify_deadline`` (activity of ``ship_order`` and ``cancel_order``, once the order accepted
  the command): raises ``OrderClosed`` to the watcher if it is still waiting. The event is a
  hint: the watcher re-checks the Order entity before it ends, and the entity refuses a deadline
  cancellation of a shipped or cancelled order, so a lost hint (or a watcher that started after
  the hint was sent) only keeps the watcher until its deadline.

Both are idempotent.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func

from app_settings import get_settings
from observability.logs import get_logger
from orchestrators.names import (
    FULFILMENT_DEADLINE,
    NOTIFY_DEADLINE,
    ORDER_CLOSED_EVENT,
    deadline_instance_id,
)
from orchestrators.steps import ORDER
from security.command_seal import seal
from security.providers import app_key_provider

bp = df.Blueprint()
log = get_logger("orders.deadline")
_FINISHED = ("Completed", "Failed", "Terminated", "Canceled")
ORDER_PLACED = "Orders.OrderPlaced"


async def _runtime_status(client: df.DurableOrchestrationClient, instance_id: str) -> str | None:
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


@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def start_deadline_watch(event: func.EventGridEvent,
                               client: df.DurableOrchestrationClient) -> None:
    if event.event_type != ORDER_PLACED:
        return  # the subscription's filter lets only placements through
    data = event.get_json()
    order_id = str(data["orderId"])
    instance_id = deadline_instance_id(order_id)
    if await _runtime_status(client, instance_id) is not None:
        return
    if not await _still_placed(client, order_id):
        log.info("order closed before its deadline watch started",
                 event="deadline.watch.unneeded", orderId=order_id)
        return
    watch = {
        "orderId": order_id,
        # Whole milliseconds: a sealed input holds no floats, whose JSON form may change hands.
        "deadlineMs": int(get_settings().fulfilment_deadline.total_seconds() * 1000),
        "correlationId": data.get("correlationId"),
    }
    await client.start_new(FULFILMENT_DEADLINE, instance_id,
                           seal(watch, instance_id, app_key_provider()))
    log.info("fulfilment deadline watch started", event="deadline.watch.started",
             orderId=order_id, instanceId=instance_id)


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
