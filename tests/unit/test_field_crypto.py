"""Field encryption: round trips, tamper and move detection, rotation, erasure, masking."""

from __future__ import annotations

import re

import pytest
from domain_builders import MemoryKeyProvider

from security.crypto import (
    MASK,
    DecryptionFailed,
    Envelope,
    EnvelopeFormatError,
    FieldCipher,
    field_aad,
    is_envelope,
    mask,
)
from security.keys import KeyNotFound, customer_key_name

STREET = field_aad("order", "o-1", "shippingAddress.street")
ENVELOPE_SHAPE = re.compile(
    r"enc:v1:[A-Za-z0-9-]+:[A-Za-z0-9]+:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22,}"
)


@pytest.fixture
def keys() -> MemoryKeyProvider:
    return MemoryKeyProvider()


@pytest.fixture
def cipher(keys: MemoryKeyProvider) -> FieldCipher:
    return FieldCipher(keys)


@pytest.mark.parametrize("plaintext", ["Hauptstraße 1", "", "x" * 10_000, "名前 ☃"])
def test_a_field_round_trips(cipher: FieldCipher, plaintext: str) -> None:
    envelope = cipher.encrypt(plaintext, STREET)
    assert ENVELOPE_SHAPE.fullmatch(envelope)
    assert is_envelope(envelope) and cipher.is_envelope(envelope)
    assert plaintext == "" or plaintext not in envelope
    assert cipher.decrypt(envelope, STREET) == plaintext


def test_every_encryption_uses_a_fresh_nonce(cipher: FieldCipher) -> None:
    first, second = cipher.encrypt("same", STREET), cipher.encrypt("same", STREET)
    assert first != second
    assert Envelope.parse(first).nonce != Envelope.parse(second).nonce


def test_the_envelope_names_its_key_and_version(cipher: FieldCipher) -> None:
    envelope = Envelope.parse(cipher.encrypt("x", STREET))
    assert (envelope.key_name, envelope.key_version, len(envelope.nonce)) == ("fields", "1", 12)
    assert str(envelope).startswith("enc:v1:fields:1:")


@pytest.mark.parametrize(
    "moved_to",
    [
        field_aad("order", "o-2", "shippingAddress.street"),  # another record
        field_aad("order", "o-1", "shippingAddress.city"),  # another field
        field_aad("customer", "o-1", "shippingAddress.street"),  # another record type
    ],
)
def test_a_ciphertext_cannot_be_moved(cipher: FieldCipher, moved_to: str) -> None:
    envelope = cipher.encrypt("Hauptstraße 1", STREET)
    with pytest.raises(DecryptionFailed) as caught:
        cipher.decrypt(envelope, moved_to)
    assert "Hauptstraße" not in str(caught.value)


def test_a_tampered_ciphertext_is_detected(cipher: FieldCipher) -> None:
    envelope = cipher.encrypt("Hauptstraße 1", STREET)
    head, body = envelope.rsplit(":", 1)
    flipped = body[:5] + ("A" if body[5] != "A" else "B") + body[6:]
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(f"{head}:{flipped}", STREET)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(f"{head}:{body[:-4]}", STREET)  # truncated tag


def test_relabelling_the_key_version_is_detected(keys: MemoryKeyProvider) -> None:
    cipher = FieldCipher(keys)
    old = cipher.encrypt("secret", STREET)
    keys.rotate("fields")
    relabelled = old.replace("enc:v1:fields:1:", "enc:v1:fields:2:")
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(relabelled, STREET)


def test_rotation_keeps_old_envelopes_readable(keys: MemoryKeyProvider) -> None:
    cipher = FieldCipher(keys)
    old = cipher.encrypt("before rotation", STREET)
    keys.rotate("fields")
    new = cipher.encrypt("after rotation", STREET)
    assert Envelope.parse(new).key_version == "2"
    assert cipher.decrypt(old, STREET) == "before rotation"
    assert cipher.decrypt(new, STREET) == "after rotation"


def test_per_customer_keys_make_erasure_possible(keys: MemoryKeyProvider) -> None:
    cipher = FieldCipher(keys)
    alice_key = customer_key_name("alice")
    email_aad = field_aad("customer", "alice", "email")
    envelope = cipher.encrypt("alice@example.com", email_aad, key_name=alice_key)
    assert Envelope.parse(envelope).key_name == alice_key
    assert cipher.decrypt(envelope, email_aad) == "alice@example.com"
    del keys.keys[alice_key]  # erase the customer's key
    with pytest.raises(KeyNotFound):
        cipher.decrypt(envelope, email_aad)
    assert cipher.reveal(envelope, email_aad, allowed=True) == MASK


def test_customer_key_names_are_stable_valid_and_distinct() -> None:
    name = customer_key_name("alice_1")
    assert name == customer_key_name("alice_1") != customer_key_name("alice-1")
    assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", name)


def test_reveal_masks_for_callers_who_may_not_see(cipher: FieldCipher) -> None:
    envelope = cipher.encrypt("Berlin", STREET)
    assert cipher.reveal(envelope, STREET, allowed=True) == "Berlin"
    assert cipher.reveal(envelope, STREET, allowed=False) == "***"
    assert cipher.reveal(None, STREET, allowed=True) is None
    assert mask("anything") == "***" and mask(None) is None
    assert FieldCipher.mask("x") == MASK


@pytest.mark.parametrize(
    "value",
    [
        "plain text",
        "enc:v1:",
        "enc:v2:fields:1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
        "enc:v1:bad_name:1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
        "enc:v1:fields:1:short:AAAAAAAAAAAAAAAAAAAAAA",
        "enc:v1:fields:1:AAAAAAAAAAAAAAAA:tooShort",
        None,
        42,
    ],
)
def test_non_envelopes_are_recognized(cipher: FieldCipher, value: object) -> None:
    assert not is_envelope(value)
    if isinstance(value, str):
        with pytest.raises(EnvelopeFormatError):
            cipher.decrypt(value, STREET)


def test_oversized_fields_are_refused(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="too large"):
        cipher.encrypt("x" * (64 * 1024 + 1), STREET)


@pytest.mark.parametrize("parts", [("", "o-1", "f"), ("order", "a/b", "f"), ("order", "o", "")])
def test_aad_parts_cannot_be_ambiguous(parts: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        field_aad(*parts)


def test_key_names_are_checked(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError):
        cipher.encrypt("x", STREET, key_name="no:colons")
