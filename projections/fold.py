"""Pure folds from events to view documents: no I/O, so the rules are testable in microseconds.

Event Grid delivers at least once and in any order, so every fold is written against that:

* an order document records ``version``, the highest version applied *without a gap*, and keeps
  events that arrived early in ``pending`` until their predecessors come; a duplicate (a version
  already applied or already pending) changes nothing;
* the customer profile in ``customer_summary`` records the customer-stream version of each part
  it holds and takes a part only from a newer event;
* ``customer_orders`` rows and the summary's totals are *derived* from order documents, so they
  are the same whatever order the events came in.

Timestamps in views are event times (``updatedAt`` is the newest event folded in), never the
wall clock, so rebuilding from the archive gives byte-identical documents.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from contracts.customer_events import CreditLimitChanged, CustomerRegistered
from contracts.events import Event
from contracts.order_events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    ShippingAddressChanged,
)

Doc = dict[str, Any]
OPEN_STATUSES = ("placed", "shipped")


def new_order_doc(order_id: str) -> Doc:
    """An order known only by id: ``version`` 0 means "not placed yet" (queries answer 404)."""
    return {
        "id": order_id, "orderId": order_id, "customerId": None, "status": "new",
        "currency": None, "lines": [], "total": 0, "shippingAddress": None,
        "customer": None, "customerVersion": 0, "searchName": None,
        "carrier": None, "trackingNumber": None, "cancellationReason": None,
        "placedAt": None, "shippedAt": None, "deliveredAt": None, "cancelledAt": None,
        "sortKey": None, "version": 0, "pending": [], "eventsAt": None, "updatedAt": None,
    }


def apply_order_event(doc: Doc | None, event: Event) -> Doc | None:
    """The order document after ``event``, or ``None`` when the event changes nothing."""
    current = doc if doc is not None else new_order_doc(event.aggregate_id)
    pending_versions = {int(p["version"]) for p in current["pending"]}
    if event.version <= current["version"] or event.version in pending_versions:
        return None
    updated = copy.deepcopy(current)
    if event.version > updated["version"] + 1:
        updated["pending"] = sorted([*updated["pending"], event.to_dict()],
                                    key=lambda p: int(p["version"]))
        return updated
    _apply_order(updated, event)
    while updated["pending"] and int(updated["pending"][0]["version"]) == updated["version"] + 1:
        _apply_order(updated, Event.from_dict(updated["pending"].pop(0)))
    return updated


def _apply_order(doc: Doc, event: Event) -> None:
    payload = event.payload()
    at = event.occurred_at
    if isinstance(payload, OrderPlaced):
        doc.update(customerId=payload.customer_id, status="placed", currency=payload.currency,
                   lines=[line.to_dict() for line in payload.lines], total=payload.total,
                   shippingAddress=payload.shipping_address.to_dict(), placedAt=at,
                   sortKey=f"{at}|{event.aggregate_id}")
    elif isinstance(payload, OrderShipped):
        doc.update(status="shipped", carrier=payload.carrier,
                   trackingNumber=payload.tracking_number, shippedAt=at)
    elif isinstance(payload, OrderDelivered):
        doc.update(status="delivered", deliveredAt=at)
    elif isinstance(payload, OrderCancelled):
        doc.update(status="cancelled", cancellationReason=payload.reason, cancelledAt=at)
    elif isinstance(payload, ShippingAddressChanged):
        doc["shippingAddress"] = payload.shipping_address.to_dict()
    doc["version"] = event.version
    doc["eventsAt"] = _latest(doc["eventsAt"], at)
    doc["updatedAt"] = _latest(doc["updatedAt"], at)


def _latest(*moments: str | None) -> str | None:
    """RFC 3339 in our canonical form sorts as text."""
    known = [m for m in moments if m]
    return max(known) if known else None


def with_customer(doc: Doc, profile: Doc | None) -> Doc | None:
    """The order with the customer's name and contact copied in, if ``profile`` is newer."""
    if not profile or not profile.get("version") or doc["version"] < 1:
        return None
    if profile["version"] <= doc["customerVersion"]:
        return None
    updated = copy.deepcopy(doc)
    updated["customer"] = {k: profile.get(k) for k in ("name", "email", "phone")}
    updated["customerVersion"] = profile["version"]
    updated["searchName"] = str(profile.get("name") or "").lower()
    updated["updatedAt"] = _latest(doc["updatedAt"], profile.get("at"))
    return updated


