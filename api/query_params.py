"""Query-string parameters of the read routes, checked strictly: anything odd is a 400.

Every parameter has a closed format (digits, a fixed set of words, our own continuation token,
a search text without quotes or operators), so an injection attempt never reaches a store; the
stores take parameters only as bound values anyway. Unknown parameters are refused too, the way
unknown body fields are, so a client's typo does not silently return an unfiltered answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from api.problems import ApiError
from readmodels.views import SORT_KEY

STATUSES = ("placed", "shipped", "delivered", "cancelled")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_MIN_VERSION = 2**31
MAX_TOKEN_CHARS = 256
# Letters (any script), digits, space and . ' - _ @: names, ids and tracking numbers.
SEARCH_TEXT = re.compile(r"[^\W][\w .'@-]{0,99}")
# The same rule for the raw parameter (surrounding whitespace is stripped first), as the OpenAPI
# document publishes it. ``\w`` is Unicode-aware here, as in Python and the Rust regex engine.
SEARCH_PATTERN = r"^\s*[^\W][\w .'@-]{0,99}\s*$"
_DIGITS = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Function keys may travel as ?code= on any route (the host checks them, not us).
_ALWAYS_ALLOWED = frozenset({"code"})


def invalid(field: str, message: str) -> ApiError:
    return ApiError("ValidationFailed", f"The query parameter {field} {message}.",
                    extra={"errors": [{"field": field, "message": message}]})


def check_known(params: Mapping[str, str], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed and name not in _ALWAYS_ALLOWED:
            raise invalid(name, "is not a known parameter")


def integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise invalid(name, f"must be an integer from {low} to {high}")
    return int(raw)


def min_version(params: Mapping[str, str]) -> int:
    return integer(params, "minVersion", 0, 0, MAX_MIN_VERSION)


def status(params: Mapping[str, str]) -> str | None:
    raw = params.get("status")
    if raw is None or raw == "":
        return None
    if raw not in STATUSES:
        raise invalid("status", f"must be one of {', '.join(STATUSES)}")
    return raw


def search_text(params: Mapping[str, str]) -> str:
    raw = params.get("search")
    if raw is None or not raw.strip():
        raise invalid("search", "is required")
    text = raw.strip()
    if not SEARCH_TEXT.fullmatch(text):
        raise invalid("search", "must be 1-100 letters, digits, spaces or . ' - _ @")
    return text


@dataclass(frozen=True)
class Continuation:
    """Where the next page starts: the sort key of the last row sent, bound to the filter."""

    after: str
    status: str | None

    def encode(self) -> str:
        raw = json.dumps({"a": self.after, "s": self.status or ""}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode("ascii")


def continuation(params: Mapping[str, str], current_status: str | None) -> Continuation | None:
    """The decoded token, or a 400 for anything we did not issue for this very filter."""
    raw = params.get("continuation")
    if raw is None or raw == "":
        return None
    try:
        if len(raw) > MAX_TOKEN_CHARS or not _TOKEN.fullmatch(raw):
            raise ValueError
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        after, token_status = decoded["a"], decoded["s"]
        if not isinstance(after, str) or not SORT_KEY.fullmatch(after):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid("continuation", "is not a token this API issued") from None
    if token_status != (current_status or ""):
        raise invalid("continuation", "belongs to a query with another status filter")
    return Continuation(after, current_status)
