"""What every entity operation carries besides its arguments: who, when, and which command.

Time is always passed in (orchestrations are replayed and must be deterministic), so domain code
never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.wire import normalize_timestamp
from entities.errors import ValidationFailed
from security.principal import Principal

MAX_COMMAND_ID_LENGTH = 128


def _checked_timestamp(occurred_at: str) -> str:
    try:
        return normalize_timestamp(occurred_at)
    except ValueError:
        raise ValidationFailed(
            "occurredAt must be an RFC 3339 UTC timestamp", field="occurredAt"
        ) from None


def _check_command_id(command_id: object) -> None:
    valid = (
        isinstance(command_id, str)
        and 1 <= len(command_id) <= MAX_COMMAND_ID_LENGTH
        and all(" " <= ch <= "~" for ch in command_id)
    )
    if not valid:
        raise ValidationFailed(
            "commandId must be 1-128 printable ASCII characters", field="commandId"
        )


@dataclass(frozen=True)
class CommandContext:
    """A client command: its idempotency key, optional ``expected_version`` and its principal."""

    principal: Principal
    command_id: str
    occurred_at: str
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _check_command_id(self.command_id)
        expected = self.expected_version
        if expected is not None and (isinstance(expected, bool) or expected < 0):
            raise ValidationFailed(
                "expectedVersion must be a non-negative integer", field="expectedVersion"
            )
        object.__setattr__(self, "occurred_at", _checked_timestamp(self.occurred_at))


@dataclass(frozen=True)
class StepContext:
    """A workflow step (reserve, release, commit, settle) an orchestration runs for a command
    it already authorized. The step belongs to that command: it is idempotent per command id
    and operation, so a step can only ever repeat, count or undo what its own command did."""

    principal: Principal
    occurred_at: str
    command_id: str

    def __post_init__(self) -> None:
        _check_command_id(self.command_id)
        object.__setattr__(self, "occurred_at", _checked_timestamp(self.occurred_at))

    def key(self, operation: str) -> str:
        return f"{self.command_id}/{operation}"
