"""Key rotation: a new version of every field key, then old ciphertext rewritten under it.

A rotation run has two phases, and a checkpoint (a small JSON file) that lets a run killed at
any point be started again and finish the same run instead of starting another:

1. *keys*: every live key gets one new version (``ManagedKeyProvider.rotate``); the checkpoint
   records each key as it is rotated, so a resumed run never rotates a key twice. New writes use
   the new version as soon as it exists: local key files are re-read when they change, and a
   Key Vault provider in another process picks it up within its ``current_ttl``.
2. *re-encryption*: every stored envelope of an older version is decrypted and sealed again
   under the newest version, with the same associated data (``Resealer``); the stores walk
   their documents (``readmodels.reencrypt``) and the checkpoint records each finished store.
   Rewriting is idempotent: an envelope already under the newest version is left alone, so a
   resumed pass skips what the killed one did.

Old versions are never deleted: the event archive and orchestration history keep the ciphertext
they were written with (docs/architecture.md says why), and they must stay readable.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from security.crypto import DecryptionFailed, Envelope, EnvelopeFormatError, FieldCipher
from security.keys import KeyErased, KeyNotFound, ManagedKeyProvider


class RotationInProgress(RuntimeError):
    """Another process holds the rotation lock."""


@dataclass
class Checkpoint:
    """What a rotation run has done so far; saved after every step (atomically)."""

    run_id: str
    started_at: str
    rotated: dict[str, str] = field(default_factory=dict)  # key name -> version made by this run
    keys_done: bool = False
    stores_done: list[str] = field(default_factory=list)
    # The key being rotated and its newest version just before: a run killed between the
    # rotation and the next save finds the key already moved on, and does not rotate it again.
    rotating: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"runId": self.run_id, "startedAt": self.started_at, "rotated": self.rotated,
                "keysDone": self.keys_done, "storesDone": self.stores_done,
                "rotating": self.rotating}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(str(data["runId"]), str(data["startedAt"]), dict(data.get("rotated") or {}),
                   bool(data.get("keysDone")), list(data.get("storesDone") or []),
                   dict(data.get("rotating") or {}))


class CheckpointFile:
    """The checkpoint at ``path`` (mode 0600; holds key names and versions, never keys), and
    an exclusive lock beside it so two rotations never run at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RotationInProgress(f"another rotation holds {self.path}.lock") from None
            yield
        finally:
            os.close(fd)

    def load(self) -> Checkpoint | None:
        try:
            return Checkpoint.from_dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def save(self, checkpoint: Checkpoint) -> None:
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(checkpoint.to_dict(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)

    def finish(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def start_or_resume(checkpoints: CheckpointFile) -> tuple[Checkpoint, bool]:
    """The unfinished run to resume (``True``), or a new one."""
    found = checkpoints.load()
    if found is not None:
        return found, True
    started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Checkpoint(secrets.token_hex(8), started), False


def rotate_keys(provider: ManagedKeyProvider, checkpoint: Checkpoint,
                save: Callable[[Checkpoint], None],
                progress: Callable[[int, int], None] = lambda done, total: None) -> None:
    """Phase 1: one new version of every live key not yet rotated by this run."""
    names = provider.key_names()
    for index, name in enumerate(names, 1):
        if name not in checkpoint.rotated:
            _rotate_once(provider, checkpoint, name, save)
        progress(index, len(names))
    checkpoint.keys_done = True
    save(checkpoint)


def _rotate_once(provider: ManagedKeyProvider, checkpoint: Checkpoint, name: str,
                 save: Callable[[Checkpoint], None]) -> None:
    try:
        newest = provider.current_version(name)
        if name in checkpoint.rotating and newest != checkpoint.rotating[name]:
            version = newest  # the killed run rotated it before it could say so
        else:
            checkpoint.rotating = {name: newest}
            save(checkpoint)
            version = provider.rotate(name)
    except KeyErased:
        version = None  # erased meanwhile: nothing left to rotate
    checkpoint.rotating = {}
    if version is not None:
        checkpoint.rotated[name] = version
    save(checkpoint)


@dataclass
class ResealCount:
    """What a re-encryption pass found: fields rewritten, and fields it could not open
    (erased keys, or data that fails authentication), which it leaves as they are."""

    documents: int = 0
    rewritten_documents: int = 0
    fields: int = 0
    unreadable: int = 0

    def add(self, other: ResealCount) -> None:
        self.documents += other.documents
        self.rewritten_documents += other.rewritten_documents
        self.fields += other.fields
        self.unreadable += other.unreadable


class Resealer:
    """Rewrites one envelope under the newest version of its key, with the same AAD."""

    def __init__(self, provider: ManagedKeyProvider) -> None:
        self._provider = provider
        self._cipher = FieldCipher(provider)
        self._newest: dict[str, str | None] = {}  # read once per pass (Key Vault: one GET)

    def newest(self, key_name: str) -> str | None:
        """The key's newest version, read once per pass; ``None`` once it is erased."""
        if key_name not in self._newest:
            self._newest[key_name] = self._provider.current_version(key_name)
        return self._newest[key_name]

    def reseal(self, envelope: str, aad: str, count: ResealCount) -> str | None:
        """The envelope under the newest version, or ``None`` when it is current already or
        cannot be opened (an erased customer's key, or the wrong AAD: never rewritten)."""
        try:
            parsed = Envelope.parse(envelope)
            newest = self.newest(parsed.key_name)
            if newest == parsed.key_version:
                return None
            if newest is None:
                raise KeyNotFound(parsed.key_name)
            plaintext = self._cipher.decrypt(envelope, aad)
            fresh = self._cipher.encrypt(plaintext, aad, key_name=parsed.key_name)
        except (KeyNotFound, DecryptionFailed, EnvelopeFormatError):
            count.unreadable += 1
            return None
        count.fields += 1
        return fresh
