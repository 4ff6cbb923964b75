"""Local Event Grid: output-binding events are delivered to the app's Event Grid triggers.

Delivery is at least once, in no guaranteed order, with exponential-backoff retries and a
dead-letter store, like an Event Grid subscription. Chaos mode duplicates, delays and reorders
deliveries so that consumers can prove they tolerate what Azure may do. The configured topic
endpoint is never called: everything stays on this machine.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

from devhost.invoker import event_grid_events
from devhost.loader import FunctionInfo, LoadedApp
from devhost.records import Batch, NewWork, WorkItem

if TYPE_CHECKING:
    from devhost.invoker import Invoker

log = logging.getLogger("devhost.eventgrid")


@dataclass
class Chaos:
    """Probabilities and delays for `--chaos-eventgrid`."""

    duplicate: float = 0.3
    max_delay: float = 0.5
    seed: int | None = None


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    first_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)


class EventGrid:
    def __init__(self, app: LoadedApp, invoker: Invoker, policy: RetryPolicy | None = None,
                 chaos: Chaos | None = None) -> None:
        self.app = app
        self.invoker = invoker
        self.policy = policy or RetryPolicy()
        self.chaos = chaos
        self._rng = random.Random(chaos.seed if chaos else None)

    @property
    def subscribers(self) -> list[FunctionInfo]:
        return self.app.by_kind("eventGridTrigger")

    def fanout(self, fn: FunctionInfo, outputs: dict[str, Any], now: float) -> list[NewWork]:
        """Deliveries for every event an invocation wrote to its Event Grid output bindings."""
        events: list[dict[str, Any]] = []
        for b in fn.outputs("eventGrid"):
            if b["name"] in outputs:
                events += event_grid_events(outputs[b["name"]])
        return self.publish(events, now)

    def publish(self, events: list[dict[str, Any]], now: float) -> list[NewWork]:
        """One delivery per event and subscriber (chaos may add copies and delays)."""
        return self.publish_to(None, events, now)

    def publish_to(self, only: FunctionInfo | None, events: list[dict[str, Any]],
                   now: float) -> list[NewWork]:
        work: list[NewWork] = []
        subscribers = [only] if only is not None else self.subscribers
        for ev in events:
            for sub in subscribers:
                copies = 1
                if self.chaos and self._rng.random() < self.chaos.duplicate:
                    copies = 2
                for _ in range(copies):
                    delay = self._rng.uniform(0, self.chaos.max_delay) if self.chaos else 0.0
                    work.append(delivery(sub.name, ev, now + delay))
        return work

    async def deliver(self, item: WorkItem, now: float) -> Batch:
        batch = Batch(done=[item.id])
        fn = self.app.function(item.target)
        event, attempt = item.payload["event"], int(item.payload.get("attempt", 1))
        event_id = str(event.get("id", ""))
        if fn is None or fn.trigger_type != "eventGridTrigger":
            batch.deadletters.append((item.target, event, "no such Event Grid trigger", attempt,
                                      now))
            return batch
        try:
            value = EventGridEventInConverter.decode(meta.Datum(json.dumps(event), "json"),
                                                     trigger_metadata={})
        except Exception as exc:
            batch.deadletters.append((fn.name, event, f"undecodable event: {exc}", attempt, now))
            return batch
        inv = await self.invoker.invoke(fn, {fn.trigger["name"]: value}, None)
        if inv.ok:
            batch.deliveries.append((fn.name, event_id, attempt, "delivered", now))
            batch.work += self.fanout(fn, inv.outputs, now)
        elif attempt >= self.policy.max_attempts:
            batch.deliveries.append((fn.name, event_id, attempt, "dead-lettered", now))
            batch.deadletters.append((fn.name, event, inv.error_text(), attempt, now))
        else:
            batch.deliveries.append((fn.name, event_id, attempt, "retrying", now))
            batch.work.append(delivery(fn.name, event, now + self.policy.delay(attempt),
                                       attempt + 1))
        return batch

    async def invoke_now(self, fn: FunctionInfo, events: list[dict[str, Any]],
                         commit: Callable[[Batch], Awaitable[Any]], now: float) -> list[str]:
        """Webhook delivery: invoke once per event right away; returns the failures."""
        failures: list[str] = []
        for event in events:
            value = EventGridEventInConverter.decode(meta.Datum(json.dumps(event), "json"),
                                                     trigger_metadata={})
            inv = await self.invoker.invoke(fn, {fn.trigger["name"]: value}, None)
            if inv.ok:
                await commit(Batch(work=self.fanout(fn, inv.outputs, now)))
            else:
                failures.append(inv.error_text())
        return failures


def delivery(function: str, event: dict[str, Any], due: float, attempt: int = 1) -> NewWork:
    """One delivery of an event to one subscriber; replaying a dead letter starts at attempt 1."""
    return NewWork("eventgrid", function, {"event": event, "attempt": attempt}, due)


def normalize_topic_events(body: Any) -> list[dict[str, Any]]:
    """Events posted to the local topic: Event Grid schema or CloudEvents, one or a batch."""
    items = body if isinstance(body, list) else [body]
    out: list[dict[str, Any]] = []
    for ev in items:
        if not isinstance(ev, dict):
            raise ValueError("each event must be a JSON object")
        if "specversion" in ev:
            missing = [k for k in ("id", "source", "type") if not ev.get(k)]
        else:
            missing = [k for k in ("id", "subject", "eventType", "eventTime", "dataVersion")
                       if k not in ev]
        if missing:
            raise ValueError(f"event is missing required fields: {', '.join(missing)}")
        out.append(ev)
    return out
