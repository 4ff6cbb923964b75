"""The shared shape of an entity command: recall a repeat, decide events, fold them, remember.

Each aggregate's state is a frozen, JSON-safe dataclass deriving from ``AggregateState``; its
verbs build a ``Step`` and give ``execute`` two functions: ``decide`` (check the rules, return the
event payloads or raise a ``DomainError``) and ``evolve`` (apply one event to the state).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from contracts.events import Event
from contracts.payload import EventPayload
from contracts.wire import WireFormatError, from_wire, to_wire
from entities.context import CommandContext, StepContext
from entities.errors import IdempotencyKeyReused, ValidationFailed, VersionConflict
from security.principal import Principal


@dataclass(frozen=True)
class CommandResult:
    """What an accepted command returns, and what a repeat of it returns again."""

    command_id: str
    aggregate_id: str
    version: int
    events: tuple[Event, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> CommandResult:
        return from_wire(cls, data)


@dataclass(frozen=True)
class RememberedEvent:
    """An event of a remembered command, as little as rebuilds it: the rest (aggregate, version,
    time, actor) is the command's own."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class AppliedCommand:
    """A remembered command. State is loaded and stored on every operation and a repeat is
    rare, so the result is kept compact and only rebuilt when a repeat asks for it."""

    command_id: str
    operation: str
    actor: str
    result: dict[str, Any] | None = None  # states stored before 2026-12 kept the whole result
    fingerprint: str = ""
    # A workflow's step rather than a client's command: the two are remembered separately.
    step: bool = False
    aggregate_id: str = ""
    version: int = 0  # the aggregate's version after the command
    occurred_at: str = ""
    events: tuple[RememberedEvent, ...] = ()

    @classmethod
    def of(cls, step: Step, result: CommandResult) -> AppliedCommand:
        events = tuple(RememberedEvent(event.type, event.data) for event in result.events)
        return cls(step.key, step.operation, step.principal.user_id, None, step.fingerprint,
                   step.workflow, result.aggregate_id, result.version, step.occurred_at, events)

    def first_result(self) -> CommandResult:
        if self.result is not None:
            return CommandResult.from_dict(self.result)
        first = self.version - len(self.events) + 1
        events = tuple(
            Event(remembered.type, self.aggregate_id, first + index, self.occurred_at,
                  self.actor, remembered.data)
            for index, remembered in enumerate(self.events)
        )
        return CommandResult(self.command_id, self.aggregate_id, self.version, events)


