"""Callers allowed to see an order but not its sensitive fields get them masked, never raw."""

from __future__ import annotations

from api.queries.view_render import render_order
from security.principal import Principal


def test_sensitive_fields_are_masked_for_callers_without_the_right() -> None:
    doc = {"orderId": "o-1", "customerId": "c-1", "version": 1, "status": "placed",
           "shippingAddress": {"name": "enc:v1:a", "street": "enc:v1:b", "city": "enc:v1:c",
                               "postalCode": "enc:v1:d", "country": "DE"},
           "customer": {"name": "Cee", "email": "enc:v1:e", "phone": None}}
    shown = render_order(doc, Principal("fred", roles=frozenset({"fulfilment"})))
    assert shown["shippingAddress"] == {"name": "***", "street": "***", "city": "***",
                                        "postalCode": "***", "country": "DE"}
    assert shown["customer"] == {"name": "Cee", "email": "***", "phone": None}
