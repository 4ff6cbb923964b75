"""The OpenAPI 3.1 document of the whole public contract (docs/api.md).

Request schemas come from the same ``Field`` tables the API enforces; the query routes are
described here for clients even though the read side serves them.
"""

from __future__ import annotations

from typing import Any

from api.problems import STATUS_BY_CODE
from api.schemas import Field

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def json_schema(spec: Field) -> dict[str, Any]:
    if spec.kind == "object":
        return object_schema(spec.properties)
    if spec.kind == "array":
        assert spec.items is not None
        return {"type": "array", "items": json_schema(spec.items),
                "minItems": spec.min_length, "maxItems": spec.max_length}
    if spec.kind == "integer":
        return {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
    out: dict[str, Any] = {"type": "string", "minLength": spec.min_length,
                           "maxLength": spec.max_length}
    if spec.pattern:
        out["pattern"] = f"^{spec.pattern}$"
    if spec.description:
        out["description"] = spec.description
    return out


def object_schema(properties: dict[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: json_schema(spec) for name, spec in properties.items()},
        "required": [name for name, spec in properties.items() if spec.required],
    }


def _problems(*codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        status = str(STATUS_BY_CODE[code])
        entry = out.setdefault(status, {"description": "", "content": {
            "application/problem+json": {"schema": PROBLEM_REF}}})
        entry["description"] = " / ".join(filter(None, [entry["description"], code]))
    return out


def _command(summary: str, body: dict[str, Field], subject: str, *, params: list[str],
             roles: str) -> dict[str, Any]:
    return {"post": {
        "summary": summary,
        "description": f"Allowed: {roles}. Answers 202; poll the Location.",
        "parameters": [_path(p) for p in params] + [{"$ref": "#/components/parameters/IdemKey"}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": object_schema(body)}}},
        "responses": {
            "202": {"description": "Accepted", "headers": {
                "Location": {"schema": {"type": "string"}},
                "Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": _accepted(subject)}}},
            **_problems("ValidationFailed", "Unauthenticated", "Forbidden", "NotFound",
                        "IdempotencyKeyReused", "PayloadTooLarge", "UnsupportedMediaType"),
        },
    }}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _accepted(subject: str) -> dict[str, Any]:
    return {"type": "object", "required": ["commandId", subject], "properties": {
        "commandId": {"type": "string"}, subject: {"type": "string"}}}


def _query(summary: str, roles: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {
        "summary": summary, "description": f"Allowed: {roles}.", "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object"}}}}, "304": {"description": "Not modified"},
            **_problems("Unauthenticated", "Forbidden", "NotFound", "StaleView")},
    }}


def _q(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
