"""What a long-running process keeps per instance stays bounded, however many orders pass."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace
from typing import cast

from devhost.durable.runtime import EPISODE_COSTS_KEPT, Runtime


def test_episode_costs_are_kept_for_recent_instances_only() -> None:
    """An instance that waits for days (a deadline watch per order) kept its entry for good."""
    rt = cast(Runtime, SimpleNamespace(_episode_ms=OrderedDict()))
    for n in range(3 * EPISODE_COSTS_KEPT):
        Runtime._episode_cost(rt, f"deadline-{n}", 1.5)
    assert len(rt._episode_ms) == EPISODE_COSTS_KEPT
    newest = f"deadline-{3 * EPISODE_COSTS_KEPT - 1}"
    assert rt._episode_ms[newest] == 1.5
    assert "deadline-0" not in rt._episode_ms


def test_an_instance_run_again_keeps_its_episode_cost() -> None:
    rt = cast(Runtime, SimpleNamespace(_episode_ms=OrderedDict()))
    Runtime._episode_cost(rt, "fan-out", 40.0)
    for n in range(EPISODE_COSTS_KEPT - 1):
        Runtime._episode_cost(rt, f"other-{n}", 1.0)
    Runtime._episode_cost(rt, "fan-out", 42.0)
    Runtime._episode_cost(rt, "one-more", 1.0)
    assert rt._episode_ms["fan-out"] == 42.0
    assert "other-0" not in rt._episode_ms
