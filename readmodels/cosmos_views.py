"""The Azure ``ViewStore``: Cosmos DB containers, one per view generation.

Generation 1 of a view is the container named like the view (``order_details``); a rebuild's
generation N is ``order_details__gN``. The active generations are one document in the small
``view_catalog`` container, read at most every ``catalog_ttl`` seconds, so a switch reaches every
instance within that time. Every query is parameterized and names its partition key in the SQL
text (single-partition queries stay single-partition, and the emulator requires it); paging is
keyset on ``sortKey``, never OFFSET.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import exceptions as cosmos_errors

from readmodels.cosmos_client import ensure_container
from readmodels.views import (
    CUSTOMER_ORDERS,
    CUSTOMER_SUMMARY,
    MAX_NAMED_CUSTOMERS,
    ORDER_DETAILS,
    PARTITION_KEYS,
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

CATALOG = "view_catalog"
CATALOG_ID = "generations"


def container_name(view: str, generation: int) -> str:
    if not isinstance(generation, int) or generation < 1:
        raise UnknownView(f"generation {generation!r} is not a positive integer")
    return check_view(view) if generation == 1 else f"{view}__g{generation}"


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """The document without Cosmos DB's system properties (``_rid``, ``_etag``, ...)."""
    return {key: value for key, value in item.items() if not key.startswith("_")}


