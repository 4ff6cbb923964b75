"""How an entity function runs one operation: load the state, call the domain verb, store it.

Operations answer ``{"ok": true, "result": ..., "summary": ...}`` or
``{"ok": false, "error": {code, message}}`` instead of raising: an entity exception reaches the
orchestrator as a bare string, and a domain error must keep its code. State is saved only when an
operation succeeds, so a refused command leaves the entity untouched.

Two kinds of input reach a verb, each decoded here once: a client command
(``{"command", "principal", "occurredAt"}``, the ``contracts.commands`` type the verb takes) and
a workflow step (``{"principal", "occurredAt", "commandId", ...arguments}``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import azure.durable_functions as df

from contracts.commands import Command
from contracts.wire import WireFormatError
from entities.aggregate import AggregateState, Outcome
from entities.context import CommandContext, StepContext
from entities.errors import DomainError, ValidationFailed
from entities.verbs import GET
from security.principal import Principal, PrincipalError

Operation = Callable[[Any, dict[str, Any], str], Outcome[Any]]
S = TypeVar("S", bound=AggregateState)
C = TypeVar("C", bound=Command)


def command_verb(command_type: type[C],
                 verb: Callable[[Any, C, CommandContext, dict[str, Any]], Outcome[Any]]
                 ) -> Operation:
    """An operation taking a client command of ``command_type``: ``verb(state, command, ctx,
    data)`` (``data``: the operation's whole input, for arguments beside the command)."""

    def operation(state: Any, data: dict[str, Any], key: str) -> Outcome[Any]:
        try:
            command = command_type.from_dict(data["command"])
            principal = Principal.from_dict(data["principal"])
            ctx = CommandContext(principal, command.command_id, str(data["occurredAt"]),
                                 getattr(command, "expected_version", None))
        except (KeyError, TypeError, WireFormatError, PrincipalError) as error:
            raise ValidationFailed(f"malformed entity operation: {error}") from None
        return verb(state, command, ctx, data)

    return operation


def step_verb(verb: Callable[[Any, StepContext, dict[str, Any], str], Outcome[Any]]
              ) -> Operation:
    """An operation a workflow runs for a command it already authorized:
    ``verb(state, step, arguments, entity key)``."""

    def operation(state: Any, data: dict[str, Any], key: str) -> Outcome[Any]:
        try:
            step = StepContext(Principal.from_dict(data["principal"]), str(data["occurredAt"]),
                               data["commandId"])
        except (KeyError, TypeError, PrincipalError) as error:
            raise ValidationFailed(f"malformed entity operation: {error}") from None
        return verb(state, step, data, key)

    return operation


class DecodedStates:
    """The state each entity stored last from this process, with its decoded form.

    The runtime hands an entity its stored JSON on every batch, and a busy entity is mostly run
    by the same process: when the JSON equals what this process stored, the decoded state is
    reused instead of rebuilt (decoding a hot SKU's 200 reservations took 0.6 ms). The check
    compares the JSON itself, so state stored by another process (or changed in any other way)
    is always decoded afresh. Domain states are immutable, so sharing them is safe.
    """

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._states: OrderedDict[tuple[str, str], tuple[Any, AggregateState]] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, state_type: type[S], key: str, raw: Any) -> S:
        with self._lock:
            cached = self._states.get((state_type.__name__, key))
        if cached is not None and isinstance(cached[1], state_type) and (
                cached[0] is raw or cached[0] == raw):
            return cached[1]
        return state_type.from_dict(raw or None)

    def store(self, key: str, state: AggregateState) -> dict[str, Any]:
        """The state's wire form, remembered with the state itself."""
        wire, entry = state.to_dict(), (type(state).__name__, key)
        with self._lock:
            self._states[entry] = (wire, state)
            self._states.move_to_end(entry)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)
        return wire


decoded_states = DecodedStates()


def run_operation(
    context: df.DurableEntityContext,
    state_type: type[AggregateState],
    verbs: Mapping[str, Operation],
    summary: Callable[[Any], dict[str, Any]],
) -> None:
    """Run the operation the context names on the entity's state, and answer it."""
    state = decoded_states.load(state_type, context.entity_key, context.get_state(lambda: None))
    name = context.operation_name or ""
    if name == GET:
        context.set_result(state.to_dict() if state.version else None)
        return
    verb = verbs.get(name)
    if verb is None:
        unknown = ValidationFailed(f"no operation {name}")
        context.set_result({"ok": False, "error": unknown.to_dict()})
        return
    try:
        data = context.get_input()
        if not isinstance(data, dict):
            raise ValidationFailed("entity operations take an object")
        outcome = verb(state, data, context.entity_key)
    except DomainError as error:
        context.set_result({"ok": False, "error": error.to_dict()})
        _stay_absent_if_empty(context, state)
        return
    context.set_state(decoded_states.store(context.entity_key, outcome.state))
    context.set_result(
        {"ok": True, "result": outcome.result.to_dict(), "summary": summary(outcome.state)}
    )
    _stay_absent_if_empty(context, outcome.state)


def _stay_absent_if_empty(context: df.DurableEntityContext, state: AggregateState) -> None:
    """An entity holding nothing (never created, refused, or freed again) is not stored: the
    SDK marks every entity that answered as existing, with a ``null`` state readers trip on."""
    if state.is_empty:
        context.destruct_on_exit()
