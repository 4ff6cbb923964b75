"""An order as it was: its archived events folded by the very fold the projection runs.

Time travel (``GET /api/orders/{id}?asOfVersion=N`` or ``?asOf=<time>``) folds the order's
events from the archive with ``fold.apply_order_event``, the function the projector applies to
``order_details``, so the answer for version N is by construction the document the projection
held when it had applied versions 1..N (``tests/projections/test_time_travel_property.py``
checks it under any delivery order). Pending (early) events are not part of that state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts.events import from_event_grid
from projections import fold

Doc = dict[str, Any]


def order_as_of(events: Iterable[Mapping[str, Any]], *, version: int | None = None,
                at: str | None = None) -> Doc | None:
    """The order document after the events up to ``version`` and up to time ``at`` (canonical
    RFC 3339, inclusive), or ``None`` when the order was not placed by then.

    ``events`` are the order's Event Grid-shaped events in version order (``EventArchive.stream``).
    """
    doc: Doc | None = None
    for message in events:
        event = from_event_grid(message)
        if (version is not None and event.version > version) or \
                (at is not None and event.occurred_at > at):
            break
        doc = fold.apply_order_event(doc, event) or doc
    if doc is None or int(doc["version"]) < 1:
        return None
    return {key: value for key, value in doc.items() if key != "pending"}