@dataclass(frozen=True, kw_only=True)
class AggregateState:
    """``version`` counts accepted events (0: the aggregate does not exist yet)."""

    version: int = 0
    applied: tuple[AppliedCommand, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing happened to it, or all of it was undone: not worth storing."""
        return not self.version and not self.applied

    def to_dict(self) -> dict[str, Any]:
        return dict(to_wire(self))

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Rebuild state from entity JSON; ``None`` or ``{}`` is a fresh aggregate."""
        if data is None:
            return cls()
        try:
            return from_wire(cls, data)
        except WireFormatError as error:
            raise ValueError(f"stored {cls.__name__} is unreadable: {error}") from None


S = TypeVar("S", bound=AggregateState)

# What the shared entities (a customer, a SKU) remember. Client commands: few, since clients'
# retries find their command at the API and this is a backstop. Workflow steps (reserve,
# release, commit, settle): they repeat right after a crash or a rewind, not hundreds of
# operations later, and each remembered step holds its events, loaded and stored on every
# operation of a busy customer or a hot SKU.
SHARED_REMEMBERED_COMMANDS = 4
SHARED_REMEMBERED_STEPS = 12


def summed_records(data: object, records: str, amount: str, into: str) -> object:
    """A state stored with one record per open order (``records``: ``[{..., amount}]``, as
    before 2026-12) as the sum of their ``amount`` in ``into``; the records are dropped."""
    if not isinstance(data, Mapping) or records not in data:
        return data
    old: dict[str, Any] = dict(data)
    old[into] = sum(int(record.get(amount, 0)) for record in old.pop(records) or [])
    return old


@dataclass(frozen=True)
class Outcome(Generic[S]):
    state: S
    result: CommandResult


@dataclass(frozen=True)
class Step:
    """One operation on one aggregate; ``key`` identifies repeats of it."""

    aggregate_id: str
    key: str
    operation: str
    principal: Principal
    occurred_at: str
    # A workflow's step (reserve, release, ...) is remembered apart from client commands.
    workflow: bool = False
    memory: int = 32
    # The arguments that must match for a repeat to count as the same step (e.g. an amount).
    fingerprint: str = ""

    @classmethod
    def of_command(cls, aggregate_id: str, ctx: CommandContext, operation: str,
                   memory: int) -> Step:
        """A client's command, recalled by its command id."""
        return cls(aggregate_id, ctx.command_id, operation, ctx.principal, ctx.occurred_at,
                   memory=memory)

    @classmethod
    def of_workflow(cls, aggregate_id: str, ctx: StepContext, operation: str, memory: int,
                    fingerprint: object = "") -> Step:
        """A workflow's step for its command, recalled by command id and operation."""
        return cls(aggregate_id, ctx.key(operation), operation, ctx.principal, ctx.occurred_at,
                   workflow=True, memory=memory, fingerprint=str(fingerprint))


def execute(
    state: S,
    step: Step,
    decide: Callable[[], Sequence[EventPayload]],
    evolve: Callable[[S, EventPayload, Event], S],
) -> Outcome[S]:
    previous = _recall(state.applied, step)
    if previous is not None:
        return Outcome(state, previous)
    new_state = state
    events: list[Event] = []
    for payload in decide():
        event = Event.create(
            payload,
            aggregate_id=step.aggregate_id,
            version=new_state.version + 1,
            occurred_at=step.occurred_at,
            actor=step.principal.user_id,
        )
        new_state = dataclasses.replace(evolve(new_state, payload, event), version=event.version)
        events.append(event)
    result = CommandResult(step.key, step.aggregate_id, new_state.version, tuple(events))
    kept = _remember(new_state.applied, AppliedCommand.of(step, result), step.memory)
    return Outcome(dataclasses.replace(new_state, applied=kept), result)


def record(state: S, step: Step, change: Callable[[], S]) -> Outcome[S]:
    """Like ``execute`` for a change that emits no event (a claim): ``change`` checks the rules
    and returns the new state; the step is remembered, so a repeat returns its first result."""
    previous = _recall(state.applied, step)
    if previous is not None:
        return Outcome(state, previous)
    new_state = change()
    result = CommandResult(step.key, step.aggregate_id, new_state.version)
    kept = _remember(new_state.applied, AppliedCommand.of(step, result), step.memory)
    return Outcome(dataclasses.replace(new_state, applied=kept), result)


def _remember(
    applied: tuple[AppliedCommand, ...], entry: AppliedCommand, memory: int
) -> tuple[AppliedCommand, ...]:
    """Keep the newest ``memory`` entries of the new entry's kind and every entry of the other.

    State is loaded and stored on every operation, so its size is paid each time: a hot SKU's
    stream of reservations must not push out the rarer client commands, nor grow the state."""
    same = [e for e in applied if e.step == entry.step]
    dropped = {id(e) for e in same[: max(0, len(same) + 1 - memory)]}
    return (*(e for e in applied if id(e) not in dropped), entry)


def _recall(applied: Sequence[AppliedCommand], step: Step) -> CommandResult | None:
    """The first result of a repeated command or step. A key names one command of one caller:
    the same key from another caller, or with other arguments, is a different request."""
    for entry in applied:
        if entry.command_id != step.key:
            continue
        same = (entry.operation, entry.fingerprint, entry.actor) == (
            step.operation, step.fingerprint, step.principal.user_id)
        if not same:
            raise IdempotencyKeyReused()
        return entry.first_result()
    return None


def forget(applied: tuple[AppliedCommand, ...], key: str) -> tuple[AppliedCommand, ...]:
    """The memory without ``key``: a command that was undone may be sent again."""
    return tuple(entry for entry in applied if entry.command_id != key)


def check_expected_version(expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise VersionConflict(
            f"Expected version {expected}, but the current version is {current}.",
            details={"expectedVersion": expected, "currentVersion": current},
        )


def check_aggregate_id(given: str, current: str, field: str) -> None:
    """A command addressed to one aggregate must not be applied to another."""
    if current and given != current:
        raise ValidationFailed(f"{field} does not match this entity", field=field)
