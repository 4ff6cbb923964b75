"""``fulfilment_deadline``: cancel an order that has not shipped when its deadline passes.

One instance per order (``deadline-{orderId}``), started by ``start.start_watch`` once the
order's ``OrderPlaced`` event is published. A durable
timer runs to the deadline; an ``OrderClosed`` event (raised by ``ship_order`` and
``cancel_order`` once the order accepted them) ends it early once the order has really left
``placed``. The event is only a hint: the command
that sent it may still be running or may fail, so the order is checked a few times and, if it is
still open, the watch starts over with the same deadline (continue-as-new drops stale events).
At the deadline the cancellation runs as the system principal; the Order entity refuses it if
the order shipped or was cancelled meanwhile, so a late or missing hint can never cancel a
shipped order.

The input is sealed by ``start_watch`` for this instance id (``security.command_seal``):
a watch started any other way (through the management API, say) refuses to run, so nobody can
make the system cancel an order. The system principal is made here, in code, never read from
input, and the cancellation runs inline (``cancel_order.cancel``) rather than as a
sub-orchestration whose input would carry it. ``deadlineAt``, fixed on the first run, travels
beside the seal through continue-as-new.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from entities.verbs import GET, ORDER
from observability.logs import get_logger
from orchestrators.cancel_order import cancel
from orchestrators.deadline import FULFILMENT_DEADLINE, ORDER_CLOSED_EVENT
from orchestrators.steps import Saga, Steps
from security.command_seal import SealRejected, verify
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL
from security.providers import app_key_provider

bp = df.Blueprint()
log = get_logger("orders.deadline")
DEADLINE_REASON = "fulfilment-deadline"
RECHECKS = 20
RECHECK_INTERVAL = timedelta(seconds=1)


@bp.orchestration_trigger(context_name="context", orchestration=FULFILMENT_DEADLINE)
def fulfilment_deadline(context: df.DurableOrchestrationContext) -> Steps:
    watch: dict[str, Any] = dict(context.get_input() or {})
    sealed = {name: value for name, value in watch.items() if name != "deadlineAt"}
    try:
        verify(sealed, context.instance_id, app_key_provider())
    except SealRejected:
        if not context.is_replaying:
            log.warning("a deadline watch without a valid seal was refused",
                        event="deadline.watch.refused", instanceId=context.instance_id)
        return {"deadline": "refused", "reason": "the watch was not started by the app"}
    order_id = watch["orderId"]
    if "deadlineAt" not in watch:
        deadline = context.current_utc_datetime + timedelta(milliseconds=watch["deadlineMs"])
        watch["deadlineAt"] = deadline.isoformat()
    deadline = datetime.fromisoformat(watch["deadlineAt"])
    timer = context.create_timer(deadline)
    hint = context.wait_for_external_event(ORDER_CLOSED_EVENT)
    winner = yield context.task_any([timer, hint])
    if winner == timer:
        saga = Saga(context, _cancellation(order_id, watch.get("correlationId")),
                    acting_as=FULFILMENT_DEADLINE_PRINCIPAL)
        outcome = yield from cancel(saga)
        return {"orderId": order_id, "deadline": "passed", "cancellation": outcome}
    timer.cancel()
    for _ in range(RECHECKS):
        if (yield from _is_closed(context, order_id)):
            return {"orderId": order_id, "deadline": "ended early"}
        yield context.create_timer(context.current_utc_datetime + RECHECK_INTERVAL)
    context.continue_as_new(watch)
    return None


def _is_closed(context: df.DurableOrchestrationContext, order_id: str) -> Steps:
    state = yield context.call_entity(df.EntityId(ORDER, order_id), GET)
    return isinstance(state, dict) and state.get("status") in ("shipped", "delivered", "cancelled")


def _cancellation(order_id: str, correlation_id: str | None) -> dict[str, Any]:
    """The cancel command, under the correlation id of the order's placement."""
    command_id = f"{DEADLINE_REASON}:{order_id}"
    return {
        "commandId": command_id,
        "type": "CancelOrder",
        "subject": {"orderId": order_id},
        "command": {"commandId": command_id, "orderId": order_id, "reason": DEADLINE_REASON},
        "correlationId": correlation_id,
    }
