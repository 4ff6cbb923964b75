"""Re-encryption hooks of the read side: rewrite every envelope of an older key version that a
view document holds, under the newest version (``security.rotation.Resealer``).

Each document is read, resealed and written back with its ETag, like a fold: a fold that wrote
it in between makes the write fail and the document is read again, so no fold's update is lost.
The associated data of a field follows from where it sits (``aad_of``): a shipping address
field anywhere in an order document (the address, and events waiting in ``pending``) belongs to
that order; ``name``, ``email`` and ``phone`` in a customer's summary to that customer. A
wrong guess can never corrupt anything: AES-GCM refuses to open the field, and it is counted
and left alone.

Cached answers are not rewritten in place: the caller invalidates the cache scopes of every
document rewritten (``on_rewrite``), which deletes their entries (``QueryCache.invalidate``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from readmodels.views import (
    CUSTOMER_SUMMARY,
    ORDER_DETAILS,
    PARTITION_KEYS,
    ETagMismatch,
    ViewStore,
)
from security.crypto import field_aad, is_envelope
from security.rotation import ResealCount, Resealer

Doc = dict[str, Any]
Path = tuple[str | int, ...]
MAX_ATTEMPTS = 20
# The views that hold sealed fields; the others hold none (reading them would be wasted).
SEALED_VIEWS = (ORDER_DETAILS, CUSTOMER_SUMMARY)


def aad_of(view: str, doc: Doc, path: Path) -> str | None:
    """The associated data a field at ``path`` of ``doc`` was sealed with, or ``None``."""
    last = str(path[-1])
    if len(path) >= 2 and path[-2] == "shippingAddress":
        order_id = doc.get("orderId") or doc.get("id")
        return field_aad("order", str(order_id), f"shippingAddress.{last}") if order_id \
            else None
    if view == CUSTOMER_SUMMARY and last in ("name", "email", "phone") and \
            doc.get("customerId"):
        return field_aad("customer", str(doc["customerId"]), last)
    return None


def resealed(view: str, doc: Doc, resealer: Resealer, count: ResealCount) -> Doc | None:
    """A copy of ``doc`` with every old envelope rewritten, or ``None`` if nothing changed."""
    changed = False

    def walk(value: Any, path: Path) -> Any:
        nonlocal changed
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        if path and is_envelope(value):
            aad = aad_of(view, doc, path)
            fresh = resealer.reseal(value, aad, count) if aad else None
            if aad is None:
                count.unreadable += 1
            if fresh is not None:
                changed = True
                return fresh
        return value

    updated = walk(doc, ())
    return updated if changed else None


def reencrypt_view(views: ViewStore, view: str, resealer: Resealer,
                   on_rewrite: Callable[[Doc], None] = lambda doc: None,
                   progress: Callable[[int, int], None] = lambda done, total: None
                   ) -> ResealCount:
    """Rewrite the old envelopes of every document of ``view`` (its active generation)."""
    count = ResealCount()
    docs = list(views.scan(view))
    for index, doc in enumerate(docs, 1):
        count.documents += 1
        if _reseal_one(views, view, doc, resealer, count):
            count.rewritten_documents += 1
            on_rewrite(doc)
        progress(index, len(docs))
    return count


def _reseal_one(views: ViewStore, view: str, doc: Doc, resealer: Resealer,
                count: ResealCount) -> bool:
    partition = str(doc[PARTITION_KEYS[view]])
    for _ in range(MAX_ATTEMPTS):
        stored = views.read(view, str(doc["id"]), partition)
        if stored is None:
            return False  # gone (a rebuild switched generations): nothing of it to keep
        attempt = ResealCount()
        updated = resealed(view, stored.doc, resealer, attempt)
        if updated is None:
            count.unreadable += attempt.unreadable
            return False
        try:
            views.replace(view, updated, stored.etag)
        except ETagMismatch:
            continue  # a fold wrote it meanwhile: read it again
        count.fields += attempt.fields
        count.unreadable += attempt.unreadable
        return True
    raise RuntimeError(f"{view}/{doc['id']} kept changing during re-encryption")
