"""What every command workflow shares: the command envelope, entity calls that keep domain
errors as values, event publishing with retries, and the outcome a command ends with.

Orchestrator code is replayed: everything here is deterministic (time comes from the context).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df

from contracts.commands import COMMAND_TYPES, Command
from contracts.wire import format_timestamp
from entities.errors import DomainError, Forbidden
from observability import durable
from observability.events import stamp as stamp_events
from security.command_seal import SEAL_FIELD, SealRejected, issuer_of, sealed_issuer
from security.principal import Principal
from security.providers import app_key_provider

PUBLISH_EVENTS = "publish_events"
# Publishing touches Event Grid and the archive: transient failures are retried, with time to
# recover between attempts, before the workflow gives up.
PUBLISH_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=500, max_number_of_attempts=5)

Steps = Generator[Any, Any, Any]


@dataclass
class Saga:
    """One run of a command workflow: who asked, when, and the events its steps produced.

    The caller is taken from the envelope only when its seal proves the API wrote it
    (``security.command_seal``); a workflow acting as the system passes ``acting_as`` instead,
    after checking its own input."""

    context: df.DurableOrchestrationContext
    envelope: dict[str, Any]
    acting_as: Principal | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    command: Command = field(init=False)
    _command_wire: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.acting_as is None:
            # The first episode checks the seal; a replay repeats episodes that history shows
            # ran after a check that passed (a failed one ended the workflow), so it only reads.
            self.acting_as = issuer_of(self.envelope) if self.context.is_replaying else \
                sealed_issuer(self.envelope, self.context.instance_id, app_key_provider())
        durable.observe_start(self.context, self.envelope)
        # The contract command the API built (after its seal was checked).
        self.command, self._command_wire = _decoded(self.context.instance_id, self.envelope)

    @property
    def command_id(self) -> str:
        return self.command.command_id

    @property
    def principal(self) -> dict[str, Any]:
        assert self.acting_as is not None
        return self.acting_as.to_dict()

    @property
    def occurred_at(self) -> str:
        return format_timestamp(self.context.current_utc_datetime)

    def step_input(self, **fields: Any) -> dict[str, Any]:
        return {**fields, "principal": self.principal, "occurredAt": self.occurred_at,
                "commandId": self.command_id}

    def command_input(self, **fields: Any) -> dict[str, Any]:
        """The input of an entity verb that takes the client's command (``fields``: arguments
        beside it)."""
        return {**fields, "command": self._command_wire, "principal": self.principal,
                "occurredAt": self.occurred_at}

    def call(self, entity: str, key: str, operation: str, data: dict[str, Any]) -> Any:
        return self.context.call_entity(df.EntityId(entity, key), operation, data)

    def accept(self, response: Any) -> dict[str, Any]:
        """Keep a successful step's events; turn a refused one back into its DomainError."""
        if not isinstance(response, dict):
            raise DomainError("The step answered nothing usable.")
        if not response.get("ok"):
            raise DomainError.from_dict(response.get("error") or {})
        self.events.extend(response["result"].get("events") or [])
        return response

    def run(self, entity: str, key: str, operation: str, data: dict[str, Any]) -> Steps:
        response = yield self.call(entity, key, operation, data)
        return self.accept(response)

    def run_all(self, calls: list[tuple[str, Any]]) -> Steps:
        """Run named steps at once. Returns the responses of those that succeeded, by name
        (their events are kept), and the first refusal, or None when every step succeeded."""
        if not calls:
            return {}, None
        responses = yield self.context.task_all([task for _, task in calls])
        done: dict[str, dict[str, Any]] = {}
        refusal: DomainError | None = None
        for (name, _), response in zip(calls, responses, strict=True):
            try:
                done[name] = self.accept(response)
            except DomainError as error:
                refusal = refusal or error
        return done, refusal

    def hold_events(self) -> list[dict[str, Any]]:
        """Take the events kept so far, to publish only if the steps after them succeed."""
        held, self.events = self.events, []
        return held

    def keep_held(self, held: list[dict[str, Any]]) -> None:
        """The steps after ``held`` succeeded: publish them too, in the order they happened."""
        self.events = held + self.events

    def publish(self, watch_deadline_of: str | None = None) -> Steps:
        """Publish the events kept so far (and, for a placement, start the order's deadline
        watch in the same activity: ``activities/publish_events.py``)."""
        if self.events:
            batch, self.events = self.events, []
            batch = stamp_events(batch, durable.correlation_id_of(self.envelope),
                                 self.context.instance_id)
            yield self.context.call_activity_with_retry(
                PUBLISH_EVENTS, PUBLISH_RETRY, {"events": batch,
                                                "watchDeadlineOf": watch_deadline_of})

    def succeeded(self, response: dict[str, Any], **result: Any) -> dict[str, Any]:
        version = response["result"]["version"]
        return durable.observe_end(self.context, self.envelope, {
            "status": "succeeded",
            "type": self.envelope["type"],
            **self.envelope.get("subject", {}),
            "version": version,
            "result": {**self.envelope.get("subject", {}), "version": version, **result},
        })

    def failed(self, error: DomainError) -> dict[str, Any]:
        return durable.observe_end(self.context, self.envelope, {
            "status": "failed",
            "type": self.envelope["type"],
            **self.envelope.get("subject", {}),
            "error": error.to_dict(),  # code, message, and details (e.g. PriceChanged's price)
        })


