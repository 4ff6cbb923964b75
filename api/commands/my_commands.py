"""``GET /api/commands?mine``: the caller's recent commands, newest first, with their status.

Every command id starts with a tag of its sender (``issuer_tag``), so the caller's commands are
one instance-id prefix of the durable store: the list asks the durable client for that prefix,
never scans other callers' instances, and still checks each command's sealed issuer (two callers
may share a tag). Listing answers oldest first and in pages of the host's size, so the newest
commands are found in a window that grows from ``FIRST_WINDOW`` until it holds ``limit`` of them
(at most ``RECENT``): a window the host answered in full (fewer than ``HOST_PAGE``) is complete.
Commands sent before ids carried the tag are not listed.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api.commands.command_view import command_view, parsed_json, with_token
from api.http import authenticate, json_response
from api.queries import query_params as qp
from app_settings import get_settings
from security.principal import Principal

FIRST_WINDOW = timedelta(minutes=5)
RECENT = timedelta(days=7)
HOST_PAGE = 100  # the durable list's page (devhost and the Functions host)


def issuer_tag(user_id: str) -> str:
    """8 hex characters of the sender: every command id starts with ``cmd-<tag>``."""
    return hashlib.sha256(f"commands\n{user_id}".encode()).hexdigest()[:8]


async def _window(client: df.DurableOrchestrationClient, prefix: str,
                  limit: int) -> list[Any]:
    now, window = datetime.now(UTC), FIRST_WINDOW
    while True:
        found = await client.get_status_by(created_time_from=now - window,
                                           instance_id_prefix=prefix)
        if len(found) >= limit or window >= RECENT or len(found) >= HOST_PAGE:
            return list(found)
        window = min(window * 8, RECENT)


async def _with_input(client: df.DurableOrchestrationClient, status: Any) -> Any:
    """A list entry may come without its input (the Functions host leaves it out)."""
    if getattr(status, "input_", None) is not None:
        return status
    return await client.get_status(status.instance_id, show_input=True)


def _sent_at(status: Any, envelope: dict[str, Any]) -> str:
    moment = status.created_time
    created = moment.astimezone(UTC).isoformat() if isinstance(moment, datetime) else ""
    return str(envelope.get("acceptedAt") or created)


async def my_commands(req: func.HttpRequest,
                      client: df.DurableOrchestrationClient) -> func.HttpResponse:
    principal: Principal = authenticate(req, get_settings())
    params = dict(req.params)
    qp.check_known(params, {"mine", "limit"})
    if params.get("mine", "true") not in ("", "true"):
        raise qp.invalid("mine", "takes no value (or true): only your own commands are listed")
    limit = qp.integer(params, "limit", qp.DEFAULT_LIMIT, 1, qp.MAX_LIMIT)
    found = await _window(client, f"cmd-{issuer_tag(principal.user_id)}", limit)
    mine = []
    for status in await asyncio.gather(*(_with_input(client, s) for s in found)):
        envelope = parsed_json(getattr(status, "input_", None) if status else None)
        issuer = str(((envelope or {}).get("issuer") or {}).get("userId", ""))
        if isinstance(envelope, dict) and issuer == principal.user_id:
            mine.append((_sent_at(status, envelope),
                         with_token(command_view(status, envelope), envelope)))
    # The edge's acceptance time (milliseconds): the host's creation time has whole seconds.
    mine.sort(key=lambda pair: pair[0], reverse=True)
    return json_response({"items": [view for _, view in mine[:limit]]})
