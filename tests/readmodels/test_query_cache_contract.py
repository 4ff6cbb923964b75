"""The ``QueryCache`` contract, run against the embedded and the Table storage adapter alike."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from emulators import TTL, FakeClock

from readmodels.query_cache import MAX_BATCH_OPERATIONS, QueryCache, batches, table_key


def scope() -> str:
    return f"order:o-{uuid.uuid4().hex[:10]}"


def value(size: int = 10) -> dict[str, Any]:
    return {"version": 3, "items": ["x" * size]}


def test_a_miss_then_a_stored_value_hits(cache: QueryCache) -> None:
    where = scope()
    miss = cache.lookup(where, "order")
    assert miss.value is None
    assert cache.store(where, "order", value(), miss.generation)
    assert cache.lookup(where, "order").value == value()


def test_invalidation_hides_entries_and_defeats_late_stores(cache: QueryCache) -> None:
    where = scope()
    before = cache.lookup(where, "order")
    cache.store(where, "order", value(), before.generation)
    cache.invalidate([where])
    assert cache.lookup(where, "order").value is None
    # A query that read the view before the fold stores its answer after the invalidation:
    cache.store(where, "order", {"version": 2}, before.generation)
    assert cache.lookup(where, "order").value is None
    fresh = cache.lookup(where, "order")
    cache.store(where, "order", value(), fresh.generation)
    assert cache.lookup(where, "order").value == value()


def test_scopes_are_independent(cache: QueryCache) -> None:
    first, second = scope(), scope()
    for where in (first, second):
        cache.store(where, "order", value(), cache.lookup(where, "order").generation)
    cache.invalidate([first])
    assert cache.lookup(first, "order").value is None
    assert cache.lookup(second, "order").value == value()


def test_entries_expire_after_the_ttl(cache: QueryCache, clock: FakeClock) -> None:
    where = scope()
    cache.store(where, "q", value(), cache.lookup(where, "q").generation)
    clock.now += TTL - 1
    assert cache.lookup(where, "q").value == value()
    clock.now += 2
    assert cache.lookup(where, "q").value is None


@pytest.mark.parametrize("key", [
    "orders?status=placed&limit=20&after=2024-01-01T00:00:00.000Z|o-1",
    "a/b\\c#d?e", "tab\tnew\nline\x00", "ünïcødé ✓", "x' or PartitionKey ne '", "k" * 3000,
], ids=["query", "reserved", "control", "unicode", "odata", "long"])
def test_any_key_text_is_stored_safely(cache: QueryCache, key: str) -> None:
    where = scope()
    cache.store(where, key, value(), cache.lookup(where, key).generation)
    assert cache.lookup(where, key).value == value()
    assert cache.lookup(where, key + "-other").value is None


def test_values_over_one_property_are_chunked(cache: QueryCache) -> None:
    where, big = scope(), value(200_000)  # three 64 KiB properties' worth
    assert cache.store(where, "big", big, cache.lookup(where, "big").generation)
    assert cache.lookup(where, "big").value == big


def test_values_past_the_entity_limit_are_not_cached(cache: QueryCache) -> None:
    where = scope()
    assert not cache.store(where, "huge", value(1_100_000), cache.lookup(where, "huge").generation)
    assert cache.lookup(where, "huge").value is None
    wide = {"items": ["é" * 600_000]}  # ASCII-escaped JSON: 6 bytes a char, past 1 MiB
    assert not cache.store(where, "wide", wide, cache.lookup(where, "wide").generation)


def test_invalidating_more_than_one_batch_of_entries(cache: QueryCache) -> None:
    where = scope()
    generation = cache.lookup(where, "k0").generation
    for index in range(MAX_BATCH_OPERATIONS + 20):
        cache.store(where, f"k{index}", {"i": index}, generation)
    cache.invalidate([where])
    assert all(cache.lookup(where, f"k{i}").value is None for i in (0, 99, 100, 119))


def test_batches_respect_the_table_storage_limit() -> None:
    assert [len(b) for b in batches(list(range(250)))] == [100, 100, 50]
    with pytest.raises(ValueError):
        batches([1], size=101)


def test_table_keys_never_hold_forbidden_characters() -> None:
    for text in ("a/b", "a\\b", "a#b", "a?b", "\x01", "x" * 2000):
        key = table_key(text)
        assert not set(key) & set("/\\#?") and len(key) <= 512 and key.isprintable()