_DECODED: OrderedDict[tuple[str, str], tuple[Command, dict[str, Any]]] = OrderedDict()
_DECODED_LIMIT = 512
_DECODED_LOCK = threading.Lock()


def _decoded(instance_id: str, envelope: dict[str, Any]) -> tuple[Command, dict[str, Any]]:
    """The envelope's command, typed and in its wire form. Every episode of a workflow replays
    from the same input, so each instance's command is decoded once per process (keyed by the
    seal too, which differs for any other input under the same id)."""
    seal = envelope.get(SEAL_FIELD)
    key = (instance_id, str(seal.get("mac") if isinstance(seal, dict) else seal))
    with _DECODED_LOCK:
        decoded = _DECODED.get(key)
    if decoded is None:
        command = COMMAND_TYPES[envelope["type"]].from_dict(envelope["command"])
        decoded = (command, command.to_dict())
        with _DECODED_LOCK:
            _DECODED[key] = decoded
            while len(_DECODED) > _DECODED_LIMIT:
                _DECODED.popitem(last=False)
    return decoded


def counted(workflow: Callable[[df.DurableOrchestrationContext], Steps]
            ) -> Callable[[df.DurableOrchestrationContext], Steps]:
    """Count a workflow that crashes (a bug, not a refusal) as a failed command, then let the
    crash fail the instance as before; refusals are counted by `Saga.failed`."""

    @functools.wraps(workflow)
    def run(context: df.DurableOrchestrationContext) -> Steps:
        try:
            return (yield from workflow(context))
        except SealRejected:
            # Not issued through the API (or altered since): refused before any step.
            envelope = context.get_input()
            envelope = envelope if isinstance(envelope, dict) else {}
            refusal = Forbidden("This command was not issued through the API.")
            return durable.observe_end(context, envelope, {
                "status": "failed", "type": envelope.get("type"),
                "error": {"code": refusal.code, "message": refusal.message}})
        except DomainError:
            raise
        except Exception:
            envelope = context.get_input()
            durable.observe_end(context, envelope if isinstance(envelope, dict) else {}, {
                "status": "failed", "error": {"code": "InternalError"}})
            raise

    return run


def ignore_refusal(response: Any) -> bool:
    """Compensations and follow-up steps are idempotent; a refusal means nothing to undo."""
    return isinstance(response, dict) and bool(response.get("ok"))
