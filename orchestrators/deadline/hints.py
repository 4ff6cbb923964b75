"""The order workflows' side of the fulfilment deadline: end the watch early.

``ship_order`` and ``cancel_order`` send ``deadline-{orderId}`` the ``OrderClosed`` hint once the
order accepted them, through the ``notify_deadline`` activity (which has a durable client), with
retries. The hint may not fail the command it belongs to: the order has already changed when it
runs, and the watch re-checks the Order entity anyway, so a hint that still fails after its
retries is logged and the command goes on. A lost hint (or a watch that started after the hint
was sent) only keeps the watch until its deadline, where the entity refuses to cancel a shipped
or cancelled order. The activity is idempotent.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from observability import durable
from observability.logs import get_logger
from orchestrators.deadline import NOTIFY_DEADLINE, ORDER_CLOSED_EVENT, deadline_instance_id
from orchestrators.deadline.start import runtime_status
from orchestrators.steps import Saga, Steps
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL

bp = df.Blueprint()
log = get_logger("orders.orchestrations")
# The durable client reaches the host; a host busy or restarting recovers within seconds.
DEADLINE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=250,
                                 max_number_of_attempts=4)
_FINISHED = ("Completed", "Failed", "Terminated", "Canceled")


def end_watch(saga: Saga, order_id: str) -> Steps:
    """The hint, unless the watch itself is the one cancelling (it ends on its own then)."""
    if saga.principal.get("userId") == FULFILMENT_DEADLINE_PRINCIPAL.user_id:
        return
    try:
        yield saga.context.call_activity_with_retry(NOTIFY_DEADLINE, DEADLINE_RETRY,
                                                    {"orderId": order_id})
    except Exception:
        if not saga.context.is_replaying:
            log.warning("%s failed after its retries; the deadline watch re-checks the order",
                        NOTIFY_DEADLINE, event="deadline.hint.failed", activity=NOTIFY_DEADLINE,
                        **durable.log_fields(saga.context, saga.envelope))


@bp.activity_trigger(input_name="closed", activity=NOTIFY_DEADLINE)
@bp.durable_client_input(client_name="client")
async def notify_deadline(closed: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    order_id = str(closed["orderId"])
    instance_id = deadline_instance_id(order_id)
    status = await runtime_status(client, instance_id)
    if status is None or status in _FINISHED:
        return "no watch" if status is None else "already ended"
    await client.raise_event(instance_id, ORDER_CLOSED_EVENT, {"orderId": order_id})
    return "notified"
