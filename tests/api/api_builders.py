"""Requests and principals for the API unit tests (no host involved)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import azure.functions as func

from app_settings import AppSettings, load_settings

SETTINGS = load_settings({"ORDERS_STORE": "embedded", "AUTH_PRINCIPAL_HEADER_TRUSTED": "true"})


def settings(**changes: Any) -> AppSettings:
    return replace(SETTINGS, **changes)


def principal_header(sub: str, *roles: str) -> str:
    claims = [{"typ": "sub", "val": sub}, *({"typ": "roles", "val": r} for r in roles)]
    document = {"auth_typ": "devhost", "claims": claims, "role_typ": "roles"}
    return base64.b64encode(json.dumps(document).encode()).decode()


def request(body: bytes | dict[str, Any] | None = None, *, content_type: str = "application/json",
            principal: str | None = None, headers: dict[str, str] | None = None,
            route: dict[str, str] | None = None) -> func.HttpRequest:
    raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    all_headers = {"content-type": content_type, **(headers or {})}
    if principal is not None:
        all_headers["x-ms-client-principal"] = principal
    return func.HttpRequest("POST", "http://localhost/api/orders", headers=all_headers,
                            body=raw, route_params=route or {})
