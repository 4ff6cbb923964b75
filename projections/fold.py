"""Pure folds from events to view documents: no I/O, so the rules are testable in microseconds.

Event Grid delivers at least once and in any order, so every fold is written against that:

* an order document records ``version``, the highest version applied *without a gap*, and keeps
  events that arrived early in ``pending`` until their predecessors come; a duplicate (a version
  already applied or already pending) changes nothing;
* a ``customer_orders`` row is derived from its order document and is only ever replaced by a
  newer version of it;
* the customer profile in ``customer_summary`` records the customer-stream version of each part
  it holds and takes a part only from a newer event.

**No fold costs more as a customer's orders grow.** Each event touches a fixed number of
documents: its order, that order's row and the customer's summary.

*The profile is joined at read time.* The customer's name and contact (envelopes) live only in
the summary; order documents do not copy them, so a profile change is one write however many
orders the customer has. Order queries add the profile with ``with_customer`` (one more point
read, cached in the customer's scope), and searching by name goes through the summaries'
``searchName`` to their orders (``ViewStore.search_orders``).

*The summary's totals are folded as deltas, exactly once.* Call ``H(o)`` the contribution of
order ``o`` (its version, status, total and currency, see ``contribution``) that the summary's
totals currently include:

    H(o) = summary.inflight[o]      while o is in flight,
           contribution(row of o)   otherwise (nothing while o has no row).

``orderCount``, ``openOrders``, ``spent`` and ``ordersVersion`` are always the sums over
``H``. An order event keeps that true with three conditional writes, in this order
(``projections.projector``):

1. *count* (summary): read the summary, **then** the row; if the order document's version ``v``
   is newer than ``H(o)``, add ``contribution(v) - H(o)`` to the totals and, in the same write,
   set ``inflight[o] = contribution(v)`` (``count_order``);
2. *row*: write the row of version ``v`` (if it is newer than the stored one);
3. *settle* (summary): read the summary, then the row; once the row has reached the in-flight
   version, drop ``inflight[o]`` (``settle_order``). ``H(o)`` does not change: a version's
   contribution is a function of the version (order documents apply versions gap-free).

Why that is exactly once. A delta is applied only by the write that also records it, so no
crash can separate the two: a fold that dies after step 1 left ``inflight[o] = v``, and its
redelivery's step 1 finds ``H(o)`` at ``v`` and adds nothing, then writes the row and settles;
one that dies after step 2 is settled by the redelivery's step 3; a newer event of that order
arriving first takes its delta from the in-flight contribution and settles it. Races: a row
moves to version ``w`` only after some summary write recorded ``inflight[o] >= w``, and settling
needs the row there, so a row read *after* the summary is either covered by the summary's
``inflight`` entry or was written after a summary write that fails our ETag check (we retry).
Versions only grow (in ``inflight``, in rows), so a reordered or duplicated event never moves
anything back. ``inflight`` holds only orders whose fold is under way or died awaiting its
redelivery, so its size follows the concurrent folds, not the orders; at rest it is empty, and a
rebuild from the archive gives the very same documents.

The other summary fields are order-free: ``lastOrderAt`` (with ``lastOrderKey`` and
``lastOrderCurrency``, the newest order by ``sortKey``) and ``updatedAt`` are maxima, idempotent
and commutative. ``spent`` keeps the non-cancelled totals per currency, so ``totalSpent`` follows
the credit currency when it changes (one entry per currency used, zero entries dropped so the
map depends only on the orders' current states).

Timestamps in views are event times (``updatedAt`` is the newest event folded in), never the
wall clock, so rebuilding from the archive gives byte-identical documents.

A summary written by the earlier layout (totals recomputed from every row, no ``inflight``)
cannot take deltas: folding into one raises ``OutdatedSummary``, and the projector migrates it
once (``migrated_summary``: its totals counted from the customer's rows, which is exactly
``H`` with nothing in flight) before folding again. A rebuild gives the same documents.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from contracts.customer_events import (
    CreditLimitChanged,
    CustomerErased,
    CustomerProfileChanged,
    CustomerRegistered,
)
from contracts.events import Event
from contracts.order_events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    ShippingAddressChanged,
)
from security.crypto import is_envelope

Doc = dict[str, Any]
OPEN_STATUSES = ("placed", "shipped")
PROFILE_FIELDS = ("name", "email", "phone")
MASK = "***"  # security.crypto.MASK: what an erased customer's fields show


class OutdatedSummary(RuntimeError):
    """A summary of the layout before delta folds: migrate it (``migrated_summary``) first."""


def new_order_doc(order_id: str) -> Doc:
    """An order known only by id: ``version`` 0 means "not placed yet" (queries answer 404)."""
    return {
        "id": order_id, "orderId": order_id, "customerId": None, "status": "new",
        "currency": None, "lines": [], "total": 0, "shippingAddress": None,
        "carrier": None, "trackingNumber": None, "cancellationReason": None,
        "placedAt": None, "shippedAt": None, "deliveredAt": None, "cancelledAt": None,
        "sortKey": None, "version": 0, "pending": [], "updatedAt": None,
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
    doc["updatedAt"] = _latest(doc["updatedAt"], at)


def _latest(*moments: str | None) -> str | None:
    """RFC 3339 in our canonical form sorts as text."""
    known = [m for m in moments if m]
    return max(known) if known else None


def with_customer(order: Doc, profile: Doc | None) -> Doc:
    """The order as queries show it: with the customer's name and contact (the read-time join).

    ``profile`` is the summary's (``None`` before the customer's registration was folded);
    ``customerVersion`` is its version and ``updatedAt`` counts the profile's event time, as
    when the profile was copied into every order document.
    """
    if not profile or not profile.get("version"):
        return {**order, "customer": None, "customerVersion": 0}
    return {**order, "customer": {key: profile.get(key) for key in PROFILE_FIELDS},
            "customerErased": bool(profile.get("erased")),
            "customerVersion": int(profile["version"]),
            "updatedAt": _latest(order.get("updatedAt"), profile.get("at"))}


def customer_row(doc: Doc) -> Doc | None:
    """The compact list row of a placed order (``None`` while the order is not placed)."""
    if doc["version"] < 1 or not doc["customerId"]:
        return None
    keys = ("orderId", "customerId", "status", "total", "currency", "placedAt", "version",
            "sortKey", "updatedAt")
    return {"id": doc["id"], **{key: doc[key] for key in keys}}


def contribution(row: Doc) -> Doc:
    """What one order adds to its customer's summary totals, at the row's version."""
    return {"version": int(row["version"]), "status": str(row["status"]),
            "total": int(row["total"]), "currency": row["currency"]}


def new_summary(customer_id: str) -> Doc:
    return {
        "id": customer_id, "customerId": customer_id, "profile": None, "searchName": None,
        "creditCurrency": None, "currencyVersion": 0, "currency": None, "orderCount": 0,
        "openOrders": 0, "totalSpent": 0, "spent": {}, "lastOrderAt": None,
        "lastOrderKey": None, "lastOrderCurrency": None, "ordersVersion": 0, "inflight": {},
        "version": 0, "updatedAt": None,
    }


NameOpener = Callable[[str, str], str | None]


def plain_name(customer_id: str, name: str) -> str | None:
    """The name support searches by, when it is not sealed (events before names were)."""
    return None if is_envelope(name) else name


def apply_customer_event(summary: Doc | None, event: Event,
                         open_name: NameOpener = plain_name) -> Doc | None:
    """The summary with the customer's profile or credit currency from ``event``, or ``None``.

    ``open_name(customer_id, name)`` gives the plain name for ``searchName`` (the name is
    sealed in events; the projector opens it), ``None`` when it cannot be opened."""
    current = _current(summary, event.aggregate_id)
    payload = event.payload()
    updated = copy.deepcopy(current)
    if isinstance(payload, CustomerRegistered | CustomerProfileChanged | CustomerErased):
        if (current["profile"] or {}).get("version", 0) >= event.version:
            return None
        updated["profile"], updated["searchName"] = _profile(payload, event, open_name)
    newer = event.version > current["currencyVersion"]
    if isinstance(payload, CustomerRegistered | CreditLimitChanged) and newer:
        updated.update(creditCurrency=payload.currency, currencyVersion=event.version)
    if updated == current:
        return None
    updated["updatedAt"] = _latest(current["updatedAt"], event.occurred_at)
    return _versioned(_priced(updated))


def _profile(payload: CustomerRegistered | CustomerProfileChanged | CustomerErased,
             event: Event, open_name: NameOpener) -> tuple[Doc, str | None]:
    """The profile an event leaves, and the name support searches by. Every profile event
    carries the whole profile, so the newest version wins in any delivery order; erasure is
    the last profile event a customer has (the entity refuses changes after it), so once
    folded no late registration or change can bring the profile back, in a rebuild too."""
    if isinstance(payload, CustomerErased):
        masked: Doc = {name: MASK for name in PROFILE_FIELDS}
        return {**masked, "erased": True, "version": event.version,
                "at": event.occurred_at}, None
    name = open_name(event.aggregate_id, payload.name)
    return {"name": payload.name, "email": payload.email, "phone": payload.phone,
            "version": event.version, "at": event.occurred_at}, \
        None if name is None else name.lower()


def count_order(summary: Doc | None, customer_id: str, row: Doc,
                stored_row: Doc | None) -> Doc | None:
    """Step 1 (*count*): the summary with ``row``'s contribution in place of ``H(o)``.

    ``stored_row`` is the order's row as stored, read *after* ``summary``. ``None`` when the
    summary already holds this version or a newer one of the order.
    """
    current = _current(summary, customer_id)
    order_id = str(row["orderId"])
    held = current["inflight"].get(order_id)
    if held is None and stored_row is not None:
        held = contribution(stored_row)
    part = contribution(row)
    if held is not None and held["version"] >= part["version"]:
        return None
    updated = copy.deepcopy(current)
    _add(updated, held, -1)
    _add(updated, part, 1)
    updated["inflight"] = dict(sorted({**updated["inflight"], order_id: part}.items()))
    if str(row["sortKey"]) > (updated["lastOrderKey"] or ""):
        updated.update(lastOrderKey=row["sortKey"], lastOrderAt=row["placedAt"],
                       lastOrderCurrency=row["currency"])
    updated["updatedAt"] = _latest(updated["updatedAt"], row["updatedAt"])
    return _versioned(_priced(updated))


def settle_order(summary: Doc | None, order_id: str, stored_row: Doc | None) -> Doc | None:
    """Step 3 (*settle*): forget the in-flight entry once the row (read after the summary) has
    reached its version; the totals stay as they are. ``None`` when there is nothing to do."""
    held = (summary or {}).get("inflight", {}).get(order_id)
    if summary is None or held is None or stored_row is None:
        return None
    if int(stored_row["version"]) < int(held["version"]):
        return None
    updated = copy.deepcopy(summary)
    del updated["inflight"][order_id]
    return updated


def _current(summary: Doc | None, customer_id: str) -> Doc:
    if summary is None:
        return new_summary(customer_id)
    if "inflight" not in summary:
        raise OutdatedSummary(f"customer_summary/{customer_id} predates delta folds")
    return summary


def migrated_summary(old: Doc, rows: Iterable[Doc]) -> Doc:
    """An earlier-layout summary in today's: profile and credit currency kept, totals and the
    newest order counted once from the rows, nothing in flight."""
    summary = new_summary(str(old["customerId"]))
    profile = old.get("profile")
    summary.update(profile=profile, creditCurrency=old.get("creditCurrency"),
                   currencyVersion=int(old.get("currencyVersion") or 0),
                   searchName=str(profile["name"]).lower()
                   if profile and not profile.get("erased")
                   and plain_name("", str(profile["name"])) else None,
                   updatedAt=old.get("updatedAt"))
    for row in rows:
        _add(summary, contribution(row), 1)
        if str(row["sortKey"]) > (summary["lastOrderKey"] or ""):
            summary.update(lastOrderKey=row["sortKey"], lastOrderAt=row["placedAt"],
                           lastOrderCurrency=row["currency"])
        summary["updatedAt"] = _latest(summary["updatedAt"], row.get("updatedAt"))
    return _versioned(_priced(summary))


def _add(summary: Doc, part: Doc | None, sign: int) -> None:
    if part is None:
        return
    summary["orderCount"] += sign
    if part["status"] in OPEN_STATUSES:
        summary["openOrders"] += sign
    if part["status"] != "cancelled":
        spent = dict(summary["spent"])
        amount = int(spent.pop(part["currency"], 0)) + sign * int(part["total"])
        if amount:
            spent[part["currency"]] = amount
        summary["spent"] = dict(sorted(spent.items()))
    summary["ordersVersion"] += sign * int(part["version"])


def _priced(summary: Doc) -> Doc:
    """``currency`` is the credit currency (else the newest order's); ``totalSpent`` adds up the
    customer's orders in that currency that were not cancelled."""
    currency = summary["creditCurrency"] or summary["lastOrderCurrency"]
    summary["currency"] = currency
    summary["totalSpent"] = int(summary["spent"].get(currency, 0)) if currency else 0
    return summary


def _versioned(summary: Doc) -> Doc:
    """``version`` grows by one with every order event folded for the customer (and with
    profile changes), so it serves as the ETag of the customer's list and summary."""
    profile_version = (summary["profile"] or {}).get("version", 0)
    summary["version"] = (summary["ordersVersion"] + max(profile_version,
                                                         summary["currencyVersion"]))
    return summary
