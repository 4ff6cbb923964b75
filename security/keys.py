"""Where field-encryption keys come from: the ``KeyProvider`` port and its two adapters.

A key has a name (one per purpose, or one per customer so deleting it erases their data) and
versions; new ciphertext uses the newest version, old ciphertext names the version it needs.
Key material never appears in logs, reprs or exception messages.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

_log = logging.getLogger(__name__)

KEY_SIZE = 32
KEY_NAME_PATTERN = re.compile(r"[A-Za-z0-9-]{1,100}")
KEY_VERSION_PATTERN = re.compile(r"[A-Za-z0-9]{1,64}")
_TOMBSTONE = "erased-"  # Key Vault: the secret that marks a key as erased for good


class KeyNotFound(LookupError):
    """The key name or version does not exist (never created, or erased)."""


class KeyErased(KeyNotFound):
    """The key was destroyed on purpose (crypto-erasure): it is never created again."""


class KeyStoreError(RuntimeError):
    """The key store is unusable (corrupt file, wrong permissions, bad secret value)."""


class KeyProvider(Protocol):
    def current(self, key_name: str) -> tuple[str, bytes]:
        """The newest ``(version, key)`` for writing; creates the key on first use."""
        ...

    def get(self, key_name: str, version: str) -> bytes:
        """The key bytes of one version, for reading; raises ``KeyNotFound``."""
        ...


class ManagedKeyProvider(KeyProvider, Protocol):
    """A provider that can also rotate and destroy keys (rotation, erasure)."""

    def rotate(self, key_name: str) -> str:
        """Add a new newest version; older ones stay readable. Returns the new version."""
        ...

    def delete(self, key_name: str) -> None:
        """Destroy every version for good (crypto-erasure); idempotent."""
        ...

    def key_names(self) -> list[str]:
        ...

    def current_version(self, key_name: str) -> str | None:
        ...

    def is_erased(self, key_name: str) -> bool:
        ...


def check_key_name(key_name: str) -> str:
    if not KEY_NAME_PATTERN.fullmatch(key_name):
        raise ValueError("key names are 1-100 of A-Z a-z 0-9 -")
    return key_name


def check_key_version(version: str) -> str:
    if not KEY_VERSION_PATTERN.fullmatch(version):
        raise ValueError("key versions are 1-64 of A-Z a-z 0-9")
    return version


def customer_key_name(customer_id: str) -> str:
    """The per-customer key name; hashing keeps it valid for Key Vault whatever the id holds."""
    return "cust-" + hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:40]


def new_key() -> bytes:
    return secrets.token_bytes(KEY_SIZE)


def _decode_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyStoreError("a stored key is not valid base64") from None
    if len(key) != KEY_SIZE:
        raise KeyStoreError("a stored key does not have 256 bits")
    return key


@dataclass(frozen=True)
class _KeyRing:
    current: str
    versions: dict[str, str]  # version -> base64 key; repr hidden below

    def __repr__(self) -> str:
        return f"_KeyRing(current={self.current!r}, versions={sorted(self.versions)!r})"


class LocalKeyProvider:
    """Keys in ``<folder>/<keyName>.json`` (mode 0600), created on first use.

    File: ``{"keyName": ..., "current": "2", "versions": {"1": "<base64>", "2": "<base64>"}}``,
    versions numbered from 1. Writers take an ``flock`` on ``<folder>/.keys.lock`` so two
    processes creating the same key on first use agree on one key; files are replaced atomically,
    so readers need no lock. A key file readable by group or others is refused, like ssh does.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self._folder = Path(folder)
        self._cache: dict[str, tuple[tuple[int, int], _KeyRing]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalKeyProvider({str(self._folder)!r})"

    def current(self, key_name: str) -> tuple[str, bytes]:
        ring = self._read(check_key_name(key_name))
        if ring is None:
            ring = self._update(key_name, create_only=True)
        return ring.current, _decode_key(ring.versions[ring.current])

    def key_names(self) -> list[str]:
        """Every live key (erased ones are gone), for rotation and re-encryption."""
        if not self._folder.is_dir():
            return []
        return sorted(p.stem for p in self._folder.glob("*.json")
                      if KEY_NAME_PATTERN.fullmatch(p.stem))

    def current_version(self, key_name: str) -> str | None:
        """The newest version's name without reading key material; ``None`` if no key."""
        ring = self._read(check_key_name(key_name))
        return None if ring is None else ring.current

    def is_erased(self, key_name: str) -> bool:
        return self._tombstone(check_key_name(key_name)).exists()

    def get(self, key_name: str, version: str) -> bytes:
        ring = self._read(check_key_name(key_name))
        if ring is None or version not in ring.versions:
            raise KeyNotFound(f"key {key_name!r} has no version {version!r}")
        return _decode_key(ring.versions[version])

    def rotate(self, key_name: str) -> str:
        """Add a new newest version; older versions stay readable. Returns the new version."""
        ring = self._update(check_key_name(key_name), create_only=False)
        _log.info("rotated field key %s to version %s", key_name, ring.current)
        return ring.current

    def delete(self, key_name: str) -> None:
        """Crypto-erasure: every envelope written with this key becomes unreadable.

        A tombstone (no key material) stays behind, so a late writer (an edge that sealed a
        field for this customer just before) cannot quietly create a fresh key under the name.
        Idempotent: deleting an erased or never-created key leaves a tombstone and succeeds."""
        with self._exclusive():
            tombstone = self._tombstone(check_key_name(key_name))
            if not tombstone.exists():
                fd = os.open(tombstone, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"keyName": key_name, "erased": True}, handle)
                    handle.flush()
                    os.fsync(handle.fileno())
            with contextlib.suppress(FileNotFoundError):
                self._path(key_name).unlink()
            _fsync_folder(self._folder)
            self._cache.pop(key_name, None)
        _log.info("deleted field key %s", key_name)

    def _path(self, key_name: str) -> Path:
        return self._folder / f"{key_name}.json"

    def _tombstone(self, key_name: str) -> Path:
        return self._folder / f"{key_name}.erased"

    def _read(self, key_name: str) -> _KeyRing | None:
        path = self._path(key_name)
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise KeyStoreError(f"key file {path} is readable by others; chmod 600 it")
        stamp = (info.st_ino, info.st_mtime_ns)
        with self._lock:
            cached = self._cache.get(key_name)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        ring = _parse_ring(path.read_text(encoding="utf-8"), path)
        with self._lock:
            self._cache[key_name] = (stamp, ring)
        return ring

    def _update(self, key_name: str, *, create_only: bool) -> _KeyRing:
        with self._exclusive():
            if self._tombstone(key_name).exists():
                raise KeyErased(f"key {key_name!r} was erased")
            ring = self._read(key_name)
            if ring is not None and create_only:
                return ring
            versions = dict(ring.versions) if ring else {}
            version = str(max((int(v) for v in versions), default=0) + 1)
            versions[version] = base64.b64encode(new_key()).decode("ascii")
            new_ring = _KeyRing(current=version, versions=versions)
            self._write(key_name, new_ring)
            if ring is None:
                _log.info("created field key %s", key_name)
            return new_ring

    def _write(self, key_name: str, ring: _KeyRing) -> None:
        document = {"keyName": key_name, "current": ring.current, "versions": ring.versions}
        final = self._path(key_name)
        temp = self._folder / f".{key_name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._folder / ".keys.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make an unlink durable: an erasure that a crash undoes would be no erasure."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_ring(text: str, path: Path) -> _KeyRing:
    try:
        document = json.loads(text)
        current = document["current"]
        versions = document["versions"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise KeyStoreError(f"key file {path} is not a valid key ring") from None
    valid = (
        isinstance(current, str)
        and isinstance(versions, dict)
        and current in versions
        and all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items())
    )
    if not valid:
        raise KeyStoreError(f"key file {path} is not a valid key ring")
    return _KeyRing(current=current, versions=dict(versions))


