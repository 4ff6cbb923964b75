"""Which of the host's processes owns a piece of work.

With `FUNCTIONS_WORKER_PROCESS_COUNT` above one, devhost runs that many processes over one store,
as several hosts share a task hub in Azure. Orchestration instances and entities are split by a
stable hash of their id, so each is worked on by exactly one process and its messages stay in
order; activities and Event Grid deliveries are stateless and split by their work item's id.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

STATEFUL_KINDS = frozenset({"ctrl", "orch", "entity"})


@dataclass(frozen=True)
class Partitions:
    index: int = 0
    count: int = 1

    @property
    def single(self) -> bool:
        return self.count == 1

    def target_owner(self, target: str) -> int:
        return zlib.crc32(target.encode()) % self.count

    def item_owner(self, kind: str, target: str, item_id: int) -> int:
        return self.target_owner(target) if kind in STATEFUL_KINDS else item_id % self.count

    def owns_target(self, target: str) -> bool:
        return self.single or self.target_owner(target) == self.index


ONE_PROCESS = Partitions()
