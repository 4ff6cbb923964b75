"""The event envelope every aggregate emits, and its Event Grid form.

Wire shapes (camelCase):

* ``Event.to_dict()``: ``{"type": "Orders.OrderPlaced", "aggregateId", "version", "occurredAt",
  "actor", "data", "dataVersion"}`` - what entities return and orchestrations pass on.
* ``to_event_grid(event)``: the Event Grid schema. ``id`` is ``{orderId}:{version}`` for orders and
  ``{subject}:{version}`` for the other streams (so ids of different streams never collide),
  ``subject`` is ``{stream}/{aggregateId}`` (``orders/o-1``, ``customers/c-1``, ``products/SKU-1``),
  ``eventType`` is the full type, ``dataVersion`` the contract version, ``data`` is
  ``{"orderId"|"customerId"|"sku", "version", "occurredAt", "actor", "payload"}``; on Event
  Grid an order event may add ``carried`` and a stock event ``carriedBy``
  (``contracts/carrying.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import customer_events, inventory_events, order_events
from contracts.payload import CUSTOMERS_STREAM, ORDERS_STREAM, PRODUCTS_STREAM, EventPayload
from contracts.wire import WireFormatError, from_wire, normalize_timestamp, to_wire

CONTRACT_VERSION = "1.0"
EVENT_TYPE_PREFIX = "Orders."

_PAYLOAD_CLASSES: tuple[type[EventPayload], ...] = (
    order_events.OrderPlaced,
    order_events.OrderShipped,
    order_events.OrderDelivered,
    order_events.OrderCancelled,
    order_events.ShippingAddressChanged,
    customer_events.CustomerRegistered,
    customer_events.CreditLimitChanged,
    customer_events.CreditReserved,
    customer_events.CreditReleased,
    customer_events.CreditSettled,
    customer_events.CustomerProfileChanged,
    customer_events.CustomerErased,
    inventory_events.StockAdjusted,
    inventory_events.StockReserved,
    inventory_events.StockReleased,
    inventory_events.StockCommitted,
    inventory_events.StockCommitReverted,
    inventory_events.ProductPriced,
)
EVENT_PAYLOADS: dict[str, type[EventPayload]] = {
    EVENT_TYPE_PREFIX + cls.EVENT_TYPE: cls for cls in _PAYLOAD_CLASSES
}
STREAM_ID_KEYS: dict[str, str] = {
    ORDERS_STREAM: "orderId",
    CUSTOMERS_STREAM: "customerId",
    PRODUCTS_STREAM: "sku",
}


def event_type_of(payload_class: type[EventPayload]) -> str:
    """``OrderPlaced`` -> ``Orders.OrderPlaced``."""
    return EVENT_TYPE_PREFIX + payload_class.EVENT_TYPE


@dataclass(frozen=True)
class Event:
    """One fact about one aggregate; ``version`` counts that aggregate's events from 1."""

    type: str
    aggregate_id: str
    version: int
    occurred_at: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    data_version: str = CONTRACT_VERSION

    @classmethod
    def create(
        cls,
        payload: EventPayload,
        *,
        aggregate_id: str,
        version: int,
        occurred_at: str,
        actor: str,
    ) -> Event:
        return cls(
            type=event_type_of(type(payload)),
            aggregate_id=aggregate_id,
            version=version,
            occurred_at=normalize_timestamp(occurred_at),
            actor=actor,
            data=payload.to_dict(),
        )

    @property
    def stream(self) -> str:
        payload_class = EVENT_PAYLOADS.get(self.type)
        if payload_class is None:
            raise WireFormatError(f"unknown event type {self.type!r}")
        return payload_class.STREAM

    @property
    def order_id(self) -> str:
        """The aggregate id under its usual name for order events."""
        return self.aggregate_id

    @property
    def subject(self) -> str:
        return f"{self.stream}/{self.aggregate_id}"

    @property
    def event_id(self) -> str:
        if self.stream == ORDERS_STREAM:
            return f"{self.aggregate_id}:{self.version}"
        return f"{self.subject}:{self.version}"

    def payload(self) -> EventPayload:
        """The typed payload; raises ``WireFormatError`` for unknown types or bad data."""
        payload_class = EVENT_PAYLOADS.get(self.type)
        if payload_class is None:
            raise WireFormatError(f"unknown event type {self.type!r}")
        return payload_class.from_dict(self.data)

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> Event:
        event = from_wire(cls, data)
        _check_data_version(event.data_version)
        if event.version < 1:
            raise WireFormatError("Event.version must be at least 1")
        return event


def _check_data_version(data_version: str) -> None:
    major = data_version.split(".", 1)[0]
    if major != CONTRACT_VERSION.split(".", 1)[0]:
        raise WireFormatError(f"unsupported event data version {data_version!r}")


def to_event_grid(event: Event) -> dict[str, Any]:
    """The Event Grid schema dict for ``event`` (see the module docstring)."""
    id_key = STREAM_ID_KEYS[event.stream]
    return {
        "id": event.event_id,
        "subject": event.subject,
        "eventType": event.type,
        "dataVersion": event.data_version,
        "eventTime": event.occurred_at,
        "data": {
            id_key: event.aggregate_id,
            "version": event.version,
            "occurredAt": event.occurred_at,
            "actor": event.actor,
            "payload": event.data,
        },
    }


def from_event_grid(message: Mapping[str, Any]) -> Event:
    """Read an Event Grid event back into an ``Event`` (projections use this)."""
    data = message.get("data")
    event_type = message.get("eventType")
    subject = message.get("subject")
    if not isinstance(data, Mapping) or not isinstance(event_type, str):
        raise WireFormatError("an Event Grid event needs 'eventType' and an object 'data'")
    if not isinstance(subject, str) or "/" not in subject:
        raise WireFormatError("an Event Grid event needs a 'subject' of the form stream/id")
    aggregate_id = subject.split("/", 1)[1]
    envelope = {
        "type": event_type,
        "aggregateId": aggregate_id,
        "version": data.get("version"),
        "occurredAt": data.get("occurredAt"),
        "actor": data.get("actor"),
        "data": data.get("payload", {}),
        "dataVersion": message.get("dataVersion", CONTRACT_VERSION),
    }
    return Event.from_dict(envelope)
