"""Local Event Grid: output-binding events are delivered to the app's Event Grid triggers.

Delivery is at least once, in no guaranteed order, with exponential-backoff retries and a
dead-letter store, like an Event Grid subscription. Each trigger is one subscription; a
subscriptions file (`DEVHOST_EVENTGRID_SUBSCRIPTIONS`) gives some of them the event-type filter
(and the null-test advanced filters) the deployment gives them, so a trigger gets here only what
Azure would send it. Chaos mode duplicates, delays and reorders deliveries so that consumers can
prove they tolerate what Azure may do. The configured topic endpoint is never called: everything
stays on this machine.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

from devhost.invoker import event_grid_events
from devhost.loader import AppLoadError, FunctionInfo, LoadedApp
from devhost.records import Batch, NewWork, WorkItem

if TYPE_CHECKING:
    from devhost.invoker import Invoker

log = logging.getLogger("devhost.eventgrid")
SUBSCRIPTIONS_SETTING = "DEVHOST_EVENTGRID_SUBSCRIPTIONS"


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


class SubscriptionsFileError(AppLoadError):
    """The subscriptions file cannot be read, or is not a list of filters devhost can honour."""


# The advanced filter operators devhost honours: each tests whether the key holds a value.
NULL_OPERATORS: Mapping[str, bool] = {"IsNullOrUndefined": False, "IsNotNull": True}
_ENVELOPE_KEYS = ("id", "topic", "subject", "eventType", "dataVersion", "type", "source")


@dataclass(frozen=True)
class AdvancedFilter:
    """`filter.advancedFilters[]`: `key` is an envelope field or `data.a.b`."""

    operator: str
    key: str

    def accepts(self, event: Mapping[str, Any]) -> bool:
        return (_value_at(event, self.key) is not None) == NULL_OPERATORS[self.operator]


def _value_at(event: Mapping[str, Any], key: str) -> Any:
    """The value a filter key names; envelope field names match ignoring case, as in Azure."""
    first, *rest = key.split(".")
    name = next((k for k in _ENVELOPE_KEYS if k.lower() == first.lower()), first)
    value: Any = event.get(name)
    for part in rest:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class Subscriptions:
    """Each trigger's `filter.includedEventTypes` and `filter.advancedFilters` (all must hold);
    a trigger not named here gets every event."""

    source: Path | None = None
    included: Mapping[str, frozenset[str]] = field(default_factory=dict)  # lower-cased names
    advanced: Mapping[str, tuple[AdvancedFilter, ...]] = field(default_factory=dict)

    def accepts(self, function: str, event: dict[str, Any]) -> bool:
        types = self.included.get(function.lower())
        if types is None:
            return True
        # Event Grid compares event types case-insensitively; CloudEvents name the field `type`.
        kind = str(event.get("eventType") or event.get("type") or "").lower()
        return kind in types and all(f.accepts(event)
                                     for f in self.advanced.get(function.lower(), ()))


def read_subscriptions(app: LoadedApp, flag: Path | None) -> Subscriptions:
    """The file `--eventgrid-subscriptions` or the setting names (relative to the app folder).

    The deployment's own file is meant to be used, so the format is the deployment's and a
    file devhost cannot honour fails the start instead of delivering differently from Azure."""
    named = flag or os.environ.get(SUBSCRIPTIONS_SETTING, "").strip()
    if not named:
        return Subscriptions()
    path = app.root / named
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise SubscriptionsFileError(f"{path}: cannot read the Event Grid subscriptions file: "
                                     f"{exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SubscriptionsFileError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(raw, list):
        raise SubscriptionsFileError(f'{path}: expected a JSON list of {{"function": '
                                     '"<Event Grid trigger>", "eventTypes": [...]}')
    included: dict[str, frozenset[str]] = {}
    advanced: dict[str, tuple[AdvancedFilter, ...]] = {}
    for n, entry in enumerate(raw, 1):
        problem = _entry_problem(app, entry)
        if problem is None and entry["function"].lower() in included:
            problem = f"'{entry['function']}' already has an entry; give each function one"
        if problem is not None:
            raise SubscriptionsFileError(f"{path}: entry {n}: {problem}")
        function = entry["function"].lower()
        included[function] = frozenset(t.lower() for t in entry["eventTypes"])
        advanced[function] = tuple(AdvancedFilter(f["operatorType"], f["key"])
                                   for f in entry.get("advancedFilters", ()))
    return Subscriptions(path, included, advanced)


def _entry_problem(app: LoadedApp, entry: Any) -> str | None:
    """What is wrong with one `{"function": name, "eventTypes": [type, ...],
    "advancedFilters"?: [...]}` entry, if any."""
    if not isinstance(entry, dict) or not {"function", "eventTypes"} <= set(entry) or \
            not set(entry) <= {"function", "eventTypes", "advancedFilters"}:
        return ('expected an object with the keys "function" and "eventTypes" (and optionally '
                '"advancedFilters")')
    name, types = entry["function"], entry["eventTypes"]
    if not isinstance(name, str) or not name:
        return '"function" must be a function name'
    if not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        return '"eventTypes" must be a list of event type names'
    fn = app.function(name)
    if fn is None or fn.trigger_type != "eventGridTrigger":
        triggers = ", ".join(sorted(f.name for f in app.by_kind("eventGridTrigger"))) or "none"
        return (f"'{name}' is not an Event Grid trigger of the app (its Event Grid triggers: "
                f"{triggers})")
    if not types:
        return f"'{name}' has an empty eventTypes list; leave it out to give it every event"
    return _advanced_problem(entry.get("advancedFilters", []))


def _advanced_problem(filters: Any) -> str | None:
    """What devhost cannot honour in an `advancedFilters` list, if anything."""
    if not isinstance(filters, list):
        return '"advancedFilters" must be a list'
    for f in filters:
        if not isinstance(f, dict) or set(f) != {"operatorType", "key"} or \
                not isinstance(f["key"], str) or not f["key"]:
            return ('each advanced filter must be {"operatorType": ..., "key": ...} (devhost '
                    f"honours {' and '.join(NULL_OPERATORS)}, which take no values)")
        if f["operatorType"] not in NULL_OPERATORS:
            return (f"advanced filter operator {f['operatorType']!r} is not one devhost honours "
                    f"({', '.join(NULL_OPERATORS)})")
    return None


class EventGrid:
    def __init__(self, app: LoadedApp, invoker: Invoker, policy: RetryPolicy | None = None,
                 chaos: Chaos | None = None, subscriptions: Subscriptions | None = None) -> None:
        self.app = app
        self.invoker = invoker
        self.policy = policy or RetryPolicy()
        self.chaos = chaos
        self.subscriptions = subscriptions or Subscriptions()
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
        """One delivery per event and subscriber whose filter takes the event's type.

        Filtered-out events become no work at all, as Event Grid never sends them."""
        accepts = self.subscriptions.accepts
        return self._schedule([(sub, ev) for ev in events for sub in self.subscribers
                               if accepts(sub.name, ev)], now)

    def publish_to(self, fn: FunctionInfo, events: list[dict[str, Any]],
                   now: float) -> list[NewWork]:
        """Deliveries to one trigger whatever its filter: the admin API invokes the function
        itself, bypassing Event Grid, in Azure too."""
        return self._schedule([(fn, ev) for ev in events], now)

    def _schedule(self, targets: list[tuple[FunctionInfo, dict[str, Any]]],
                  now: float) -> list[NewWork]:
        """A delivery per target; chaos may add copies and delays."""
        work: list[NewWork] = []
        for sub, ev in targets:
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
        """Webhook delivery: invoke once per event the trigger's filter takes, right away;
        returns the failures."""
        failures: list[str] = []
        for event in events:
            if not self.subscriptions.accepts(fn.name, event):
                continue  # Event Grid would not have sent it to this subscription
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
