"""Request body schemas, checked strictly at the edge: types, sizes, patterns, no extra fields.

A small declarative form (``Field``) keeps every limit in one readable table, and the same
tables feed the OpenAPI document, so the contract served and the contract enforced agree.
All problems in a body are reported at once, each naming its field, never echoing values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from api.problems import ApiError

ID = r"[A-Za-z0-9_-]{1,64}"
SKU = r"[A-Za-z0-9_.-]{1,64}"
CURRENCY = r"[A-Z]{3}"
COUNTRY = r"[A-Z]{2}"
# Text a person typed. Refused: control characters (Cc), format characters (Cf: bidi
# overrides, zero-width and invisible characters) and line/paragraph separators (Zl, Zp) of the
# Basic Multilingual Plane, and text of spaces only. Written as explicit \uXXXX classes so that
# the same pattern means the same in Python (the app), ECMA-262 (JSON Schema) and the Rust
# regex engine clients validate with; tests/fuzz/test_contract_regressions.py checks the class
# against Python's Unicode database. (Lone surrogates are refused earlier, as malformed JSON.)
NOT_TEXT = (r"\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f"
            r"\u0890-\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
            r"\u2066-\u206f\ufeff\ufff9-\ufffb")
SPACES = r"\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
TEXT = f"[{SPACES}]*[^{SPACES}{NOT_TEXT}][^{NOT_TEXT}]*"
EMAIL = f"[^@{SPACES}{NOT_TEXT}]{{1,64}}@[^@{SPACES}{NOT_TEXT}]{{1,189}}"
# 3-32 of digits, space and + ( ) . / - with at least one digit (the length is the field's).
PHONE = r"\+?[0-9 ()./-]*[0-9][0-9 ()./-]*"
MAX_AMOUNT = 10**15


@dataclass(frozen=True)
class Field:
    kind: str  # "string" | "integer" | "object" | "array"
    required: bool = True
    min_length: int = 1
    max_length: int = 200
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    properties: dict[str, Field] = field(default_factory=dict)
    items: Field | None = None
    description: str = ""
    not_zero: bool = False  # integers: 0 is refused
    unique_by: str | None = None  # arrays of objects: no two items share this field's value


def text(max_length: int = 200, *, required: bool = True, pattern: str | None = None,
         min_length: int = 1, description: str = "") -> Field:
    return Field("string", required, min_length, max_length, pattern, description=description)


def integer(minimum: int, maximum: int, *, required: bool = True, not_zero: bool = False
            ) -> Field:
    return Field("integer", required, minimum=minimum, maximum=maximum, not_zero=not_zero)


def obj(properties: dict[str, Field], *, required: bool = True) -> Field:
    return Field("object", required, properties=properties)


def array(items: Field, min_items: int, max_items: int, *, unique_by: str | None = None
          ) -> Field:
    return Field("array", True, min_items, max_items, items=items, unique_by=unique_by)


EXPECTED_VERSION = integer(0, 2**31, required=False)
ADDRESS = obj({
    "name": text(200, description="sensitive: encrypted at the edge"),
    "street": text(200, description="sensitive: encrypted at the edge"),
    "city": text(100, description="sensitive: encrypted at the edge"),
    "postalCode": text(20, description="sensitive: encrypted at the edge"),
    "country": text(2, pattern=COUNTRY, min_length=2, description="ISO 3166-1 alpha-2"),
})
LINE = obj({
    "sku": text(64, pattern=SKU),
    "quantity": integer(1, 1000),
    # The price the client showed its user; the catalog's price is used, and a differing one
    # fails the command with PriceChanged.
    "unitPrice": integer(1, 10**12, required=False),
})

REGISTER_CUSTOMER = {
    "customerId": text(64, required=False, pattern=ID),
    "name": text(200),
    "email": text(254, pattern=EMAIL, min_length=3, description="sensitive"),
    "phone": text(32, required=False, pattern=PHONE, min_length=3, description="sensitive"),
}
CHANGE_PROFILE = {
    "name": text(200, required=False),
    "email": text(254, required=False, pattern=EMAIL, min_length=3, description="sensitive"),
    "phone": text(32, required=False, pattern=PHONE, min_length=3, description="sensitive"),
    "expectedVersion": EXPECTED_VERSION,
}
ERASE_CUSTOMER: dict[str, Field] = {}  # the body may be empty; nothing else is taken
ROTATE_KEYS: dict[str, Field] = {}
SET_CREDIT_LIMIT = {"amount": integer(0, MAX_AMOUNT), "currency": text(3, pattern=CURRENCY)}
ADJUST_STOCK = {
    "delta": integer(-1_000_000, 1_000_000, not_zero=True),
    "reason": text(200, required=False),
}
PRICE_PRODUCT = {
    "name": text(200),
    "unitPrice": integer(1, MAX_AMOUNT),
    "currency": text(3, pattern=CURRENCY),
    "expectedVersion": EXPECTED_VERSION,
}
PLACE_ORDER = {
    "orderId": text(64, required=False, pattern=ID),
    "customerId": text(64, required=False, pattern=ID),
    "currency": text(3, pattern=CURRENCY),
    "lines": array(LINE, 1, 100, unique_by="sku"),
    "shippingAddress": ADDRESS,
    "expectedVersion": EXPECTED_VERSION,
}
SHIP_ORDER = {
    "carrier": text(64),
    "trackingNumber": text(64),
    "expectedVersion": EXPECTED_VERSION,
}
DELIVER_ORDER = {"expectedVersion": EXPECTED_VERSION}
CANCEL_ORDER = {"reason": text(500), "expectedVersion": EXPECTED_VERSION}
CHANGE_ADDRESS = {"shippingAddress": ADDRESS, "expectedVersion": EXPECTED_VERSION}


def validate(body: dict[str, Any], schema: dict[str, Field]) -> dict[str, Any]:
    """The body without optional nulls, or ``ApiError(ValidationFailed)`` listing each fault."""
    errors: list[dict[str, str]] = []
    checked = _object(body, schema, "", errors)
    if errors:
        raise ApiError(
            "ValidationFailed",
            f"The body has {len(errors)} problem(s); see errors.",
            extra={"errors": errors},
        )
    return checked


def _object(value: dict[str, Any], schema: dict[str, Field], where: str,
            errors: list[dict[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in value:
        if key not in schema:
            errors.append({"field": f"{where}{key}", "message": "is not a known field"})
    for key, spec in schema.items():
        item = value.get(key)
        if item is None:
            if spec.required:
                errors.append({"field": f"{where}{key}", "message": "is required"})
            continue
        result[key] = _value(item, spec, f"{where}{key}", errors)
    return result


def _value(value: Any, spec: Field, where: str, errors: list[dict[str, str]]) -> Any:
    if spec.kind == "integer":
        value = _integral(value)
    message = _fault(value, spec)
    if message:
        errors.append({"field": where, "message": message})
        return value
    if spec.kind == "object":
        return _object(value, spec.properties, f"{where}.", errors)
    if spec.kind == "array" and spec.items is not None:
        return [_value(item, spec.items, f"{where}[{i}]", errors) for i, item in enumerate(value)]
    return value


def _integral(value: Any) -> Any:
    """A JSON number with a zero fraction (``2.0``, ``2e3``) is that integer, as JSON Schema says
    (``"type": "integer"``); bodies parse non-integer literals as ``Decimal``, so this is exact
    (no float rounding makes ``999999999999999.99999`` an integer). A value of 10^16 or more
    stays as it is, to be refused without building a huge int (every maximum is below)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() <= 15 \
            and value == value.to_integral_value():
        return int(value)
    return value


