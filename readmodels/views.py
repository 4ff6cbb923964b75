"""The ``ViewStore`` port: the read models the projections write and the queries read.

Three views, each a set of JSON documents with an ``id`` and a partition key, as Cosmos DB
containers (the embedded adapter keeps the same shape):

* ``order_details`` - one document per order, partitioned by ``/id``;
* ``customer_orders`` - one compact row per order, partitioned by ``/customerId``;
* ``customer_summary`` - one document per customer, partitioned by ``/customerId``;
* ``products`` - one document per SKU (catalog entry and stock counts), partitioned by ``/id``.

Writes are conditional (``create`` fails if the document exists, ``replace`` needs the ETag
read with it) because Event Grid runs several folds at once: a lost race is a retry, never a
lost update. Each view lives in a *generation*; a rebuild fills a fresh generation and then
switches the active pointer, so queries keep reading the old one meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

ORDER_DETAILS = "order_details"
CUSTOMER_ORDERS = "customer_orders"
CUSTOMER_SUMMARY = "customer_summary"
PRODUCTS = "products"
VIEWS: tuple[str, ...] = (ORDER_DETAILS, CUSTOMER_ORDERS, CUSTOMER_SUMMARY, PRODUCTS)
PARTITION_KEYS: dict[str, str] = {
    ORDER_DETAILS: "id",
    CUSTOMER_ORDERS: "customerId",
    CUSTOMER_SUMMARY: "customerId",
    PRODUCTS: "id",
}
# Document ids are our order and customer ids and SKUs (docs/api.md): never '/', '\\', '?' or
# '#'.
DOC_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# customer_orders rows sort newest first by this key: "<placedAt>|<orderId>".
SORT_KEY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|[A-Za-z0-9_-]{1,64}")
MAX_PAGE = 100
# Name search pages over at most this many matching customers (the most recently active).
MAX_NAMED_CUSTOMERS = 1000


@dataclass(frozen=True)
class OrderFilter:
    """The staff list's filters (``ViewStore.list_orders``); ``None`` means "any".

    ``placed_from`` is inclusive, ``placed_to`` exclusive, both canonical RFC 3339 (the
    ``placedAt`` form), so they compare with ``sortKey`` as text."""

    status: str | None = None
    customer_id: str | None = None
    sku: str | None = None
    placed_from: str | None = None
    placed_to: str | None = None


class ViewStoreError(Exception):
    """Base of the errors a view store raises for a write it refused."""


class DocumentExists(ViewStoreError):
    """``create`` found a document with that id in that partition (someone else won)."""


class ETagMismatch(ViewStoreError):
    """``replace`` found another version than the one read (someone else wrote first)."""


class UnknownView(ViewStoreError):
    """The view name or generation does not exist."""


@dataclass(frozen=True)
class Stored:
    """A document as read, with the ETag a conditional ``replace`` must present."""

    doc: dict[str, Any]
    etag: str


def check_view(view: str) -> str:
    if view not in PARTITION_KEYS:
        raise UnknownView(f"no view named {view!r}; views: {', '.join(VIEWS)}")
    return view


def partition_of(view: str, doc: dict[str, Any]) -> str:
    """The partition key value of ``doc`` in ``view``; documents must carry it."""
    value = doc.get(PARTITION_KEYS[check_view(view)])
    if not isinstance(value, str) or not DOC_ID.fullmatch(value):
        raise ValueError(f"a {view} document needs a valid {PARTITION_KEYS[view]}")
    return value


def check_document(view: str, doc: dict[str, Any]) -> str:
    """Validate id and partition before any write; returns the partition key value."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not DOC_ID.fullmatch(doc_id):
        raise ValueError(f"a {view} document needs an id of 1-64 of A-Z a-z 0-9 _ -")
    if any(key.startswith("_") for key in doc):
        raise ValueError("document keys starting with '_' are reserved for the store")
    return partition_of(view, doc)


class ViewStore(Protocol):
    """Read and conditionally write view documents; list and search with bounded pages.

    ``generation=None`` means the active generation of that view.
    """

    def read(self, view: str, doc_id: str, partition: str,
             generation: int | None = None) -> Stored | None:
        """The document, or ``None`` when it does not exist."""
        ...

    def create(self, view: str, doc: dict[str, Any], generation: int | None = None) -> str:
        """Insert a new document; returns its ETag; raises ``DocumentExists``."""
        ...

    def replace(self, view: str, doc: dict[str, Any], etag: str,
                generation: int | None = None) -> str:
        """Overwrite the document read with ``etag``; returns the new ETag; raises
        ``ETagMismatch`` when it changed (or vanished) since."""
        ...

    def customer_orders(self, customer_id: str, *, status: str | None, limit: int,
                        after: str | None, generation: int | None = None) -> list[dict[str, Any]]:
        """Up to ``limit`` rows of one customer, newest first (by ``sortKey`` descending),
        starting strictly after the sort key ``after`` (keyset paging: no OFFSET)."""
        ...

    def search_orders(self, *, id_prefix: str, name_part: str, tracking_number: str,
                      limit: int, after: str | None = None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        """``order_details`` documents whose id starts with ``id_prefix``, whose customer's
        lower-cased name (the ``searchName`` of their ``customer_summary``; order documents do
        not copy the profile) contains ``name_part``, or whose tracking number equals
        ``tracking_number``; newest first, at most ``limit``, strictly after the sort key
        ``after``. ``generation`` is that of ``order_details``; summaries are read in their
        active generation. A name matches among at most ``MAX_NAMED_CUSTOMERS`` customers
        (those with the newest orders; on the first page, enough for an exact answer)."""
        ...

    def list_orders(self, where: OrderFilter, *, limit: int, after: str | None,
                    generation: int | None = None) -> list[dict[str, Any]]:
        """Placed orders (``order_details`` documents) matching every filter of ``where``,
        newest first by ``sortKey``, strictly after the sort key ``after`` (keyset paging:
        an order's sort key never changes, so pages stay exact while orders are written)."""
        ...

    def list_products(self, *, name_part: str | None, limit: int, after: str | None,
                      generation: int | None = None) -> list[dict[str, Any]]:
        """Catalog products (``products`` documents with a price) by SKU ascending, strictly
        after the SKU ``after``; ``name_part`` (lower case) must be in the lower-cased name."""
        ...

    def scan(self, view: str, generation: int | None = None) -> Iterator[dict[str, Any]]:
        """Every document of a view (rebuild checks and tests), in no particular order."""
        ...

    def generations(self) -> dict[str, int]:
        """The active generation of each view."""
        ...

    def prepare(self, view: str, generation: int) -> None:
        """Create an empty generation of a view (dropping a leftover one with that number)."""
        ...

    def switch(self, generations: Mapping[str, int]) -> None:
        """Make these generations (view -> generation) the active ones for every reader and
        writer, all in one step: a reader never sees some of them switched and others not."""
        ...

    def drop(self, view: str, generation: int) -> None:
        """Delete an inactive generation."""
        ...
