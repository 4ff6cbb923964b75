"""The order workflows' side of the fulfilment deadline: start the watcher, end it early.

``place_order`` starts ``deadline-{orderId}`` once the order is placed; ``ship_order`` and
``cancel_order`` send it the ``OrderClosed`` hint once the order accepted them. Both go through
activities with a durable client (``activities/deadline_watch.py``), with retries. Neither may
fail the command it belongs to: the order has already changed when they run, and the watcher
re-checks the Order entity anyway, so a step that still fails after its retries is logged and
the command goes on.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from observability import durable
from observability.logs import get_logger
from orchestrators.names import NOTIFY_DEADLINE, START_DEADLINE_WATCH
from orchestrators.steps import Saga, Steps
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL

log = get_logger("orders.orchestrations")
# The durable client reaches the host; a host busy or restarting recovers within seconds.
DEADLINE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=250,
                                 max_number_of_attempts=4)


def start_watch(saga: Saga, order_id: str) -> Steps:
    watch = {"orderId": order_id, "correlationId": durable.correlation_id_of(saga.envelope)}
    yield from _best_effort(saga, START_DEADLINE_WATCH, watch)


def end_watch(saga: Saga, order_id: str) -> Steps:
    """The hint, unless the watcher itself is the one cancelling (it ends on its own then)."""
    if saga.principal.get("userId") == FULFILMENT_DEADLINE_PRINCIPAL.user_id:
        return
    yield from _best_effort(saga, NOTIFY_DEADLINE, {"orderId": order_id})


def _best_effort(saga: Saga, activity: str, data: dict[str, Any]) -> Steps:
    try:
        yield saga.context.call_activity_with_retry(activity, DEADLINE_RETRY, data)
    except Exception:
        if not saga.context.is_replaying:
            log.warning("%s failed after its retries; the deadline watcher re-checks the order",
                        activity, event="deadline.hint.failed", activity=activity,
                        **durable.log_fields(saga.context, saga.envelope))
