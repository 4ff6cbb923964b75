"""Query-string parameters of the read routes, checked strictly: anything odd is a 400.

Every parameter has a closed format (digits, a fixed set of words, our own continuation token,
a search text without quotes or operators), so an injection attempt never reaches a store; the
stores take parameters only as bound values anyway. Unknown parameters are refused too, the way
unknown body fields are, so a client's typo does not silently return an unfiltered answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.problems import ApiError
from contracts.wire import format_timestamp
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


def _token(params: Mapping[str, str], field: str, valid_after: Callable[[str], bool]
           ) -> tuple[str, Any] | None:
    """A page token's ``after`` and its ``field`` (what query it belongs to), or a 400 for
    anything this API did not issue."""
    raw = params.get("continuation")
    if raw is None or raw == "":
        return None
    try:
        if len(raw) > MAX_TOKEN_CHARS or not _TOKEN.fullmatch(raw):
            raise ValueError
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        after = decoded["a"]
        if not isinstance(after, str) or not valid_after(after):
            raise ValueError
        return after, decoded[field]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid("continuation", "is not a token this API issued") from None


def continuation(params: Mapping[str, str], current_status: str | None) -> Continuation | None:
    """The decoded token, or a 400 for anything we did not issue for this very filter."""
    token = _token(params, "s", lambda after: SORT_KEY.fullmatch(after) is not None)
    if token is None:
        return None
    after, token_status = token
    if token_status != (current_status or ""):
        raise invalid("continuation", "belongs to a query with another status filter")
    return Continuation(after, current_status)


# RFC 3339 date-time (what ``format: date-time`` generates); checked again by fromisoformat.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?"
                        r"([Zz]|[+-]\d\d:\d\d(:\d\d(\.\d{1,6})?)?)")
_EARLIEST, _LATEST = "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"


def timestamp(params: Mapping[str, str], name: str) -> str | None:
    """An RFC 3339 time with an offset, in the views' canonical form (UTC, milliseconds)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    problem = invalid(name, "must be an RFC 3339 date-time with an offset, such as "
                            "2026-01-31T12:00:00Z")
    if len(raw) > 40 or not _TIMESTAMP.fullmatch(raw):
        raise problem
    digits = re.sub(r"(\.\d{6})\d+", r"\1", raw.upper())  # Python reads up to microseconds
    try:
        moment = datetime.fromisoformat(digits)
    except ValueError:
        raise problem from None
    try:
        return format_timestamp(moment)
    except OverflowError:  # year 1 or 9999 with an offset: before or after any event
        return _EARLIEST if moment.year == 1 else _LATEST


def pattern(params: Mapping[str, str], name: str, regex: str, what: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(regex, raw):
        raise invalid(name, f"must be {what}")
    return raw


def name_filter(params: Mapping[str, str], name: str) -> str | None:
    """A product-name filter: the search rule (letters, digits, space, . ' - _ @)."""
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not SEARCH_TEXT.fullmatch(text):
        raise invalid(name, "must be 1-100 letters, digits, spaces or . ' - _ @")
    return text


@dataclass(frozen=True)
class Cursor:
    """Where a page starts (keyset paging), bound to the filters it was issued for: a token is
    a 400 on any other query, so a client cannot mix up pages of two filters."""

    after: str
    scope: str

    def encode(self) -> str:
        raw = json.dumps({"a": self.after, "q": _fingerprint(self.scope)},
                         separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode("ascii")


def _fingerprint(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:12]


def cursor(params: Mapping[str, str], scope: str,
           valid_after: Callable[[str], bool]) -> Cursor | None:
    """The decoded ``continuation``, or a 400 for anything we did not issue for this query."""
    token = _token(params, "q", valid_after)
    if token is None:
        return None
    after, fingerprint = token
    if fingerprint != _fingerprint(scope):
        raise invalid("continuation", "belongs to a query with other filters")
    return Cursor(after, scope)


def now_utc() -> str:
    return format_timestamp(datetime.now(UTC))
