"""``publish_events``: archive each event (idempotent by id) and send it to Event Grid; then,
for a placement, start the order's fulfilment deadline watch (``orchestrators/deadline``).

On Event Grid a stock event of the batch's order also rides on the order's event
(``contracts/carrying.py``), so the views take both from one delivery; the archive keeps each
event once. Activities run at least once, so the archive ignores ids it already holds, subscribers
(projections) are idempotent by event id and version, and the watch start looks before it starts.
The Event Grid output binding is flushed by the host after the function returns; a failed
publish or start fails the activity and the orchestrator's retry options run it again.

Input: ``{"events": [...], "watchDeadlineOf": orderId | None}`` (a bare list of events, as
workflows scheduled it before the deadline moved here, is still read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from app_settings import get_settings
from contracts.carrying import with_carried
from contracts.events import Event, to_event_grid
from observability.events import CORRELATION_FIELD, publishing
from orchestrators.deadline.start import start_watch
from orchestrators.steps import PUBLISH_EVENTS
from readmodels.factory import event_archive
from security.providers import app_key_provider

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


@bp.activity_trigger(input_name="batch", activity=PUBLISH_EVENTS)
@bp.event_grid_output(
    arg_name="outbox",
    topic_endpoint_uri="EVENTGRID_TOPIC_URI",
    topic_key_setting="EVENTGRID_TOPIC_KEY",
)
@bp.durable_client_input(client_name="client")
async def publish_events(
    batch: dict[str, Any] | list[dict[str, Any]],
    outbox: func.Out[list[func.EventGridOutputEvent]],
    client: df.DurableOrchestrationClient,
) -> int:
    events, watched = (batch, None) if isinstance(batch, list) else \
        (batch["events"], batch.get("watchDeadlineOf"))
    with publishing(events) as with_correlation:
        messages = [with_correlation(to_event_grid(Event.from_dict(event))) for event in events]
        added = event_archive().append(messages)
        outbox.set([to_output_event(message) for message in with_carried(messages)])
        if watched is not None:
            first = events[0] if events else {}
            await start_watch(client, str(watched), first.get(CORRELATION_FIELD),
                              deadline=get_settings().fulfilment_deadline,
                              keys=app_key_provider())
    return added
