"""Inline route constraints of ASP.NET Core templates (`{id:int}`, `{n:range(1,9)}`, ...).

Each constraint name maps to a factory that takes its argument text and returns the check the
router applies to a matched value, with .NET's parsing rules where they differ from Python's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_DECIMAL_MAX = Decimal("79228162514264337593543950335")


Check = Callable[[str], bool]

_INT_RE = re.compile(r"\s*[+-]?[0-9]+\s*")
_DECIMAL_RE = re.compile(r"\s*[+-]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*")
_FLOAT_RE = re.compile(
    r"\s*(?:[+-]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[+-]?(?:infinity|∞)|nan)\s*",
    re.IGNORECASE,
)
_GUID_D = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_GUID_RE = re.compile(
    rf"\s*(?:{_GUID_D}|[0-9a-f]{{32}}|\{{{_GUID_D}\}}|\({_GUID_D}\))\s*", re.IGNORECASE
)
_ALPHA_RE = re.compile(r"[a-z]*", re.IGNORECASE)
_BOOL_RE = re.compile(r"\s*(?:true|false)\s*", re.IGNORECASE)
_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y/%m/%d", "%d %B %Y")
# Python's ``re`` spells .NET's named group ``(?<name>...)`` as ``(?P<name>...)``.
_NET_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def _parse_integer(value: str, bounds: tuple[int, int]) -> int | None:
    if not _INT_RE.fullmatch(value):
        return None
    number = int(value.strip())
    return number if bounds[0] <= number <= bounds[1] else None


def _is_int(value: str) -> bool:
    return _parse_integer(value, _INT32) is not None


def _is_long(value: str) -> bool:
    return _parse_integer(value, _INT64) is not None


def _is_decimal(value: str) -> bool:
    if not _DECIMAL_RE.fullmatch(value):
        return False
    try:
        return abs(Decimal(value.strip().replace(",", ""))) <= _DECIMAL_MAX
    except InvalidOperation:
        return False


def _is_float(value: str) -> bool:
    return _FLOAT_RE.fullmatch(value) is not None


def _is_guid(value: str) -> bool:
    if not _GUID_RE.fullmatch(value):
        return False
    try:
        uuid.UUID(value.strip().strip("{}()"))
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    # .NET's DateTime.TryParse (invariant culture) is very lenient; ISO 8601 and the common
    # invariant month/day/year forms cover what people put in URLs.
    text = value.strip()
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def _int_args(name: str, arg: str | None, count: tuple[int, ...]) -> list[int]:
    if arg is None:
        raise ValueError(f"constraint '{name}' needs an argument")
    parts = [p.strip() for p in arg.split(",")]
    if len(parts) not in count:
        raise ValueError(f"constraint '{name}' takes {' or '.join(map(str, count))} argument(s)")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"constraint '{name}' needs integer arguments, got {arg!r}") from None


def _no_arg(check: Check) -> Callable[[str, str | None], Check]:
    def factory(name: str, arg: str | None) -> Check:
        if arg is not None:
            raise ValueError(f"constraint '{name}' takes no argument")
        return check

    return factory


def _length(name: str, arg: str | None) -> Check:
    bounds = _int_args(name, arg, (1, 2))
    low, high = (bounds[0], bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
    if low < 0 or high < low:
        raise ValueError(f"constraint '{name}' has an invalid range {arg!r}")
    return lambda v: low <= len(v) <= high


def _minlength(name: str, arg: str | None) -> Check:
    (low,) = _int_args(name, arg, (1,))
    return lambda v: len(v) >= low


def _maxlength(name: str, arg: str | None) -> Check:
    (high,) = _int_args(name, arg, (1,))
    return lambda v: len(v) <= high


def _long_between(low: int | None, high: int | None) -> Check:
    def check(value: str) -> bool:
        number = _parse_integer(value, _INT64)
        if number is None:
            return False
        return (low is None or number >= low) and (high is None or number <= high)

    return check


def _min(name: str, arg: str | None) -> Check:
    return _long_between(_int_args(name, arg, (1,))[0], None)


def _max(name: str, arg: str | None) -> Check:
    return _long_between(None, _int_args(name, arg, (1,))[0])


def _range(name: str, arg: str | None) -> Check:
    low, high = _int_args(name, arg, (2,))
    if high < low:
        raise ValueError(f"constraint '{name}' has min > max in {arg!r}")
    return _long_between(low, high)


def _regex(name: str, arg: str | None) -> Check:
    if not arg:
        raise ValueError(f"constraint '{name}' needs a pattern")
    try:
        # ASP.NET's RegexRouteConstraint: IgnoreCase | CultureInvariant, IsMatch (unanchored).
        pattern = re.compile(_NET_NAMED_GROUP.sub("(?P<", arg), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"constraint '{name}' has an invalid pattern: {exc}") from None
    return lambda v: pattern.search(v) is not None


CONSTRAINTS: dict[str, Callable[[str, str | None], Check]] = {
    "int": _no_arg(_is_int),
    "long": _no_arg(_is_long),
    "bool": _no_arg(lambda v: _BOOL_RE.fullmatch(v) is not None),
    "alpha": _no_arg(lambda v: _ALPHA_RE.fullmatch(v) is not None),
    "datetime": _no_arg(_is_datetime),
    "decimal": _no_arg(_is_decimal),
    "double": _no_arg(_is_float),
    "float": _no_arg(_is_float),
    "guid": _no_arg(_is_guid),
    "required": _no_arg(lambda v: v != ""),
    "length": _length,
    "minlength": _minlength,
    "maxlength": _maxlength,
    "min": _min,
    "max": _max,
    "range": _range,
    "regex": _regex,
}
