"""Function keys, as the Functions host issues and checks them.

Keys live in ``<data_dir>/keys.json`` (mode 0600), created on first run and stable afterwards, so
URLs with ``?code=`` keep working across restarts. ``authorize`` implements the auth levels of
``func.AuthLevel``: anonymous, function (function key or master key), admin (master key), plus
system (master key or a system key, as the durable and Event Grid webhooks use).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devhost.private import private_dir, tighten

__all__ = [
    "KEYS_FILE",
    "SYSTEM_KEY_NAMES",
    "HostKeys",
    "KeyFileError",
    "authorize",
    "load_or_create_keys",
    "load_or_create_secret_file",
    "new_key",
    "presented_key",
]

KEYS_FILE = "keys.json"
SYSTEM_KEY_NAMES = ("durabletask_extension", "eventgrid_extension")
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


class KeyFileError(ValueError):
    """The key file exists but cannot be used; it is never silently replaced."""


def new_key() -> str:
    """A random URL-safe key of about 40 characters."""
    return secrets.token_urlsafe(30)


@dataclass(frozen=True)
class HostKeys:
    """The host's keys. ``repr`` names the system keys but never shows a key."""

    function_key: str = field(repr=False)
    master_key: str = field(repr=False)
    system_keys: dict[str, str] = field(repr=False)

    def __repr__(self) -> str:
        return f"HostKeys(function_key=***, master_key=***, system_keys={sorted(self.system_keys)})"

    def to_json(self) -> dict[str, object]:
        return {
            "functionKeys": {"default": self.function_key},
            "masterKey": self.master_key,
            "systemKeys": dict(self.system_keys),
        }


def load_or_create_secret_file(path: Path, make: Callable[[], str]) -> str:
    """Read a secret file, or create it (0600, directory 0700) with ``make()`` if missing.

    Creation is exclusive: if two processes race, both end up with the first one's secret.
    A file readable by others is tightened to 0600, a folder others may enter to 0700.
    """
    private_dir(path.parent)
    try:
        return _read_private(path)
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it 0600
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read_private(path)


def _read_private(path: Path) -> str:
    tighten(path)
    return path.read_text(encoding="utf-8")


def _fresh_keys_json() -> str:
    keys = HostKeys(new_key(), new_key(), {name: new_key() for name in SYSTEM_KEY_NAMES})
    return json.dumps(keys.to_json(), indent=2) + "\n"


def load_or_create_keys(data_dir: Path) -> HostKeys:
    """The host keys from ``data_dir/keys.json``, creating the file on first run."""
    path = data_dir / KEYS_FILE
    text = load_or_create_secret_file(path, _fresh_keys_json)
    try:
        data = json.loads(text)
        function_key = data["functionKeys"]["default"]
        master_key = data["masterKey"]
        system_keys = dict(data.get("systemKeys", {}))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a valid key file ({type(exc).__name__})") from None
    values = [function_key, master_key, *system_keys.values()]
    if not all(isinstance(v, str) and v for v in values):
        raise KeyFileError(f"{path}: keys must be non-empty strings")
    missing = [name for name in SYSTEM_KEY_NAMES if name not in system_keys]
    if missing:
        # An older file: add the new system keys, keep every existing key.
        system_keys.update({name: new_key() for name in missing})
        keys = HostKeys(function_key, master_key, system_keys)
        _rewrite(path, json.dumps(keys.to_json(), indent=2) + "\n")
        return keys
    return HostKeys(function_key, master_key, system_keys)


def _rewrite(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _same(presented: bytes, key: str) -> bool:
    return hmac.compare_digest(presented, key.encode("utf-8"))


def authorize(keys: HostKeys, level: str, presented: str | None) -> bool:
    """Whether ``presented`` satisfies an auth level (anonymous, function, system, admin).

    Levels are ordered as in the host's ``AuthorizationLevel`` enum (Anonymous < Function <
    System < Admin) and a key grants its own level and every lower one: the host classifies the
    presented key (master -> Admin, system key -> System, function key -> Function) and then
    checks ``requestLevel >= required`` (``AuthorizationLevelAttribute`` /
    ``AuthenticationLevelHandler`` in azure-functions-host). So a system key also opens
    function-level triggers, exactly as in Azure.
    """
    wanted = level.lower()
    if wanted == "anonymous":
        return True
    if wanted == "function":
        candidates = [keys.function_key, *keys.system_keys.values(), keys.master_key]
    elif wanted == "system":
        candidates = [*keys.system_keys.values(), keys.master_key]
    elif wanted == "admin":
        candidates = [keys.master_key]
    else:
        raise ValueError(f"unknown auth level {level!r}")
    if not presented:
        return False
    given = presented.encode("utf-8")
    # Compare against every candidate so timing does not tell which key nearly matched.
    results = [_same(given, key) for key in candidates]
    return any(results)


def presented_key(query: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
    """The key a request presents: header ``x-functions-key``, else query ``code``.

    As in the host, a present header wins even when empty (the query is then not consulted).
    """
    for name, value in headers.items():
        if name.lower() == KEY_HEADER:
            return value or None
    code = query.get(KEY_QUERY)
    return code or None
