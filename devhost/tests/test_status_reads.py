"""The status read's speed-ups (a command API's long poll reads it ten times a second) must not
change a byte of what the durable HTTP API answers, nor a value the SDK's client sees."""

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from devhost.durable import history as h
from devhost.durable.api import DurableApi
from devhost.durable.inproc import InProcessClient
from devhost.records import Batch, Instance
from devhost.store import Store

BASE = "http://127.0.0.1:1/durabletask/"
QUERY = "taskHub=hub&connectionName=Storage"
ENGINE = {"started": True, "ids": [0, 1], "retries": {}}
CREATED, UPDATED = 1796595143.9787343, 1796595144.0000004

FINISHED = Instance(
    instance_id="cmd-done", name="place_order", execution_id="e1", status="Completed",
    input='{"commandId": "cmd-done", "lines": [{"sku": "A", "quantity": 2}]}',
    created_at=CREATED, updated_at=UPDATED,
    output='{"status": "succeeded", "result": {"total": 999, "note": "caf\\u00e9"}}',
    custom_status='{"correlationId": "c1"}', engine=ENGINE)
RUNNING = Instance(
    instance_id="cmd-running", name="place_order", execution_id="e2", status="Running",
    input="not json", created_at=CREATED, updated_at=CREATED + 0.5, output=None,
    custom_status=None, engine=ENGINE)
FAILED = Instance(
    instance_id="cmd-failed", name="place_order", execution_id="e3", status="Failed",
    input="null", created_at=CREATED, updated_at=UPDATED + 2,
    output='"Orchestrator function failed: boom"', custom_status='[1, 2.5, NaN]',
    engine=ENGINE)

# What the durable HTTP API answered before the status read was made cheaper, byte for byte.
FINISHED_BODY = (
    b'{"name": "place_order", "instanceId": "cmd-done", "runtimeStatus": "Completed", '
    b'"input": {"commandId": "cmd-done", "lines": [{"sku": "A", "quantity": 2}]}, '
    b'"customStatus": {"correlationId": "c1"}, "output": {"status": "succeeded", '
    b'"result": {"total": 999, "note": "caf\\u00e9"}}, "createdTime": "2026-12-06T22:12:23Z", '
    b'"lastUpdatedTime": "2026-12-06T22:12:24Z"}')
RUNNING_BODY = (
    b'{"name": "place_order", "instanceId": "cmd-running", "runtimeStatus": "Running", '
    b'"input": "not json", "customStatus": null, "output": null, '
    b'"createdTime": "2026-12-06T22:12:23Z", "lastUpdatedTime": "2026-12-06T22:12:24Z"}')
FAILED_BODY = (
    b'{"name": "place_order", "instanceId": "cmd-failed", "runtimeStatus": "Failed", '
    b'"input": null, "customStatus": [1, 2.5, NaN], '
    b'"output": "Orchestrator function failed: boom", "createdTime": "2026-12-06T22:12:23Z", '
    b'"lastUpdatedTime": "2026-12-06T22:12:26Z"}')


@pytest.fixture
def api(tmp_path: Path) -> Iterator[DurableApi]:
    store = Store(tmp_path / "devhost.db")
    store.commit(Batch(instances=[FINISHED, RUNNING, FAILED]))
    try:
        yield DurableApi(SimpleNamespace(store=store), "hub", "key")  # type: ignore[arg-type]
    finally:
        store.close()


async def over_http(api: DurableApi, tail: str) -> tuple[int, dict[str, str], bytes]:
    request = make_mocked_request("GET", f"/durabletask/{tail}")
    response = await api.handle(request, tail.split("?")[0], "http://public")
    assert isinstance(response.body, bytes) or response.body is None
    return response.status, dict(response.headers), response.body or b""


def test_status_bodies_are_byte_identical(api: DurableApi) -> None:
    async def run() -> None:
        assert await over_http(api, f"instances/cmd-done?{QUERY}") == (
            200, {"Content-Type": "application/json; charset=utf-8"}, FINISHED_BODY)
        status, headers, body = await over_http(api, f"instances/cmd-running?{QUERY}")
        assert (status, body) == (202, RUNNING_BODY)
        assert headers["Location"].endswith(f"/durabletask/instances/cmd-running?{QUERY}")
        assert headers["Retry-After"] == "5"
        assert await over_http(api, f"instances/cmd-failed?{QUERY}") == (
            200, {"Content-Type": "application/json; charset=utf-8"}, FAILED_BODY)
        failed = f"instances/cmd-failed?{QUERY}&returnInternalServerErrorOnFailure=true"
        assert (await over_http(api, failed))[0] == 500
        hidden = json.loads(FINISHED_BODY)
        hidden["input"] = None
        no_input = await over_http(api, f"instances/cmd-done?{QUERY}&showInput=false")
        assert no_input[2] == json.dumps(hidden).encode()
        assert (await over_http(api, f"instances/nope?{QUERY}"))[::2] == (404, b"")

    asyncio.run(run())


