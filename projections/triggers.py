"""The Event Grid trigger that keeps the views current.

One trigger folds each event into all three views, because the list rows and the summaries are
derived from the order document (see ``projections.projector``): three independent triggers
would each need the others' results. A fold that raises fails the delivery, and Event Grid (or
devhost) retries it with backoff and finally dead-letters it; folds are idempotent, so retries
are safe.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from observability.projection import observe_fold
from projections.projector import Projector
from readmodels.factory import query_cache, view_store

bp = df.Blueprint()


@lru_cache(maxsize=1)
def projector() -> Projector:
    return Projector(view_store(), query_cache())


def as_message(event: func.EventGridEvent) -> dict[str, Any]:
    """The Event Grid schema dict the contracts read (``contracts.events.from_event_grid``)."""
    return {
        "id": event.id,
        "subject": event.subject,
        "eventType": event.event_type,
        "dataVersion": event.data_version,
        "data": event.get_json(),
    }


@bp.event_grid_trigger(arg_name="event")
def project_views(event: func.EventGridEvent) -> None:
    message = as_message(event)
    with observe_fold(message):
        projector().handle(message)
