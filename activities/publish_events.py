"""``publish_events``: archive each event (idempotent by id) and send it to Event Grid.

Activities run at least once, so the archive ignores ids it already holds and subscribers
(projections) are idempotent by event id and version. The Event Grid output binding is flushed by
the host after the function returns; a failed publish fails the activity and the orchestrator's
retry options run it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from contracts.events import Event, to_event_grid
from observability.events import publishing
from readmodels.factory import event_archive

bp = df.Blueprint()


def to_output_event(message: dict[str, Any]) -> func.EventGridOutputEvent:
    return func.EventGridOutputEvent(
        id=message["id"],
        data=message["data"],
        subject=message["subject"],
        event_type=message["eventType"],
        event_time=datetime.fromisoformat(message["eventTime"]),
        data_version=message["dataVersion"],
    )


@bp.activity_trigger(input_name="events", activity="publish_events")
@bp.event_grid_output(
    arg_name="outbox",
    topic_endpoint_uri="EVENTGRID_TOPIC_URI",
    topic_key_setting="EVENTGRID_TOPIC_KEY",
)
def publish_events(
    events: list[dict[str, Any]], outbox: func.Out[list[func.EventGridOutputEvent]]
) -> int:
    with publishing(events) as with_correlation:
        messages = [with_correlation(to_event_grid(Event.from_dict(event))) for event in events]
        added = event_archive().append(messages)
        outbox.set([to_output_event(message) for message in messages])
    return added
