"""What the fuzzing found, pinned without a host: the served schema and the app agree.

Each test takes a value the OpenAPI document and the app once judged differently and checks
that a JSON Schema validator (the Rust one schemathesis uses) and the app now give the same
answer.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import azure.functions as func
import jsonschema_rs
import pytest

from api import schemas
from api.http import read_json_object
from api.openapi.document import COMMAND_FAILURES, openapi_document
from api.problems import ApiError
from api.queries import query_params as qp
from entities.errors import error_codes

ROOT = Path(__file__).resolve().parents[2]
DOC = openapi_document()


def body_schema(path: str, method: str = "post") -> dict[str, Any]:
    operation = DOC["paths"][path][method]
    return dict(operation["requestBody"]["content"]["application/json"]["schema"])


def schema_accepts(schema: dict[str, Any], value: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def app_accepts(value: dict[str, Any], fields: dict[str, schemas.Field]) -> bool:
    try:
        schemas.validate(value, fields)
    except ApiError:
        return False
    return True


def parse(raw: bytes) -> dict[str, Any]:
    req = func.HttpRequest("POST", "http://localhost/api/x", body=raw,
                           headers={"content-type": "application/json"})
    return read_json_object(req, 65536)


CUSTOMER = {"name": "Ada", "email": "ada@example.com"}
TEXTS = [
    "Ada Lovelace", "Hauptstraße 1", "東京都 千代田区", "Ünal Ç.", "\u00a0Ada",  # NBSP
    "Ada\u3000Lovelace",  # ideographic space, in Japanese addresses
    "\ue000 private use", "\U0001F600 emoji", "\U000E0067 tag character",
    "   ", "\u3000", "a\nb", "a\tb", "a\x7fb", "a\u0085b", "a\u202eb",  # bidi override
    "a\u200bb",  # zero-width space
    "a\ufeffb", "a\u2028b", "a\u00adb",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_the_schema_allows_is_text_the_app_takes(text: str) -> None:
    """Found: the app refused non-printable text (``isprintable``) the schema allowed. The
    schema now carries the app's own text pattern, and both judge every value alike."""
    body = {**CUSTOMER, "name": text}
    schema = body_schema("/api/customers")
    assert schema_accepts(schema, body) == app_accepts(body, schemas.REGISTER_CUSTOMER)


def test_the_text_pattern_refuses_every_control_format_and_separator_character() -> None:
    bmp_refused = {cp for cp in range(0x10000) if unicodedata.category(chr(cp))
                   in {"Cc", "Cf", "Zl", "Zp"}}
    pattern = re.compile(f"[{schemas.NOT_TEXT}]")
    assert {cp for cp in range(0x10000)
            if cp < 0xD800 or cp > 0xDFFF if pattern.fullmatch(chr(cp))} == bmp_refused


@pytest.mark.parametrize("email", ["ada@example.com", "\x1b,~@\x0f0", "a b@c", "ä@ü.de"])
def test_email_and_schema_agree(email: str) -> None:
    body = {**CUSTOMER, "email": email}
    assert schema_accepts(body_schema("/api/customers"), body) == \
        app_accepts(body, schemas.REGISTER_CUSTOMER)


@pytest.mark.parametrize("phone", ["+49 30 1234567", "   ", "+()", "12", "123"])
def test_phone_and_schema_agree(phone: str) -> None:
    body = {**CUSTOMER, "phone": phone}
    assert schema_accepts(body_schema("/api/customers"), body) == \
        app_accepts(body, schemas.REGISTER_CUSTOMER)


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"amount": 36141.0, "currency": "EUR"}', 36141),
    (b'{"amount": 3.6141e4, "currency": "EUR"}', 36141),
    (b'{"amount": 0.0, "currency": "EUR"}', 0),
])
def test_an_integral_number_is_that_integer(raw: bytes, expected: int) -> None:
    """Found: ``36141.0`` for an integer, which JSON Schema's ``integer`` allows, was 400."""
    body = schemas.validate(parse(raw), schemas.SET_CREDIT_LIMIT)
    assert body["amount"] == expected and type(body["amount"]) is int
    assert schema_accepts(body_schema("/api/customers/{customerId}/credit-limit", "put"),
                          json.loads(raw))


@pytest.mark.parametrize("raw", [
    b'{"amount": 1.5, "currency": "EUR"}',
    b'{"amount": 999999999999999.99999, "currency": "EUR"}',  # a float would round it to 10^15
    b'{"amount": 1e999999999, "currency": "EUR"}',  # refused without building the int
    b'{"amount": 1e16, "currency": "EUR"}',
])
def test_a_fraction_or_an_out_of_range_number_is_still_refused(raw: bytes) -> None:
    assert not app_accepts(parse(raw), schemas.SET_CREDIT_LIMIT)


def test_a_lone_surrogate_is_not_text() -> None:
    with pytest.raises(ApiError) as caught:
        parse(b'{"name": "a\\ud800b", "email": "a@b"}')
    assert caught.value.code == "ValidationFailed"
    assert parse(b'{"name": "\\ud83d\\ude00"}') == {"name": "\U0001F600"}  # a pair is fine


def test_a_zero_stock_delta_is_refused_by_both() -> None:
    """Found: ``delta: 0`` was valid by the schema, refused by the app."""
    schema = body_schema("/api/products/{sku}/stock")
    assert not schema_accepts(schema, {"delta": 0})
    assert not app_accepts({"delta": 0}, schemas.ADJUST_STOCK)
    assert schema_accepts(schema, {"delta": -3}) and app_accepts({"delta": -3},
                                                                 schemas.ADJUST_STOCK)