def test_the_in_process_client_sees_what_the_sdk_would_decode(api: DurableApi) -> None:
    """The SDK's view of each answer: `json.loads` of the body the listener would send."""
    async def run() -> None:
        client = InProcessClient(BASE, lambda request, tail: api.handle(
            request, tail, "http://public"), asyncio.get_running_loop())
        for iid, show_input in [(i, s) for i in ("cmd-done", "cmd-running", "cmd-failed",
                                                 "nope") for s in ("true", "false")]:
            tail = f"instances/{iid}?{QUERY}&showInput={show_input}"
            status, _, body = await over_http(api, tail)
            got = await client.get(BASE + tail)
            assert got == [status, json.loads(body) if body else ""]
            assert json.dumps(got[1]).encode() == body or not body
            # Every read gets values of its own: changing one answer changes no other.
            if isinstance(got[1], dict) and isinstance(got[1].get("output"), dict):
                got[1]["output"]["status"] = "changed"
                assert (await client.get(BASE + tail))[1] == json.loads(body)
        with_history = await client.get(BASE + f"instances/cmd-done?{QUERY}&showHistory=true")
        assert with_history[0] == 200 and with_history[1]["historyEvents"] == []

    asyncio.run(run())


def test_the_in_process_client_gets_the_start_answer_the_sdk_would_decode(
        api: DurableApi) -> None:
    async def start(name: str, instance_id: str | None, input_json: str | None) -> str:
        assert (name, input_json) == ("place_order", json.dumps('{"a": 1}'))
        return instance_id or "new-id"

    api.ops.start = start  # type: ignore[attr-defined]

    async def run() -> None:
        client = InProcessClient(BASE, lambda request, tail: api.handle(
            request, tail, "http://public"), asyncio.get_running_loop())
        got = await client.post(BASE + "orchestrators/place_order/cmd-x", '{"a": 1}')
        request = _WireRequest("POST", BASE + "orchestrators/place_order/cmd-x",
                               json.dumps('{"a": 1}').encode())
        response = await api.handle(request, "orchestrators/place_order/cmd-x",  # type: ignore[arg-type]
                                   "http://public")
        assert isinstance(response.body, bytes)
        assert got == [202, json.loads(response.body)]
        assert got[1]["id"] == "cmd-x" and got[1]["statusQueryGetUri"].startswith(
            "http://public/instances/cmd-x?taskHub=hub")

    asyncio.run(run())


class _WireRequest:
    """A request as the listener gets it: not the in-process client's."""

    def __init__(self, method: str, url: str, body: bytes) -> None:
        self.method, self.url, self._body = method, URL(url, encoded=True), body
        self.query, self.headers = self.url.query, CIMultiDictProxy(CIMultiDict())
        self.content_type = "application/json"

    async def read(self) -> bytes:
        return self._body


def test_listing_instances_reads_the_same_bodies(api: DurableApi) -> None:
    async def run() -> None:
        request = make_mocked_request("GET", f"/durabletask/instances?{QUERY}")
        response = await api.handle(request, "instances", "http://public")
        assert isinstance(response.body, bytes)
        listed = {i["instanceId"]: json.dumps(i).encode() for i in json.loads(response.body)}
        assert listed == {"cmd-done": FINISHED_BODY, "cmd-running": RUNNING_BODY,
                          "cmd-failed": FAILED_BODY}

    asyncio.run(run())


def test_store_reads_still_carry_the_engine(api: DurableApi) -> None:
    store: Store = api.ops.store
    inst = store.instance("cmd-done")
    assert inst == FINISHED and inst.engine == ENGINE


def reference_status_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


seconds = st.integers(min_value=-10**9, max_value=7 * 10**9)
near_boundaries = st.builds(lambda s, d: s + d, seconds, st.sampled_from(
    [0.0, 1e-7, 4.999e-7, 5e-7, 0.5, 0.999999, 0.9999994, 0.9999995, 0.99999951,
     0.9999996, 0.9999999, -1e-7, -5e-7, -0.9999995]))


@given(st.one_of(near_boundaries, st.floats(min_value=-1e9, max_value=7e9)))
def test_status_time_formats_exactly_as_before(epoch: float) -> None:
    assert h.status_time(epoch) == reference_status_time(epoch)


def test_status_time_across_second_boundaries() -> None:
    second = 1796595143
    cases: list[tuple[Any, str]] = [
        (second, "2026-12-06T22:12:23Z"), (second + 0.999999, "2026-12-06T22:12:23Z"),
        (second + 0.9999994, "2026-12-06T22:12:23Z"),
        (second + 0.99999951, "2026-12-06T22:12:24Z"),  # rounds up to the next microsecond
        (second + 1, "2026-12-06T22:12:24Z"), (-0.5, "1969-12-31T23:59:59Z"),
        (-0.0000001, "1970-01-01T00:00:00Z")]
    for epoch, text in cases:
        assert h.status_time(epoch) == text == reference_status_time(epoch), epoch
