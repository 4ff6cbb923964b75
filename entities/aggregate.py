"""The shared shape of an entity command: recall a repeat, decide events, fold them, remember.

Each aggregate's state is a frozen, JSON-safe dataclass deriving from ``AggregateState``; its
verbs build a ``Step`` and give ``execute`` two functions: ``decide`` (check the rules, return the
event payloads or raise a ``DomainError``) and ``evolve`` (apply one event to the state).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from contracts.events import Event
from contracts.payload import EventPayload
from contracts.wire import WireFormatError, from_wire, to_wire
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
class AppliedCommand:
    """A remembered command. Its result stays in wire form: state is loaded on every operation
    and a repeat is rare, so the result is only decoded when a repeat asks for it."""

    command_id: str
    operation: str
    actor: str
    result: dict[str, Any]
    fingerprint: str = ""
    # A workflow's step rather than a client's command: the two are remembered separately.
    step: bool = False


@dataclass(frozen=True, kw_only=True)
class AggregateState:
    """``version`` counts accepted events (0: the aggregate does not exist yet)."""

    version: int = 0
    applied: tuple[AppliedCommand, ...] = ()

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
    entry = AppliedCommand(
        step.key, step.operation, step.principal.user_id, result.to_dict(), step.fingerprint,
        step.workflow,
    )
    kept = _remember(new_state.applied, entry, step.memory)
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
        return CommandResult.from_dict(entry.result)
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
