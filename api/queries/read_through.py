"""How a query reads: cache-aside over the views, read-your-writes waits, conditional answers.

The cache is an optimisation, never a dependency: if it fails the query reads the view and says
so in the log. ``minVersion`` waits are bounded (``MIN_VERSION_WAIT``) and poll the view itself,
because a fold invalidates the cache only after it wrote the view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from api.http import json_response
from api.problems import ApiError
from app_settings import get_settings
from observability.logs import get_logger
from readmodels.query_cache import CacheLookup, QueryCache

log = get_logger("orders.api")
POLL_SECONDS = 0.02
Loader = Callable[[], dict[str, Any] | None]


@dataclass(frozen=True)
class Read:
    value: dict[str, Any] | None
    source: str  # "hit" | "miss" | "view"


def cached(cache: QueryCache, scope: str, key: str, load: Loader,
           fresh: Callable[[dict[str, Any]], bool] = lambda _: True) -> Read:
    """The cached value when it is valid and ``fresh``; else the view's, stored for next time."""
    try:
        found = cache.lookup(scope, key)
    except Exception:
        log.warning("query cache lookup failed; reading the view", exc_info=True)
        found = None
    if found is not None and found.value is not None and fresh(found.value):
        return Read(found.value, "hit")
    value = load()
    if value is not None and found is not None:
        _store(cache, scope, key, value, found)
    return Read(value, "miss")


def _store(cache: QueryCache, scope: str, key: str, value: dict[str, Any],
           found: CacheLookup) -> None:
    try:
        if not cache.store(scope, key, value, found.generation):
            log.info("query result too large for the cache: %s %s", scope, key)
    except Exception:
        log.warning("query cache store failed", exc_info=True)


def wait_for(load: Loader, ready: Callable[[dict[str, Any] | None], bool]) -> dict[str, Any] | None:
    """Poll the view until ``ready`` or ``MIN_VERSION_WAIT`` passes; returns the last read."""
    deadline = time.monotonic() + get_settings().min_version_wait.total_seconds()
    value = load()
    while not ready(value) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value = load()
    return value


def stale(version: int, wanted: int) -> ApiError:
    return ApiError("StaleView",
                    f"The view is at version {version}; version {wanted} is not there yet.",
                    headers={"Retry-After": "1"},
                    extra={"viewVersion": version, "minVersion": wanted})


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or ``*``."""
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    bare = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == bare for tag in tags)


def view_response(req: func.HttpRequest, body: Any, *, etag: str, version: int,
                  updated_at: str | None, source: str) -> func.HttpResponse:
    """200 with the freshness headers, or 304 when the client already has this version."""
    headers = {
        "ETag": etag,
        "x-view-version": str(version),
        "x-view-updated-at": updated_at or "",
        "x-cache": source,
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization",
    }
    if _matches(req.headers.get("if-none-match"), etag):
        return func.HttpResponse(status_code=304, headers=headers)
    return json_response(body, headers=headers)
