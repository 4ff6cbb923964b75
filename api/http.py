"""HTTP plumbing shared by every route: JSON bodies with limits, the caller, error rendering.

Order of checks for a command: authenticate (401), body size (413), media type (415), JSON (400),
schema (400), then authorization (403/404), which may depend on the body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import azure.functions as func

from api.problems import ApiError, problem_response
from app_settings import AppSettings
from entities.errors import DomainError
from observability.logs import get_logger
from security.principal import CLIENT_PRINCIPAL_HEADER, Principal, PrincipalError
from security.principal import parse_client_principal as _parse

log = get_logger("orders.api")


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def authenticate(req: func.HttpRequest, settings: AppSettings) -> Principal:
    """The caller from ``x-ms-client-principal``, trusted only when the platform injects it."""
    if not settings.principal_header_trusted:
        raise ApiError(
            "Unauthenticated",
            "Authentication is not configured (AUTH_PRINCIPAL_HEADER_TRUSTED is off).",
        )
    header = req.headers.get(CLIENT_PRINCIPAL_HEADER)
    try:
        return _parse(header)
    except PrincipalError:
        raise ApiError(
            "Unauthenticated",
            "Sign in first: send Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_lone_surrogates(value: Any) -> None:
    """A ``\\ud800`` escape without its pair decodes to no character: not Unicode text."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def read_json_object(req: func.HttpRequest, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` (for commands with optional fields)."""
    body = req.get_body() or b""
    if len(body) > max_bytes:
        raise ApiError("PayloadTooLarge", f"The body may be at most {max_bytes} bytes.")
    if not body.strip():
        return {}
    media_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError("UnsupportedMediaType", "Send the body as application/json.")
    try:
        value = json.loads(
            body.decode("utf-8"),
            parse_constant=_reject_constant,
            # Exact: a number with a fraction or exponent is an integer only if it is one
            # (``2.0``), which api.schemas decides without float rounding.
            parse_float=Decimal,
            object_pairs_hook=_no_duplicates,
        )
        _no_lone_surrogates(value)
    except (UnicodeError, ValueError, RecursionError):
        raise ApiError("ValidationFailed", "The body is not well-formed UTF-8 JSON.") from None
    if not isinstance(value, dict):
        raise ApiError("ValidationFailed", "The body must be a JSON object.")
    return value


async def guarded(action: Callable[[], Awaitable[func.HttpResponse]]) -> func.HttpResponse:
    """Render every failure as problem+json; unexpected ones are logged and answered 500."""
    try:
        return await action()
    except ApiError as error:
        return problem_response(error)
    except DomainError as error:
        return problem_response(ApiError.from_domain(error))
    except Exception:
        log.exception("unhandled error while answering a request")
        return problem_response(
            ApiError("InternalError", "The request could not be completed; try again.")
        )