def customer_row(doc: Doc) -> Doc | None:
    """The compact list row of a placed order (``None`` while the order is not placed)."""
    if doc["version"] < 1 or not doc["customerId"]:
        return None
    keys = ("orderId", "customerId", "status", "total", "currency", "placedAt", "version",
            "sortKey")
    # The order's own event time: the row must not depend on when the profile was merged.
    return {"id": doc["id"], **{key: doc[key] for key in keys}, "updatedAt": doc["eventsAt"]}


def new_summary(customer_id: str) -> Doc:
    return {
        "id": customer_id, "customerId": customer_id, "profile": None,
        "creditCurrency": None, "currencyVersion": 0, "currency": None, "orderCount": 0,
        "openOrders": 0, "totalSpent": 0, "lastOrderAt": None, "ordersVersion": 0, "version": 0,
        "updatedAt": None,
    }


def apply_customer_event(summary: Doc | None, event: Event) -> Doc | None:
    """The summary with the customer's profile or credit currency from ``event``, or ``None``."""
    current = summary if summary is not None else new_summary(event.aggregate_id)
    payload = event.payload()
    updated = copy.deepcopy(current)
    if isinstance(payload, CustomerRegistered):
        if (current["profile"] or {}).get("version", 0) >= event.version:
            return None
        updated["profile"] = {"name": payload.name, "email": payload.email,
                              "phone": payload.phone, "version": event.version,
                              "at": event.occurred_at}
    newer = event.version > current["currencyVersion"]
    if isinstance(payload, CustomerRegistered | CreditLimitChanged) and newer:
        updated.update(creditCurrency=payload.currency, currencyVersion=event.version)
    if updated == current:
        return None
    updated["currency"] = updated["creditCurrency"] or current["currency"]
    updated["updatedAt"] = _latest(current["updatedAt"], event.occurred_at)
    return _versioned(updated)


def summarize(summary: Doc | None, customer_id: str, rows: Iterable[Doc]) -> Doc:
    """The summary's totals recomputed from every list row of the customer.

    ``currency`` is the customer's credit currency; ``totalSpent`` adds up the orders in that
    currency that were not cancelled. ``version`` grows by one with every order event folded for
    the customer (and with profile changes), so it serves as the ETag of list and summary.
    """
    updated = copy.deepcopy(summary) if summary is not None else new_summary(customer_id)
    rows = sorted(rows, key=lambda row: str(row["sortKey"]))
    currency = updated["creditCurrency"] or (rows[-1]["currency"] if rows else None)
    updated.update(
        currency=currency,
        orderCount=len(rows),
        openOrders=sum(1 for row in rows if row["status"] in OPEN_STATUSES),
        totalSpent=sum(int(row["total"]) for row in rows
                       if row["status"] != "cancelled" and row["currency"] == currency),
        lastOrderAt=rows[-1]["placedAt"] if rows else None,
        ordersVersion=sum(int(row["version"]) for row in rows),
        updatedAt=_latest(updated["updatedAt"], *(row["updatedAt"] for row in rows)),
    )
    return _versioned(updated)


def _versioned(summary: Doc) -> Doc:
    profile_version = (summary["profile"] or {}).get("version", 0)
    summary["version"] = (summary["ordersVersion"] + max(profile_version,
                                                         summary["currencyVersion"]))
    return summary
