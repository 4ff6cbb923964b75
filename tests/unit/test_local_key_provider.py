"""The local key file provider: created on first use, mode 0600, rotation, erasure, no leaks."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from security.crypto import FieldCipher, field_aad
from security.keys import KeyNotFound, KeyStoreError, LocalKeyProvider

AAD = field_aad("order", "o-1", "shippingAddress.name")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_key_file_is_created_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    provider = LocalKeyProvider(folder)
    assert not folder.exists()
    version, key = provider.current("fields")
    key_file = folder / "fields.json"
    assert (version, len(key)) == ("1", 32)
    assert mode(key_file) == 0o600
    assert mode(folder) & 0o077 == 0
    document = json.loads(key_file.read_text())
    assert document["keyName"] == "fields" and document["current"] == "1"
    assert base64.b64decode(document["versions"]["1"]) == key


def test_the_file_mode_does_not_depend_on_a_loose_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        LocalKeyProvider(tmp_path).current("fields")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "fields.json") == 0o600


def test_keys_persist_across_providers(tmp_path: Path) -> None:
    envelope = FieldCipher(LocalKeyProvider(tmp_path)).encrypt("Alice", AAD)
    assert FieldCipher(LocalKeyProvider(tmp_path)).decrypt(envelope, AAD) == "Alice"


def test_rotation_adds_a_version_and_old_envelopes_still_decrypt(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    cipher = FieldCipher(provider)
    old = cipher.encrypt("old", AAD)
    assert provider.rotate("fields") == "2"
    assert provider.current("fields")[0] == "2"
    new = cipher.encrypt("new", AAD)
    assert ":fields:2:" in new
    other_process = FieldCipher(LocalKeyProvider(tmp_path))
    assert other_process.decrypt(old, AAD) == "old"
    assert other_process.decrypt(new, AAD) == "new"
    assert mode(tmp_path / "fields.json") == 0o600


def test_a_rotation_by_another_process_is_seen(tmp_path: Path) -> None:
    mine, theirs = LocalKeyProvider(tmp_path), LocalKeyProvider(tmp_path)
    mine.current("fields")
    theirs.rotate("fields")
    assert mine.current("fields")[0] == "2"


def test_unknown_versions_and_keys_are_not_found(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    provider.current("fields")
    with pytest.raises(KeyNotFound):
        provider.get("fields", "9")
    with pytest.raises(KeyNotFound):
        provider.get("never-created", "1")


def test_deleting_a_key_erases_its_data(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    cipher = FieldCipher(provider)
    envelope = cipher.encrypt("alice@example.com", AAD, key_name="cust-alice")
    provider.delete("cust-alice")
    assert not (tmp_path / "cust-alice.json").exists()
    with pytest.raises(KeyNotFound):
        cipher.decrypt(envelope, AAD)


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    results: list[tuple[str, bytes]] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        results.append(LocalKeyProvider(tmp_path).current("fields"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    LocalKeyProvider(tmp_path).current("fields")
    (tmp_path / "fields.json").chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        LocalKeyProvider(tmp_path).current("fields")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"current": "2", "versions": {"1": "AAAA"}}',
        '{"current": 1, "versions": []}',
    ],
)
def test_a_corrupt_key_file_is_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "fields.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyStoreError):
        LocalKeyProvider(tmp_path).current("fields")


def test_a_key_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fields.json"
    short = base64.b64encode(b"0" * 16).decode()
    path.write_text(json.dumps({"current": "1", "versions": {"1": short}}))
    path.chmod(0o600)
    with pytest.raises(KeyStoreError, match="256 bits"):
        LocalKeyProvider(tmp_path).current("fields")


def test_key_material_never_reaches_logs_or_reprs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    provider = LocalKeyProvider(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="security.keys"):
        _, key = provider.current("fields")
        provider.rotate("fields")
    encoded = base64.b64encode(key).decode()
    assert "created field key fields" in caplog.text
    assert encoded not in caplog.text and encoded not in repr(provider)
    assert encoded not in repr(provider._cache)


def test_key_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalKeyProvider(tmp_path).current("../escape")
