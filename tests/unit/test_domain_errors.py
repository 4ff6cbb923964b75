"""Domain errors travel through orchestration JSON as ``{"code", "message"}``."""

from __future__ import annotations

import json

import pytest

from entities import errors
from entities.errors import DomainError, error_codes

ALL = [
    errors.ValidationFailed,
    errors.Forbidden,
    errors.IdempotencyKeyReused,
    errors.OrderNotFound,
    errors.OrderAlreadyExists,
    errors.CustomerNotFound,
    errors.CustomerAlreadyExists,
    errors.OrderAlreadyShipped,
    errors.OrderCancelled,
    errors.InvalidTransition,
    errors.VersionConflict,
    errors.InsufficientStock,
    errors.CreditLimitExceeded,
]


@pytest.mark.parametrize("error_type", ALL, ids=lambda t: t.__name__)
def test_each_error_round_trips_through_json(error_type: type[DomainError]) -> None:
    error = error_type()
    wire = json.loads(json.dumps(error.to_dict()))
    assert wire == {"code": error_type.__name__, "message": error.message}
    restored = DomainError.from_dict(wire)
    assert type(restored) is error_type and restored == error
    assert isinstance(restored, DomainError)


def test_the_codes_match_the_api_contract() -> None:
    assert error_codes() >= {
        "ValidationFailed",
        "Forbidden",
        "InsufficientStock",
        "CreditLimitExceeded",
        "CustomerNotFound",
        "OrderNotFound",
        "OrderAlreadyShipped",
        "OrderCancelled",
        "InvalidTransition",
        "VersionConflict",
        "IdempotencyKeyReused",
    }


def test_details_travel_with_the_error() -> None:
    error = errors.ValidationFailed("quantity must be 1-1000", field="lines[0].quantity")
    wire = error.to_dict()
    assert wire["details"] == {"field": "lines[0].quantity"}
    restored = DomainError.from_dict(wire)
    assert isinstance(restored, errors.ValidationFailed)
    assert restored.field == "lines[0].quantity" and restored.message == error.message


def test_an_unknown_code_survives_as_a_base_error() -> None:
    restored = DomainError.from_dict({"code": "SomethingNew", "message": "later version"})
    assert type(restored) is DomainError
    assert restored.to_dict() == {"code": "SomethingNew", "message": "later version"}


@pytest.mark.parametrize("wire", [{}, {"code": 1, "message": "m"}, {"code": "X"}])
def test_a_malformed_error_dict_is_refused(wire: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DomainError.from_dict(wire)


def test_the_code_is_stable_even_for_a_custom_message() -> None:
    error = errors.VersionConflict("Expected version 1, but the current version is 2.")
    assert error.code == "VersionConflict" and str(error) == error.message
