"""What running one activity or one entity batch needs from the host, and no more.

The runtime schedules work; `activities` and `entities` run one unit of it. They take these
parts, not the runtime, so neither knows the scheduler that calls it (and nothing imports in a
circle).
"""

from __future__ import annotations

from dataclasses import dataclass

from devhost.durable.clock import Clock
from devhost.eventgrid import EventGrid
from devhost.invoker import Invoker
from devhost.loader import LoadedApp
from devhost.metrics import Stats
from devhost.store import Store


@dataclass(frozen=True)
class WorkParts:
    app: LoadedApp
    store: Store
    invoker: Invoker
    clock: Clock
    eventgrid: EventGrid
    stats: Stats
