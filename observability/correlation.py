"""One correlation id per command, carried from the HTTP edge to the projections and queries.

The id is a W3C trace id (32 lowercase hex digits): taken from an incoming ``traceparent``, else
from an ``x-correlation-id`` header in that form, else new. Being a trace id, it doubles as the
OpenTelemetry trace of everything done under it: ``activate`` makes it the current span context,
so metric exemplars (and, in Azure, the requests and dependencies Application Insights records)
carry it without a label per id, which would explode the metrics' cardinality.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

CORRELATION_HEADER = "x-correlation-id"
TRACEPARENT_HEADER = "traceparent"
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
# version 00: 00-<trace id>-<parent id>-<flags>; later versions may append fields (W3C 3.2.4).
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_INVALID_TRACE = "0" * 32

# The fields every log line carries while they are known: correlationId, instanceId, orderId...
_context: ContextVar[dict[str, str]] = ContextVar("observability_context", default={})  # noqa: B039


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def is_correlation_id(value: object) -> bool:
    return isinstance(value, str) and bool(_TRACE_ID.fullmatch(value)) and value != _INVALID_TRACE


def parse_traceparent(header: str | None) -> tuple[str, str] | None:
    """``(trace id, parent span id)`` of a valid ``traceparent``; ``None`` for anything else."""
    if not header:
        return None
    match = _TRACEPARENT.fullmatch(header.strip().lower())
    if match is None or match[1] == "ff" or (match[1] == "00" and match[5]):
        return None
    trace_id, span_id = match[2], match[3]
    if trace_id == _INVALID_TRACE or span_id == "0" * 16:
        return None
    return trace_id, span_id


def from_headers(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """The request's correlation id and the caller's span id (when it sent a ``traceparent``).

    ``headers`` must answer lower-case names (``func.HttpRequest.headers`` does).
    """
    parsed = parse_traceparent(headers.get(TRACEPARENT_HEADER))
    if parsed is not None:
        return parsed
    given = (headers.get(CORRELATION_HEADER) or "").strip().lower()
    return (given if is_correlation_id(given) else new_correlation_id()), None


def current() -> dict[str, str]:
    """The fields bound now (a copy)."""
    return dict(_context.get())


def current_id() -> str | None:
    return _context.get().get("correlationId")


def bind(**fields: Any) -> None:
    """Add fields (``orderId=...``) to the current scope; ``None`` values are ignored."""
    _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


def _span_context(correlation_id: str, parent_span: str | None) -> SpanContext:
    span_id = int(parent_span, 16) if parent_span else random.getrandbits(64) or 1
    return SpanContext(trace_id=int(correlation_id, 16), span_id=span_id, is_remote=True,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED))


@contextmanager
def activate(correlation_id: str | None, parent_span: str | None = None,
             span_name: str | None = None, **fields: Any) -> Iterator[str]:
    """Bind the id (and ``fields``) for logs, and make it the current trace for telemetry.

    Without a tracer provider (devhost) the span is the remote parent itself, which is enough
    for exemplars; with one (Azure Monitor) a real span named ``span_name`` is recorded.
    """
    cid = correlation_id if is_correlation_id(correlation_id) else new_correlation_id()
    assert cid is not None
    token = _context.set({**_context.get(), "correlationId": cid,
                          **{k: str(v) for k, v in fields.items() if v is not None}})
    parent = NonRecordingSpan(_span_context(cid, parent_span))
    span: trace.Span = parent
    if span_name:
        started = trace.get_tracer("durable_orders").start_span(
            span_name, context=trace.set_span_in_context(parent), kind=trace.SpanKind.SERVER)
        if started.get_span_context().is_valid:
            span = started
    try:
        with trace.use_span(span, end_on_exit=span is not parent):
            yield cid
    finally:
        _context.reset(token)
