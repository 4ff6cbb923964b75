"""Which of devhost's processes works on a piece of queued work.

By default one process does everything. With `FUNCTIONS_WORKER_PROCESS_COUNT` = N above one,
devhost runs like the Functions host with N language workers: process 0 (the host) serves HTTP,
the durable client and management APIs and the monitor, and processes 1..N (the workers) run
orchestrations, entities, activities and Event Grid deliveries from the shared store, much as
several hosts share one task hub in Azure. Instances and entities are split by a stable hash of
their id, so each is worked on by one worker and its messages stay in order; activities and
deliveries are stateless and split by their work item's id.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

STATEFUL_KINDS = frozenset({"ctrl", "orch", "entity"})


@dataclass(frozen=True)
class Partitions:
    index: int = 0
    workers: int = 0  # 0: one process does everything

    @property
    def single(self) -> bool:
        return self.workers == 0

    @property
    def count(self) -> int:
        """How many processes there are in all."""
        return 1 + self.workers if self.workers else 1

    @property
    def runs_work(self) -> bool:
        return self.single or self.index > 0

    def target_owner(self, target: str) -> int:
        return 1 + zlib.crc32(target.encode()) % self.workers if self.workers else 0

    def item_owner(self, kind: str, target: str, item_id: int) -> int:
        if kind in STATEFUL_KINDS:
            return self.target_owner(target)
        return 1 + item_id % self.workers if self.workers else 0

    def owns_target(self, target: str) -> bool:
        return self.single or self.target_owner(target) == self.index


ONE_PROCESS = Partitions()
