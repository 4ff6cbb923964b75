"""An order not shipped before FULFILMENT_DEADLINE is cancelled by the system, and released.

devhost's clock is moved past the deadline instead of waiting for it.
"""

from __future__ import annotations

from conftest import DEADLINE_SECONDS
from e2e_helpers import OrdersApi, order_body


def test_unshipped_order_is_cancelled_at_the_deadline(api: OrdersApi, uid: str) -> None:
    ivy, sku = f"ivy-{uid}", f"SKU-{uid}"
    api.customer(ivy)
    api.stock(sku, 3)
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
