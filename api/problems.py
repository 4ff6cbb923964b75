"""The one mapping from errors to RFC 9457 problem responses, each with a stable ``code``.

Handlers raise ``ApiError`` (or let a ``DomainError`` through); ``problem_response`` renders it.
Domain codes that mean "no such thing for you" become ``NotFound`` so a caller cannot tell
another customer's resource from a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import azure.functions as func

from entities.errors import DomainError

PROBLEM_TYPE_BASE = "https://durable-orders.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

STATUS_BY_CODE: dict[str, int] = {
    "ValidationFailed": 400,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "IdempotencyKeyReused": 409,
    "VersionConflict": 409,
    "StaleView": 409,
    "PayloadTooLarge": 413,
    "UnsupportedMediaType": 415,
    "InternalError": 500,
    "ServiceUnavailable": 503,
}
TITLES: dict[str, str] = {
    "ValidationFailed": "The request is not valid",
    "Unauthenticated": "Authentication is required",
    "Forbidden": "You are not allowed to do this",
    "NotFound": "Not found",
    "MethodNotAllowed": "Method not allowed",
    "IdempotencyKeyReused": "The Idempotency-Key was used for a different request",
    "VersionConflict": "The resource was changed by someone else",
    "StaleView": "The view has not caught up yet",
    "PayloadTooLarge": "The request body is too large",
    "UnsupportedMediaType": "The request body must be application/json",
    "InternalError": "Something went wrong on our side",
    "ServiceUnavailable": "The service is temporarily unavailable",
}
# Domain refusals answered synchronously by the API (the rest only appear in command status).
_DOMAIN_TO_API: dict[str, str] = {
    "OrderNotFound": "NotFound",
    "CustomerNotFound": "NotFound",
}


class ApiError(Exception):
    """An error a client can cause (or, for 5xx, one it cannot), ready to be rendered."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown problem code {code}")
        super().__init__(detail)
        self.code = code
        self.status = STATUS_BY_CODE[code]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def from_domain(cls, error: DomainError) -> ApiError:
        code = _DOMAIN_TO_API.get(error.code, error.code)
        if code not in STATUS_BY_CODE:
            code = "ValidationFailed"
        extra = {"errors": [dict(error.details)]} if error.details else None
        return cls(code, error.message, extra=extra)


def problem_body(error: ApiError, instance: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": TITLES[error.code],
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        **error.extra,
    }
    if instance:
        body["instance"] = instance
    return body


def problem_response(error: ApiError, instance: str | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(problem_body(error, instance)),
        status_code=error.status,
        headers={"Content-Type": PROBLEM_CONTENT_TYPE, **error.headers},
    )
