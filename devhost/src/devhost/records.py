"""The records devhost keeps: orchestration instances, work items, and a unit of change.

`Batch` is everything one unit of work changes; `devhost.store` applies it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
RUNTIME_STATUSES = ("Pending", "Running", "Suspended", "Completed", "Failed", "Terminated",
                    "ContinuedAsNew", "Canceled")


@dataclass(frozen=True)
class InstanceFilter:
    """Which instances a list, a count or a purge is about; every part is optional."""

    prefix: str = ""
    name: str = ""  # any case
    created_from: float | None = None
    created_to: float | None = None
    statuses: tuple[str, ...] | None = None  # None: any; () matches none
    finished: bool = False  # only completed, failed, terminated or canceled ones


def runtime_statuses(raw: str) -> tuple[tuple[str, ...], list[str]]:
    """Comma-separated status names in any case: (their canonical names, the unknown ones)."""
    wanted = [s.strip() for s in raw.split(",") if s.strip()]
    by_lower = {s.lower(): s for s in RUNTIME_STATUSES}
    return (tuple(by_lower[s.lower()] for s in wanted if s.lower() in by_lower),
            [s for s in wanted if s.lower() not in by_lower])


@dataclass
class Instance:
    """An orchestration instance row; `engine` holds replay bookkeeping (ids, actions, retries)."""

    instance_id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    created_at: float
    updated_at: float
    output: str | None = None
    custom_status: str | None = None
    parent: dict[str, Any] | None = None
    engine: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass
class WorkItem:
    id: int
    kind: str
    target: str
    payload: dict[str, Any]
    due: float
    tag: str | None


@dataclass
class NewWork:
    kind: str
    target: str
    payload: dict[str, Any]
    due: float
    tag: str | None = None


@dataclass
class Batch:
    """Everything one unit of work changes, applied in one transaction."""

    instances: list[Instance] = field(default_factory=list)
    history: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    history_resets: list[str] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    work: list[NewWork] = field(default_factory=list)
    cancel_tags: list[str] = field(default_factory=list)
    cancel_prefixes: list[str] = field(default_factory=list)
    entities: list[tuple[str, str, str, str | None, float]] = field(default_factory=list)
    entity_deletes: list[str] = field(default_factory=list)
    purges: list[str] = field(default_factory=list)
    deadletters: list[tuple[str, dict[str, Any], str, int, float]] = field(default_factory=list)
    deliveries: list[tuple[str, str, int, str, float]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
