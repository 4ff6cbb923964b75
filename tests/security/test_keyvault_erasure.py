"""Crypto-erasure and rotation on Key Vault, over the real ``SecretClient``: deleting a
customer's key deletes and purges the secret, leaves a tombstone that keeps the key from being
created again, and is idempotent; a vault with purge protection keeps it recoverable, and says
so in the log. Rotation gives every secret one new version and the views are rewritten under
them."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from keyvault_server import FakeKeyVault, StaticTokenCredential
from test_keyvault_provider import PREFIX, Clock, provider_for

from readmodels.reencrypt import reencrypt_view
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import CUSTOMER_SUMMARY
from security.crypto import MASK, Envelope, FieldCipher, field_aad
from security.keys import KeyErased, KeyNotFound, customer_key_name
from security.rotation import Checkpoint, Resealer, rotate_keys

AAD = field_aad("customer", "alice", "email")


def test_erasure_deletes_and_purges_the_secret_and_leaves_a_tombstone(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    provider = provider_for(vault, credential)
    cipher = FieldCipher(provider)
    name = customer_key_name("alice")
    envelope = cipher.encrypt("alice@example.com", AAD, key_name=name)
    provider.rotate(name)
    material = list(vault.all_values())

    provider.delete(name)

    assert PREFIX + name not in vault.names()
    assert vault.deleted_names() == []  # purged, not only soft-deleted
    assert vault.names() == [f"erased-{PREFIX}{name}"]
    assert not set(material) & set(vault.all_values())
    assert cipher.reveal(envelope, AAD, allowed=True) == MASK
    with pytest.raises(KeyNotFound):
        cipher.decrypt(envelope, AAD)
    # Nothing may be sealed under the name again, by this instance or a fresh one.
    for writer in (provider, provider_for(vault, credential)):
        with pytest.raises(KeyErased):
            FieldCipher(writer).encrypt("new@example.com", AAD, key_name=name)
    assert provider.is_erased(name) and not provider.is_erased(customer_key_name("bob"))
    provider.delete(name)  # idempotent: an erasure retried after a crash succeeds again
    provider_for(vault, credential).delete(customer_key_name("never-created"))
    assert provider.key_names() == []


def test_purge_protection_keeps_the_deleted_secret_and_warns(
        vault: FakeKeyVault, credential: StaticTokenCredential,
        caplog: pytest.LogCaptureFixture) -> None:
    vault.state.purge_protection = True
    provider = provider_for(vault, credential)
    name = customer_key_name("carol")
    _, key = provider.current(name)
    with caplog.at_level(logging.WARNING, logger="security.keys"):
        provider.delete(name)
    assert vault.deleted_names() == [PREFIX + name]
    assert "could not be purged" in caplog.text
    assert base64.b64encode(key).decode() not in caplog.text
    with pytest.raises(KeyErased):
        provider.current(name)


def test_key_names_and_current_versions_come_from_the_vault(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    provider = provider_for(vault, credential)
    names = sorted(customer_key_name(f"c{i}") for i in range(30))  # more than one page
    for name in names:
        provider.current(name)
    vault.put("unrelated-secret", "x")
    assert provider.key_names() == names
    rotated = provider.rotate(names[0])
    assert provider_for(vault, credential).current_version(names[0]) == rotated
    assert provider.current_version(customer_key_name("nobody")) is None


def test_an_erasure_by_another_instance_reaches_this_one_within_its_ttl(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    clock = Clock()
    reader = provider_for(vault, credential, clock)
    name = customer_key_name("dora")
    envelope = FieldCipher(reader).encrypt("dora@example.com", AAD, key_name=name)
    assert FieldCipher(reader).decrypt(envelope, AAD) == "dora@example.com"
    provider_for(vault, credential).delete(name)  # the erasure ran in another instance
    clock.now += 61  # past current_ttl: the cached key is read again, and is gone
    assert FieldCipher(reader).reveal(envelope, AAD, allowed=True) == MASK
    with pytest.raises(KeyErased):
        reader.current(name)


def test_rotation_on_key_vault_rotates_each_key_once_and_rewrites_the_views(
        vault: FakeKeyVault, credential: StaticTokenCredential, tmp_path: Path) -> None:
    provider = provider_for(vault, credential)
    cipher = FieldCipher(provider)
    views = SqliteViewStore(tmp_path / "views.db")
    sealed = {}
    for who in ("ann", "ben", "cat"):
        aad = field_aad("customer", who, "email")
        sealed[who] = cipher.encrypt(f"{who}@example.com", aad, key_name=customer_key_name(who))
        views.create(CUSTOMER_SUMMARY, {"id": who, "customerId": who, "profile": {
            "name": MASK, "email": sealed[who], "phone": None, "version": 1}})
    before = {name: vault.versions(PREFIX + name) for name in provider.key_names()}
    checkpoint = Checkpoint("run", "2026-12-06T00:00:00Z")
    rotate_keys(provider, checkpoint, lambda _: None)
    assert {name: len(vault.versions(PREFIX + name)) for name in before} == \
        {name: len(versions) + 1 for name, versions in before.items()}
    count = reencrypt_view(views, CUSTOMER_SUMMARY, Resealer(provider))
    assert (count.fields, count.unreadable) == (3, 0)
    reader = FieldCipher(provider_for(vault, credential))  # a fresh instance reads it all back
    for who in sealed:
        stored = views.read(CUSTOMER_SUMMARY, who, who)
        assert stored is not None
        email = stored.doc["profile"]["email"]
        assert Envelope.parse(email).key_version == checkpoint.rotated[customer_key_name(who)]
        assert reader.decrypt(email, field_aad("customer", who, "email")) == f"{who}@example.com"
