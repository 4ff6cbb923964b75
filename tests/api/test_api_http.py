"""The HTTP edge: body limits and media types, authentication, and the problem mapping."""

from __future__ import annotations

import json

import pytest
from api_builders import SETTINGS, principal_header, request, settings

from api.http import authenticate, read_json_object
from api.problems import STATUS_BY_CODE, ApiError, problem_response
from entities import errors


def code_of(action: object) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        action()  # type: ignore[operator]
    return caught.value.status, caught.value.code


def test_body_limits_and_media_types() -> None:
    assert read_json_object(request({"a": 1}), 1024) == {"a": 1}
    assert read_json_object(request(b""), 1024) == {}
    assert read_json_object(request({"a": 1}, content_type="application/json; charset=utf-8"),
                            1024) == {"a": 1}
    assert code_of(lambda: read_json_object(request(b"x" * 2000), 1024)) == (
        413, "PayloadTooLarge")
    assert code_of(lambda: read_json_object(request({"a": 1}, content_type="text/plain"),
                                            1024)) == (415, "UnsupportedMediaType")


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b'{"a": NaN}',
                                 b'{"a": 1, "a": 2}', b"\xff\xfe{}"])
def test_malformed_json_is_400(raw: bytes) -> None:
    assert code_of(lambda: read_json_object(request(raw), 1024)) == (400, "ValidationFailed")


def test_authentication() -> None:
    caller = authenticate(request(principal=principal_header("alice", "customer")), SETTINGS)
    assert (caller.user_id, caller.roles) == ("alice", frozenset({"customer"}))
    assert code_of(lambda: authenticate(request(), SETTINGS)) == (401, "Unauthenticated")
    assert code_of(lambda: authenticate(request(principal="not base64!"), SETTINGS)) == (
        401, "Unauthenticated")
    untrusted = settings(principal_header_trusted=False)
    header = principal_header("ada", "admin")
    assert code_of(lambda: authenticate(request(principal=header), untrusted)) == (
        401, "Unauthenticated")


def test_no_token_can_claim_the_system_role() -> None:
    caller = authenticate(request(principal=principal_header("x", "system", "customer")),
                          SETTINGS)
    assert not caller.is_system


def test_problem_response_shape() -> None:
    response = problem_response(ApiError("IdempotencyKeyReused", "used"))
    body = json.loads(response.get_body())
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "IdempotencyKeyReused" and body["status"] == 409
    assert body["type"].endswith("/IdempotencyKeyReused") and body["title"]


def test_every_documented_code_has_one_status() -> None:
    documented = {"ValidationFailed": 400, "Unauthenticated": 401, "Forbidden": 403,
                  "NotFound": 404, "IdempotencyKeyReused": 409, "VersionConflict": 409,
                  "StaleView": 409, "PayloadTooLarge": 413, "UnsupportedMediaType": 415}
    assert {code: STATUS_BY_CODE[code] for code in documented} == documented


def test_domain_errors_map_to_api_codes() -> None:
    assert ApiError.from_domain(errors.OrderNotFound()).status == 404
    assert ApiError.from_domain(errors.CustomerNotFound()).code == "NotFound"
    assert ApiError.from_domain(errors.Forbidden()).status == 403
    assert ApiError.from_domain(errors.VersionConflict()).status == 409
    assert ApiError.from_domain(errors.InsufficientStock()).code == "ValidationFailed"
