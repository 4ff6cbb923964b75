"""View documents to the public shapes of docs/api.md, with sensitive fields opened or masked.

Views keep sensitive fields as ciphertext; they are decrypted here, at the HTTP edge, only for
callers ``security.policy.can_see_sensitive`` allows, and masked (``"***"``) for everyone else.
A value that fails to decrypt (erased key, tampering) is masked too, never returned raw.
"""

from __future__ import annotations

import logging
from typing import Any

from api.edge_crypto import SEALED_ADDRESS_FIELDS, cipher
from security import policy
from security.crypto import MASK, DecryptionFailed, EnvelopeFormatError, field_aad, is_envelope
from security.keys import KeyNotFound
from security.principal import Principal

log = logging.getLogger("orders.api")
ORDER_FIELDS = ("orderId", "customerId", "status", "currency", "lines", "total", "carrier",
                "trackingNumber", "cancellationReason", "placedAt", "shippedAt",
                "deliveredAt", "cancelledAt", "version")
LIST_FIELDS = ("orderId", "status", "total", "currency", "placedAt", "version")
SUMMARY_FIELDS = ("customerId", "orderCount", "openOrders", "totalSpent", "currency",
                  "lastOrderAt")


def _open(value: Any, aad: str, allowed: bool) -> Any:
    if value is None:
        return None
    if not allowed:
        return MASK
    try:
        return cipher().decrypt(str(value), aad)
    except (KeyNotFound, DecryptionFailed, EnvelopeFormatError):
        log.warning("a sensitive field could not be decrypted (%s); answering it masked", aad)
        return MASK


def _address(doc: dict[str, Any], allowed: bool) -> dict[str, Any] | None:
    address = doc.get("shippingAddress")
    if not isinstance(address, dict):
        return None
    order_id = str(doc["orderId"])
    shown = dict(address)
    for name in SEALED_ADDRESS_FIELDS:
        aad = field_aad("order", order_id, f"shippingAddress.{name}")
        shown[name] = _open(address.get(name), aad, allowed)
    return shown


def _customer(doc: dict[str, Any], allowed: bool) -> dict[str, Any] | None:
    customer = doc.get("customer")
    if not isinstance(customer, dict):
        return None
    customer_id = str(doc["customerId"])
    return {
        "name": _name(customer.get("name"), customer_id, allowed),
        "email": _open(customer.get("email"), field_aad("customer", customer_id, "email"),
                       allowed),
        "phone": _open(customer.get("phone"), field_aad("customer", customer_id, "phone"),
                       allowed),
    }


def _name(value: Any, customer_id: str, allowed: bool) -> Any:
    """The customer's name, sealed at the edge like email and phone (a name registered before
    names were sealed is plain text, and an erased customer's is the mask already)."""
    if not is_envelope(value):
        return value
    return _open(value, field_aad("customer", customer_id, "name"), allowed)


def render_order(doc: dict[str, Any], principal: Principal) -> dict[str, Any]:
    # An erased customer's fields are masked without trying a key: an instance that cached
    # the key before another one destroyed it must not open them either.
    allowed = policy.can_see_sensitive(principal, str(doc["customerId"])) and \
        not doc.get("customerErased")
    body = {key: doc.get(key) for key in ORDER_FIELDS}
    body["shippingAddress"] = _address(doc, allowed)
    body["customer"] = _customer(doc, allowed)
    return body


def render_list_item(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in LIST_FIELDS}


def render_summary(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: summary.get(key) for key in SUMMARY_FIELDS}


def render_search_item(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: doc.get(key) for key in ("orderId", "customerId", "status", "total", "currency",
                                         "placedAt", "trackingNumber", "version")},
        "customerName": _name((doc.get("customer") or {}).get("name"), str(doc["customerId"]),
                              not doc.get("customerErased")),
    }


def cacheable_order(doc: dict[str, Any]) -> dict[str, Any]:
    """What the cache keeps of an order document: the answer's material, still encrypted.
    The customer's profile is not in it: queries join it from the summary when answering."""
    keep = (*ORDER_FIELDS, "shippingAddress", "updatedAt")
    return {key: doc.get(key) for key in keep}


PRODUCT_FIELDS = ("sku", "name", "unitPrice", "currency", "available")
STOCK_COUNT_FIELDS = ("onHand", "reserved")


def render_product(doc: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Everyone signed in sees what is available; staff also see the counts behind it."""
    staff = policy.can_see_stock_counts(principal)
    return {name: doc[name] for name in PRODUCT_FIELDS + (STOCK_COUNT_FIELDS if staff else ())}


# Event payload fields that hold a sealed shipping address (OrderPlaced, ShippingAddressChanged).
_SEALED_PAYLOAD = "shippingAddress"


def render_event(message: dict[str, Any], principal: Principal, owner: str) -> dict[str, Any]:
    """One archived order event as the history shows it: type, version, time, actor and its
    data, the shipping address opened for the owner, support and admin (masked otherwise)."""
    data = message["data"]
    order_id = str(data["orderId"])
    payload = dict(data.get("payload") or {})
    if isinstance(payload.get(_SEALED_PAYLOAD), dict):
        allowed = policy.can_see_sensitive(principal, owner)
        payload[_SEALED_PAYLOAD] = _address(
            {"orderId": order_id, "shippingAddress": payload[_SEALED_PAYLOAD]}, allowed)
    return {"version": int(data["version"]), "type": str(message["eventType"]).split(".", 1)[-1],
            "occurredAt": data.get("occurredAt"), "actor": data.get("actor"), "data": payload}
