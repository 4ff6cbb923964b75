"""Body schemas: every field's type, size and format, and nothing extra."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api import schemas
from api.problems import ApiError

ORDER: dict[str, Any] = {
    "currency": "EUR",
    "lines": [{"sku": "SKU-1", "quantity": 2, "unitPrice": 1500}],
    "shippingAddress": {"name": "A", "street": "S 1", "city": "B", "postalCode": "1",
                        "country": "DE"},
}


def faults(body: dict[str, Any], schema: dict[str, schemas.Field]) -> dict[str, str]:
    with pytest.raises(ApiError) as caught:
        schemas.validate(body, schema)
    assert caught.value.code == "ValidationFailed" and caught.value.status == 400
    return {e["field"]: e["message"] for e in caught.value.extra["errors"]}


def test_a_valid_order_passes_unchanged() -> None:
    assert schemas.validate(copy.deepcopy(ORDER), schemas.PLACE_ORDER) == ORDER


def test_optional_null_is_absent() -> None:
    body = {**ORDER, "orderId": None, "expectedVersion": None}
    assert schemas.validate(body, schemas.PLACE_ORDER) == ORDER


@pytest.mark.parametrize(("path", "value", "field"), [
    (("currency",), "eur", "currency"),
    (("currency",), 978, "currency"),
    (("lines",), [], "lines"),
    (("lines",), "SKU-1", "lines"),
    (("lines", 0, "quantity"), "2", "lines[0].quantity"),
    (("lines", 0, "quantity"), True, "lines[0].quantity"),
    (("lines", 0, "quantity"), 1001, "lines[0].quantity"),
    (("lines", 0, "quantity"), 2.5, "lines[0].quantity"),
    (("lines", 0, "unitPrice"), 0, "lines[0].unitPrice"),
    (("lines", 0, "sku"), "bad sku", "lines[0].sku"),
    (("lines", 0, "sku"), "x" * 65, "lines[0].sku"),
    (("shippingAddress", "country"), "Germany", "shippingAddress.country"),
    (("shippingAddress", "street"), "", "shippingAddress.street"),
    (("shippingAddress", "street"), "x" * 201, "shippingAddress.street"),
    (("shippingAddress", "city"), "line\nbreak", "shippingAddress.city"),
    (("orderId",), "has space", "orderId"),
    (("expectedVersion",), -1, "expectedVersion"),
])
def test_each_bad_field_is_named(path: tuple[Any, ...], value: Any, field: str) -> None:
    body = copy.deepcopy(ORDER)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert field in faults(body, schemas.PLACE_ORDER)


def test_unknown_fields_are_rejected_at_every_level() -> None:
    body = copy.deepcopy(ORDER)
    body["total"] = 1
    body["lines"][0]["discount"] = 5
    body["shippingAddress"]["floor"] = "3"
    assert {"total", "lines[0].discount", "shippingAddress.floor"} <= set(
        faults(body, schemas.PLACE_ORDER))


def test_missing_required_fields() -> None:
    assert set(faults({}, schemas.PLACE_ORDER)) == {"currency", "lines", "shippingAddress"}
    assert set(faults({}, schemas.SHIP_ORDER)) == {"carrier", "trackingNumber"}
    assert schemas.validate({}, schemas.DELIVER_ORDER) == {}


def test_customer_contact_formats() -> None:
    good = {"name": "Alice", "email": "alice@example.com", "phone": "+49 (30) 1234-5"}
    assert schemas.validate(good, schemas.REGISTER_CUSTOMER) == good
    bad = faults({"name": "A", "email": "no-at-sign", "phone": "call me"},
                 schemas.REGISTER_CUSTOMER)
    assert set(bad) == {"email", "phone"}


def test_messages_never_echo_values() -> None:
    secret = "Geheimweg 7" + "x" * 300
    body = copy.deepcopy(ORDER)
    body["shippingAddress"]["street"] = secret
    assert all(secret not in m for m in faults(body, schemas.PLACE_ORDER).values())


def test_route_ids() -> None:
    assert schemas.check_route_id("SKU.1", schemas.SKU, "sku") == "SKU.1"
    with pytest.raises(ApiError):
        schemas.check_route_id("a/b", schemas.ID, "orderId")
