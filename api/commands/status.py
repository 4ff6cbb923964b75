"""``GET /api/commands/{commandId}``: a command's progress, for its sender, support and admin.

Reads the orchestration's status through the durable client and shows only our own shape: the
durable management links (which carry the system key) never leave the app.

``Prefer: wait=N`` (RFC 7240) makes it a long poll: an unfinished command is re-read every
``COMMAND_WAIT_POLL`` until it finishes or N seconds (at most ``COMMAND_WAIT_MAX``) pass, so a
client learns the outcome with one request instead of a poll every few hundred milliseconds.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api.commands import my_commands
from api.commands.command_view import RUNNING as _RUNNING
from api.commands.command_view import command_view, parsed_json, runtime_of, with_token
from api.http import authenticate, guarded, json_response
from api.problems import ApiError
from api.routes import http_route
from app_settings import get_settings
from observability.edge import observe_query
from security import policy

bp = df.Blueprint()
_COMMAND_ID = re.compile(r"cmd-[0-9a-f]{32,40}")
_NOT_FOUND = "No command with this id was found."
# One preference of a Prefer header: ``wait=10`` (the value may be quoted); parameters after ";"
# and other preferences are ignored, as RFC 7240 asks of preferences a server does not apply.
_WAIT = re.compile(r'\s*wait\s*=\s*"?(\d{1,6})"?\s*(?:;.*)?', re.IGNORECASE)


def requested_wait(prefer: str | None) -> int | None:
    """The seconds a ``Prefer: wait=N`` header asks for, or None (absent or malformed)."""
    for preference in (prefer or "").split(","):
        match = _WAIT.fullmatch(preference)
        if match:
            return int(match[1])
    return None


async def _until_finished(client: df.DurableOrchestrationClient, command_id: str,
                          status: Any, seconds: float) -> Any:
    """The command's status once it has finished, or its latest status after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    interval = get_settings().command_wait_poll.total_seconds()
    while runtime_of(status) in _RUNNING and (left := deadline - loop.time()) > 0:
        await asyncio.sleep(min(interval, left))
        latest = await client.get_status(command_id)
        status = latest if latest and latest.runtime_status else status
    return status


async def _status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> Any:
    settings = get_settings()
    principal = authenticate(req, settings)
    command_id = req.route_params.get("commandId", "")
    if not _COMMAND_ID.fullmatch(command_id):
        raise ApiError("NotFound", _NOT_FOUND)
    status = await client.get_status(command_id, show_input=True)
    envelope = parsed_json(getattr(status, "input_", None)) if status else None
    if not isinstance(envelope, dict):
        raise ApiError("NotFound", _NOT_FOUND)
    issuer = str((envelope.get("issuer") or {}).get("userId", ""))
    if not policy.can_read_command(principal, issuer):
        raise ApiError("NotFound", _NOT_FOUND)
    wait = requested_wait(req.headers.get("prefer"))
    if wait is None:
        return json_response(with_token(command_view(status, envelope), envelope))
    wait = min(wait, int(settings.command_wait_max.total_seconds()))
    status = await _until_finished(client, command_id, status, wait)
    return json_response(with_token(command_view(status, envelope), envelope),
                         headers={"Preference-Applied": f"wait={wait}"})


@http_route(bp, "getCommandStatus")
@bp.durable_client_input(client_name="client")
async def api_command_status(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await observe_query(req, "command_status", lambda: guarded(lambda: _status(req, client)))


@http_route(bp, "listMyCommands")
@bp.durable_client_input(client_name="client")
async def api_my_commands(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await observe_query(req, "my_commands",
                               lambda: guarded(lambda: my_commands.my_commands(req, client)))
