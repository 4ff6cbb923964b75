"""The read side of the store: every query, on the reader connection (WAL lets it run beside
the writer)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from devhost.partitions import STATEFUL_KINDS, Partitions
from devhost.records import TERMINAL, Instance, InstanceFilter, WorkItem
from devhost.storage.rows import STATUS_COLUMNS, instance_of, prefix_end, status_of, work_of

WORK_KINDS = ("ctrl", "orch", "activity", "entity", "eventgrid")


def instance_where(match: InstanceFilter) -> tuple[str, list[Any]]:
    """The SQL condition for a filter of instances; every value is a bound parameter."""
    clauses: list[str] = []
    args: list[Any] = []
    if match.prefix:
        # A range of the primary key: `substr(...) = ?` read every instance there is.
        clauses.append("instance_id >= ? AND instance_id < ?")
        args += [match.prefix, prefix_end(match.prefix)]
    if match.name:
        clauses.append("lower(name) = lower(?)")
        args.append(match.name)
    if match.created_from is not None:
        clauses.append("created_at >= ?")
        args.append(match.created_from)
    if match.created_to is not None:
        clauses.append("created_at <= ?")
        args.append(match.created_to)
    for statuses in (match.statuses, sorted(TERMINAL) if match.finished else None):
        if statuses is not None:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            args += list(statuses)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


class Reads:
    """The queries of `devhost.store.Store` (a mixin: the store holds the connection)."""

    partitions: Partitions
    _rdb: sqlite3.Connection
    _rlock: threading.Lock

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._rlock:
            return self._rdb.execute(sql, tuple(args)).fetchall()

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0]["value"] if rows else None

    def instance(self, instance_id: str) -> Instance | None:
        rows = self._query("SELECT * FROM instances WHERE instance_id=?", (instance_id,))
        return instance_of(rows[0]) if rows else None

    def instance_status(self, instance_id: str) -> Instance | None:
        """The instance as a status read shows it: without its replay bookkeeping (`engine`
        is empty), so for status JSON and history only."""
        rows = self._query(f"SELECT {STATUS_COLUMNS} FROM instances WHERE instance_id=?",
                           (instance_id,))
        return status_of(rows[0]) if rows else None

    def instance_state(self, instance_id: str) -> tuple[str, str] | None:
        """(status, execution id): all an activity needs to know before it runs."""
        rows = self._query("SELECT status, execution_id FROM instances WHERE instance_id=?",
                           (instance_id,))
        return (rows[0]["status"], rows[0]["execution_id"]) if rows else None

    def query_instances(self, match: InstanceFilter, limit: int, offset: int,
                        engine: bool = True) -> list[Instance]:
        """The instances the filter matches, oldest first (the management API's order);
        without `engine`, as `instance_status` reads them."""
        where, args = instance_where(match)
        columns, of = ("*", instance_of) if engine else (STATUS_COLUMNS, status_of)
        sql = (f"SELECT {columns} FROM instances {where} ORDER BY created_at, instance_id "
               "LIMIT ? OFFSET ?")
        return [of(r) for r in self._query(sql, [*args, limit, offset])]

    def count_instances(self, match: InstanceFilter) -> dict[str, int]:
        """How many instances the filter matches, per runtime status."""
        where, args = instance_where(match)
        return {r["status"]: int(r["n"]) for r in self._query(
            f"SELECT status, COUNT(*) AS n FROM instances {where} GROUP BY status", args)}

    def due_targets(self, kind: str, now: float, busy: set[str], limit: int) -> list[str]:
        """Targets with due work of a kind, oldest first, skipping those being worked on."""
        rows = self._query(
            "SELECT target, MIN(id) AS first FROM work WHERE kind=? AND due<=? "
            f"{self._owned('target')} GROUP BY target ORDER BY first LIMIT ?",
            (kind, now, limit + len(busy)))
        return [r["target"] for r in rows if r["target"] not in busy][:limit]

    def due_orchestrations(self, now: float, busy: set[str], limit: int) -> list[str]:
        """Instances with due control messages, or due events unless they are suspended."""
        rows = self._query(
            "SELECT target, MIN(id) AS first FROM work w WHERE due<=? AND (kind='ctrl' OR "
            "(kind='orch' AND NOT EXISTS (SELECT 1 FROM instances i WHERE "
            "i.instance_id=w.target AND i.status='Suspended'))) "
            f"{self._owned('target')} GROUP BY target ORDER BY first LIMIT ?",
            (now, limit + len(busy)))
        return [r["target"] for r in rows if r["target"] not in busy][:limit]

    def due_work(self, kind: str, now: float, exclude: set[int], limit: int) -> list[WorkItem]:
        rows = self._query(f"SELECT * FROM work WHERE kind=? AND due<=? {self._owned('id')} "
                           "ORDER BY id LIMIT ?", (kind, now, limit + len(exclude)))
        return [w for w in map(work_of, rows) if w.id not in exclude][:limit]

    def work_for(self, kind: str, target: str, now: float, limit: int = 1000) -> list[WorkItem]:
        rows = self._query("SELECT * FROM work INDEXED BY work_kind_target WHERE kind=? AND "
                           "target=? AND due<=? ORDER BY id LIMIT ?", (kind, target, now, limit))
        return [work_of(r) for r in rows]

    def orchestration_work(self, target: str, now: float, limit: int) -> list[WorkItem]:
        """Due control messages and events of one instance, oldest first."""
        rows = self._query("SELECT * FROM work INDEXED BY work_target WHERE target=? AND "
                           "kind IN ('ctrl','orch') "
                           "AND due<=? ORDER BY id LIMIT ?", (target, now, limit))
        return [work_of(r) for r in rows]

    def outstanding_activities(self, target: str) -> int:
        rows = self._query("SELECT COUNT(*) AS n FROM work INDEXED BY work_kind_target "
                           "WHERE kind='activity' AND target=?", (target,))
        return int(rows[0]["n"])

    def pending_work(self, target: str) -> list[WorkItem]:
        """All queued work for a target, due or not (the monitor's 'why is it waiting')."""
        return [work_of(r) for r in self._query(
            "SELECT * FROM work WHERE target=? ORDER BY due, id", (target,))]

    def next_due(self) -> float | None:
        """When this process's next piece of work falls due."""
        # Per kind, in due order, the (kind, due) index finds it at once; MIN over the table
        # would scan all of it, and every order's fulfilment timer sits there for days.
        rows = self._query("SELECT MIN(d) AS d FROM (" + " UNION ALL ".join(
            f"SELECT * FROM (SELECT due AS d FROM work WHERE kind='{kind}' "
            f"{self._owned('target' if kind in STATEFUL_KINDS else 'id')} "
            "ORDER BY due LIMIT 1)" for kind in WORK_KINDS) + ")")
        return rows[0]["d"] if rows and rows[0]["d"] is not None else None

    def _owned(self, column: str) -> str:
        """The SQL condition for work this process owns (nothing to add for a single one)."""
        p = self.partitions
        if p.single:
            return ""
        if not p.runs_work:
            return "AND 0"
        if column == "id":
            return f"AND 1 + id % {p.workers} = {p.index}"
        return f"AND devhost_owner({column}) = {p.index}"

    def work_counts(self, now: float) -> dict[str, dict[str, int]]:
        rows = self._query("SELECT kind, SUM(due<=?) AS ready, SUM(due>?) AS waiting "
                           "FROM work GROUP BY kind", (now, now))
        return {r["kind"]: {"ready": r["ready"] or 0, "waiting": r["waiting"] or 0}
                for r in rows}

    def entity(self, entity_id: str) -> sqlite3.Row | None:
        rows = self._query("SELECT * FROM entities WHERE entity_id=?", (entity_id,))
        return rows[0] if rows else None

    def entities(self, name: str | None, limit: int, offset: int) -> list[sqlite3.Row]:
        if name is None:
            return self._query("SELECT * FROM entities ORDER BY entity_id LIMIT ? OFFSET ?",
                               (limit, offset))
        return self._query("SELECT * FROM entities WHERE name=? ORDER BY entity_id "
                           "LIMIT ? OFFSET ?", (name, limit, offset))

    def deadletters(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deadletters ORDER BY id")

    def deliveries(self, limit: int) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deliveries ORDER BY id DESC LIMIT ?", (limit,))
