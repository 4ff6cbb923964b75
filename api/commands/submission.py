"""Start a command's orchestration exactly once per ``Idempotency-Key`` and answer ``202``.

The instance id is the command id: a random one, or, with an ``Idempotency-Key``, a hash of the
caller and the key, so a retried request finds the instance it already started. The instance
input remembers a fingerprint of what the client sent (command type, path and body as sent,
before ids are generated or fields encrypted); the same key with another fingerprint is ``409``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api.commands.my_commands import issuer_tag
from api.http import json_response
from api.problems import ApiError
from contracts.wire import format_timestamp
from observability import correlation
from observability.logs import get_logger
from security.command_seal import seal
from security.principal import Principal
from security.providers import app_key_provider

log = get_logger("orders.api")
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,128}")


@dataclass
class Submission:
    """One command ready to start: ``build`` makes the command body for a command id."""

    command_type: str
    orchestrator: str
    subject: dict[str, str]
    sent: dict[str, Any]  # what the client sent: the fingerprint's material
    build: Callable[[str], dict[str, Any]]


def fingerprint(command_type: str, sent: dict[str, Any]) -> str:
    canonical = json.dumps([command_type, sent], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def command_id_for(principal: Principal, key: str | None) -> str:
    # The sender's tag first: their commands are one instance-id prefix (GET /api/commands).
    tag = issuer_tag(principal.user_id)
    if key is None:
        return f"cmd-{tag}{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{principal.user_id}\n{key}".encode()).hexdigest()
    return f"cmd-{tag}{digest[:32]}"


def idempotency_key(req: func.HttpRequest) -> str | None:
    key = req.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ApiError(
            "ValidationFailed",
            "Idempotency-Key must be 1-128 printable ASCII characters.",
            extra={"errors": [{"field": IDEMPOTENCY_HEADER, "message": "has the wrong format"}]},
        )
    return key


def accepted(command_id: str, subject: dict[str, str]) -> func.HttpResponse:
    return json_response(
        {"commandId": command_id, **subject},
        status=202,
        headers={"Location": f"/api/commands/{command_id}", "Retry-After": "1"},
    )


async def stored_input(client: df.DurableOrchestrationClient, instance_id: str) -> Any:
    status = await client.get_status(instance_id, show_input=True)
    if not status or getattr(status, "input_", None) is None:
        return None
    value = status.input_
    return json.loads(value) if isinstance(value, str) else value


def _same_command(stored: Any, principal: Principal, print_: str) -> dict[str, str]:
    same = (
        isinstance(stored, dict)
        and stored.get("fingerprint") == print_
        and (stored.get("issuer") or {}).get("userId") == principal.user_id
    )
    if not same:
        raise ApiError(
            "IdempotencyKeyReused",
            "This Idempotency-Key was already used for a different request.",
        )
    # A retried request answers with the command it found, so it echoes that command's id.
    correlation.bind(correlationId=stored.get("correlationId"))
    return dict(stored.get("subject") or {})


async def submit(
    client: df.DurableOrchestrationClient,
    req: func.HttpRequest,
    principal: Principal,
    submission: Submission,
) -> func.HttpResponse:
    key = idempotency_key(req)
    command_id = command_id_for(principal, key)
    correlation.bind(instanceId=command_id, commandId=command_id, **submission.subject)
    print_ = fingerprint(submission.command_type, submission.sent)
    if key is not None:
        stored = await stored_input(client, command_id)
        if stored is not None:
            return accepted(command_id, _same_command(stored, principal, print_))
    envelope = {
        "commandId": command_id,
        "type": submission.command_type,
        "issuer": principal.to_dict(),
        "fingerprint": print_,
        "subject": submission.subject,
        "command": submission.build(command_id),
        # Observability (additive): the request's correlation id and when the edge accepted it.
        "correlationId": correlation.current_id(),
        "acceptedAt": format_timestamp(datetime.now(UTC)),
    }
    # Sealed for this instance: the workflow trusts the issuer only with the API's seal.
    envelope = seal(envelope, command_id, app_key_provider())
    try:
        await client.start_new(submission.orchestrator, command_id, envelope)
    except Exception:
        # Lost a race with an identical request: the other one started the instance.
        stored = await stored_input(client, command_id)
        if stored is None:
            raise
        return accepted(command_id, _same_command(stored, principal, print_))
    return accepted(command_id, submission.subject)