def _fault(value: Any, spec: Field) -> str | None:
    if spec.kind == "string":
        if not isinstance(value, str):
            return "must be a string"
        if not spec.min_length <= len(value) <= spec.max_length:
            return f"must be {spec.min_length}-{spec.max_length} characters"
        if spec.pattern is None and not re.fullmatch(TEXT, value):
            return "must be printable text, not only spaces"
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            return "has the wrong format"
    elif spec.kind == "integer":
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > 15:
            return f"must be from {spec.minimum} to {spec.maximum}"  # beyond any maximum
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if not (spec.minimum or 0) <= value <= (spec.maximum or 0):
            return f"must be from {spec.minimum} to {spec.maximum}"
        if spec.not_zero and value == 0:
            return "must not be zero"
    elif spec.kind == "object":
        if not isinstance(value, dict):
            return "must be an object"
    elif spec.kind == "array":
        if not isinstance(value, list):
            return "must be an array"
        if not spec.min_length <= len(value) <= spec.max_length:
            return f"must have {spec.min_length}-{spec.max_length} items"
        if spec.unique_by:
            keys = [item.get(spec.unique_by) for item in value if isinstance(item, dict)]
            if len(set(map(str, keys))) != len(keys):
                return f"must not repeat a {spec.unique_by}; put each on one item"
    return None


def check_route_id(value: str, pattern: str, name: str) -> str:
    if not re.fullmatch(pattern, value or ""):
        raise ApiError("ValidationFailed", f"{name} in the path has the wrong format.",
                       extra={"errors": [{"field": name, "message": "has the wrong format"}]})
    return value
