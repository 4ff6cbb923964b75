"""devhost's own HTTP refusals: RFC 9457 problem+json, each with a stable `code`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from devhost.storage.faults import Fault


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> web.Response:
    """An answer of devhost's own, with a stable ``code`` (its title in one word, as
    "NotFound", unless `extra` names another), so a client tells devhost's refusals apart
    without parsing text."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "code": title.replace(" ", ""), **extra}
    return web.Response(status=status, body=json.dumps(body), headers=headers,
                        content_type="application/problem+json")


def unavailable(fault: Fault) -> web.Response:
    """503 for a write the store refused for a passing reason: nothing was stored, retry."""
    return problem(503, "Service Unavailable",
                   f"devhost did not store this request: {fault.reason}; retry in "
                   f"{fault.retry_after} s", headers={"Retry-After": str(fault.retry_after)},
                   code=fault.code)
