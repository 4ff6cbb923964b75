"""Call the app's functions the way the Python worker does (durable-protocol.md §1.6-1.7).

Arguments go by keyword, named after the bindings; output bindings get fresh `func.Out`
objects; a parameter named `context` that is not a binding receives a `func.Context`.
Async functions run on the host's single long-lived loop (the SDK keeps a global aiohttp
session bound to it); sync functions run in a thread pool.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions import eventgrid as af_eventgrid

from devhost.loader import FunctionInfo

log = logging.getLogger("devhost.invocations")


_KINDS = {"httpTrigger": "http", "activityTrigger": "activity", "eventGridTrigger": "eventgrid",
          "timerTrigger": "timer"}


class InvocationContext(func.Context):
    """The `context: func.Context` argument, as the worker builds it."""

    def __init__(self, invocation_id: str, function_name: str, directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._directory = directory
        self._tls = threading.local()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._tls

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> Any:
        return _TraceContext(f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00")

    @property
    def retry_context(self) -> Any:
        return None


@dataclass
class _TraceContext:
    trace_parent: str
    trace_state: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Invocation:
    """The result of one call: the return value, output bindings, timing and failure."""

    function: str
    invocation_id: str
    value: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_text(self) -> str:
        return f"{type(self.error).__name__}: {self.error}" if self.error else ""


class Invoker:
    def __init__(self, loop: asyncio.AbstractEventLoop, app_dir: str, threads: int) -> None:
        self.loop = loop
        self.app_dir = app_dir
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="devhost-fn")
        # Orchestrator and entity code is short and never blocks; its own pool keeps replays
        # going while slow activities occupy every thread of the other.
        self.replay_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="devhost-replay")
        # Values for non-trigger input bindings (the durable client), set by the server.
        self.binding_inputs: Callable[[FunctionInfo], dict[str, Any]] = lambda info: {}
        # Called with (kind, function, duration ms, outcome) after each invocation.
        self.on_invocation: Callable[[str, str, float, str], None] = lambda *a: None

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.replay_pool.shutdown(wait=False, cancel_futures=True)

    async def run_sync(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Run user code that may block (activities, HTTP and Event Grid functions)."""
        return await self.loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    async def run_replay(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Run an orchestrator episode or an entity batch."""
        return await self.loop.run_in_executor(self.replay_pool,
                                               functools.partial(fn, *args, **kwargs))

    async def invoke(self, info: FunctionInfo, inputs: dict[str, Any],
                     instance_id: str | None = None) -> Invocation:
        """Invoke a function with its trigger/input values; never raises for user errors."""
        inv = Invocation(function=info.name, invocation_id=str(uuid.uuid4()))
        kwargs = {**self.binding_inputs(info), **inputs}
        outs: dict[str, func.Out[Any]] = {}
        for b in info.bindings:
            if b.get("direction") == "OUT" and b["name"] != "$return":
                outs[b["name"]] = kwargs[b["name"]] = _Out()
        if info.accepts_context:
            kwargs["context"] = InvocationContext(inv.invocation_id, info.name, self.app_dir)
        start = time.perf_counter()
        try:
            if info.is_async:
                inv.value = await info.callable(**kwargs)
            else:
                inv.value = await self.run_sync(info.callable, **kwargs)
            inv.outputs = {name: out.get() for name, out in outs.items() if out.get() is not None}
        except Exception as exc:  # user code failing is an outcome, not a host error
            inv.error = exc
        inv.duration_ms = (time.perf_counter() - start) * 1000
        log_invocation(inv, instance_id)
        self.on_invocation(_KINDS.get(info.trigger_type, info.trigger_type),
                           info.durable_name or info.name, inv.duration_ms,
                           "failed" if inv.error else "succeeded")
        return inv


class _Out(func.Out[Any]):
    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


def log_invocation(inv: Invocation, instance_id: str | None, **extra: Any) -> None:
    if inv.error is None and not log.isEnabledFor(logging.INFO):
        return  # the line is not wanted: do not pay for building it
    record = {"event": "invocation", "function": inv.function, "invocationId": inv.invocation_id,
              "durationMs": round(inv.duration_ms, 2),
              "outcome": "failed" if inv.error else "succeeded", **extra}
    if instance_id:
        record["instanceId"] = instance_id
    if inv.error:
        record["error"] = inv.error_text()
        log.warning(json.dumps(record), exc_info=inv.error)
    else:
        log.info(json.dumps(record))


def event_grid_events(value: Any) -> list[dict[str, Any]]:
    """Encode an Event Grid output binding value like the worker, as a list of event dicts."""
    datum = af_eventgrid.EventGridEventOutConverter.encode(value, expected_type=None)
    if datum is None:
        return []
    raw = datum.value
    parsed = json.loads(raw) if isinstance(raw, str | bytes) else raw
    items = parsed if isinstance(parsed, list) else [parsed]
    return [json.loads(i) if isinstance(i, str) else i for i in items]
