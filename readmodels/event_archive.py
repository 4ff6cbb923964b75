"""The ``EventArchive`` port: every event ever published, kept so views can be rebuilt.

Appends are idempotent by event id because activities run at least once: a retried
``publish_events`` must not store an event twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol


class EventArchive(Protocol):
    def append(self, events: Iterable[dict[str, Any]]) -> int:
        """Store Event Grid-shaped events (``id`` is the key); returns how many were new."""
        ...

    def read_all(self, after: int = 0, limit: int = 1000) -> Iterator[tuple[int, dict[str, Any]]]:
        """Events in archive order as ``(position, event)``, from just after ``after``."""
        ...

    def stream(self, subject: str, *, after_version: int = 0,
               limit: int = 1000) -> list[dict[str, Any]]:
        """The events of one stream (``orders/o-1``) in version order, from just after
        ``after_version``, at most ``limit`` (order history and time travel read this)."""
        ...

    def count(self) -> int:
        ...
