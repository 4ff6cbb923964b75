"""Encrypt sensitive fields at the HTTP edge, before they reach orchestration input.

Each customer's data is sealed under their own key (``customer_key_name``) so erasing a customer
is deleting one key; the associated data binds each value to its record and field so a
ciphertext cannot be moved to another order or field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from api.problems import ApiError
from security.crypto import FieldCipher, field_aad
from security.keys import KeyErased, customer_key_name
from security.providers import app_key_provider

SEALED_ADDRESS_FIELDS = ("name", "street", "city", "postalCode")


@lru_cache(maxsize=1)
def cipher() -> FieldCipher:
    return FieldCipher(app_key_provider())


def seal_customer_field(customer_id: str, field: str, value: str) -> str:
    with _not_erased():
        return cipher().encrypt(value, field_aad("customer", customer_id, field),
                                key_name=customer_key_name(customer_id))


@contextmanager
def _not_erased() -> Iterator[None]:
    """An erased customer's key is never created again: nothing new can be sealed for them,
    and the client learns only that there is no such customer."""
    try:
        yield
    except KeyErased:
        raise ApiError("NotFound", "No customer with this id was found.") from None


def seal_address(order_id: str, customer_id: str, address: dict[str, Any]) -> dict[str, Any]:
    """The address with every field but ``country`` (kept plain for shipping rules) sealed."""
    key_name = customer_key_name(customer_id)
    sealed = dict(address)
    with _not_erased():
        for name in SEALED_ADDRESS_FIELDS:
            aad = field_aad("order", order_id, f"shippingAddress.{name}")
            sealed[name] = cipher().encrypt(address[name], aad, key_name=key_name)
    return sealed
