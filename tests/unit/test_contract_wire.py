"""Contracts on the wire: camelCase JSON, strict reading, event envelopes, Event Grid form."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from contracts.commands import COMMAND_TYPES, AdjustStock, PlaceOrder, RegisterCustomer
from contracts.customer_events import CreditReserved
from contracts.events import (
    CONTRACT_VERSION,
    EVENT_PAYLOADS,
    Event,
    from_event_grid,
    to_event_grid,
)
from contracts.inventory_events import StockAdjusted
from contracts.order_events import OrderCancelled, OrderPlaced
from contracts.values import LineRequest, OrderLine, ShippingAddress
from contracts.wire import WireFormatError, camel, format_timestamp, normalize_timestamp

ADDRESS = ShippingAddress("enc-n", "enc-s", "enc-c", "enc-p", "DE")
PLACE_JSON: dict[str, Any] = {
    "commandId": "c-1",
    "orderId": "o-1",
    "customerId": "alice",
    "currency": "EUR",
    "lines": [{"sku": "SKU-1", "quantity": 2, "unitPrice": 150}],
    "shippingAddress": {
        "name": "enc-n",
        "street": "enc-s",
        "city": "enc-c",
        "postalCode": "enc-p",
        "country": "DE",
    },
}


def test_the_contract_version_is_one_point_oh() -> None:
    assert CONTRACT_VERSION == "1.0"


def test_names_become_camel_case() -> None:
    assert camel("postal_code") == "postalCode" and camel("sku") == "sku"
    assert camel("expected_version") == "expectedVersion"


def test_a_command_is_read_from_camel_case_json() -> None:
    command = PlaceOrder.from_dict(PLACE_JSON)
    assert command.lines == (LineRequest("SKU-1", 2, 150),)
    assert command.shipping_address == ADDRESS
    assert command.expected_version is None
    assert PlaceOrder.from_dict(json.loads(json.dumps(command.to_dict()))) == command


def test_written_forms_are_plain_json_and_dict_fields_are_taken_as_they_are() -> None:
    command = PlaceOrder.from_dict({**PLACE_JSON, "expectedVersion": None})
    wire = command.to_dict()
    assert wire == {**PLACE_JSON, "expectedVersion": None, "orderIdGenerated": False}
    assert type(wire["lines"]) is list and type(wire["lines"][0]) is dict
    data = {"nested": {"list": [1, 2]}}
    event = Event(type="Orders.OrderCancelled", aggregate_id="o-1", version=2,
                  occurred_at="2026-01-01T00:00:00.000Z", actor="alice", data=data)
    written = event.to_dict()
    assert written["data"] == data and written["data"] is not data
    assert json.loads(json.dumps(written)) == written


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    assert PlaceOrder.from_dict({**PLACE_JSON, "giftWrap": True}).order_id == "o-1"


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"orderId": None}, "PlaceOrder.orderId"),
        ({"lines": "SKU-1"}, "PlaceOrder.lines"),
        (
            {"lines": [{"sku": "A", "quantity": "2", "unitPrice": 1}]},
            "PlaceOrder.lines[0].quantity",
        ),
        (
            {"lines": [{"sku": "A", "quantity": True, "unitPrice": 1}]},
            "PlaceOrder.lines[0].quantity",
        ),
        ({"shippingAddress": {"name": "x"}}, "PlaceOrder.shippingAddress.street"),
        ({"expectedVersion": "3"}, "PlaceOrder.expectedVersion"),
    ],
)
def test_wrong_json_types_fail_with_the_path(patch: dict[str, Any], path: str) -> None:
    with pytest.raises(WireFormatError, match=path.replace("[", r"\[").replace("]", r"\]")):
        PlaceOrder.from_dict({**PLACE_JSON, **patch})


def test_a_missing_required_field_is_named() -> None:
    document = dict(PLACE_JSON)
    del document["currency"]
    with pytest.raises(WireFormatError, match=r"PlaceOrder\.currency is required"):
        PlaceOrder.from_dict(document)
    with pytest.raises(WireFormatError):
        PlaceOrder.from_dict(["not", "an", "object"])


def test_every_command_type_is_registered() -> None:
    assert set(COMMAND_TYPES) == {
        "PlaceOrder",
        "ShipOrder",
        "DeliverOrder",
        "CancelOrder",
        "ChangeAddress",
        "RegisterCustomer",
        "SetCreditLimit",
        "AdjustStock",
        "PriceProduct",
        "ChangeProfile",
        "EraseCustomer",
        "RotateKeys",
    }
    assert (
        RegisterCustomer.from_dict(
            {"commandId": "c", "customerId": "a", "name": "A", "email": "e"}
        ).phone
        is None
    )
    assert AdjustStock.from_dict({"commandId": "c", "sku": "S", "delta": -2}).delta == -2


def placed_event() -> Event:
    payload = OrderPlaced("alice", "EUR", (OrderLine("SKU-1", 2, 150),), 300, ADDRESS)
    return Event.create(
        payload, aggregate_id="o-1", version=1, occurred_at="2024-05-01T10:00:00Z", actor="alice"
    )


def test_an_event_envelope_round_trips_through_json() -> None:
    event = placed_event()
    wire = json.loads(json.dumps(event.to_dict()))
    assert set(wire) == {
        "type",
        "aggregateId",
        "version",
        "occurredAt",
        "actor",
        "data",
        "dataVersion",
    }
    assert wire["data"]["lines"] == [{"sku": "SKU-1", "quantity": 2, "unitPrice": 150}]
    assert wire["data"]["shippingAddress"]["postalCode"] == "enc-p"
    restored = Event.from_dict(wire)
    assert restored == event
    assert restored.payload() == OrderPlaced(
        "alice", "EUR", (OrderLine("SKU-1", 2, 150),), 300, ADDRESS
    )


def test_the_event_grid_form() -> None:
    message = to_event_grid(placed_event())
    assert message["id"] == "o-1:1" and message["subject"] == "orders/o-1"
    assert message["eventType"] == "Orders.OrderPlaced"
    assert message["dataVersion"] == "1.0"
    assert message["eventTime"] == "2024-05-01T10:00:00.000Z"
    assert set(message["data"]) == {"orderId", "version", "occurredAt", "actor", "payload"}
    assert from_event_grid(json.loads(json.dumps(message))) == placed_event()


def test_other_streams_have_their_own_subjects_and_ids() -> None:
    credit = Event.create(
        CreditReserved("o-1", 300, "EUR"),
        aggregate_id="alice",
        version=4,
        occurred_at="2024-05-01T10:00:00Z",
        actor="alice",
    )
    stock = Event.create(
        StockAdjusted(5, 5, None),
        aggregate_id="SKU-1",
        version=1,
        occurred_at="2024-05-01T10:00:00Z",
        actor="fred",
    )
    assert to_event_grid(credit)["id"] == "customers/alice:4"
    assert to_event_grid(credit)["data"]["customerId"] == "alice"
    assert to_event_grid(stock)["subject"] == "products/SKU-1"
    assert to_event_grid(stock)["data"]["sku"] == "SKU-1"
    assert from_event_grid(to_event_grid(stock)) == stock


def test_every_payload_type_is_registered_under_the_orders_prefix() -> None:
    assert all(name.startswith("Orders.") for name in EVENT_PAYLOADS)
    assert EVENT_PAYLOADS["Orders.OrderCancelled"] is OrderCancelled
    assert len(EVENT_PAYLOADS) == 18


def test_unknown_or_incompatible_events_are_refused() -> None:
    wire = placed_event().to_dict()
    with pytest.raises(WireFormatError, match="data version"):
        Event.from_dict({**wire, "dataVersion": "2.0"})
    assert Event.from_dict({**wire, "dataVersion": "1.3"}).version == 1
    with pytest.raises(WireFormatError):
        Event.from_dict({**wire, "version": 0})
    unknown = Event.from_dict({**wire, "type": "Orders.Teleported"})
    with pytest.raises(WireFormatError, match="unknown event type"):
        unknown.payload()
    with pytest.raises(WireFormatError):
        from_event_grid({"eventType": "Orders.OrderPlaced", "data": {}, "subject": "nope"})


def test_timestamps_are_rfc3339_utc() -> None:
    assert normalize_timestamp("2024-05-01T12:00:00.123456+02:00") == "2024-05-01T10:00:00.123Z"
    assert normalize_timestamp("2024-05-01t10:00:00z") == "2024-05-01T10:00:00.000Z"
    for bad in ("2024-05-01", "2024-05-01T10:00:00", "not a time at all!!", 5):
        with pytest.raises(ValueError):
            normalize_timestamp(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 5, 1))
