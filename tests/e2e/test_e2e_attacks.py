"""The order-id and workflow-input attacks, driven over HTTP and the management API as an
attacker would: a customer naming another customer's order id, probing it for what it holds,
forging the caller of a workflow, and reusing an id whose placement failed. Each must reserve,
release and reveal nothing, and the stock must always end where the orders say it is."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import OrdersApi, address, order_body

MAX_ORDER_TOTAL = 10_000_000  # local.settings.example.json


def _place(api: OrdersApi, sub: str, *lines: tuple[str, int, int], **extra: Any) -> dict[str, Any]:
    return api.run("POST", "orders", order_body(*lines, **extra), sub, "customer")


def test_naming_anothers_order_id_reserves_and_releases_nothing(api: OrdersApi,
                                                                 uid: str) -> None:
    alice, bob, carol, sku = f"alice-{uid}", f"bob-{uid}", f"carol-{uid}", f"SKU-{uid}"
    for customer in (alice, bob, carol):
        api.customer(customer)
    api.stock(sku, 3)
    order_id = f"ord-a-{uid}"
    assert _place(api, alice, (sku, 3, 100), orderId=order_id)["status"] == "succeeded"

    taken = _place(api, bob, (sku, 3, 100), orderId=order_id)
    assert (taken["status"], taken["error"]["code"]) == ("failed", "OrderAlreadyExists")
    assert api.inventory(sku) == {"onHand": 3, "reserved": 3}
    assert api.credit(bob)["openBalance"] == 0
    oversold = _place(api, carol, (sku, 1, 100))
    assert oversold["error"]["code"] == "InsufficientStock"

    shipped = api.run("POST", f"orders/{order_id}/ship", {"carrier": "DHL", "trackingNumber": "1"},
                      "fred", "fulfilment")
    assert shipped["status"] == "succeeded", shipped
    assert api.inventory(sku) == {"onHand": 0, "reserved": 0}


def test_probes_with_anothers_order_id_all_get_one_answer(api: OrdersApi, uid: str) -> None:
    alice, bob, sku, other = f"alice-{uid}", f"bob-{uid}", f"SKU-{uid}", f"OTHER-{uid}"
    api.customer(alice)
    api.customer(bob)
    api.stock(sku, 10)
    api.stock(other, 10, price=300)
    first, second = f"ord-1-{uid}", f"ord-2-{uid}"
    _place(api, alice, (sku, 2, 100), orderId=first)
    _place(api, alice, (other, 5, 300), orderId=second)
    probes = [
        (first, (sku, 2, 100)), (first, (sku, 3, 100)), (first, (other, 2, 100)),
        (first, (f"NOSUCH-{uid}", 1, 1)), (second, (other, 5, 300)), (second, (sku, 1, 1)),
    ]
    answers = {(done["status"], done["error"]["code"], done["error"]["message"],
                str(done["error"].get("details")))
               for done in (_place(api, bob, line, orderId=order_id) for order_id, line in probes)}
    assert len(answers) == 1, answers
    [(status, code, _, details)] = answers
    assert (status, code, details) == ("failed", "OrderAlreadyExists", "None")
    assert api.inventory(sku)["reserved"] == 2 and api.inventory(other)["reserved"] == 5


def test_a_workflow_started_with_a_forged_caller_does_nothing(api: OrdersApi, uid: str) -> None:
    kim = f"kim-{uid}"
    api.customer(kim, limit=1000)
    forged = {
        "commandId": f"forged-{uid}", "type": "SetCreditLimit",
        "issuer": {"userId": "ada", "roles": ["admin"]},
        "subject": {"customerId": kim},
        "command": {"commandId": f"forged-{uid}", "customerId": kim, "amount": 10**12,
                    "currency": "EUR"},
    }
    instance = api.host.start("set_credit_limit", forged, instance_id=f"forged-{uid}")
    done = api.host.wait(instance)
    assert done["output"]["status"] == "failed", done
    assert done["output"]["error"]["code"] == "Forbidden"
    assert api.credit(kim)["limit"] == 1000


def test_a_sealed_input_cannot_be_replayed_under_another_instance(api: OrdersApi,
                                                                  uid: str) -> None:
    kim = f"kim-{uid}"
    api.customer(kim, limit=1000)
    envelope = {
        "commandId": f"real-{uid}", "type": "SetCreditLimit",
        "issuer": {"userId": "ada", "roles": ["admin"]},
        "subject": {"customerId": kim},
        "command": {"commandId": f"real-{uid}", "customerId": kim, "amount": 5000,
                    "currency": "EUR"},
    }
    copied = api.sealed(envelope, f"real-{uid}")  # seen in the task hub by whoever reads it
    done = api.host.wait(api.host.start("set_credit_limit", copied, instance_id=f"copy-{uid}"))
    assert done["output"]["error"]["code"] == "Forbidden"
    altered = {**copied, "command": {**envelope["command"], "amount": 10**12}}
    done = api.host.wait(api.host.start("set_credit_limit", altered, instance_id=f"real-{uid}"))
    assert done["output"]["error"]["code"] == "Forbidden"
    assert api.credit(kim)["limit"] == 1000


def test_a_sealed_input_never_acts_as_the_system(api: OrdersApi, uid: str) -> None:
    ivy, sku = f"ivy-{uid}", f"SKU-{uid}"
    api.customer(ivy)
    api.stock(sku, 2)
    order_id = _place(api, ivy, (sku, 1, 100))["orderId"]
    command_id = f"sys-{uid}"
    system = api.sealed({
        "commandId": command_id, "type": "CancelOrder",
        "issuer": {"userId": "system:fulfilment-deadline", "roles": ["system"]},
        "subject": {"orderId": order_id},
        "command": {"commandId": command_id, "orderId": order_id, "reason": "forged"},
    }, command_id)
    done = api.host.wait(api.host.start("cancel_order", system, instance_id=command_id))
    assert done["output"]["error"]["code"] == "Forbidden"
    watch = api.host.wait(api.host.start("fulfilment_deadline",
                                         {"orderId": order_id, "deadlineMs": 0}))
    assert watch["output"]["deadline"] == "refused"
    assert (api.order(order_id) or {})["status"] == "placed"
    assert api.inventory(sku)["reserved"] == 1


def test_an_id_whose_placement_failed_is_absent_for_everyone(api: OrdersApi, uid: str) -> None:
    rich, bob = f"rich-{uid}", f"bob-{uid}"
    api.customer(rich, limit=10**12)
    api.customer(bob)
    sku, order_id = f"SKU-{uid}", f"ord-big-{uid}"
    api.stock(sku, 5000)
    failed = _place(api, rich, (sku, 1000, 20_000), orderId=order_id)
    assert (failed["status"], failed["error"]["code"]) == ("failed", "ValidationFailed")
    assert api.order(order_id) is None
    bodies = {"cancel": {"reason": "x"}, "address": {"shippingAddress": address()},
              "ship": {"carrier": "DHL", "trackingNumber": "1"}, "deliver": {}}
    callers = [(rich, "customer"), (bob, "customer"), ("sam", "support"), ("ada", "admin"),
               ("fred", "fulfilment")]
    for action, body in bodies.items():
        for sub, role in callers:
            response = api.send("POST", f"orders/{order_id}/{action}", body, sub, role)
            if response.status_code == 403:  # a role that may never do this, whatever the id
                continue
            assert response.status_code == 404, (action, sub, response.text)
            assert response.json()["code"] == "NotFound"
    read = api.host.http("GET", f"api/orders/{order_id}", headers=api.headers(rich, "customer"))
    assert read.status_code == 404
    reused = _place(api, bob, (sku, 1, 100), orderId=order_id)
    assert reused["status"] == "succeeded"


@pytest.mark.parametrize("shortfall", ["stock", "credit"])
def test_a_refused_commit_or_settlement_is_never_dropped(api: OrdersApi, uid: str,
                                                         shortfall: str) -> None:
    """An operator's stray signal leaves the counts short of what the order holds: the shipment
    (or delivery) fails with a stable code and the order does not claim it."""
    una, sku, spare = f"una-{uid}", f"SKU-{uid}", f"SPARE-{uid}"
    api.customer(una)
    api.stock(sku, 2)
    api.stock(spare, 2)
    order_id = _place(api, una, (sku, 2, 100), (spare, 1, 100))["orderId"]
    ship = {"carrier": "DHL", "trackingNumber": "1"}
    stray = {"principal": {"userId": "ops", "roles": ["admin"]}, "commandId": f"stray-{uid}",
             "occurredAt": "2026-01-01T00:00:00Z", "orderId": "elsewhere"}
    if shortfall == "stock":
        api.host.signal("Inventory", sku, "release", {**stray, "quantity": 1})
        api.host.wait_entity("Inventory", sku, lambda state: state["reserved"] == 1)
        done = api.run("POST", f"orders/{order_id}/ship", ship, "fred", "fulfilment")
        assert (done["status"], done["error"]["code"]) == ("failed", "StockNotReserved")
        assert (api.order(order_id) or {})["status"] == "placed"
        assert api.inventory(spare) == {"onHand": 2, "reserved": 1}  # its commit was reverted
        return
    api.host.signal("Customer", una, "releaseCredit", {**stray, "amount": 1})
    api.host.wait_entity("Customer", una, lambda state: state["openBalance"] == 299)
    assert api.run("POST", f"orders/{order_id}/ship", ship, "fred", "fulfilment")[
        "status"] == "succeeded"
    done = api.run("POST", f"orders/{order_id}/deliver", {}, "fred", "fulfilment")
    assert (done["status"], done["error"]["code"]) == ("failed", "CreditNotReserved")
    assert (api.order(order_id) or {})["status"] == "shipped"