class KeyVaultKeyProvider:
    """Keys as Key Vault secrets ``<prefix><keyName>``; secret versions are key versions.

    Values are base64 of 32 random bytes. The newest version is cached for ``current_ttl``
    seconds so a rotation reaches every instance soon; a specific version never changes, but
    it is read again after the same time, so an erasure in another instance reaches this one
    too (``forget`` drops a key at once, in the instance that erased it).
    ``azure-keyvault-secrets`` is imported only when an instance is built; ``client_options``
    are passed to its ``SecretClient`` (transport and retry settings, a CA bundle as
    ``connection_verify``, ``verify_challenge_resource``).
    """

    def __init__(
        self,
        vault_url: str,
        credential: Any,
        secret_name_prefix: str = "field-key-",
        *,
        current_ttl: float = 300.0,
        client: Any = None,
        client_options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None:
            from azure.keyvault.secrets import SecretClient

            client = SecretClient(vault_url=vault_url, credential=credential,
                                  **dict(client_options or {}))
        if secret_name_prefix and not KEY_NAME_PATTERN.fullmatch(secret_name_prefix):
            raise ValueError("the secret name prefix may hold only A-Z a-z 0-9 -")
        self._client = client
        self._prefix = secret_name_prefix
        self._ttl = current_ttl
        self._clock = clock
        self._current: dict[str, tuple[float, str]] = {}
        self._keys: dict[tuple[str, str], tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyVaultKeyProvider(prefix={self._prefix!r})"

    def current(self, key_name: str) -> tuple[str, bytes]:
        check_key_name(key_name)
        with self._lock:
            cached = self._current.get(key_name)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            version = cached[1]
            return version, self.get(key_name, version)
        secret = self._fetch(key_name, None)
        if secret is None:
            if self.is_erased(key_name):
                raise KeyErased(f"key {key_name!r} was erased")
            secret = self._client.set_secret(
                self._secret_name(key_name),
                base64.b64encode(new_key()).decode("ascii"),
                content_type="application/octet-stream; encoding=base64",
            )
            _log.info("created field key %s in Key Vault", key_name)
        return self._remember(key_name, secret)

    def get(self, key_name: str, version: str) -> bytes:
        check_key_name(key_name)
        check_key_version(version)
        with self._lock:
            cached = self._keys.get((key_name, version))
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        secret = self._fetch(key_name, version)
        if secret is None:
            with self._lock:
                self._keys.pop((key_name, version), None)
            raise KeyNotFound(f"key {key_name!r} has no version {version!r}")
        key = _decode_key(secret.value)
        with self._lock:
            self._keys[(key_name, version)] = (self._clock(), key)
        return key

    def rotate(self, key_name: str) -> str:
        """Write a new secret version and use it for new writes at once in this process."""
        check_key_name(key_name)
        secret = self._client.set_secret(
            self._secret_name(key_name),
            base64.b64encode(new_key()).decode("ascii"),
            content_type="application/octet-stream; encoding=base64",
        )
        version, _ = self._remember(key_name, secret)
        _log.info("rotated field key %s to version %s", key_name, version)
        return version

    def key_names(self) -> list[str]:
        """Every live key under our prefix (erased ones are deleted), for rotation."""
        names = []
        for props in self._client.list_properties_of_secrets():
            name = str(props.name)
            if name.startswith(self._prefix) and KEY_NAME_PATTERN.fullmatch(
                    name[len(self._prefix):]) and not name.startswith(_TOMBSTONE):
                names.append(name[len(self._prefix):])
        return sorted(names)

    def current_version(self, key_name: str) -> str | None:
        """The newest version, read from the vault (not the cache); ``None`` if no key."""
        check_key_name(key_name)
        secret = self._fetch(key_name, None)
        return None if secret is None else self._remember(key_name, secret)[0]

    def is_erased(self, key_name: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._client.get_secret(self._tombstone_name(key_name))
        except ResourceNotFoundError:
            return False
        return True

    def delete(self, key_name: str) -> None:
        """Crypto-erasure: delete the secret (every version) and purge it when the vault
        allows; a tombstone secret (no key material) keeps ``current`` from creating the key
        again. With purge protection on, the deleted secret stays recoverable by an operator
        until the vault's retention ends; that is logged, not hidden. Idempotent."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        check_key_name(key_name)
        if not self.is_erased(key_name):
            self._client.set_secret(self._tombstone_name(key_name), "erased",
                                    content_type="text/plain", tags={"erasedKey": key_name})
        name = self._secret_name(key_name)
        with contextlib.suppress(ResourceNotFoundError):  # never created, or already deleted
            self._client.begin_delete_secret(name).wait()
        try:
            self._client.purge_deleted_secret(name)
        except ResourceNotFoundError:
            pass
        except HttpResponseError as error:
            _log.warning("field key %s is deleted but could not be purged (%s); it stays "
                         "recoverable until the vault's retention ends", key_name,
                         getattr(error, "status_code", "error"))
        self.forget(key_name)
        _log.info("deleted field key %s from Key Vault", key_name)

    def _tombstone_name(self, key_name: str) -> str:
        return f"{_TOMBSTONE}{self._prefix}{key_name}"

    def forget(self, key_name: str) -> None:
        with self._lock:
            self._current.pop(key_name, None)
            for cached in [k for k in self._keys if k[0] == key_name]:
                del self._keys[cached]

    def _secret_name(self, key_name: str) -> str:
        return f"{self._prefix}{key_name}"

    def _fetch(self, key_name: str, version: str | None) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._client.get_secret(self._secret_name(key_name), version)
        except ResourceNotFoundError:
            return None

    def _remember(self, key_name: str, secret: Any) -> tuple[str, bytes]:
        version = check_key_version(str(secret.properties.version))
        key = _decode_key(secret.value)
        with self._lock:
            self._keys[(key_name, version)] = (self._clock(), key)
            self._current[key_name] = (self._clock(), version)
        return version, key
