"""Dataclass <-> camelCase JSON, shared by every contract.

Contracts grow backward-compatibly: unknown keys are ignored on read, and new fields get defaults.
Reading checks JSON types strictly (``1`` is not a ``str``, ``True`` is not an ``int``) so a bad
payload fails at the boundary, with the dotted path of the offending field in the message.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class WireFormatError(ValueError):
    """A JSON payload does not match its contract (missing field, wrong type)."""


@functools.cache
def camel(name: str) -> str:
    """``postal_code`` -> ``postalCode``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_wire(value: Any) -> Any:
    """A dataclass (or a tuple/list/dict of them) as camelCase, JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(field.name): to_wire(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    return value


def from_wire(cls: type[T], data: object, where: str = "") -> T:
    """Build ``cls`` from its camelCase wire form, checking each field's JSON type."""
    where = where or cls.__name__
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if not isinstance(data, Mapping):
        raise WireFormatError(f"{where}: expected an object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        key = camel(field.name)
        if key not in data:
            no_default = field.default is dataclasses.MISSING
            if no_default and field.default_factory is dataclasses.MISSING:
                raise WireFormatError(f"{where}.{key} is required")
            continue
        kwargs[field.name] = _convert(hints[field.name], data[key], f"{where}.{key}")
    return cls(**kwargs)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Resolved field types; resolving them means evaluating annotations, so once per class."""
    return get_type_hints(cls)


def _convert(hint: Any, value: object, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _convert_optional(hint, value, where)
    if origin is tuple:
        item_hint = get_args(hint)[0]
        if not isinstance(value, list | tuple):
            raise WireFormatError(f"{where}: expected an array")
        return tuple(_convert(item_hint, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise WireFormatError(f"{where}: expected an object")
        return dict(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_wire(hint, value, where)
    return _convert_scalar(hint, value, where)


def _convert_optional(hint: Any, value: object, where: str) -> Any:
    options = [arg for arg in get_args(hint) if arg is not type(None)]
    if value is None:
        if len(options) < len(get_args(hint)):
            return None
        raise WireFormatError(f"{where} must not be null")
    if len(options) != 1:
        raise TypeError(f"{where}: only 'X | None' unions are supported")
    return _convert(options[0], value, where)


def _convert_scalar(hint: Any, value: object, where: str) -> Any:
    if hint is Any or hint is object:
        return value
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise WireFormatError(f"{where}: not one of the allowed values") from None
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    else:
        raise TypeError(f"{where}: unsupported contract type {hint!r}")
    if not ok:
        raise WireFormatError(f"{where}: expected {hint.__name__}")
    return value


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with a ``Z`` suffix and millisecond precision, from an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def normalize_timestamp(text: str) -> str:
    """Check an RFC 3339 timestamp with an explicit offset and return it in the canonical form."""
    if not isinstance(text, str) or not 20 <= len(text) <= 40 or "T" not in text.upper():
        raise ValueError("timestamps must be RFC 3339 strings such as 2024-01-31T12:00:00Z")
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            "timestamps must be RFC 3339 strings such as 2024-01-31T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry a UTC offset")
    return format_timestamp(moment)
