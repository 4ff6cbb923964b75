"""Crypto-erasure with local key files: the key file goes, a tombstone without key material
stays, the key is never created again (by this process or another), and erasing is
idempotent."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from security.crypto import MASK, FieldCipher, field_aad
from security.keys import KeyErased, KeyNotFound, LocalKeyProvider, customer_key_name

AAD = field_aad("customer", "alice", "phone")


def test_erasure_deletes_the_key_file_and_leaves_a_tombstone(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    name = customer_key_name("alice")
    envelope = FieldCipher(provider).encrypt("+49 30 1", AAD, key_name=name)
    provider.rotate(name)
    ring = json.loads((tmp_path / f"{name}.json").read_text())
    material = [base64.b64decode(v) for v in ring["versions"].values()]

    provider.delete(name)

    assert not (tmp_path / f"{name}.json").exists()
    tombstone = tmp_path / f"{name}.erased"
    assert json.loads(tombstone.read_text()) == {"keyName": name, "erased": True}
    assert stat.S_IMODE(tombstone.stat().st_mode) == 0o600
    left = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert not any(key in left or base64.b64encode(key) in left for key in material)
    for reader in (provider, LocalKeyProvider(tmp_path)):
        assert FieldCipher(reader).reveal(envelope, AAD, allowed=True) == MASK
        with pytest.raises(KeyNotFound):
            FieldCipher(reader).decrypt(envelope, AAD)
        with pytest.raises(KeyErased):
            FieldCipher(reader).encrypt("+49 30 2", AAD, key_name=name)
        with pytest.raises(KeyErased):
            reader.rotate(name)
        assert reader.is_erased(name)
    provider.delete(name)  # idempotent
    assert provider.key_names() == []


def test_key_names_list_live_keys_only(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    assert provider.key_names() == []
    for who in ("a", "b", "c"):
        provider.current(customer_key_name(who))
    provider.delete(customer_key_name("b"))
    assert provider.key_names() == sorted([customer_key_name("a"), customer_key_name("c")])
    assert provider.current_version(customer_key_name("a")) == "1"
    assert provider.rotate(customer_key_name("a")) == "2"
    assert provider.current_version(customer_key_name("a")) == "2"
    assert provider.current_version(customer_key_name("b")) is None
