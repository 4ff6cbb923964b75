"""Host keys: the key file, and which key opens which auth level."""

from __future__ import annotations

import json
import logging
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from devhost.host import MaskingFormatter
from devhost.keys import (
    HostKeys,
    KeyFileError,
    authorize,
    load_or_create_keys,
    load_or_create_secret_file,
    presented_key,
)
from devhost.testing import DevhostClient, DevhostProcess

SAMPLE = Path(__file__).parent / "apps" / "sample"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keys(tmp_path: Path) -> HostKeys:
    return load_or_create_keys(tmp_path)


class TestKeyFile:
    def test_created_on_first_run_with_mode_0600_in_a_new_directory(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "nested" / "data"
        load_or_create_keys(data_dir)
        assert mode(data_dir / "keys.json") == 0o600
        assert mode(data_dir) == 0o700

    def test_stable_across_loads(self, tmp_path: Path) -> None:
        first = load_or_create_keys(tmp_path)
        second = load_or_create_keys(tmp_path)
        assert first == second

    def test_keys_are_random_url_safe_and_distinct(self, tmp_path: Path) -> None:
        a = load_or_create_keys(tmp_path / "a")
        b = load_or_create_keys(tmp_path / "b")
        assert a.master_key != b.master_key
        values = [a.function_key, a.master_key, *a.system_keys.values()]
        assert len(set(values)) == len(values)
        for value in values:
            assert len(value) >= 40
            assert all(c.isalnum() or c in "-_" for c in value)

    def test_has_the_system_keys_extensions_need(self, keys: HostKeys) -> None:
        assert {"durabletask_extension", "eventgrid_extension"} <= set(keys.system_keys)

    def test_older_file_gains_missing_system_keys_and_keeps_the_rest(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.json"
        path.write_text(json.dumps({"functionKeys": {"default": "f" * 40}, "masterKey": "m" * 40}))
        path.chmod(0o600)
        keys = load_or_create_keys(tmp_path)
        assert (keys.function_key, keys.master_key) == ("f" * 40, "m" * 40)
        assert set(keys.system_keys) == {"durabletask_extension", "eventgrid_extension"}
        assert load_or_create_keys(tmp_path) == keys
        assert mode(path) == 0o600

    def test_loose_permissions_are_tightened(self, tmp_path: Path) -> None:
        load_or_create_keys(tmp_path)
        (tmp_path / "keys.json").chmod(0o644)
        load_or_create_keys(tmp_path)
        assert mode(tmp_path / "keys.json") == 0o600

    def test_a_data_folder_others_may_enter_is_tightened(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "data"
        data_dir.mkdir(mode=0o755)
        data_dir.chmod(0o755)
        load_or_create_keys(data_dir)
        assert mode(data_dir) == 0o700

    @pytest.mark.parametrize("content", ["not json", "[]", '{"masterKey": "m"}'])
    def test_corrupt_file_is_an_error_not_silently_replaced(
        self, tmp_path: Path, content: str
    ) -> None:
        path = tmp_path / "keys.json"
        path.write_text(content)
        with pytest.raises(KeyFileError):
            load_or_create_keys(tmp_path)
        assert path.read_text() == content

    def test_repr_never_shows_a_key(self, keys: HostKeys) -> None:
        text = repr(keys) + str(keys)
        for secret in [keys.function_key, keys.master_key, *keys.system_keys.values()]:
            assert secret not in text
        assert "durabletask_extension" in text

    def test_secret_file_keeps_the_first_value(self, tmp_path: Path) -> None:
        path = tmp_path / "s.key"
        assert load_or_create_secret_file(path, lambda: "one") == "one"
        assert load_or_create_secret_file(path, lambda: "two") == "one"
        assert mode(path) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["s.key"]


class TestAuthorize:
    @pytest.mark.parametrize(
        ("level", "key", "allowed"),
        [
            ("anonymous", None, True),
            ("anonymous", "wrong", True),
            ("function", None, False),
            ("function", "", False),
            ("function", "wrong", False),
            ("function", "function", True),
            ("function", "master", True),
            ("function", "system", True),
            ("admin", "function", False),
            ("admin", "system", False),
            ("admin", "master", True),
            ("admin", None, False),
            ("system", "function", False),
            ("system", "system", True),
            ("system", "master", True),
        ],
    )
    def test_matrix(self, keys: HostKeys, level: str, key: str | None, allowed: bool) -> None:
        presented = {
            "function": keys.function_key,
            "master": keys.master_key,
            "system": keys.system_keys["durabletask_extension"],
        }.get(key or "", key)
        assert authorize(keys, level, presented) is allowed
        assert authorize(keys, level.upper(), presented) is allowed

    def test_every_system_key_counts(self, keys: HostKeys) -> None:
        assert authorize(keys, "system", keys.system_keys["eventgrid_extension"])

    def test_non_ascii_key_is_simply_wrong(self, keys: HostKeys) -> None:
        assert not authorize(keys, "function", "clé")

    def test_prefix_of_a_key_is_wrong(self, keys: HostKeys) -> None:
        assert not authorize(keys, "function", keys.function_key[:-1])

    def test_unknown_level_is_a_programming_error(self, keys: HostKeys) -> None:
        with pytest.raises(ValueError, match="unknown auth level"):
            authorize(keys, "user", keys.master_key)


class TestPresentedKey:
    def test_query_code(self) -> None:
        assert presented_key({"code": "q"}, {}) == "q"

    def test_header_case_insensitive(self) -> None:
        assert presented_key({}, {"X-Functions-Key": "h"}) == "h"

    def test_header_wins_over_query(self) -> None:
        assert presented_key({"code": "q"}, {"x-functions-key": "h"}) == "h"

    def test_nothing_or_empty_is_none(self) -> None:
        assert presented_key({}, {}) is None
        assert presented_key({"code": ""}, {}) is None


def keys_of(keys: HostKeys) -> list[str]:
    return [keys.function_key, keys.master_key, *keys.system_keys.values()]


class TestHostStatus:
    """`/admin/host/status`, asked over HTTP as anyone on the network could."""

    FULL = {"state", "version", "processUptime", "functions"}

    def test_without_the_master_key_it_says_running_and_nothing_else(
            self, devhost: DevhostClient) -> None:
        presented: list[dict[str, Any]] = [
            {},
            {"params": {"code": "wrong"}},
            {"headers": {"x-functions-key": "wrong"}},
            {"params": {"code": devhost.keys.function_key}},
            {"headers": {"x-functions-key": devhost.keys.system_keys["durabletask_extension"]}},
            {"params": {"code": devhost.keys.system_keys["eventgrid_extension"]}},
            # A present header wins even when empty, so the master key in the query is ignored.
            {"headers": {"x-functions-key": ""}, "params": {"code": devhost.keys.master_key}},
        ]
        for kwargs in presented:
            r = devhost.http("GET", "admin/host/status", **kwargs)
            assert r.status_code == 200, kwargs
            assert r.json() == {"state": "Running"}, kwargs
            for name in ("hello_sequence", "secure_ping", "say_hello"):
                assert name not in r.text, kwargs

    @pytest.mark.parametrize("where", ["header", "query"])
    def test_the_master_key_gets_the_details(self, devhost: DevhostClient, where: str) -> None:
        key = devhost.keys.master_key
        kwargs: dict[str, Any] = ({"headers": {"x-functions-key": key}} if where == "header"
                                  else {"params": {"code": key}})
        r = devhost.http("GET", "admin/host/status", **kwargs)
        assert r.status_code == 200
        body = r.json()
        assert set(body) == self.FULL
        assert body["state"] == "Running" and body["version"] == "devhost"
        assert {"hello_sequence", "secure_ping", "say_hello"} <= set(body["functions"])


class TestNoKeyInTheLog:
    def test_no_key_appears_in_the_host_output(self, tmp_path: Path) -> None:
        host = DevhostProcess(SAMPLE, tmp_path / "d", env={"DEVHOST_LOG_LEVEL": "DEBUG"})
        host.start()
        try:
            client = DevhostClient(host)
            keys = client.keys
            # Requests that carry every kind of key, and a failure that logs a traceback.
            assert client.http("GET", "api/secure/ping",
                               params={"code": keys.function_key}).status_code == 200
            assert client.http("GET", "api/admin-only",
                               headers={"x-functions-key": keys.master_key}).status_code == 200
            assert client.http("GET", "api/boom",
                               params={"code": keys.master_key}).status_code == 500
            assert client.mgmt_call("GET", "monitor").status_code == 200
            # An app's own log line that happens to carry a key: the log masks it.
            iid = client.start("logger_orch", instance_id=f"leak-{keys.master_key}")
            assert client.wait(iid)["runtimeStatus"] == "Completed"
            host.wait_output("orchestrator-log-line leak-***")
        finally:
            host.stop()
        output = host.wait_output("devhost stopped")
        for secret in keys_of(keys):
            assert secret not in output
        # Where the key was, the start-up listing says how to get it.
        assert "/runtime/webhooks/durabletask/monitor?code=<system key>" in output
        assert f"devhost keys --data {host.data_dir}" in output

    def test_the_log_format_masks_keys_in_messages_and_tracebacks(self, keys: HostKeys) -> None:
        formatter = MaskingFormatter("%(levelname)s %(message)s")
        formatter.hidden = tuple(keys_of(keys))
        try:
            raise RuntimeError(f"client binding {keys.system_keys['durabletask_extension']}")
        except RuntimeError:
            record = logging.LogRecord("app", logging.ERROR, __file__, 1, "url ?code=%s",
                                       (keys.function_key,), sys.exc_info())
        text = formatter.format(record)
        assert "url ?code=***" in text and "client binding ***" in text
        for secret in keys_of(keys):
            assert secret not in text
