"""Building blocks of the OpenAPI 3.1 document (docs/api.md): schemas, parameters, responses.

Request schemas come from the same ``Field`` tables the API enforces, so the contract served
says what the app takes: a plain text field carries the app's text pattern, an optional field
may be ``null`` (it counts as absent), and rules JSON Schema cannot say are stated in words and
in an ``x-`` keyword (``x-unique-by``). Query parameters have the closed formats
``api/queries/query_params.py`` checks.
"""

from __future__ import annotations

from typing import Any

from api.problems import STATUS_BY_CODE
from api.queries import query_params as qp
from api.schemas import ID, SKU, TEXT, Field

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
COMMAND_ID = r"cmd-[0-9a-f]{32,40}"
INTEGRAL = "A number with a zero fraction (2.0, 2e3) counts as that integer."
PATH_PATTERNS = {"orderId": ID, "customerId": ID, "sku": SKU, "commandId": COMMAND_ID}


def _typed(kind: str, spec: Field) -> Any:
    """An optional field may be sent as null: it counts as absent."""
    return kind if spec.required else [kind, "null"]


def json_schema(spec: Field) -> dict[str, Any]:
    if spec.kind == "object":
        out = object_schema(spec.properties)
        out["type"] = _typed("object", spec)
        return out
    if spec.kind == "array":
        assert spec.items is not None
        out = {"type": _typed("array", spec), "items": json_schema(spec.items),
               "minItems": spec.min_length, "maxItems": spec.max_length}
        if spec.unique_by:
            # JSON Schema has no "unique by a property"; clients and tools read it from here.
            out["x-unique-by"] = spec.unique_by
            out["description"] = f"No two items may have the same `{spec.unique_by}` (400)."
        return out
    if spec.kind == "integer":
        out = {"type": _typed("integer", spec), "minimum": spec.minimum,
               "maximum": spec.maximum, "description": INTEGRAL}
        if spec.not_zero:
            out["not"] = {"const": 0}
        return out
    out = {"type": _typed("string", spec), "minLength": spec.min_length,
           "maxLength": spec.max_length, "pattern": f"^{spec.pattern or TEXT}$"}
    description = spec.description
    if spec.pattern is None:
        description = " ".join(filter(None, [
            description, "Printable text: no control, format (bidi, zero-width) or line "
            "separator characters, not only spaces."]))
    if description:
        out["description"] = description
    return out


def object_schema(properties: dict[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: json_schema(spec) for name, spec in properties.items()},
        "required": [name for name, spec in properties.items() if spec.required],
    }


def problems(*codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        status = str(STATUS_BY_CODE[code])
        entry = out.setdefault(status, {"description": "", "content": {
            "application/problem+json": {"schema": PROBLEM_REF}}})
        entry["description"] = " / ".join(filter(None, [entry["description"], code]))
    return out


def command_operation(summary: str, operation_id: str, body: dict[str, Field],
                      subject: str, *, params: list[str], roles: str,
                      links: dict[str, Any]) -> dict[str, Any]:
    """A command: 202 with its status link (the route table says where it lives)."""
    optional = not any(spec.required for spec in body.values())
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Allowed: {roles}. Answers 202; poll the Location."
                       + (" The body may be empty." if optional else ""),
        "parameters": [*(path_param(p) for p in params),
                       {"$ref": "#/components/parameters/IdemKey"}],
        "requestBody": {"required": not optional, "content": {
            "application/json": {"schema": object_schema(body)}}},
        "responses": {
            "202": {"description": "Accepted", "headers": {
                "Location": {"schema": {"type": "string"}},
                "Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": _accepted(subject)}},
                "links": {"status": {"operationId": "getCommandStatus", "parameters": {
                    "commandId": "$response.body#/commandId"}}, **links}},
            **problems("ValidationFailed", "Unauthenticated", "Forbidden", "NotFound",
                        "IdempotencyKeyReused", "PayloadTooLarge", "UnsupportedMediaType"),
        },
    }


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters}


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": f"^{PATH_PATTERNS[name]}$"}}


def _accepted(subject: str) -> dict[str, Any]:
    # A command with no subject of its own (key rotation) names only its commandId.
    return {"type": "object", "required": list(dict.fromkeys(["commandId", subject])),
            "properties": {subject: {"type": "string"},
                           "commandId": {"type": "string", "pattern": f"^{COMMAND_ID}$"}}}


VIEW_HEADERS = {
    "ETag": {"description": "the view's version", "schema": {"type": "string"}},
    "x-view-version": {"schema": {"type": "integer"}},
    "x-view-updated-at": {"description": "the newest event folded in (empty: none)",
                          "schema": {"type": "string"}},
    "x-cache": {"schema": {"enum": ["hit", "miss", "view"]}},
    "Cache-Control": {"schema": {"type": "string"}},
    "Vary": {"schema": {"type": "string"}},
}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "an ETag (weak comparison), a list of them, or `*`: 304 when "
                                "it matches", "schema": {"type": "string"}}


def query_operation(summary: str, operation_id: str, roles: str, params: list[dict[str, Any]],
                    answer: dict[str, Any], links: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """A query of a view: 200 or 304, with the view's headers."""
    ok: dict[str, Any] = {"description": "OK", "headers": VIEW_HEADERS,
                          "content": {"application/json": {"schema": answer}}}
    if links:
        ok["links"] = links
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Allowed: {roles}. Unknown query parameters are 400.",
        "parameters": [*params, IF_NONE_MATCH],
        "responses": {"200": ok, "304": {"description": "Not modified", "headers": VIEW_HEADERS},
                      **problems("ValidationFailed", "Unauthenticated", "Forbidden",
                                  "NotFound", "StaleView")},
    }


def query_param(name: str) -> dict[str, Any]:
    """A query parameter in the closed format ``api/queries/query_params.py`` checks."""
    schemas: dict[str, dict[str, Any]] = {
        "minVersion": {"type": "integer", "minimum": 0, "maximum": qp.MAX_MIN_VERSION,
                       "description": "read your writes: wait (briefly) for the view to "
                                      "reach this version, else 409 StaleView"},
        "limit": {"type": "integer", "minimum": 1, "maximum": qp.MAX_LIMIT, "default":
                  qp.DEFAULT_LIMIT},
        "status": {"enum": list(qp.STATUSES)},
        "continuation": {"type": "string", "minLength": 1, "maxLength": qp.MAX_TOKEN_CHARS,
                         "pattern": "^[A-Za-z0-9_-]+$",
                         "description": "opaque: the `continuation` of the previous page "
                                        "(with the same status filter); any other is 400"},
        "search": {"type": "string", "minLength": 1, "pattern": qp.SEARCH_PATTERN,
                   "description": "1-100 letters (of any script: `\\w` is meant Unicode-"
                                  "aware, as in Python and Rust, not ECMA-262's ASCII), digits, "
                                  "spaces or . ' - _ @; leading and trailing whitespace is "
                                  "ignored"},
    }
    if name == "search":
        return {"name": name, "in": "query", "required": True, "schema": schemas[name]}
    # The host drops a query parameter with an empty value (as the Functions host does), so
    # `?limit=` is no limit: the document says so rather than pretend it is refused.
    return {"name": name, "in": "query", "required": False,
            "description": "An empty value counts as absent.",
            "schema": {"anyOf": [schemas[name], {"const": ""}]}}
