"""Encrypt sensitive fields at the HTTP edge, before they reach orchestration input.

Each customer's data is sealed under their own key (``customer_key_name``) so erasing a customer
is deleting one key; the associated data binds each value to its record and field so a
ciphertext cannot be moved to another order or field.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from security.crypto import FieldCipher, field_aad
from security.keys import customer_key_name
from security.providers import app_key_provider

SEALED_ADDRESS_FIELDS = ("name", "street", "city", "postalCode")


@lru_cache(maxsize=1)
def cipher() -> FieldCipher:
    return FieldCipher(app_key_provider())


def seal_customer_field(customer_id: str, field: str, value: str) -> str:
    return cipher().encrypt(
        value, field_aad("customer", customer_id, field), key_name=customer_key_name(customer_id)
    )


def seal_address(order_id: str, customer_id: str, address: dict[str, Any]) -> dict[str, Any]:
    """The address with every field but ``country`` (kept plain for shipping rules) sealed."""
    key_name = customer_key_name(customer_id)
    sealed = dict(address)
    for name in SEALED_ADDRESS_FIELDS:
        aad = field_aad("order", order_id, f"shippingAddress.{name}")
        sealed[name] = cipher().encrypt(address[name], aad, key_name=key_name)
    return sealed
