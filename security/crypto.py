"""Field encryption: AES-256-GCM per field, in a self-describing envelope string.

Envelope (ASCII, no padding)::

    enc:v1:<keyName>:<keyVersion>:<base64url nonce (12 bytes)>:<base64url ciphertext+tag>

``keyName`` is 1-100 of ``A-Z a-z 0-9 -`` and ``keyVersion`` 1-64 of ``A-Z a-z 0-9``, so the
envelope is safe in JSON, URLs and log lines. The associated data authenticated with the
ciphertext is ``enc:v1:<keyName>:<keyVersion>`` + NUL + the caller's ``aad``; callers bind a value
to its record and field (``field_aad("order", order_id, "shippingAddress.street")``), so a
ciphertext copied to another record or field, or to another key, fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security.keys import KeyNotFound, KeyProvider, check_key_name

MASK = "***"
ENVELOPE_PREFIX = "enc:v1:"
NONCE_SIZE = 12
MAX_PLAINTEXT_BYTES = 64 * 1024
DEFAULT_KEY_NAME = "fields"

_ENVELOPE = re.compile(
    r"enc:v1:(?P<key_name>[A-Za-z0-9-]{1,100}):(?P<version>[A-Za-z0-9]{1,64})"
    r":(?P<nonce>[A-Za-z0-9_-]{16}):(?P<ciphertext>[A-Za-z0-9_-]{22,})"
)


class EnvelopeFormatError(ValueError):
    """The string is not an ``enc:v1`` envelope."""


class DecryptionFailed(Exception):
    """Wrong record/field (AAD), wrong key, or altered ciphertext; which one is not revealed."""


@dataclass(frozen=True)
class Envelope:
    key_name: str
    key_version: str
    nonce: bytes
    ciphertext: bytes

    def __str__(self) -> str:
        return (
            f"{ENVELOPE_PREFIX}{self.key_name}:{self.key_version}"
            f":{_b64(self.nonce)}:{_b64(self.ciphertext)}"
        )

    @classmethod
    def parse(cls, text: str) -> Envelope:
        match = _ENVELOPE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise EnvelopeFormatError("the value is not an encrypted field envelope")
        try:
            nonce = _unb64(match["nonce"])
            ciphertext = _unb64(match["ciphertext"])
        except (binascii.Error, ValueError):
            raise EnvelopeFormatError("the value is not an encrypted field envelope") from None
        if len(nonce) != NONCE_SIZE or len(ciphertext) < 16:
            raise EnvelopeFormatError("the value is not an encrypted field envelope")
        return cls(match["key_name"], match["version"], nonce, ciphertext)

    def associated_data(self, aad: str) -> bytes:
        return f"{ENVELOPE_PREFIX}{self.key_name}:{self.key_version}\x00{aad}".encode()


def is_envelope(value: object) -> bool:
    """True when ``value`` has the envelope's shape (it may still fail to decrypt)."""
    if not isinstance(value, str) or not value.startswith(ENVELOPE_PREFIX):
        return False
    try:
        Envelope.parse(value)
    except EnvelopeFormatError:
        return False
    return True


def mask(value: str | None) -> str | None:
    """What a caller not allowed to see a sensitive field gets instead of it."""
    return None if value is None else MASK


def field_aad(record_type: str, record_id: str, field: str) -> str:
    """The AAD naming one field of one record: ``order/o-1/shippingAddress.street``."""
    for part in (record_type, record_id, field):
        if not part or "/" in part or "\x00" in part:
            raise ValueError("AAD parts must be non-empty and free of '/' and NUL")
    return f"{record_type}/{record_id}/{field}"


class FieldCipher:
    """Encrypts and decrypts single field values with keys from a ``KeyProvider``."""

    def __init__(self, key_provider: KeyProvider, default_key_name: str = DEFAULT_KEY_NAME) -> None:
        self._keys = key_provider
        self._default_key_name = check_key_name(default_key_name)

    def encrypt(self, plaintext: str, aad: str, *, key_name: str | None = None) -> str:
        """Seal ``plaintext`` under the newest version of ``key_name`` (per-customer keys)."""
        data = plaintext.encode("utf-8")
        if len(data) > MAX_PLAINTEXT_BYTES:
            raise ValueError("the field is too large to encrypt")
        name = check_key_name(key_name or self._default_key_name)
        version, key = self._keys.current(name)
        nonce = secrets.token_bytes(NONCE_SIZE)
        header = Envelope(name, version, nonce, b"")
        ciphertext = AESGCM(key).encrypt(nonce, data, header.associated_data(aad))
        return str(Envelope(name, version, nonce, ciphertext))

    def decrypt(self, envelope: str, aad: str) -> str:
        """Open an envelope for the record/field ``aad`` it was sealed for.

        Raises ``EnvelopeFormatError``, ``KeyNotFound`` (the key was erased) or
        ``DecryptionFailed``.
        """
        parsed = Envelope.parse(envelope)
        key = self._keys.get(parsed.key_name, parsed.key_version)
        try:
            data = AESGCM(key).decrypt(
                parsed.nonce, parsed.ciphertext, parsed.associated_data(aad)
            )
        except InvalidTag:
            raise DecryptionFailed("the field could not be decrypted") from None
        return data.decode("utf-8")

    def reveal(self, envelope: str | None, aad: str, *, allowed: bool) -> str | None:
        """The plaintext for an authorized caller, the mask for anyone else or an erased key."""
        if envelope is None:
            return None
        if not allowed:
            return MASK
        try:
            return self.decrypt(envelope, aad)
        except KeyNotFound:
            return MASK

    @staticmethod
    def is_envelope(value: object) -> bool:
        return is_envelope(value)

    @staticmethod
    def mask(value: str | None) -> str | None:
        return mask(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