def test_optional_fields_may_be_null_in_both() -> None:
    """Found: ``null`` counts as absent in the app, and was invalid by the schema."""
    order = {"orderId": None, "customerId": None, "currency": "EUR", "expectedVersion": None,
             "lines": [{"sku": "A", "quantity": 1, "unitPrice": None}],
             "shippingAddress": {"name": "A", "street": "S", "city": "C", "postalCode": "1",
                                 "country": "DE"}}
    assert schema_accepts(body_schema("/api/orders"), order)
    assert app_accepts(order, schemas.PLACE_ORDER)
    assert not schema_accepts(body_schema("/api/orders"), {**order, "currency": None})


def test_repeated_skus_are_declared_and_refused_before_authorization() -> None:
    """Found: two lines with one SKU are valid JSON Schema (it cannot say "unique by"), and
    400 from the app: the document now says it (``x-unique-by``), and the app checks it with
    the body's schema."""
    lines = body_schema("/api/orders")["properties"]["lines"]
    assert lines["x-unique-by"] == "sku" and "sku" in lines["description"]
    order = {"currency": "EUR", "lines": [{"sku": "A", "quantity": 1},
                                          {"sku": "A", "quantity": 2}],
             "shippingAddress": {"name": "A", "street": "S", "city": "C", "postalCode": "1",
                                 "country": "DE"}}
    assert not app_accepts(order, schemas.PLACE_ORDER)


def test_an_empty_idempotency_key_is_allowed_as_no_key() -> None:
    """Found: an empty key got 202 (the host drops empty headers), the schema said minLength 1."""
    key = DOC["components"]["parameters"]["IdemKey"]["schema"]
    assert schema_accepts(key, "") and schema_accepts(key, "order-1")
    assert not schema_accepts(key, "x" * 129) and not schema_accepts(key, "\u00e9")


def test_every_read_route_documents_its_400_and_closed_parameters() -> None:
    """Found: every read route answered 400 for a bad parameter without documenting it."""
    for path, item in DOC["paths"].items():
        operation = item.get("get")
        if operation is None or path in ("/api/health", "/api/openapi.json",
                                         "/api/commands/{commandId}"):
            continue
        assert "400" in operation["responses"], path
        assert all(p["schema"] != {"type": "string"} for p in operation["parameters"]
                   if p["in"] != "header"), path


@pytest.mark.parametrize(("name", "value"), [
    ("minVersion", "0"), ("minVersion", "2147483648"), ("minVersion", "-1"),
    ("minVersion", "1.0"), ("limit", "0"), ("limit", "100"), ("limit", "101"),
    ("status", "placed"), ("status", "lost"), ("search", "Ada"), ("search", "  ad-a "),
    ("search", "a;b"), ("search", "x" * 101), ("limit", ""), ("minVersion", ""),
    ("status", ""), ("search", ""),
])
def test_query_parameters_and_schema_agree(name: str, value: str) -> None:
    """Found: ``?continuation=`` (empty) was refused by the schema and taken by the app (the
    host drops empty values); and the read routes' parameters had no formats at all."""
    params = {p["name"]: p["schema"] for p in
              DOC["paths"]["/api/customers/{customerId}/orders"]["get"]["parameters"] +
              DOC["paths"]["/api/orders"]["get"]["parameters"]}
    schema = params[name]
    typed: Any = value
    if (schema.get("anyOf") or [schema])[0].get("type") == "integer" and value:
        try:
            typed = int(value)
        except ValueError:
            typed = value
    # Without ``search`` (absent or empty), GET /api/orders is the order list.
    readers = {"minVersion": qp.min_version, "status": qp.status,
               "search": lambda p: qp.search_text(p) if p else None,
               "limit": lambda p: qp.integer(p, "limit", 20, 1, qp.MAX_LIMIT)}
    try:
        readers[name]({name: value} if value else {})  # the host drops an empty value
        app = True
    except ApiError:
        app = False
    assert schema_accepts(schema, typed) == app


def test_anonymous_routes_need_no_token_in_the_document() -> None:
    """Found: /api/health (anonymous) inherited the document's bearer requirement."""
    assert DOC["paths"]["/api/health"]["get"]["security"] == []
    assert DOC["paths"]["/api/openapi.json"]["get"]["security"] == []


def test_the_command_failure_codes_are_the_contract_s() -> None:
    """Commands fail with codes the contract names: the domain's, and InternalError."""
    assert set(COMMAND_FAILURES) == error_codes() | {"InternalError"}
    enum = DOC["components"]["schemas"]["CommandStatus"]["properties"]["error"]["properties"]
    assert enum["code"]["enum"] == COMMAND_FAILURES
    section = (ROOT / "docs" / "api.md").read_text().split("### Command failures", 1)[1]
    named = set(re.findall(r"`([A-Z][A-Za-z]+)`", section.split("\n## ", 1)[0]))
    assert set(COMMAND_FAILURES) <= named, set(COMMAND_FAILURES) - named


def test_commands_link_to_their_status_and_what_they_create() -> None:
    links = DOC["paths"]["/api/orders"]["post"]["responses"]["202"]["links"]
    assert links["status"] == {"operationId": "getCommandStatus",
                               "parameters": {"commandId": "$response.body#/commandId"}}
    assert links["order"]["operationId"] == "getOrder"
    ids = {op["operationId"] for item in DOC["paths"].values() for op in item.values()}
    for item in DOC["paths"].values():
        for op in item.values():
            for response in op["responses"].values():
                for target in response.get("links", {}).values():
                    assert target["operationId"] in ids
