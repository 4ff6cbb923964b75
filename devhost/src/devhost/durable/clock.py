"""The host's clock: wall time plus an offset that tests may advance to fire durable timers."""

from __future__ import annotations

import time
from collections.abc import Callable

from devhost.records import Batch
from devhost.store import Store

_KEY = "clock_offset"


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.offset = float(store.meta(_KEY) or 0.0)
        self._last = 0.0
        self.on_advance: Callable[[], None] = lambda: None  # tells the other processes

    def refresh(self) -> None:
        """Another process moved the clock: read the offset it stored."""
        self.offset = max(self.offset, float(self._store.meta(_KEY) or 0.0))

    def now(self) -> float:
        """Never goes backwards, even if the wall clock does (replay needs monotonic stamps)."""
        self._last = max(self._last, time.time() + self.offset)
        return self._last

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset += seconds
        self._store.commit(Batch(meta={_KEY: repr(self.offset)}))
        self.on_advance()
        return self.now()
