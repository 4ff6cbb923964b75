"""Projection folds: the event's correlation id on the log line, sync lag per view changed.

Lag is measured from the event's own time (``occurredAt``, set when the command ran) to the
moment the fold finished, for each view the fold really wrote: a redelivered event that changes
nothing does not count as lag again. The projector reports writes with ``view_written``; outside
``observe_fold`` (a rebuild) that is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from observability import correlation, instruments
from observability.events import CORRELATION_FIELD
from observability.logs import get_logger

log = get_logger("orders.projections")
_STREAM_KEYS = {"orders": "orderId", "customers": "customerId", "products": "sku"}
_written: ContextVar[dict[str, None] | None] = ContextVar("projection_written", default=None)


def view_written(view: str) -> None:
    """The projector wrote ``view`` for the event being folded."""
    written = _written.get()
    if written is not None:
        written[view] = None


def event_time(message: Mapping[str, Any]) -> float | None:
    data = message.get("data")
    raw = (data.get("occurredAt") if isinstance(data, Mapping) else None) \
        or message.get("eventTime")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def subject_fields(message: Mapping[str, Any]) -> dict[str, str]:
    stream, _, key = str(message.get("subject") or "").partition("/")
    return {_STREAM_KEYS[stream]: key} if stream in _STREAM_KEYS and key else {}


@contextmanager
def observe_fold(message: Mapping[str, Any]) -> Iterator[None]:
    """Wrap one fold of one Event Grid message; re-raises what the fold raised."""
    data = message.get("data")
    cid = data.get(CORRELATION_FIELD) if isinstance(data, Mapping) else None
    event_type = str(message.get("eventType"))
    fields = {"eventId": message.get("id"), "eventType": event_type,
              **subject_fields(message)}
    with correlation.activate(cid, **fields):
        token = _written.set({})
        try:
            yield
        except Exception:
            instruments.record_fold(event_type, "failed", {})
            log.warning("fold of %s failed; Event Grid retries it", message.get("id"),
                        event="projection.failed", exc_info=True)
            raise
        else:
            _finished(message, event_type, list(_written.get() or {}))
        finally:
            _written.reset(token)


def _finished(message: Mapping[str, Any], event_type: str, views: list[str]) -> None:
    occurred = event_time(message)
    lag_ms = None if occurred is None else max((time.time() - occurred) * 1000.0, 0.0)
    lags = {view: lag_ms for view in views} if lag_ms is not None else {}
    instruments.record_fold(event_type, "applied" if views else "unchanged", lags)
    log.info("folded %s into %s", message.get("id"), ",".join(views) or "nothing",
             event="projection.applied", views=views,
             lagMs=None if lag_ms is None else round(lag_ms, 2))
