"""Repeated command ids and optimistic concurrency on the Order aggregate."""

from __future__ import annotations

import pytest
from domain_builders import (
    ALICE,
    BOB,
    FRED,
    SAM,
    T0,
    address,
    claim,
    cmd,
    confirmed,
    place,
    placed_order,
    through_json,
)

from entities import errors, order
from entities.context import CommandContext
from entities.order import REMEMBERED_COMMANDS, OrderState, OrderStatus


def test_a_repeated_place_returns_its_first_result_and_changes_nothing() -> None:
    ctx = cmd(ALICE, command_id="place-1")
    first = claim(ALICE, ctx=ctx)
    again = claim(ALICE, ctx=ctx, state=first.state)
    assert again.result == first.result
    assert again.state == first.state
    assert again.state.status is OrderStatus.PENDING


def test_a_repeat_after_later_commands_still_returns_the_first_result() -> None:
    ctx = cmd(ALICE, command_id="place-1")
    first = claim(ALICE, ctx=ctx)
    placed = confirmed(first.state, ctx)
    shipped = order.ship(placed, cmd(FRED), carrier="DHL", tracking_number="T1").state
    again = claim(ALICE, ctx=ctx, state=through_json(shipped))
    assert again.result == first.result
    assert again.state == shipped


def test_a_repeated_cancel_is_not_an_error_but_a_new_cancel_is() -> None:
    ctx = cmd(ALICE, command_id="cancel-1")
    cancelled = order.cancel(placed_order(), ctx, reason="oops")
    repeat = order.cancel(cancelled.state, ctx, reason="oops")
    assert repeat.result == cancelled.result
    with pytest.raises(errors.OrderCancelled):
        order.cancel(cancelled.state, cmd(ALICE), reason="oops")


def test_a_command_id_cannot_be_reused_for_another_operation() -> None:
    state = placed_order()
    state = order.change_address(
        state, cmd(ALICE, command_id="k-1"), shipping_address=address()
    ).state
    with pytest.raises(errors.IdempotencyKeyReused):
        order.cancel(state, cmd(ALICE, command_id="k-1"), reason="x")


def test_a_command_id_cannot_be_replayed_by_another_caller() -> None:
    state = placed_order()
    state = order.cancel(state, cmd(ALICE, command_id="k-1"), reason="x").state
    with pytest.raises(errors.IdempotencyKeyReused):
        order.cancel(state, cmd(SAM, command_id="k-1"), reason="x")


def test_remembered_results_are_bounded() -> None:
    state = placed_order()
    first_id = "addr-0"
    for i in range(REMEMBERED_COMMANDS + 5):
        ctx = cmd(ALICE, command_id=f"addr-{i}")
        state = order.change_address(state, ctx, shipping_address=address()).state
    assert len([entry for entry in state.applied if not entry.step]) == REMEMBERED_COMMANDS
    assert first_id not in {entry.command_id for entry in state.applied}
    assert state.version == 1 + REMEMBERED_COMMANDS + 5


def test_versions_are_consecutive_and_start_at_one() -> None:
    state = OrderState()
    assert state.version == 0
    versions: list[int] = []
    state = place(ALICE, state=state).state
    versions.append(state.version)
    for _ in range(3):
        outcome = order.change_address(state, cmd(ALICE), shipping_address=address())
        versions.extend(event.version for event in outcome.result.events)
        assert outcome.result.version == outcome.state.version
        state = outcome.state
    assert versions == [1, 2, 3, 4]


def test_a_matching_expected_version_is_accepted() -> None:
    state = placed_order()
    outcome = order.cancel(state, cmd(ALICE, expected_version=1), reason="x")
    assert outcome.state.version == 2
    assert place(ALICE, ctx=cmd(ALICE, expected_version=0)).state.version == 1


def test_a_stale_expected_version_conflicts() -> None:
    state = order.change_address(placed_order(), cmd(ALICE), shipping_address=address()).state
    with pytest.raises(errors.VersionConflict) as caught:
        order.cancel(state, cmd(ALICE, expected_version=1), reason="x")
    assert caught.value.details == {"expectedVersion": 1, "currentVersion": 2}
    with pytest.raises(errors.VersionConflict):
        place(ALICE, ctx=cmd(ALICE, expected_version=3))


def test_a_repeat_wins_over_a_now_stale_expected_version() -> None:
    ctx = cmd(ALICE, command_id="c-1", expected_version=1)
    first = order.cancel(placed_order(), ctx, reason="x")
    assert order.cancel(first.state, ctx, reason="x").result == first.result


def test_ownership_is_checked_before_the_version_is_revealed() -> None:
    with pytest.raises(errors.OrderNotFound):
        order.cancel(placed_order(), cmd(BOB, expected_version=99), reason="x")


@pytest.mark.parametrize("expected", [-1, True])
def test_expected_version_is_a_natural_number(expected: int) -> None:
    with pytest.raises(errors.ValidationFailed):
        cmd(ALICE, expected_version=expected)


@pytest.mark.parametrize("command_id", ["", "x" * 129, "tab\there", "ünicode"])
def test_command_ids_are_short_printable_ascii(command_id: str) -> None:
    with pytest.raises(errors.ValidationFailed):
        CommandContext(ALICE, command_id, T0)
