"""The tables, and what a `Batch` becomes in them: rows encoded ahead of the transaction, and
the statements that apply them in it."""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devhost.records import Batch, Instance, WorkItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    parent TEXT,
    engine TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_at);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    due REAL NOT NULL,
    tag TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS work_due ON work(kind, due);
CREATE INDEX IF NOT EXISTS work_target ON work(target, kind);
CREATE INDEX IF NOT EXISTS work_kind_target ON work(kind, target, id);
CREATE INDEX IF NOT EXISTS work_tag ON work(tag) WHERE tag IS NOT NULL;
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT,
    last_op REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deadletters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    event TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    at REAL NOT NULL
);
"""



@dataclass
class Rows:
    """A batch with its JSON encoded ahead of the transaction, since other processes wait while
    the write lock is held."""

    batch: Batch
    instances: list[tuple[Any, ...]]
    history: list[tuple[str, int, str]]
    work: list[tuple[str, str, str, float, str | None, float]]
    deadletters: list[tuple[str, str, str, int, float]]


def encode(batch: Batch) -> Rows:
    return Rows(
        batch,
        [(i.instance_id, i.name, i.execution_id, i.status, i.input, i.output, i.custom_status,
          i.created_at, i.updated_at, json.dumps(i.parent) if i.parent else None,
          json.dumps(i.engine)) for i in batch.instances],
        [(i, seq, json.dumps(e)) for i, seq, e in batch.history],
        [(w.kind, w.target, json.dumps(w.payload), w.due, w.tag, w.due) for w in batch.work],
        [(fn, json.dumps(event), reason, attempts, at)
         for fn, event, reason, attempts, at in batch.deadletters])


def prefix_end(prefix: str) -> str:
    """The least text after every text that starts with `prefix` (in SQLite's BINARY order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def apply(db: sqlite3.Connection, rows: Rows) -> list[int]:
    batch = rows.batch
    new_ids: list[int] = []
    for iid in batch.purges:
        db.execute("DELETE FROM instances WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM work WHERE target=? AND kind IN ('orch','activity','ctrl')",
                   (iid,))
    for iid in batch.history_resets:
        db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
    if rows.instances:
        db.executemany("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       rows.instances)
    if rows.history:
        db.executemany("INSERT OR REPLACE INTO history VALUES (?,?,?)", rows.history)
    if batch.done:
        db.executemany("DELETE FROM work WHERE id=?", [(i,) for i in batch.done])
    for tag in batch.cancel_tags:
        db.execute("DELETE FROM work WHERE tag=?", (tag,))
    for prefix in batch.cancel_prefixes:
        # A range of the tag index: `substr(tag, ...) = ?` read every tagged row, every timer
        # still pending (an app's day-long timers: one per order), on every completion.
        db.execute("DELETE FROM work WHERE tag IS NOT NULL AND tag >= ? AND tag < ?",
                   (prefix, prefix_end(prefix)))
    for work in rows.work:
        cur = db.execute("INSERT INTO work (kind, target, payload, due, tag, created) "
                         "VALUES (?,?,?,?,?,?)", work)
        new_ids.append(int(cur.lastrowid or 0))
    for eid in batch.entity_deletes:
        db.execute("DELETE FROM entities WHERE entity_id=?", (eid,))
    if batch.entities:
        db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?)", batch.entities)
    if rows.deadletters:
        db.executemany("INSERT INTO deadletters (function, event, reason, attempts, at) "
                       "VALUES (?,?,?,?,?)", rows.deadletters)
    if batch.deliveries:
        db.executemany("INSERT INTO deliveries (function, event_id, attempt, outcome, at) "
                       "VALUES (?,?,?,?,?)", batch.deliveries)
    for k, v in batch.meta.items():
        db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (k, v))
    return new_ids


@contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection while holding the write lock: other processes wait on it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def instance_of(row: sqlite3.Row) -> Instance:
    return Instance(
        instance_id=row["instance_id"], name=row["name"], execution_id=row["execution_id"],
        status=row["status"], input=row["input"], output=row["output"],
        custom_status=row["custom_status"], created_at=row["created_at"],
        updated_at=row["updated_at"],
        parent=json.loads(row["parent"]) if row["parent"] else None,
        engine=json.loads(row["engine"]),
    )


# The columns a status read shows: all but `engine`, the replay bookkeeping (kilobytes of JSON
# per instance), which a status read would parse only to throw away.
STATUS_COLUMNS = ("instance_id, name, execution_id, status, input, output, custom_status, "
                  "created_at, updated_at, parent")


def status_of(row: sqlite3.Row) -> Instance:
    """An instance read for its status (`STATUS_COLUMNS`): its `engine` is left empty, so it
    serves status JSON and history, never a write back."""
    return Instance(
        instance_id=row[0], name=row[1], execution_id=row[2], status=row[3], input=row[4],
        output=row[5], custom_status=row[6], created_at=row[7], updated_at=row[8],
        parent=json.loads(row[9]) if row[9] else None,
    )


def work_of(row: sqlite3.Row) -> WorkItem:
    return WorkItem(id=row["id"], kind=row["kind"], target=row["target"],
                    payload=json.loads(row["payload"]), due=row["due"], tag=row["tag"])
