"""A command workflow that crashes (a bug, not a refusal) still counts as a failed command."""

from __future__ import annotations

import uuid

from obs_api import ObsApi
from obs_metrics import total

from security.command_seal import seal
from security.keys import LocalKeyProvider

RESULTS = "orders_command_results_total"


def test_a_crashed_workflow_is_counted_once_as_a_failed_command(obs: ObsApi) -> None:
    labels = {"command_type": "PlaceOrder", "outcome": "failed", "code": "InternalError"}
    before = total(obs.metrics(), RESULTS, **labels)
    # An envelope no API would build, sealed with the app's key so the workflow runs it: it
    # fails to read the command in it.
    instance = "crash-" + uuid.uuid4().hex
    broken = {"type": "PlaceOrder", "command": {}, "issuer": {"userId": "x", "roles": []}}
    keys = LocalKeyProvider(obs.orders_data.parent / "keys")
    obs.client.start("place_order", seal(broken, instance, keys), instance_id=instance)
    status = obs.client.wait(instance)
    assert status["runtimeStatus"] == "Failed" and "PlaceOrder.commandId is required" in \
        status["output"]
    assert total(obs.metrics(), RESULTS, **labels) == before + 1
