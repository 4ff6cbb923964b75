"""Blueprints: durable functions on a df.Blueprint, registered on a func.FunctionApp whose
functions need a function key."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "blueprint"


def test_the_apps_own_trigger_needs_the_function_key(devhost: DevhostClient) -> None:
    assert devhost.http("GET", "api/HttpTrigger", params={"name": "Ann"}).status_code == 401
    r = devhost.http("GET", "api/HttpTrigger",
                     params={"name": "Ann", "code": devhost.keys.function_key})
    assert r.status_code == 200
    assert r.text.startswith("Hello, Ann.")


def test_the_blueprints_starter_runs_its_orchestration(
        devhost: DevhostClient, follow: Callable[..., dict[str, Any]]) -> None:
    assert devhost.http("POST", "api/startOrchestrator").status_code == 401
    started = devhost.http("POST", "api/startOrchestrator",
                           headers={"x-functions-key": devhost.keys.function_key})
    status = follow(started)
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
