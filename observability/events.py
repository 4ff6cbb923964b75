"""The correlation id inside the events: carried to ``publish_events``, written to event data.

Event data grows a ``correlationId`` field (additive: readers ignore unknown keys and
``dataVersion`` stays 1.0). The orchestrator stamps each event dict it hands the activity with the
id and its instance id; ``Event.from_dict`` ignores the extra keys, so an activity input written
before this change (no stamp) still publishes, just without the field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from observability import correlation, instruments
from observability.logs import get_logger

log = get_logger("orders.events")
CORRELATION_FIELD = "correlationId"
_INSTANCE_FIELD = "instanceId"
Message = dict[str, Any]


def stamp(events: list[dict[str, Any]], correlation_id: str | None,
          instance_id: str) -> list[dict[str, Any]]:
    """The events with the ids ``publish_events`` needs; unchanged without a correlation id."""
    if not correlation.is_correlation_id(correlation_id):
        return events
    return [{**event, CORRELATION_FIELD: correlation_id, _INSTANCE_FIELD: instance_id}
            for event in events]


def with_correlation(message: Message, correlation_id: str | None) -> Message:
    """An Event Grid message whose ``data`` carries ``correlationId`` (when there is one)."""
    if not correlation.is_correlation_id(correlation_id):
        return message
    return {**message, "data": {**message["data"], CORRELATION_FIELD: correlation_id}}


@contextmanager
def publishing(events: list[dict[str, Any]]) -> Iterator[Callable[[Message], Message]]:
    """Scope of one ``publish_events`` run; yields the function that stamps each message.

    On a clean exit the published events are counted and logged (ids and types only).
    """
    first = events[0] if events else {}
    cid = first.get(CORRELATION_FIELD)
    stamped: list[Message] = []

    def stamp_message(message: Message) -> Message:
        stamped.append(with_correlation(message, cid))
        return stamped[-1]

    with correlation.activate(cid, instanceId=first.get(_INSTANCE_FIELD)):
        started = time.perf_counter()
        yield stamp_message
        instruments.record_published(str(m.get("eventType")) for m in stamped)
        log.info("published %d events", len(stamped), event="events.published",
                 eventIds=[m.get("id") for m in stamped],
                 eventTypes=sorted({str(m.get("eventType")) for m in stamped}),
                 durationMs=round(instruments.elapsed_ms(started), 2))
