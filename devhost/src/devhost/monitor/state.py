"""What is running now, across devhost's processes, for the monitor's live views.

One process: its own runtime. With worker processes (`FUNCTIONS_WORKER_PROCESS_COUNT` > 1) the
work runs in the workers, so the host's monitor asks each of them (`devhost.metrics.runtime_state`
over their loopback listeners) and puts the answers together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devhost.metrics import runtime_state

if TYPE_CHECKING:
    from devhost.server import Server


@dataclass
class State:
    busy: dict[str, set[str]] = field(default_factory=dict)
    inflight: dict[str, set[int]] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)  # task id -> start, one execution
    samples: list[tuple[float, str, str, float, str]] = field(default_factory=list)

    def add(self, part: dict[str, Any]) -> None:
        for kind, targets in part["busy"].items():
            self.busy.setdefault(kind, set()).update(targets)
        for kind, ids in part["inflight"].items():
            self.inflight.setdefault(kind, set()).update(ids)
        for kind, limit in part["limits"].items():
            self.limits[kind] = self.limits.get(kind, 0) + limit
        self.started.update({int(task): float(at) for task, at in part["started"]})
        self.samples += [(s[0], s[1], s[2], s[3], s[4]) for s in part["samples"]]


async def gather(server: Server, since: float | None = None, instance: str = "",
                 execution: str = "") -> State:
    query = {"instance": instance, "execution": execution}
    if since is not None:
        query["since"] = repr(since)
    state = State()
    parts = server.rt.store.partitions
    if parts.runs_work:
        state.add(runtime_state(server.rt, query))
    for raw in await server.from_others("runtime", **query):
        if raw:
            state.add(json.loads(raw))
    state.samples.sort()
    return state
