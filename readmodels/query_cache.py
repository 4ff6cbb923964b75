"""The ``QueryCache`` port and the entity encoding both adapters share.

Entries live in a *scope* (a Table storage partition: ``order:o-1``, ``customer:c-1``) under a
key (the normalized query). Each scope has a generation marker; an entry is valid only while it
carries the scope's current generation. Invalidating a scope writes a new generation, so a
query that read the view *before* a fold and stores its result *after* the fold's invalidation
stores an entry that is already invalid: the classic cache-aside race cannot serve stale data.

Azure Table storage limits are enforced here, in our code, because Azurite accepts entities
Azure would reject: 1 MiB per entity, 64 KiB per property, 252 custom properties, keys of at
most 1 KiB without ``/ \\ # ?`` or control characters, 100 operations per batch. A value too
large to cache is simply not cached (``store`` returns ``False``); the query still answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

MAX_ENTITY_BYTES = 1024 * 1024
MAX_PROPERTY_BYTES = 64 * 1024
MAX_CUSTOM_PROPERTIES = 252
MAX_KEY_CHARS = 512  # 1 KiB of UTF-16
MAX_BATCH_OPERATIONS = 100
CHUNK_CHARS = 30_000  # ASCII JSON: one UTF-16 unit per char, 60 KB < 64 KiB per property
MARKER_ROW = "~gen"
_FIXED_PROPERTIES = ("gen", "expiresAt", "chunks")
_BAD_KEY_CHARS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")

T = TypeVar("T")


class CacheEntryTooLarge(ValueError):
    """The value does not fit one Table storage entity; callers skip caching it."""


@dataclass(frozen=True)
class CacheLookup:
    """A hit carries ``value``; a miss carries the generation to ``store`` the answer under."""

    value: dict[str, Any] | None
    generation: str


class QueryCache(Protocol):
    def lookup(self, scope: str, key: str) -> CacheLookup:
        """The cached value if present, unexpired and of the scope's current generation."""
        ...

    def store(self, scope: str, key: str, value: dict[str, Any], generation: str) -> bool:
        """Cache ``value`` under the generation ``lookup`` returned; ``False`` if too large."""
        ...

    def invalidate(self, scopes: Iterable[str]) -> None:
        """Make every entry of these scopes invalid (and delete what is left of them)."""
        ...


def table_key(text: str) -> str:
    """A PartitionKey/RowKey for any text: unsafe characters escaped, long keys hashed."""
    escaped = quote(text, safe="")
    if len(escaped) > MAX_KEY_CHARS - 2:
        return "h~" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return "q" + escaped


def check_table_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_CHARS or _BAD_KEY_CHARS.search(key):
        raise ValueError("Table keys are 1-512 characters without / \\ # ? or control chars")
    return key


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entity_bytes(partition: str, row: str, properties: dict[str, Any]) -> int:
    """Azure's documented size formula for an entity (strings count 2 bytes a char + 4)."""
    size = 4 + 2 * _utf16_units(partition) + 2 * _utf16_units(row)
    for name, value in properties.items():
        size += 8 + 2 * len(name)
        size += 2 * _utf16_units(value) + 4 if isinstance(value, str) else 8
    return size


def encode_entry(partition: str, row: str, value: dict[str, Any], generation: str,
                 expires_at: float) -> dict[str, Any]:
    """The entity's custom properties, or ``CacheEntryTooLarge`` past any Table limit."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    chunks = [text[i:i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
    if len(chunks) + len(_FIXED_PROPERTIES) > MAX_CUSTOM_PROPERTIES:
        raise CacheEntryTooLarge("the value needs more than 252 properties")
    properties: dict[str, Any] = {"gen": generation, "expiresAt": float(expires_at),
                                  "chunks": len(chunks)}
    for index, chunk in enumerate(chunks):
        if 2 * _utf16_units(chunk) > MAX_PROPERTY_BYTES:
            raise CacheEntryTooLarge("a property would exceed 64 KiB")
        properties[f"v{index}"] = chunk
    if entity_bytes(partition, row, properties) > MAX_ENTITY_BYTES:
        raise CacheEntryTooLarge("the entity would exceed 1 MiB")
    return properties


def decode_entry(properties: dict[str, Any]) -> dict[str, Any] | None:
    """The cached value back, or ``None`` for a malformed entity (treated as a miss)."""
    try:
        count = int(properties["chunks"])
        text = "".join(str(properties[f"v{i}"]) for i in range(count))
        value = json.loads(text)
    except (KeyError, TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def valid_entry(properties: dict[str, Any] | None, generation: str, now: float) -> bool:
    if properties is None or properties.get("gen") != generation:
        return False
    expires = properties.get("expiresAt")
    return isinstance(expires, int | float) and float(expires) > now


def cache_keys(scope: str, key: str) -> tuple[str, str]:
    """(partition key, row key) of a cached query, checked against Table storage's rules."""
    return check_table_key(table_key(scope)), check_table_key(table_key(key))


def resolve_lookup(found: dict[str, dict[str, Any]], row: str, now: float) -> CacheLookup:
    """The lookup's answer from the rows read for a scope: its marker and maybe the entry."""
    generation = str((found.get(MARKER_ROW) or {}).get("gen", ""))
    entry = found.get(row)
    if entry is not None and valid_entry(entry, generation, now):
        return CacheLookup(decode_entry(entry), generation)
    return CacheLookup(None, generation)


def batches(items: Sequence[T], size: int = MAX_BATCH_OPERATIONS) -> list[Sequence[T]]:
    """Split a list into Table storage batches (at most 100 operations each)."""
    if not 1 <= size <= MAX_BATCH_OPERATIONS:
        raise ValueError("a Table storage batch holds 1-100 operations")
    return [items[i:i + size] for i in range(0, len(items), size)]
