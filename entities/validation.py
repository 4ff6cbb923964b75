"""Small ``check_*`` rules shared by the aggregates; each raises ``ValidationFailed`` naming the
field, never echoing the value (it may be personal data or ciphertext)."""

from __future__ import annotations

import re

from contracts.values import ShippingAddress
from entities.errors import ValidationFailed
from security.crypto import is_envelope

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
SKU_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
MAX_ENVELOPE_LENGTH = 4096
MAX_AMOUNT = 10**15  # stays exact in JSON doubles (2**53) with room to spare


def check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValidationFailed(f"{field} must be 1-64 of A-Z a-z 0-9 - _", field=field)
    return value


def check_sku(value: object, field: str = "sku") -> str:
    if not isinstance(value, str) or not SKU_PATTERN.fullmatch(value):
        raise ValidationFailed(f"{field} must be 1-64 of A-Z a-z 0-9 - _ .", field=field)
    return value


def check_currency(value: object, field: str = "currency") -> str:
    if not isinstance(value, str) or not CURRENCY_PATTERN.fullmatch(value):
        raise ValidationFailed(f"{field} must be an ISO 4217 code (3 capital letters)", field=field)
    return value


def check_int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{field} must be an integer from {low} to {high}", field=field)
    return value


def check_text(value: object, field: str, max_length: int) -> str:
    """Plain, non-sensitive text: non-blank, printable, bounded."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > max_length
        or not value.isprintable()
    ):
        raise ValidationFailed(
            f"{field} must be 1-{max_length} printable characters", field=field
        )
    return value


def check_encrypted(value: object, field: str) -> str:
    """Sensitive fields must already be encrypted envelopes when they reach the domain."""
    if not isinstance(value, str) or len(value) > MAX_ENVELOPE_LENGTH or not is_envelope(value):
        raise ValidationFailed(f"{field} must be an encrypted field envelope", field=field)
    return value


def check_address(address: object, field: str = "shippingAddress") -> ShippingAddress:
    if not isinstance(address, ShippingAddress):
        raise ValidationFailed(f"{field} is required", field=field)
    check_encrypted(address.name, f"{field}.name")
    check_encrypted(address.street, f"{field}.street")
    check_encrypted(address.city, f"{field}.city")
    check_encrypted(address.postal_code, f"{field}.postalCode")
    country = address.country
    if not (isinstance(country, str) and COUNTRY_PATTERN.fullmatch(country)):
        check_encrypted(country, f"{field}.country")
    return address
