"""The dispatcher: takes due work from the store, runs it, commits results with follow-up work.

Work kinds: `ctrl` (terminate/suspend/resume/rewind), `orch` (start and history events for an
orchestration), `activity`, `entity`, `eventgrid`. One instance or entity is never worked on by
two tasks at once; everything an item causes is committed in the transaction that deletes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from typing import Any, TypeVar

from devhost.cluster import Peers
from devhost.durable import history as h
from devhost.durable.activities import run_activity
from devhost.durable.clock import Clock
from devhost.durable.entities import run_entity_batch
from devhost.durable.parts import WorkParts
from devhost.durable.replay import EpisodeRunner, completion_work, timer_tag
from devhost.durable.rewind import rewind
from devhost.eventgrid import EventGrid
from devhost.invoker import Invoker
from devhost.loader import LoadedApp
from devhost.metrics import Stats
from devhost.records import Batch, Instance, NewWork, WorkItem
from devhost.store import Store

log = logging.getLogger("devhost.runtime")
K = TypeVar("K")
MAX_EVENTS_PER_EPISODE = 100
INLINE_REPLAY_EVENTS = 64
DELIVERY_LOG_SIZE = 10_000
# The last episode's cost is kept for this many recently run instances: only an instance whose
# fan-out is still running needs it (`_defer`), and one that waits for days (a deadline watch
# per order) would otherwise keep an entry for good: the dict grew with every order.
EPISODE_COSTS_KEPT = 4096
HOST_RETRY_SECONDS = 1.0  # after devhost itself failed on a unit of work (a bug, a full disk)


class Runtime:
    def __init__(self, app: LoadedApp, store: Store, invoker: Invoker, clock: Clock,
                 eventgrid: EventGrid) -> None:
        self.app = app
        self.store = store
        self.invoker = invoker
        self.clock = clock
        self.eventgrid = eventgrid
        self.stats = Stats()
        self.parts = WorkParts(app, store, invoker, clock, eventgrid, self.stats)
        self.stats.watch_backlog(lambda: store.work_counts(clock.now()))
        invoker.on_invocation = self.stats.add
        cfg = app.config
        self.limits = {"orch": cfg.max_orchestrators, "activity": cfg.max_activities,
                       "entity": cfg.max_entities, "eventgrid": cfg.max_activities}
        self.busy: dict[str, set[str]] = {"orch": set(), "entity": set()}
        self.inflight: dict[str, set[int]] = {"activity": set(), "eventgrid": set()}
        self.tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._changed: dict[str, asyncio.Event] = {}
        # The last episode's cost per recently run instance (`EPISODE_COSTS_KEPT`).
        self._episode_ms: OrderedDict[str, float] = OrderedDict()
        self._not_before: dict[str, float] = {}  # loop time a deferred target may run again
        self._item_not_before: dict[int, float] = {}  # the same for single work items
        self._deliveries_logged = 0
        # The sibling processes to wake when work for them is committed (several processes).
        self.peers: Peers | None = None

    # -- dispatcher -----------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def changed(self, instance_id: str) -> asyncio.Event:
        return self._changed.setdefault(instance_id, asyncio.Event())

    def _notify(self, instance_id: str) -> None:
        ev = self._changed.pop(instance_id, None)
        if ev is not None:
            ev.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                self._pump()
            except Exception:
                log.exception("dispatcher failed to take work; retrying")
            nxt = self.store.next_due()
            delay = 1.0 if nxt is None else min(1.0, max(0.0, nxt - self.clock.now()))
            held = [*self._not_before.values(), *self._item_not_before.values()]
            if held:
                soonest = min(held) - asyncio.get_running_loop().time()
                delay = min(delay, max(0.0, soonest))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay or 0.001)

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping = True
        self.wake()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=grace)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("work item failed in the host", exc_info=task.exception())
        self.wake()

    def _pump(self) -> None:
        now = self.clock.now()
        busy = self.busy["orch"]
        free = self.limits["orch"] - len(busy)
        deferred = _still_held(self._not_before)
        held = _still_held(self._item_not_before)
        if free > 0:
            for target in self.store.due_orchestrations(now, busy | deferred, free):
                busy.add(target)
                self._spawn(self._orchestration(target))
        ebusy = self.busy["entity"]
        free = self.limits["entity"] - len(ebusy)
        if free > 0:
            for target in self.store.due_targets("entity", now, ebusy | deferred, free):
                ebusy.add(target)
                self._spawn(self._entity(target))
        for kind, runner in (("activity", self._activity), ("eventgrid", self._delivery)):
            inflight = self.inflight[kind]
            free = self.limits[kind] - len(inflight)
            if free > 0:
                for item in self.store.due_work(kind, now, inflight | held, free):
                    inflight.add(item.id)
                    self._spawn(runner(item))

    def _defer(self, inst: Instance, msgs: list[WorkItem], now: float) -> bool:
        """Let completions of a fan-out pile up when replaying the instance is expensive.

        Every episode replays the whole history, so a fan-out of N activities whose results
        each trigger an episode costs O(N^2). While more activities are outstanding than
        results have arrived, wait up to twice the last episode's cost (at most 100 ms).
        """
        window = min(0.1, 2 * self._episode_ms.get(inst.instance_id, 0.0) / 1000)
        if window < 0.002 or not inst.engine.get("started"):
            return False
        age = now - min(m.due for m in msgs)
        if age >= window or self.store.outstanding_activities(inst.instance_id) <= len(msgs):
            return False
        self._not_before[inst.instance_id] = asyncio.get_running_loop().time() + window - age
        return True

    def commit(self, batch: Batch) -> asyncio.Future[list[int]]:
        """Queue a batch for the writer; await the result before acting on what it wrote."""
        fut = self.store.submit(batch)
        fut.add_done_callback(lambda done: self._committed(batch, done))
        return fut

    def _committed(self, batch: Batch, done: asyncio.Future[list[int]]) -> None:
        self.wake()
        peers = self.peers
        if peers is not None and batch.work and not done.cancelled() and not done.exception():
            peers.work_committed(batch.work, done.result())

    # -- orchestrations -------------------------------------------------------------------------

    def _host_failed(self, what: str, target: str | None = None,
                     item: int | None = None) -> None:
        """Log devhost's own failure and hold that work back a moment instead of spinning."""
        log.exception("devhost failed on %s; it stays queued and is retried in %.0f s",
                      what, HOST_RETRY_SECONDS)
        until = asyncio.get_running_loop().time() + HOST_RETRY_SECONDS
        if target is not None:
            self._not_before[target] = until
        if item is not None:
            self._item_not_before[item] = until

    async def _orchestration(self, target: str) -> None:
        try:
            await self._episode(target)
        except Exception:
            self._host_failed(f"orchestration {target}", target=target)
        finally:
            self.busy["orch"].discard(target)
            self._notify(target)

    async def _episode(self, target: str) -> None:
        now = self.clock.now()
        due = self.store.orchestration_work(target, now, MAX_EVENTS_PER_EPISODE)
        ctrl = [m for m in due if m.kind == "ctrl"]
        msgs = [m for m in due if m.kind == "orch"]
        inst = self.store.instance(target)
        batch = Batch(done=[m.id for m in ctrl])
        if inst is None:
            batch.done += [m.id for m in msgs]
            await self.commit(batch)
            return None
        history = self.store.history(inst)
        for m in ctrl:
            self._control(inst, history, m.payload, batch, now)
        if inst.terminal:
            batch.done += [m.id for m in msgs]
            batch.instances.append(inst)
            await self.commit(batch)
            return None
        if inst.status == "Suspended":
            batch.instances.append(inst)
            await self.commit(batch)
            return None
        if msgs and not ctrl and self._defer(inst, msgs, now):
            return None
        events, start = self._select(inst, msgs, batch)
        if not events and not (start and not inst.engine.get("started")):
            if ctrl or batch.done:
                batch.instances.append(inst)
                await self.commit(batch)
            return None
        fn = self.app.durable("orchestrationTrigger", inst.name)
        t0 = time.perf_counter()
        if fn is None:
            self._fail_unknown(inst, batch, now)
            await self.commit(batch)
            return None
        runner = EpisodeRunner(fn.callable, inst, history, events, now)
        if len(history) + len(events) <= INLINE_REPLAY_EVENTS:
            ep = runner.run()  # a short replay costs less than the hop to a thread
        else:
            ep = await self.invoker.run_replay(runner.run)
        duration = (time.perf_counter() - t0) * 1000
        self._episode_cost(target, duration)
        await self._commit_episode(ep, history, batch, now)
        self.stats.add("orchestration", inst.name, duration, ep.outcome)
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps({"event": "episode", "function": inst.name, "instanceId": target,
                                 "outcome": ep.outcome, "events": len(events),
                                 "durationMs": round(duration, 2)}))
        return None

    def _episode_cost(self, target: str, duration_ms: float) -> None:
        costs = self._episode_ms
        costs[target] = duration_ms
        costs.move_to_end(target)
        while len(costs) > EPISODE_COSTS_KEPT:
            costs.popitem(last=False)

    def _select(self, inst: Instance, msgs: list[WorkItem],
                batch: Batch) -> tuple[list[dict[str, Any]], bool]:
        """Pick this episode's events; one at a time while a retry is in flight (§2.6)."""
        events: list[dict[str, Any]] = []
        start = False
        one_only = bool(inst.engine.get("retries"))
        for m in msgs:
            p = m.payload
            stale = p.get("execution") not in (None, inst.execution_id)
            if stale:
                batch.done.append(m.id)
            elif p["type"] == "start":
                batch.done.append(m.id)
                start = True
            elif not (one_only and events):
                events.append(p["event"])
                batch.done.append(m.id)
        return events, start

    async def _commit_episode(self, ep: Any, history: list[dict[str, Any]], batch: Batch,
                        now: float) -> None:
        inst: Instance = ep.instance
        inst.updated_at = now
        batch.instances.append(inst)
        if ep.reset_history:
            batch.history_resets.append(inst.instance_id)
        else:
            base = len(history)
            batch.history += [(inst.instance_id, base + i, ev) for i, ev in enumerate(ep.appended)]
        batch.work += ep.work
        batch.cancel_tags += ep.cancel_tags
        if inst.terminal:
            batch.cancel_prefixes.append(timer_tag(inst.instance_id, inst.execution_id, ""))
            self._episode_ms.pop(inst.instance_id, None)
        for child in ep.children:
            self._start_child(child, batch, now)
        await self.commit(batch)

    def _start_child(self, child: Any, batch: Batch, now: float) -> None:
        existing = self.store.instance(child.instance_id)
        if existing is not None and not existing.terminal:
            p = child.parent
            batch.work.append(NewWork("orch", p["instanceId"], {
                "type": "event", "execution": p["executionId"], "event": {
                    "EventType": h.SUB_FAILED, "TaskScheduledId": p["taskId"], "Details": None,
                    "Reason": f"An orchestration with instance id '{child.instance_id}' "
                              "is already running"}}, now))
            return
        self.new_instance(batch, child.name, child.instance_id,
                          json.dumps(child.input) if child.input is not None else None, now,
                          parent=child.parent)

    def new_instance(self, batch: Batch, name: str, instance_id: str, input_json: str | None,
                     now: float, parent: dict[str, Any] | None = None) -> Instance:
        inst = Instance(instance_id=instance_id, name=name, execution_id=uuid.uuid4().hex,
                        status="Pending", input=input_json, created_at=now, updated_at=now,
                        parent=parent, engine={})
        batch.history_resets.append(instance_id)
        batch.instances.append(inst)
        batch.work.append(NewWork("orch", instance_id,
                                  {"type": "start", "execution": inst.execution_id}, now))
        return inst

    def _fail_unknown(self, inst: Instance, batch: Batch, now: float) -> None:
        names = ", ".join(f"'{f.durable_name}'" for f in self.app.by_kind("orchestrationTrigger"))
        message = (f"The function '{inst.name}' doesn't exist, is disabled, or is not an "
                   f"orchestrator function. Additional info: The following are the known "
                   f"orchestrator functions: {names}.")
        inst.status, inst.output, inst.updated_at = "Failed", json.dumps(message), now
        batch.instances.append(inst)
        batch.work += completion_work(inst, "Failed", message, now)

    # -- control messages -----------------------------------------------------------------------

    def _control(self, inst: Instance, history: list[dict[str, Any]], p: dict[str, Any],
                 batch: Batch, now: float) -> None:
        ts = h.timestamp(now)
        kind, reason = p["type"], p.get("reason") or ""
        started = bool(inst.engine.get("started"))

        def append(ev: dict[str, Any]) -> None:
            batch.history.append((inst.instance_id, len(history), ev))
            history.append(ev)

        if kind == "terminate" and not inst.terminal:
            append(h.event(h.EXECUTION_TERMINATED, ts, Input=reason))
            append(h.event(h.EXECUTION_COMPLETED, ts, OrchestrationStatus=5, Result=reason))
            inst.status, inst.output = "Terminated", json.dumps(reason)
            batch.work += completion_work(inst, "Terminated", reason, now)
            batch.cancel_prefixes.append(timer_tag(inst.instance_id, inst.execution_id, ""))
        elif kind == "suspend" and inst.status in ("Running", "Pending"):
            if started:
                append(h.event(h.EXECUTION_SUSPENDED, ts, Reason=reason))
            inst.engine["suspended_from"] = inst.status
            inst.status = "Suspended"
        elif kind == "resume" and inst.status == "Suspended":
            if started:
                append(h.event(h.EXECUTION_RESUMED, ts, Reason=reason))
            inst.status = inst.engine.pop("suspended_from", "Running")
        elif kind == "rewind" and inst.status == "Failed":
            rewind(inst, history, batch, reason, now, self.new_instance)
        inst.updated_at = now

    # -- activities, entities, deliveries -------------------------------------------------------

    async def _activity(self, item: WorkItem) -> None:
        try:
            await self.commit(await run_activity(self.parts, item))
        except Exception:
            self._host_failed(f"activity request {item.id}", item=item.id)
        finally:
            self.inflight["activity"].discard(item.id)

    async def _entity(self, target: str) -> None:
        try:
            now = self.clock.now()
            items = self.store.work_for("entity", target, now, self.app.config.max_entity_batch)
            if items:
                await self.commit(await run_entity_batch(self.parts, target, items, now))
        except Exception:
            self._host_failed(f"entity {target}", target=target)
        finally:
            self.busy["entity"].discard(target)

    async def _delivery(self, item: WorkItem) -> None:
        try:
            batch = await self.eventgrid.deliver(item, self.clock.now())
            for function, _, _, outcome, _ in batch.deliveries:
                self.stats.delivery(function, outcome)
            await self.commit(batch)
            self._deliveries_logged += 1
            if self._deliveries_logged % 1000 == 0:  # the log is for the monitor's recent view
                self.store.trim_deliveries(keep=DELIVERY_LOG_SIZE)
        except Exception:
            self._host_failed(f"Event Grid delivery {item.id}", item=item.id)
        finally:
            self.inflight["eventgrid"].discard(item.id)


def _still_held(not_before: dict[K, float]) -> set[K]:
    """Drop the hold-backs whose loop time has come; the keys still held back."""
    t = asyncio.get_running_loop().time()
    for key in [k for k, until in not_before.items() if until <= t]:
        del not_before[key]
    return set(not_before)
