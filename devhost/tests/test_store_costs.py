"""What one write or lookup costs must not grow with the rest of the store.

An app that starts a day-long timer per order keeps tens of thousands of timers pending; each
orchestration that ends cancels its own timers. A client lists its instances by id prefix among
everyone's. Counted in SQLite VM steps, not time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from devhost.durable.replay import timer_tag
from devhost.records import Batch, InstanceFilter
from devhost.storage.reads import instance_where
from devhost.storage.rows import SCHEMA, apply, encode, prefix_end


def store_with_timers(pending: int) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO work (kind, target, payload, due, tag, created) "
                   "VALUES ('orch', ?, '{}', 1e12, ?, 0)",
                   [(f"watch-{n}", timer_tag(f"watch-{n}", "e", 0)) for n in range(pending)])
    for tag in (timer_tag("done", "e1", 0), timer_tag("done", "e1", 7),
                timer_tag("done", "e10", 0), timer_tag("done2", "e1", 0)):
        db.execute("INSERT INTO work (kind, target, payload, due, tag, created) "
                   "VALUES ('orch', 'done', '{}', 1e12, ?, 0)", (tag,))
    return db


def vm_steps(db: sqlite3.Connection, work: Callable[[], object]) -> int:
    """SQLite VM steps, in hundreds, that `work` takes on `db`."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 100)
    try:
        work()
    finally:
        db.set_progress_handler(None, 100)
    return steps


def steps_to_end(db: sqlite3.Connection) -> int:
    """VM steps to apply the batch of an instance `done` that ended."""
    return vm_steps(db, lambda: apply(db, encode(Batch(
        cancel_prefixes=[timer_tag("done", "e1", "")]))))


def test_an_ending_instance_cancels_its_own_timers_only() -> None:
    db = store_with_timers(10)
    steps_to_end(db)
    left = {tag for (tag,) in db.execute("SELECT tag FROM work WHERE target='done'")}
    assert left == {timer_tag("done", "e10", 0), timer_tag("done2", "e1", 0)}
    assert db.execute("SELECT COUNT(*) FROM work WHERE target LIKE 'watch-%'").fetchone() == (10,)


def test_ending_costs_the_same_with_ten_or_twenty_thousand_timers_pending() -> None:
    few, many = steps_to_end(store_with_timers(10)), steps_to_end(store_with_timers(20_000))
    assert many <= few + 2, (few, many)  # the scan it replaced: ~1,000 more


def test_prefix_end_bounds_exactly_the_texts_with_the_prefix() -> None:
    end = prefix_end("timer:a:e1:")
    inside = ["timer:a:e1:", "timer:a:e1:0", "timer:a:e1:\U0010ffff"]
    outside = ["timer:a:e1", "timer:a:e10:0", "timer:a:e1;", "timer:b:e1:0"]
    assert all("timer:a:e1:" <= t < end for t in inside)
    assert not any("timer:a:e1:" <= t < end for t in outside)


def steps_to_list(others: int) -> tuple[int, list[str]]:
    """VM steps to list the instances whose id starts with `cmd-ab`, among `others` that do
    not; and what it listed."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    ids = [f"cmd-zz{n}" for n in range(others)] + ["cmd-ab1", "cmd-ab2", "cmd-ab"]
    db.executemany("INSERT INTO instances (instance_id, name, execution_id, status, created_at, "
                   "updated_at) VALUES (?, 'x', 'e', 'Completed', 0, 0)", [(i,) for i in ids])
    where, args = instance_where(InstanceFilter(prefix="cmd-ab"))
    found: list[str] = []
    steps = vm_steps(db, lambda: found.extend(r[0] for r in db.execute(
        f"SELECT instance_id FROM instances {where} ORDER BY instance_id", args)))
    return steps, found


def test_listing_by_id_prefix_reads_only_the_ids_with_it() -> None:
    (few, listed), (many, _) = steps_to_list(10), steps_to_list(20_000)
    assert listed == ["cmd-ab", "cmd-ab1", "cmd-ab2"]
    assert many <= few + 2, (few, many)
