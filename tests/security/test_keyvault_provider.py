"""The Key Vault key provider over the real ``SecretClient``, against a Key Vault-compatible
HTTPS server: first write, rotation, reads by envelope version, caching, missing keys, the 401
challenge, and no key material in logs or exceptions."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.keyvault.secrets import SecretClient
from keyvault_server import TENANT_ID, FakeKeyVault, StaticTokenCredential

from security.crypto import MASK, DecryptionFailed, Envelope, FieldCipher, field_aad
from security.keys import KeyNotFound, KeyStoreError, KeyVaultKeyProvider, customer_key_name

PREFIX = "field-key-"
SECRET = PREFIX + "fields"
AAD = field_aad("order", "o-1", "shippingAddress.street")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def provider_for(vault: FakeKeyVault, credential: Any, clock: Clock | None = None,
                 **options: Any) -> KeyVaultKeyProvider:
    """Built as production builds it (vault URL + credential); the SDK's own client inside."""
    return KeyVaultKeyProvider(
        vault.url + "/", credential, PREFIX, current_ttl=60.0,
        client_options={"connection_verify": str(vault.ca_pem),
                        # the vault is 127.0.0.1, not *.vault.azure.net, as the challenge says
                        "verify_challenge_resource": False, **options},
        clock=clock or Clock(),
    )


def gets(vault: FakeKeyVault) -> list[str]:
    """The authorized secret reads the vault answered, as paths."""
    return [r.path for r in vault.seen("GET", authorized=True)]


def test_first_use_creates_the_secret_with_one_version(vault: FakeKeyVault,
                                                       credential: StaticTokenCredential) -> None:
    version, key = provider_for(vault, credential).current("fields")
    assert vault.versions(SECRET) == [version]
    assert len(version) == 32 and len(key) == 32
    assert base64.b64decode(vault.value(SECRET, version)) == key
    calls = [(r.method, r.path, r.authorized) for r in vault.seen()]
    assert calls == [
        ("GET", f"/secrets/{SECRET}/", False),  # the challenge round trip, body-less
        ("GET", f"/secrets/{SECRET}/", True),  # 404: no such key yet
        ("GET", f"/secrets/erased-{SECRET}/", True),  # 404: and it was never erased
        ("PUT", f"/secrets/{SECRET}", True),  # version 1
    ]
    assert all(r.query.get("api-version") for r in vault.seen())


def test_a_second_instance_uses_the_existing_version(vault: FakeKeyVault,
                                                     credential: StaticTokenCredential) -> None:
    first = provider_for(vault, credential).current("fields")
    assert provider_for(vault, credential).current("fields") == first
    assert len(vault.versions(SECRET)) == 1


