"""What the durable client can ask of the host: start, raise, terminate, purge, signal, ...

Every operation becomes work in the store (or a read); status codes follow the extension's
HTTP API so that the SDK's client and the management API behave as in Azure (§4.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from typing import TYPE_CHECKING, Any

from devhost.durable.replay import entity_scheduler_id
from devhost.records import Batch, Instance, InstanceFilter, NewWork

if TYPE_CHECKING:
    from devhost.durable.runtime import Runtime

OTHER_PROCESS_POLL = 0.05
RUNNING = frozenset({"Pending", "Running", "Suspended", "ContinuedAsNew"})


class ClientError(Exception):
    """An answer other than success: HTTP status and message, as the extension gives them."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_instance_id(instance_id: str) -> None:
    bad = (not instance_id or instance_id.startswith("@") or len(instance_id) > 256
           or any(c in instance_id for c in "/\\#?") or any(ord(c) < 32 for c in instance_id))
    if bad:
        raise ClientError(400, f"Instance ID '{instance_id}' contains invalid characters or is "
                               "too long.")


class DurableClientOps:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.store = runtime.store

    def _now(self) -> float:
        return self.rt.clock.now()

    def _instance(self, instance_id: str) -> Instance:
        inst = self.store.instance(instance_id)
        if inst is None:
            raise ClientError(404, f"No instance with ID '{instance_id}' found.")
        return inst

    async def start(self, name: str, instance_id: str | None, input_json: str | None) -> str:
        fn = self.rt.app.durable("orchestrationTrigger", name)
        if fn is None or name.startswith("@"):
            known = ", ".join(f"'{f.durable_name}'"
                              for f in self.rt.app.by_kind("orchestrationTrigger"))
            raise ClientError(400, f"The function '{name}' doesn't exist, is disabled, or is not "
                                   f"an orchestrator function. Additional info: The following "
                                   f"are the known orchestrator functions: {known}.")
        instance_id = instance_id or uuid.uuid4().hex
        check_instance_id(instance_id)
        existing = self.store.instance_state(instance_id)
        if existing is not None and existing[0] in RUNNING:
            raise ClientError(409, f"An orchestration with instance ID '{instance_id}' already "
                                   f"exists and is {existing[0]}.")
        batch = Batch()
        self.rt.new_instance(batch, fn.durable_name or name, instance_id, input_json, self._now())
        await self.rt.commit(batch)
        return instance_id

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        inst = self._instance(instance_id)
        if inst.terminal:
            raise ClientError(410, f"Instance '{instance_id}' is {inst.status}; it cannot "
                                   "receive events.")
        await self.rt.commit(Batch(work=[NewWork("orch", instance_id, {
            "type": "event", "execution": None,
            "event": {"EventType": 15, "Name": name, "Input": input_json}}, self._now())]))

    async def control(self, instance_id: str, kind: str, reason: str) -> None:
        inst = self._instance(instance_id)
        if inst.terminal and kind != "rewind":
            raise ClientError(410, f"Instance '{instance_id}' is already {inst.status}.")
        if kind == "rewind" and inst.status != "Failed":
            if inst.terminal:
                raise ClientError(410, f"Instance '{instance_id}' is {inst.status}.")
            raise ClientError(500, "Rewind is only supported on failed orchestration instances.")
        if kind == "suspend" and inst.status == "Suspended":
            raise ClientError(500, f"Instance '{instance_id}' is already suspended.")
        if kind == "resume" and inst.status != "Suspended":
            raise ClientError(500, f"Instance '{instance_id}' is not suspended.")
        message = {"type": kind, "reason": reason}
        await self.rt.commit(Batch(work=[NewWork("ctrl", instance_id, message, self._now())]))

    async def restart(self, instance_id: str, new_id: bool) -> str:
        inst = self.store.instance(instance_id)
        if inst is None:
            raise ClientError(400, "InstanceId does not match a valid orchestration instance.")
        return await self.start(inst.name, uuid.uuid4().hex if new_id else instance_id, inst.input)

    async def purge(self, instance_id: str) -> int:
        inst = self._instance(instance_id)
        if not inst.terminal:
            raise ClientError(412, f"Instance '{instance_id}' is {inst.status}; only completed, "
                                   "failed or terminated instances can be purged.")
        await self.rt.commit(Batch(purges=[instance_id]))
        return 1

    async def purge_by(self, match: InstanceFilter) -> int:
        finished = dataclasses.replace(match, finished=True)
        ids = [i.instance_id for i in self.store.query_instances(finished, 1_000_000, 0)]
        if ids:
            await self.rt.commit(Batch(purges=ids))
        return len(ids)

    async def signal_entity(self, name: str, key: str, op: str, input_value: Any,
                      has_input: bool) -> None:
        if self.rt.app.durable("entityTrigger", name) is None:
            raise ClientError(400, f"The function '{name}' doesn't exist, is disabled, or is not "
                                   "an entity function.")
        target = entity_scheduler_id(f"@{name}@{key}")
        req: dict[str, Any] = {"op": op, "id": str(uuid.uuid4()), "parent": None, "signal": True}
        if has_input:
            req["input"] = json.dumps(input_value)
        await self.rt.commit(Batch(work=[NewWork("entity", target, req, self._now())]))

    async def wait(self, instance_id: str, timeout: float) -> Instance | None:
        """Wait until the instance is no longer running, or the timeout passes."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            changed = self.rt.changed(instance_id)
            inst = self.store.instance(instance_id)
            if inst is None or inst.status not in RUNNING:
                return inst
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return inst
            if not self.store.partitions.single:
                left = min(left, OTHER_PROCESS_POLL)  # its episodes are not announced here
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=left)
