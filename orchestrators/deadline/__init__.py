"""The fulfilment deadline: an order not shipped in time is cancelled by the system.

One feature, one folder:

- ``start.py``: ``start_watch``, called by the ``publish_events`` activity once an order's
  ``OrderPlaced`` event is out, starts the order's watch (``deadline-{orderId}``) unless it
  exists or the order already left ``placed``.
- ``watch.py``: the ``fulfilment_deadline`` orchestration, a durable timer to the deadline that
  cancels the order as the system principal, or ends early on a hint.
- ``hints.py``: ``end_watch``, the ``ship_order`` and ``cancel_order`` side: the
  ``notify_deadline`` activity raises ``OrderClosed`` to the watch.

The names below are the feature's one definition, for the triggers and their callers alike.
"""

from __future__ import annotations

FULFILMENT_DEADLINE = "fulfilment_deadline"
NOTIFY_DEADLINE = "notify_deadline"
ORDER_CLOSED_EVENT = "OrderClosed"


def deadline_instance_id(order_id: str) -> str:
    """One fulfilment-deadline watch per order, so starting it twice is harmless."""
    return f"deadline-{order_id}"
