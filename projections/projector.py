"""Fold one Event Grid event into the views, then invalidate the cached queries it affects.

The order document is the primary fold; the customer's list row and summary are derived from
it. Every step is a conditional write retried on conflict, and every step runs again on a
redelivery even when the order document already had the event, so a fold that died half way is
completed by the next delivery. The customer's name and contact reach order documents from both
sides ("write, then look"): an order fold writes its row and then reads the profile; a
registration writes the profile and then reads the rows. Whichever runs second sees the other's
write, so no interleaving leaves an order without its customer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from contracts.events import EVENT_PAYLOADS, Event, from_event_grid
from contracts.payload import CUSTOMERS_STREAM, ORDERS_STREAM, PRODUCTS_STREAM
from observability.logs import get_logger
from observability.projection import view_written
from projections import fold, products
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

log = get_logger("orders.projections")
Doc = dict[str, Any]
MAX_ATTEMPTS = 50
PROFILE_EVENTS = {"Orders.CustomerRegistered", "Orders.CreditLimitChanged"}


class ProjectionConflict(RuntimeError):
    """A document kept changing under a fold; Event Grid redelivers the event later."""


def order_scope(order_id: str) -> str:
    return f"order:{order_id}"


def customer_scope(customer_id: str) -> str:
    return f"customer:{customer_id}"


def product_scope(sku: str) -> str:
    return f"product:{sku}"


class Projector:
    """Applies events to one set of views; ``generations`` pins them (the rebuild's catch-up)."""

    def __init__(self, views: ViewStore, cache: QueryCache | None,
                 generations: Mapping[str, int] | None = None) -> None:
        self._views = views
        self._cache = cache
        self._generations = dict(generations or {})

    def handle(self, message: Mapping[str, Any]) -> None:
        """Fold one Event Grid-shaped event; unknown event types are skipped, not failed."""
        if message.get("eventType") not in EVENT_PAYLOADS:
            log.info("skipping event %s of unknown type", message.get("id"))
            return
        self.apply(from_event_grid(message))

    def apply(self, event: Event) -> None:
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
        self._update(CUSTOMER_ORDERS, order_id, customer_id,
                     lambda current: row if _older(current, row) else None)
        summary = self._refresh_summary(customer_id, None)
        profile = (summary or {}).get("profile")
        if profile and profile["version"] > doc["customerVersion"]:
            self._update(ORDER_DETAILS, order_id, order_id,
                         lambda current: fold.with_customer(current, profile) if current else None)
        self._invalidate(order_scope(order_id), customer_scope(customer_id))

    # -- customer stream ---------------------------------------------------------------------

    def _customer_event(self, event: Event) -> None:
        customer_id = event.aggregate_id
        summary = self._refresh_summary(customer_id, event)
        profile = (summary or {}).get("profile")
        scopes = [customer_scope(customer_id)]
        for row in self.rows_of(customer_id):
            order_id = str(row["id"])
            if profile:
                self._update(ORDER_DETAILS, order_id, order_id,
                             lambda cur: fold.with_customer(cur, profile) if cur else None)
            scopes.append(order_scope(order_id))
        self._invalidate(*scopes)

    # -- shared ------------------------------------------------------------------------------

    def _refresh_summary(self, customer_id: str, event: Event | None) -> Doc | None:
        """Recompute the summary from every row, reading the rows *after* the summary's ETag."""

        def compute(current: Doc | None) -> Doc | None:
            base = current
            if event is not None:
                base = fold.apply_customer_event(current, event) or current
            return fold.summarize(base, customer_id, self.rows_of(customer_id))

        return self._update(CUSTOMER_SUMMARY, customer_id, customer_id, compute)

    def rows_of(self, customer_id: str) -> Iterator[Doc]:
        after: str | None = None
        while True:
            page = self._views.customer_orders(customer_id, status=None, limit=MAX_PAGE,
                                               after=after, generation=self._gen(CUSTOMER_ORDERS))
            yield from page
            if len(page) < MAX_PAGE:
                return
            after = str(page[-1]["sortKey"])

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
        return self._generations.get(view)

    def _invalidate(self, *scopes: str) -> None:
        if self._cache is not None:
            self._cache.invalidate(scopes)


def _older(current: Doc | None, row: Doc) -> bool:
    return current is None or (int(current["version"]) <= int(row["version"]) and current != row)
