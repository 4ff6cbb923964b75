"""The embedded ``ViewStore``: one SQLite file (WAL), one table per view generation.

Same behaviour as the Cosmos DB adapter: documents keyed by (partition, id), ETags that change
on every write, conditional create and replace, keyset paging on ``sortKey``. The columns beside
the JSON body are copies of the fields the list and search queries filter on, so those queries
use indexes instead of parsing JSON. One connection guarded by a lock serves every thread of
the process (``:memory:`` works for tests); another process (the rebuild command) shares the
file through SQLite's own locking.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from readmodels.sqlite_file import open_database
from readmodels.views import (
    CUSTOMER_ORDERS,
    CUSTOMER_SUMMARY,
    MAX_NAMED_CUSTOMERS,
    ORDER_DETAILS,
    PRODUCTS,
    VIEWS,
    DocumentExists,
    ETagMismatch,
    OrderFilter,
    Stored,
    UnknownView,
    check_document,
    check_view,
)

_META = "CREATE TABLE IF NOT EXISTS generations (view TEXT PRIMARY KEY, generation INTEGER)"
_TABLE = """CREATE TABLE IF NOT EXISTS "{t}" (
    pk TEXT NOT NULL, id TEXT NOT NULL, etag TEXT NOT NULL, body TEXT NOT NULL,
    sort_key TEXT, status TEXT, search_name TEXT, tracking TEXT,
    PRIMARY KEY (pk, id))"""
_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "{t}_list" ON "{t}" (pk, sort_key)',
    'CREATE INDEX IF NOT EXISTS "{t}_tracking" ON "{t}" (tracking)',
)
# The staff list (``list_orders``) walks order_details newest first, by any filter or none.
_ORDER_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "{t}_placed" ON "{t}" (sort_key)',
    'CREATE INDEX IF NOT EXISTS "{t}_status" ON "{t}" (status, sort_key)',
    'CREATE INDEX IF NOT EXISTS "{t}_customer" ON "{t}" '
    "(json_extract(body, '$.customerId'), sort_key)",
)
_CUSTOMER = "json_extract(d.body, '$.customerId')"
_FEW_IDS = 2000  # an id prefix matching fewer is searched by the primary key's range
# Beside each order_details generation, one row per (SKU, order): the list by SKU is an index
# walk newest first however rare the SKU, written in the same transaction as the document.
_SKUS = """CREATE TABLE IF NOT EXISTS "{t}__skus" (
    sku TEXT NOT NULL, sort_key TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (sku, sort_key, id)) WITHOUT ROWID"""
_FILL_SKUS = ('INSERT OR IGNORE INTO "{t}__skus" SELECT DISTINCT '
              "json_extract(l.value, '$.sku'), d.sort_key, d.id FROM \"{t}\" d, "
              "json_each(d.body, '$.lines') l WHERE d.sort_key IS NOT NULL "
              "AND json_extract(l.value, '$.sku') IS NOT NULL")


def _lower(value: object) -> str | None:
    """Unicode lower case (SQLite's own ``lower`` folds ASCII only), as Python and Cosmos."""
    return value.lower() if isinstance(value, str) else None


def _table(view: str, generation: int) -> str:
    """Table names are built only from known view names and integers, never from input."""
    if not isinstance(generation, int) or generation < 1:
        raise UnknownView(f"generation {generation!r} is not a positive integer")
    return f"{check_view(view)}__g{generation}"


def _columns(doc: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    return (doc.get("sortKey"), doc.get("status"), doc.get("searchName"),
            doc.get("trackingNumber"))


class SqliteViewStore:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._db = open_database(self._path)
        self._lock = threading.RLock()
        self._db.create_function("unicode_lower", 1, _lower, deterministic=True)
        with self._lock, self._db:
            self._db.execute(_META)
            for view in VIEWS:
                self._db.execute("INSERT OR IGNORE INTO generations VALUES (?, 1)", (view,))
                self._create_table(_table(view, 1))
            # Indexes added since a generation was built reach the active one too.
            self._create_table(self._resolve(ORDER_DETAILS, None))

    def __repr__(self) -> str:
        return f"SqliteViewStore({self._path!r})"

    def close(self) -> None:
        self._db.close()

    def _create_table(self, table: str) -> None:
        self._db.execute(_TABLE.format(t=table))
        orders = table.startswith(f"{ORDER_DETAILS}__")
        for index in (*_INDEXES, *(_ORDER_INDEXES if orders else ())):
            self._db.execute(index.format(t=table))
        if orders and not self._exists(f"{table}__skus"):
            self._db.execute(_SKUS.format(t=table))
            self._db.execute(_FILL_SKUS.format(t=table))  # once, for a table that predates it

    def _exists(self, table: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone() is not None

    def _index_skus(self, view: str, table: str, doc: dict[str, Any]) -> None:
        if view != ORDER_DETAILS:
            return
        self._db.execute(f'DELETE FROM "{table}__skus" WHERE id = ?', (doc["id"],))
        skus = {line.get("sku") for line in doc.get("lines") or [] if isinstance(line, dict)}
        if doc.get("sortKey"):
            self._db.executemany(f'INSERT OR IGNORE INTO "{table}__skus" VALUES (?, ?, ?)',
                                 [(sku, doc["sortKey"], doc["id"]) for sku in sorted(
                                     s for s in skus if isinstance(s, str))])

    def _resolve(self, view: str, generation: int | None) -> str:
        if generation is None:
            row = self._db.execute("SELECT generation FROM generations WHERE view = ?",
                                   (check_view(view),)).fetchone()
            generation = int(row[0])
        return _table(view, generation)

    def read(self, view: str, doc_id: str, partition: str,
             generation: int | None = None) -> Stored | None:
        with self._lock:
            table = self._resolve(view, generation)
            row = self._db.execute(f'SELECT body, etag FROM "{table}" WHERE pk = ? AND id = ?',
                                   (partition, doc_id)).fetchone()
        return None if row is None else Stored(json.loads(row[0]), row[1])

    def create(self, view: str, doc: dict[str, Any], generation: int | None = None) -> str:
        partition = check_document(view, doc)
        etag = uuid.uuid4().hex
        with self._lock, self._db:
            table = self._resolve(view, generation)
            try:
                self._db.execute(
                    f'INSERT INTO "{table}" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                    (partition, doc["id"], etag, json.dumps(doc), *_columns(doc)))
            except sqlite3.IntegrityError:
                raise DocumentExists(f"{view}/{doc['id']} exists") from None
            self._index_skus(view, table, doc)
        return etag

    def replace(self, view: str, doc: dict[str, Any], etag: str,
                generation: int | None = None) -> str:
        partition = check_document(view, doc)
        new_etag = uuid.uuid4().hex
        with self._lock, self._db:
            table = self._resolve(view, generation)
            changed = self._db.execute(
                f'UPDATE "{table}" SET etag = ?, body = ?, sort_key = ?, status = ?, '
                "search_name = ?, tracking = ? WHERE pk = ? AND id = ? AND etag = ?",
                (new_etag, json.dumps(doc), *_columns(doc), partition, doc["id"], etag),
            ).rowcount
            if changed == 1:
                self._index_skus(view, table, doc)
        if changed != 1:
            raise ETagMismatch(f"{view}/{doc['id']} changed since it was read")
        return new_etag

    def customer_orders(self, customer_id: str, *, status: str | None, limit: int,
                        after: str | None, generation: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            table = self._resolve(CUSTOMER_ORDERS, generation)
            rows = self._db.execute(
                f'SELECT body FROM "{table}" WHERE pk = ?1 AND (?2 IS NULL OR status = ?2) '
                "AND (?3 IS NULL OR sort_key < ?3) ORDER BY sort_key DESC LIMIT ?4",
                (customer_id, status, after, limit),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def search_orders(self, *, id_prefix: str, name_part: str, tracking_number: str,
                      limit: int, after: str | None = None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        # One indexed query per criterion, each its newest ``limit``, merged here: an OR of
        # them uses no index and walks the orders newest first until a page matches.
        with self._lock:
            table = self._resolve(ORDER_DETAILS, generation)
            branches = []
            if id_prefix:
                branches.append(self._id_prefix_branch(table, id_prefix))
            if name_part:
                customers = self._customers_named(name_part)
                marks = ", ".join("?" * len(customers))
                if customers:
                    branches.append((f"{_CUSTOMER} IN ({marks})", customers))
            if tracking_number:
                branches.append(("d.tracking = ?", [tracking_number]))
            found: dict[str, tuple[str, str]] = {}
            for clause, values in branches:
                rows = self._db.execute(
                    f'SELECT d.id, d.sort_key, d.body FROM "{table}" d WHERE '
                    f"d.sort_key IS NOT NULL AND {clause}"
                    f"{' AND d.sort_key < ?' if after else ''} "
                    "ORDER BY d.sort_key DESC LIMIT ?",
                    (*values, *([after] if after else []), limit)).fetchall()
                found.update({row[0]: (row[1], row[2]) for row in rows})
        return [json.loads(body) for _, body in sorted(found.values(), reverse=True)[:limit]]

    def _id_prefix_branch(self, table: str, prefix: str) -> tuple[str, list[Any]]:
        """A rare prefix: its few ids by the primary key's range (then sorted); a common one
        (many ids, say ``o-``): the orders newest first, which soon fill a page."""
        upper = prefix + "\U0010ffff"
        few = self._db.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" WHERE pk >= ? '
                               f"AND pk < ? LIMIT {_FEW_IDS})", (prefix, upper)).fetchone()[0]
        if few < _FEW_IDS:
            return "d.pk >= ? AND d.pk < ?", [prefix, upper]
        return "substr(d.id, 1, length(?)) = ?", [prefix, prefix]

    def _customers_named(self, name_part: str) -> list[str]:
        """Customers whose name contains ``name_part``: those with the newest orders first, at
        most MAX_NAMED_CUSTOMERS (as on Cosmos DB; enough for any first page, see there)."""
        summaries = self._resolve(CUSTOMER_SUMMARY, None)
        rows = self._db.execute(
            f'SELECT pk FROM "{summaries}" WHERE instr(search_name, ?) > 0 '
            "ORDER BY json_extract(body, '$.lastOrderKey') DESC LIMIT ?",
            (name_part, MAX_NAMED_CUSTOMERS)).fetchall()
        return [str(row[0]) for row in rows]

    def list_orders(self, where: OrderFilter, *, limit: int, after: str | None,
                    generation: int | None = None) -> list[dict[str, Any]]:
        # Only the filters given become clauses, so each can use its index (an "? IS NULL OR"
        # clause would not), and the range on the sort key keeps every page an index seek. By
        # SKU, the walk goes down the SKU rows instead and joins each order.
        key = "s.sort_key" if where.sku is not None else "d.sort_key"
        clauses, values = ["d.sort_key IS NOT NULL"], []
        for clause, value in (("s.sku = ?", where.sku), ("d.status = ?", where.status),
                              (f"{_CUSTOMER} = ?", where.customer_id),
                              (f"{key} >= ?", where.placed_from), (f"{key} < ?", where.placed_to),
                              (f"{key} < ?", after)):
            if value is not None:
                clauses.append(clause)
                values.append(value)
        with self._lock:
            table = self._resolve(ORDER_DETAILS, generation)
            source = (f'"{table}__skus" s JOIN "{table}" d ON d.pk = s.id AND d.id = s.id'
                      if where.sku is not None else f'"{table}" d')
            rows = self._db.execute(
                f'SELECT d.body FROM {source} WHERE {" AND ".join(clauses)} '
                f"ORDER BY {key} DESC LIMIT ?", (*values, limit)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def list_products(self, *, name_part: str | None, limit: int, after: str | None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            table = self._resolve(PRODUCTS, generation)
            rows = self._db.execute(
                f'SELECT body FROM "{table}" WHERE json_extract(body, \'$.unitPrice\') '
                "IS NOT NULL AND (?1 IS NULL OR pk > ?1) AND (?2 IS NULL OR "
                "instr(unicode_lower(json_extract(body, '$.name')), ?2) > 0) "
                "ORDER BY pk LIMIT ?3", (after, name_part, limit)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def scan(self, view: str, generation: int | None = None) -> Iterator[dict[str, Any]]:
        with self._lock:
            table = self._resolve(view, generation)
            rows = self._db.execute(f'SELECT body FROM "{table}" ORDER BY pk, id').fetchall()
        for row in rows:
            yield json.loads(row[0])

    def generations(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT view, generation FROM generations").fetchall()
        return {str(view): int(generation) for view, generation in rows}

    def prepare(self, view: str, generation: int) -> None:
        table = _table(view, generation)
        with self._lock, self._db:
            if self.generations()[view] == generation:
                raise UnknownView(f"generation {generation} of {view} is the active one")
            self._db.execute(f'DROP TABLE IF EXISTS "{table}"')
            self._db.execute(f'DROP TABLE IF EXISTS "{table}__skus"')
            self._create_table(table)

    def switch(self, generations: Mapping[str, int]) -> None:
        tables = {view: _table(view, generation) for view, generation in generations.items()}
        with self._lock, self._db:  # one transaction: every reader sees all or none
            for view, table in tables.items():
                exists = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                          "AND name = ?", (table,)).fetchone()
                if not exists:
                    raise UnknownView(f"{view} has no generation {generations[view]}")
            self._db.executemany("UPDATE generations SET generation = ? WHERE view = ?",
                                 [(generation, view) for view, generation in generations.items()])

    def drop(self, view: str, generation: int) -> None:
        table = _table(view, generation)
        with self._lock, self._db:
            if self.generations()[view] == generation:
                raise UnknownView(f"generation {generation} of {view} is the active one")
            self._db.execute(f'DROP TABLE IF EXISTS "{table}"')
            self._db.execute(f'DROP TABLE IF EXISTS "{table}__skus"')
