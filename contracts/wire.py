"""Dataclass <-> camelCase JSON, shared by every contract.

Contracts grow backward-compatibly: unknown keys are ignored on read, and new fields get defaults.
Reading checks JSON types strictly (``1`` is not a ``str``, ``True`` is not an ``int``) so a bad
payload fails at the boundary, with the dotted path of the offending field in the message.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable, Mapping
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
    kind = type(value)
    if kind in _SCALARS:
        return value
    writer = _dataclass_writer(kind)
    if writer is not None:
        return writer(value)
    if isinstance(value, tuple | list):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    return value


_SCALARS = frozenset({str, int, bool, float, type(None)})
# A writer turns one field's value into its wire form; None means the value already is one.
Writer = Callable[[Any], Any]
_WRITERS: dict[type, Writer | None] = {}


def _dataclass_writer(kind: type) -> Writer | None:
    """The writer of a dataclass type, planned from its type hints once; None for others.

    Fields typed ``dict`` hold JSON objects (they are read as they are, see ``_read_object``)
    and are copied, not walked: an entity's remembered results are kept in wire form, and
    walking them again on every save was most of the cost of storing a busy entity."""
    try:
        return _WRITERS[kind]
    except KeyError:
        _WRITERS[kind] = writer = _plan_writer(kind) if dataclasses.is_dataclass(kind) else None
        return writer


def _plan_writer(kind: type) -> Writer:
    hints = get_type_hints(kind)
    plan = [(field.name, camel(field.name), _field_writer(hints[field.name]))
            for field in dataclasses.fields(kind)]

    def write(value: Any) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        for name, key, writer in plan:
            item = getattr(value, name)
            wire[key] = item if writer is None or item is None else writer(item)
        return wire

    return write


def _field_writer(hint: Any) -> Writer | None:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        return _field_writer(options[0]) if len(options) == 1 else to_wire
    if origin is tuple:
        args = get_args(hint)
        if len(args) != 2 or args[1] is not Ellipsis:
            return to_wire
        item = _field_writer(args[0])
        return list if item is None else (lambda value: [item(entry) for entry in value])
    if origin is dict or hint is dict:
        return dict
    if hint in _SCALARS or (isinstance(hint, type) and issubclass(hint, Enum)):
        return None
    return to_wire  # dataclasses (by their runtime type), Any, anything else


def from_wire(cls: type[T], data: object, where: str = "") -> T:
    """Build ``cls`` from its camelCase wire form, checking each field's JSON type."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    result: T = _reader(cls)(data, where or cls.__name__)
    return result


# A reader checks one JSON value against one type hint and converts it. Readers are built once per
# hint (types are walked when a contract is first read, not on every value), which keeps entity
# state with hundreds of nested records cheap to load.
Reader = Callable[[object, str], Any]


@functools.cache
def _reader(hint: Any) -> Reader:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _optional_reader(hint)
    if origin is tuple:
        return _tuple_reader(get_args(hint)[0])
    if origin is dict or hint is dict:
        return _read_object
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_reader(hint)
    return _scalar_reader(hint)


def _dataclass_reader(cls: type) -> Reader:
    plan: list[tuple[str, str, bool, Reader]] = []
    hints = get_type_hints(cls)

    def read(data: object, where: str) -> Any:
        if not isinstance(data, Mapping):
            raise WireFormatError(f"{where}: expected an object")
        if not plan:  # filled on first use: a self-referencing contract must not recurse here
            plan.extend(_plan(cls, hints))
        kwargs: dict[str, Any] = {}
        for key, name, required, reader in plan:
            if key in data:
                kwargs[name] = reader(data[key], f"{where}.{key}")
            elif required:
                raise WireFormatError(f"{where}.{key} is required")
        return cls(**kwargs)

    return read


def _plan(cls: type, hints: dict[str, Any]) -> list[tuple[str, str, bool, Reader]]:
    return [
        (
            camel(field.name),
            field.name,
            field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING,
            _reader(hints[field.name]),
        )
        for field in dataclasses.fields(cls)
        if field.init
    ]


def _tuple_reader(item_hint: Any) -> Reader:
    item = _reader(item_hint)

    def read(value: object, where: str) -> Any:
        if not isinstance(value, list | tuple):
            raise WireFormatError(f"{where}: expected an array")
        return tuple(item(entry, f"{where}[{i}]") for i, entry in enumerate(value))

    return read


def _read_object(value: object, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise WireFormatError(f"{where}: expected an object")
    return dict(value)


def _optional_reader(hint: Any) -> Reader:
    args = get_args(hint)
    options = [arg for arg in args if arg is not type(None)]
    nullable = len(options) < len(args)
    if len(options) != 1:
        raise TypeError(f"{hint!r}: only 'X | None' unions are supported")
    inner = _reader(options[0])

    def read(value: object, where: str) -> Any:
        if value is None:
            if nullable:
                return None
            raise WireFormatError(f"{where} must not be null")
        return inner(value, where)

    return read


def _scalar_reader(hint: Any) -> Reader:
    if hint is Any or hint is object:
        return lambda value, where: value
    if isinstance(hint, type) and issubclass(hint, Enum):
        enum = hint

        def read_enum(value: object, where: str) -> Any:
            try:
                return enum(value)
            except ValueError:
                raise WireFormatError(f"{where}: not one of the allowed values") from None

        return read_enum
    if hint is bool:
        return _checked(bool, lambda value: isinstance(value, bool))
    if hint is int:
        return _checked(int, lambda value: isinstance(value, int) and not isinstance(value, bool))
    if hint is str:
        return _checked(str, lambda value: isinstance(value, str))
    raise TypeError(f"unsupported contract type {hint!r}")


def _checked(kind: type, ok: Callable[[object], bool]) -> Reader:
    def read(value: object, where: str) -> Any:
        if not ok(value):
            raise WireFormatError(f"{where}: expected {kind.__name__}")
        return value

    return read


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
