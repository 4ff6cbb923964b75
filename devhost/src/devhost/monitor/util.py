"""Small helpers shared by the monitor's views."""

from __future__ import annotations

import base64
import json
from typing import Any

from devhost.durable.history import parse_time

PAYLOAD_LIMIT = 64 * 1024  # bytes of one payload shown on the page; the rest is cut


def payload(text: str | None, limit: int = PAYLOAD_LIMIT) -> dict[str, Any] | None:
    """A stored JSON text for the page: parsed when it is JSON, cut when it is huge."""
    if text is None:
        return None
    if len(text) > limit:
        return {"text": text[:limit], "truncated": len(text)}
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return {"text": text}


def event_time(ev: dict[str, Any]) -> float | None:
    ts = ev.get("Timestamp")
    if not isinstance(ts, str):
        return None
    try:
        return parse_time(ts)
    except ValueError:
        return None


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(token.encode()).decode()))
    except ValueError:
        raise BadRequest("invalid continuation token") from None


def int_arg(value: str | None, default: int, low: int, high: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number") from None
    return max(low, min(high, n))


class BadRequest(Exception):
    """A query the monitor API rejects with 400 and this message."""


class NotFound(Exception):
    """A resource the monitor API answers 404 for, with this message."""
