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


@dataclass(frozen=True)
class CommandContext:
    """A client command: its idempotency key, optional ``expected_version`` and its principal."""

    principal: Principal
    command_id: str
    occurred_at: str
    expected_version: int | None = None

    def __post_init__(self) -> None:
        command_id = self.command_id
        printable_ascii = all(" " <= ch <= "~" for ch in command_id)
        if not 1 <= len(command_id) <= MAX_COMMAND_ID_LENGTH or not printable_ascii:
            raise ValidationFailed(
                "commandId must be 1-128 printable ASCII characters", field="commandId"
            )
        expected = self.expected_version
        if expected is not None and (isinstance(expected, bool) or expected < 0):
            raise ValidationFailed(
                "expectedVersion must be a non-negative integer", field="expectedVersion"
            )
        object.__setattr__(self, "occurred_at", _checked_timestamp(self.occurred_at))


@dataclass(frozen=True)
class StepContext:
    """A workflow step (reserve, release, commit, settle) an orchestration runs for a command
    it already authorized; idempotent per order id, so it needs no command id of its own."""

    principal: Principal
    occurred_at: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", _checked_timestamp(self.occurred_at))