class CosmosViewStore:
    def __init__(self, database: Any, catalog_ttl: float = 2.0) -> None:
        self._db = database
        self._ttl = catalog_ttl
        self._lock = threading.Lock()
        self._containers: dict[str, Any] = {}
        self._active: tuple[float, dict[str, int]] | None = None
        self._catalog = ensure_container(database, CATALOG, "/id")
        for view in VIEWS:
            self._container(view, 1, create=True)

    def __repr__(self) -> str:
        return f"CosmosViewStore({self._db.id!r})"

    def _container(self, view: str, generation: int, create: bool = False) -> Any:
        name = container_name(view, generation)
        with self._lock:
            known = self._containers.get(name)
        if known is not None:
            return known
        if create:
            container = ensure_container(self._db, name, f"/{PARTITION_KEYS[view]}")
        else:
            container = self._db.get_container_client(name)
        with self._lock:
            self._containers[name] = container
        return container

    def _resolve(self, view: str, generation: int | None) -> Any:
        return self._container(view, generation or self.generations()[check_view(view)])

    def read(self, view: str, doc_id: str, partition: str,
             generation: int | None = None) -> Stored | None:
        try:
            item = self._resolve(view, generation).read_item(item=doc_id, partition_key=partition)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return Stored(_plain(item), str(item["_etag"]))

    def create(self, view: str, doc: dict[str, Any], generation: int | None = None) -> str:
        check_document(view, doc)
        try:
            item = self._resolve(view, generation).create_item(body=doc)
        except cosmos_errors.CosmosResourceExistsError:
            raise DocumentExists(f"{view}/{doc['id']} exists") from None
        return str(item["_etag"])

    def replace(self, view: str, doc: dict[str, Any], etag: str,
                generation: int | None = None) -> str:
        check_document(view, doc)
        try:
            item = self._resolve(view, generation).replace_item(
                item=doc["id"], body=doc, etag=etag,
                match_condition=MatchConditions.IfNotModified)
        except (cosmos_errors.CosmosAccessConditionFailedError,
                cosmos_errors.CosmosResourceNotFoundError):
            raise ETagMismatch(f"{view}/{doc['id']} changed since it was read") from None
        return str(item["_etag"])

    def customer_orders(self, customer_id: str, *, status: str | None, limit: int,
                        after: str | None, generation: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM c WHERE c.customerId = @customerId"
        params: list[dict[str, Any]] = [{"name": "@customerId", "value": customer_id}]
        if status is not None:
            sql += " AND c.status = @status"
            params.append({"name": "@status", "value": status})
        if after is not None:
            sql += " AND c.sortKey < @after"
            params.append({"name": "@after", "value": after})
        sql += " ORDER BY c.sortKey DESC"
        items = self._resolve(CUSTOMER_ORDERS, generation).query_items(
            query=sql, parameters=params, partition_key=customer_id, max_item_count=limit)
        return [_plain(item) for item in islice(items, limit)]

    def search_orders(self, *, id_prefix: str, name_part: str, tracking_number: str,
                      limit: int, after: str | None = None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        clauses, params = [], []
        # A later page may hold orders of customers whose newest orders were on earlier pages,
        # so past the first page the name matches among more customers (MAX_NAMED_CUSTOMERS).
        named = limit if after is None else MAX_NAMED_CUSTOMERS
        customers = self._customers_named(name_part, named) if name_part else []
        for clause, name, value in (("STARTSWITH(c.id, @prefix)", "@prefix", id_prefix),
                                    ("ARRAY_CONTAINS(@customers, c.customerId)", "@customers",
                                     customers),
                                    ("c.trackingNumber = @tracking", "@tracking",
                                     tracking_number)):
            if value:
                clauses.append(clause)
                params.append({"name": name, "value": value})
        if not clauses:
            return []
        sql = f"SELECT * FROM c WHERE c.version >= 1 AND ({' OR '.join(clauses)})"
        if after is not None:
            sql += " AND c.sortKey < @after"
            params.append({"name": "@after", "value": after})
        return self._across(ORDER_DETAILS, generation, sql + " ORDER BY c.sortKey DESC",
                            params, limit)

    def list_orders(self, where: OrderFilter, *, limit: int, after: str | None,
                    generation: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM c WHERE c.version >= 1 AND IS_STRING(c.sortKey)"
        params: list[dict[str, Any]] = []
        for clause, name, value in (
                ("c.status = @status", "@status", where.status),
                ("c.customerId = @customer", "@customer", where.customer_id),
                ("EXISTS(SELECT VALUE l FROM l IN c.lines WHERE l.sku = @sku)", "@sku",
                 where.sku),
                ("c.sortKey >= @from", "@from", where.placed_from),
                ("c.sortKey < @to", "@to", where.placed_to),
                ("c.sortKey < @after", "@after", after)):
            if value is not None:
                sql += f" AND {clause}"
                params.append({"name": name, "value": value})
        return self._across(ORDER_DETAILS, generation, sql + " ORDER BY c.sortKey DESC",
                            params, limit)

    def list_products(self, *, name_part: str | None, limit: int, after: str | None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM c WHERE IS_NUMBER(c.unitPrice)"
        params: list[dict[str, Any]] = []
        if after is not None:
            sql += " AND c.id > @after"
            params.append({"name": "@after", "value": after})
        if name_part is not None:
            sql += " AND CONTAINS(LOWER(c.name), @name)"
            params.append({"name": "@name", "value": name_part})
        return self._across(PRODUCTS, generation, sql + " ORDER BY c.id", params, limit)

    def _across(self, view: str, generation: int | None, sql: str,
                params: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` documents a query finds across every partition of ``view``."""
        items = self._resolve(view, generation).query_items(
            query=sql, parameters=params, enable_cross_partition_query=True,
            max_item_count=limit)
        return [_plain(item) for item in islice(items, limit)]

    def _customers_named(self, name_part: str, limit: int) -> list[str]:
        """The customers whose name contains ``name_part`` and who have orders, newest last
        order first, at most ``limit``. Enough for the newest ``limit`` orders of *all* such
        customers: one left out comes after ``limit`` customers whose last orders are each
        newer than any of its own, so none of its orders can be among the newest ``limit``."""
        items = self._resolve(CUSTOMER_SUMMARY, None).query_items(
            query="SELECT c.customerId FROM c WHERE CONTAINS(c.searchName, @name) "
                  "AND IS_STRING(c.lastOrderKey) ORDER BY c.lastOrderKey DESC",
            parameters=[{"name": "@name", "value": name_part}],
            enable_cross_partition_query=True, max_item_count=limit)
        return [str(item["customerId"]) for item in islice(items, limit)]

    def scan(self, view: str, generation: int | None = None) -> Iterator[dict[str, Any]]:
        for item in self._resolve(view, generation).read_all_items():
            yield _plain(item)

    def generations(self) -> dict[str, int]:
        now = time.monotonic()
        cached = self._active
        if cached is not None and now - cached[0] < self._ttl:
            return dict(cached[1])
        try:  # before the first switch there is no catalog document: generation 1 throughout
            found: dict[str, Any] = self._catalog.read_item(item=CATALOG_ID,
                                                            partition_key=CATALOG_ID)
        except cosmos_errors.CosmosResourceNotFoundError:
            found = {}
        active = {view: int(found.get(view, 1)) for view in VIEWS}
        self._active = (now, active)
        return dict(active)

    def prepare(self, view: str, generation: int) -> None:
        if self.generations()[check_view(view)] == generation:
            raise UnknownView(f"generation {generation} of {view} is the active one")
        self._delete_container(view, generation)
        self._container(view, generation, create=True)

    def switch(self, generations: Mapping[str, int]) -> None:
        for view, generation in generations.items():
            self._container(view, generation)  # validates the name
        active = {**self.generations(), **{check_view(view): generation
                                           for view, generation in generations.items()}}
        self._catalog.upsert_item(body={"id": CATALOG_ID, **active})  # one document: atomic
        self._active = (time.monotonic(), active)

    def drop(self, view: str, generation: int) -> None:
        if self.generations()[check_view(view)] == generation:
            raise UnknownView(f"generation {generation} of {view} is the active one")
        self._delete_container(view, generation)

    def _delete_container(self, view: str, generation: int) -> None:
        name = container_name(view, generation)
        with self._lock:
            self._containers.pop(name, None)
        with contextlib.suppress(cosmos_errors.CosmosResourceNotFoundError):
            self._db.delete_container(name)