def test_rotation_writes_a_new_version_that_new_envelopes_use(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    provider = provider_for(vault, credential)
    cipher = FieldCipher(provider)
    old = cipher.encrypt("Hauptstrasse 1", AAD)
    v1 = Envelope.parse(old).key_version
    v2 = provider.rotate("fields")
    assert vault.versions(SECRET) == [v1, v2] and v1 != v2
    new = cipher.encrypt("Hauptstrasse 2", AAD)
    assert Envelope.parse(new).key_version == v2
    assert provider.current("fields")[0] == v2


def test_old_envelopes_decrypt_with_the_version_they_name(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    writer = provider_for(vault, credential)
    old = FieldCipher(writer).encrypt("old street", AAD)
    writer.rotate("fields")
    new = FieldCipher(writer).encrypt("new street", AAD)
    reader = FieldCipher(provider_for(vault, credential))  # another instance, empty cache
    vault.reset_requests()
    assert reader.decrypt(old, AAD) == "old street"
    assert reader.decrypt(new, AAD) == "new street"
    versions = [Envelope.parse(e).key_version for e in (old, new)]
    assert gets(vault) == [f"/secrets/{SECRET}/{v}" for v in versions]


def test_other_instances_see_a_rotation_when_their_current_version_expires(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    clock = Clock()
    reader = provider_for(vault, credential, clock)
    v1, _ = reader.current("fields")
    v2 = provider_for(vault, credential).rotate("fields")
    assert reader.current("fields")[0] == v1  # still cached
    clock.now += 61
    assert reader.current("fields")[0] == v2


def test_keys_are_cached(vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    clock = Clock()
    provider = provider_for(vault, credential, clock)
    cipher = FieldCipher(provider)
    provider.current("fields")
    vault.reset_requests()
    envelopes = [cipher.encrypt(f"street {i}", AAD) for i in range(20)]
    assert [cipher.decrypt(e, AAD) for e in envelopes] == [f"street {i}" for i in range(20)]
    assert vault.seen() == []  # the newest version and its key came from the cache
    clock.now += 61  # the newest version is re-read after its TTL; the key bytes are not
    cipher.encrypt("street", AAD)
    assert gets(vault) == [f"/secrets/{SECRET}/"]
    provider.forget("fields")
    cipher.decrypt(envelopes[0], AAD)
    assert gets(vault)[1:] == [f"/secrets/{SECRET}/{Envelope.parse(envelopes[0]).key_version}"]


def test_a_missing_key_or_version_raises_key_not_found(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    provider = provider_for(vault, credential)
    with pytest.raises(KeyNotFound):
        provider.get("never-created", "0123456789abcdef0123456789abcdef")
    provider.current("fields")
    with pytest.raises(KeyNotFound):
        provider.get("fields", "0123456789abcdef0123456789abcdef")
    assert [r.path for r in vault.seen("GET", authorized=True)][-1] == (
        f"/secrets/{SECRET}/0123456789abcdef0123456789abcdef")


def test_an_erased_key_reveals_the_mask(vault: FakeKeyVault,
                                        credential: StaticTokenCredential) -> None:
    writer = FieldCipher(provider_for(vault, credential))
    envelope = writer.encrypt("+49 30 1234567", AAD, key_name=customer_key_name("alice"))
    vault.reset()  # the customer's key was purged
    reader = FieldCipher(provider_for(vault, credential))
    assert reader.reveal(envelope, AAD, allowed=True) == MASK


def test_the_challenge_is_answered_once_then_every_request_carries_the_token(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    provider = provider_for(vault, credential)
    provider.current("fields")
    provider.rotate("fields")
    provider.forget("fields")
    provider.current("fields")
    first = vault.seen()[0]
    assert (first.method, first.authorized) == ("GET", False)
    assert vault.challenges() == 1
    assert all(r.authorized for r in vault.seen()[1:])
    assert credential.requests == [(("https://vault.azure.net/.default",), TENANT_ID)]


def test_the_first_write_is_sent_again_with_its_body_after_the_challenge(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    """A PUT as first request: the SDK sends it body-less, gets 401, then sends the real one."""
    version = provider_for(vault, credential).rotate("fields")
    assert [(r.method, r.authorized) for r in vault.seen()] == [("PUT", False), ("PUT", True)]
    assert vault.versions(SECRET) == [version]


def test_a_token_the_vault_does_not_accept_fails_without_revealing_it(
        vault: FakeKeyVault) -> None:
    wrong = StaticTokenCredential("not-the-vault-token-0d5a")
    provider = provider_for(vault, wrong)
    with pytest.raises(ClientAuthenticationError) as caught:
        provider.current("fields")
    assert "not-the-vault-token-0d5a" not in str(caught.value)
    assert vault.versions(SECRET) == []
    # the challenge, then the request with the token: refused, so the SDK gives up
    assert [r.authorized for r in vault.seen()] == [False, False]


def test_a_secret_that_is_not_a_key_is_refused_without_echoing_it(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    version = vault.put(SECRET, "hunter2-not-base64!")
    with pytest.raises(KeyStoreError) as caught:
        provider_for(vault, credential).get("fields", version)
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)


def test_no_key_material_or_token_reaches_logs_reprs_or_errors(
        vault: FakeKeyVault, credential: StaticTokenCredential,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(vault, credential)
    cipher = FieldCipher(provider)
    envelope = cipher.encrypt("Alice Example", AAD)
    provider.rotate("fields")
    errors: list[BaseException] = []
    for call in (lambda: cipher.decrypt(envelope, field_aad("order", "o-2", "street")),
                 lambda: provider.get("fields", "ffffffffffffffffffffffffffffffff")):
        with pytest.raises((DecryptionFailed, KeyNotFound)) as caught:
            call()
        errors.append(caught.value)
    secrets = [credential.token, "Alice Example"]
    for version in vault.versions(SECRET):
        encoded = vault.value(SECRET, version)
        secrets += [encoded, base64.b64decode(encoded).hex()]
    texts = [caplog.text, repr(provider), repr(credential), *map(str, errors), *map(repr, errors)]
    assert "created field key fields" in caplog.text  # the provider did log, and via azure too
    assert any(r.name.startswith("azure.core") for r in caplog.records)
    for secret in secrets:
        assert all(secret not in text for text in texts)


def test_field_cipher_end_to_end_with_per_customer_keys(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    cipher = FieldCipher(provider_for(vault, credential))
    alice, bob = customer_key_name("alice"), customer_key_name("bob")
    street = field_aad("order", "o-7", "shippingAddress.street")
    sealed = cipher.encrypt("Hauptstrasse 1", street, key_name=alice)
    assert sealed.startswith(f"enc:v1:{alice}:") and "Hauptstrasse" not in sealed
    assert cipher.encrypt("Hauptstrasse 1", street, key_name=alice) != sealed  # fresh nonce
    assert cipher.decrypt(sealed, street) == "Hauptstrasse 1"
    with pytest.raises(DecryptionFailed):  # bound to its record and field
        cipher.decrypt(sealed, field_aad("order", "o-8", "shippingAddress.street"))
    cipher.encrypt("Baker Street 221b", street, key_name=bob)
    assert {PREFIX + alice, PREFIX + bob} <= set(vault.state.secrets)
    assert all(len(vault.versions(PREFIX + name)) == 1 for name in (alice, bob))


def test_the_server_pages_secret_versions_like_key_vault(
        vault: FakeKeyVault, credential: StaticTokenCredential) -> None:
    """The server itself, through the SDK's pager: nextLink paging of version properties."""
    created = [vault.put(SECRET, base64.b64encode(bytes(32)).decode()) for _ in range(30)]
    client = SecretClient(vault.url, credential, connection_verify=str(vault.ca_pem),
                          verify_challenge_resource=False)
    listed = [p.version for p in client.list_properties_of_secret_versions(SECRET)]
    assert listed == created
    assert len(vault.seen("GET", authorized=True)) == 2  # 25 + 5
