"""Fold one Event Grid event into the views, then invalidate the cached queries it affects.

Every event costs a fixed number of reads and writes, however many orders its customer has:

* an order event writes the order document, then counts the order into the customer's summary,
  writes the order's list row and settles the summary (the three steps and why they count each
  order exactly once under duplicates, reordering and crashes are in ``projections.fold``);
* a customer event writes the summary only: the profile is not copied into order documents,
  queries join it at read time.

Every step is a conditional write retried on conflict, and every step runs again on a
redelivery even when the order document already had the event, so a fold that died half way is
completed by the next delivery. A fold reads the views' active generations once and keeps them
to its end, so a rebuild's switch never splits it: the summary and the rows it counts against are
always of one generation (``projections.rebuild``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from contracts.carrying import carried
from contracts.events import EVENT_PAYLOADS, Event, from_event_grid
from contracts.payload import CUSTOMERS_STREAM, ORDERS_STREAM, PRODUCTS_STREAM
from observability.logs import get_logger
from observability.projection import view_written
from projections import fold, products
from readmodels.cache_scopes import customer_scope, order_scope, product_scope
from readmodels.query_cache import QueryCache
from readmodels.views import (
    CUSTOMER_ORDERS,
    CUSTOMER_SUMMARY,
    MAX_PAGE,
    ORDER_DETAILS,
    PRODUCTS,
    DocumentExists,
    ETagMismatch,
    ViewStore,
)
from security.crypto import (
    DecryptionFailed,
    EnvelopeFormatError,
    FieldCipher,
    field_aad,
    is_envelope,
)
from security.keys import KeyNotFound, KeyProvider

log = get_logger("orders.projections")
Doc = dict[str, Any]
MAX_ATTEMPTS = 50
PROFILE_EVENTS = {"Orders.CustomerRegistered", "Orders.CreditLimitChanged",
                  "Orders.CustomerProfileChanged", "Orders.CustomerErased"}
# The generations the fold running in this thread (context) reads and writes.
_fold_generations: ContextVar[Mapping[str, int] | None] = ContextVar("fold_generations",
                                                                     default=None)


class ProjectionConflict(RuntimeError):
    """A document kept changing under a fold; Event Grid redelivers the event later."""


class Projector:
    """Applies events to one set of views. Each fold keeps the generations active when it
    starts; ``generations`` pins some views for every fold (the rebuild's catch-up)."""

    def __init__(self, views: ViewStore, cache: QueryCache | None,
                 generations: Mapping[str, int] | None = None,
                 open_name: fold.NameOpener | None = None) -> None:
        self._views = views
        self._cache = cache
        self._generations = dict(generations or {})
        self._open_name = open_name or open_sealed_name

    def handle(self, message: Mapping[str, Any]) -> None:
        """Fold one Event Grid-shaped event and the events it carries
        (``contracts/carrying.py``); unknown event types are skipped, not failed."""
        if message.get("eventType") not in EVENT_PAYLOADS:
            log.info("skipping event %s of unknown type", message.get("id"))
            return
        self.apply(from_event_grid(message))
        for item in carried(message):
            self.handle(item)

    def apply(self, event: Event) -> None:
        token = _fold_generations.set({**self._views.generations(), **self._generations})
        try:
            self._dispatch(event)
        finally:
            _fold_generations.reset(token)

    def _dispatch(self, event: Event) -> None:
        if event.stream == ORDERS_STREAM:
            self._order_event(event)
        elif event.stream == CUSTOMERS_STREAM and event.type in PROFILE_EVENTS:
            self._customer_event(event)
        elif event.stream == PRODUCTS_STREAM:
            self._product_event(event)

    # -- products stream ---------------------------------------------------------------------

    def _product_event(self, event: Event) -> None:
        sku = event.aggregate_id
        self._update(PRODUCTS, sku, sku, lambda current: products.apply_product_event(current,
                                                                                      event))
        self._invalidate(product_scope(sku))

    # -- order stream ------------------------------------------------------------------------

    def _order_event(self, event: Event) -> None:
        order_id = event.aggregate_id
        doc = self._update(ORDER_DETAILS, order_id, order_id,
                           lambda current: fold.apply_order_event(current, event))
        if doc is None or doc["version"] < 1:
            return  # kept as pending: nothing visible changed
        row = fold.customer_row(doc)
        assert row is not None
        customer_id = str(doc["customerId"])
        # 1. count: the row is read after the summary (``_update`` reads, then computes).
        summary = self._update_summary(customer_id, lambda current: fold.count_order(
            current, customer_id, row, self._row(customer_id, order_id)))
        # 2. the row, only after the summary holds its version.
        self._update(CUSTOMER_ORDERS, order_id, customer_id,
                     lambda current: row if _older(current, row) else None)
        # 3. settle, if anything is in flight for this order (left by us or by a fold that died).
        if order_id in (summary or {}).get("inflight", {}):
            self._update_summary(customer_id, lambda current: fold.settle_order(
                current, order_id, self._row(customer_id, order_id)))
        # The customer's scope first: an order query reads both, and a reader between the two
        # invalidations must not cache the new order next to a profile entry about to go.
        self._invalidate(customer_scope(customer_id), order_scope(order_id))

    # -- customer stream ---------------------------------------------------------------------

    def _customer_event(self, event: Event) -> None:
        customer_id = event.aggregate_id
        self._update_summary(customer_id, lambda current: fold.apply_customer_event(
            current, event, self._open_name))
        self._invalidate(customer_scope(customer_id))

    # -- shared ------------------------------------------------------------------------------

    def _update_summary(self, customer_id: str,
                        compute: Callable[[Doc | None], Doc | None]) -> Doc | None:
        """``_update`` of the customer's summary; a summary of the earlier layout is migrated
        first, once (reading the customer's rows that one time)."""
        try:
            return self._update(CUSTOMER_SUMMARY, customer_id, customer_id, compute)
        except fold.OutdatedSummary:
            rows = list(self._all_rows(customer_id))
            self._update(CUSTOMER_SUMMARY, customer_id, customer_id, lambda current: (
                fold.migrated_summary(current, rows)
                if current is not None and "inflight" not in current else None))
            return self._update(CUSTOMER_SUMMARY, customer_id, customer_id, compute)

    def _all_rows(self, customer_id: str) -> Iterator[Doc]:
        after: str | None = None
        while True:
            page = self._views.customer_orders(customer_id, status=None, limit=MAX_PAGE,
                                               after=after, generation=self._gen(CUSTOMER_ORDERS))
            yield from page
            if len(page) < MAX_PAGE:
                return
            after = str(page[-1]["sortKey"])

    def _row(self, customer_id: str, order_id: str) -> Doc | None:
        stored = self._views.read(CUSTOMER_ORDERS, order_id, customer_id,
                                  self._gen(CUSTOMER_ORDERS))
        return stored.doc if stored else None

    def _update(self, view: str, doc_id: str, partition: str,
                compute: Callable[[Doc | None], Doc | None]) -> Doc | None:
        """Read, compute, write conditionally; on a lost race read again (optimistic loop)."""
        generation = self._gen(view)
        for attempt in range(MAX_ATTEMPTS):
            stored = self._views.read(view, doc_id, partition, generation)
            current = stored.doc if stored else None
            updated = compute(current)
            if updated is None or updated == current:
                return current
            try:
                if stored is None:
                    self._views.create(view, updated, generation)
                else:
                    self._views.replace(view, updated, stored.etag, generation)
                view_written(view)
                return updated
            except (DocumentExists, ETagMismatch):
                time.sleep(min(0.001 * 2 ** attempt, 0.05))
        raise ProjectionConflict(f"{view}/{doc_id} kept changing; giving up for now")

    def _gen(self, view: str) -> int | None:
        pinned = _fold_generations.get()
        return (pinned if pinned is not None else self._generations).get(view)

    def _invalidate(self, *scopes: str) -> None:
        if self._cache is not None:
            self._cache.invalidate(scopes)


def name_opener(keys: KeyProvider) -> fold.NameOpener:
    """Opens customers' names with ``keys``: names are sealed under the customer's key at the
    edge, so the summary's search name is the one place a name is kept in plain text (erasure
    masks it). An erased key opens nothing (``None``: a rebuild after an erasure)."""
    cipher = FieldCipher(keys)

    def open_name(customer_id: str, name: str) -> str | None:
        if not is_envelope(name):
            return name
        try:
            return cipher.decrypt(name, field_aad("customer", customer_id, "name"))
        except (KeyNotFound, DecryptionFailed, EnvelopeFormatError):
            return None

    return open_name


def open_sealed_name(customer_id: str, name: str) -> str | None:
    """``name_opener`` with the app's keys (the settings' provider), made on first use."""
    if not is_envelope(name):
        return name
    from security.providers import app_key_provider

    return name_opener(app_key_provider())(customer_id, name)


def _older(current: Doc | None, row: Doc) -> bool:
    return current is None or (int(current["version"]) <= int(row["version"]) and current != row)
