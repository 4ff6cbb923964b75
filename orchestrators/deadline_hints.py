"""The order workflows' side of the fulfilment deadline: end the watcher early.

``ship_order`` and ``cancel_order`` send ``deadline-{orderId}`` the ``OrderClosed`` hint once the
order accepted them, through an activity with a durable client (``activities/deadline_watch.py``),
with retries. The hint may not fail the command it belongs to: the order has already changed
when it runs, and the watcher re-checks the Order entity anyway, so a hint that still fails after
its retries is logged and the command goes on.
"""

from __future__ import annotations

import azure.durable_functions as df

from observability import durable
from observability.logs import get_logger
from orchestrators.names import NOTIFY_DEADLINE
from orchestrators.steps import Saga, Steps
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL

log = get_logger("orders.orchestrations")
# The durable client reaches the host; a host busy or restarting recovers within seconds.
DEADLINE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=250,
                                 max_number_of_attempts=4)


def end_watch(saga: Saga, order_id: str) -> Steps:
    """The hint, unless the watcher itself is the one cancelling (it ends on its own then)."""
    if saga.principal.get("userId") == FULFILMENT_DEADLINE_PRINCIPAL.user_id:
        return
    try:
        yield saga.context.call_activity_with_retry(NOTIFY_DEADLINE, DEADLINE_RETRY,
                                                    {"orderId": order_id})
    except Exception:
        if not saga.context.is_replaying:
            log.warning("%s failed after its retries; the deadline watcher re-checks the order",
                        NOTIFY_DEADLINE, event="deadline.hint.failed", activity=NOTIFY_DEADLINE,
                        **durable.log_fields(saga.context, saga.envelope))
