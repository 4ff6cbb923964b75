"""Sub-orchestrations: a parent provisions devices in parallel children that each wait for the
device's acknowledgement."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "sub_orchestrations"


def test_the_parent_waits_for_every_child(devhost: DevhostClient,
                                          follow: Callable[..., dict[str, Any]]) -> None:
    started = devhost.http("GET", "api/orchestrators/ProvisionNewDevices")
    parent = str(follow(started, until=("Running",))["instanceId"])
    children = [f"{parent}:{i}" for i in range(3)]
    for child in children:
        devhost.wait_history(child, "TaskCompleted", count=2)  # waiting for the ack now
    assert devhost.status(parent)["runtimeStatus"] == "Running"
    for child in children:
        assert devhost.raise_event(child, "DownloadCompletedAck").status_code == 202
    status = devhost.wait(parent)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == [
        {"device": f"sensor-{i}", "package": f"https://packages.example/sensor-{i}.zip"}
        for i in (1, 2, 3)]
    history = devhost.status(parent, history=True)["historyEvents"]
    children_done = [e["FunctionName"] for e in history
                     if e["EventType"] == "SubOrchestrationInstanceCompleted"]
    assert children_done == ["DeviceProvisioningOrchestration"] * 3
    assert all(devhost.status(c)["runtimeStatus"] == "Completed" for c in children)
