"""Seal a workflow's input so that only the API (or a trusted trigger) could have written it.

Orchestrations take their caller from their input. Anyone who can start an orchestration through
the Durable management API or a monitor could otherwise write any principal there, ``admin``
included. So the code that authenticated the caller seals the input: an HMAC-SHA256 over the
instance id and the canonical JSON of the input, with a key from the key provider (Key Vault in
Azure, a 0600 file locally) that never leaves the app. The workflow verifies the seal before its
first step. Binding the instance id means a sealed input copied from one instance (inputs are
visible to anyone who can read the task hub) cannot start another.

A sealed input never carries the system principal: workflows that act as the system (the
fulfilment deadline) construct that principal in code, never read it from input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from security.keys import KeyNotFound, KeyProvider, KeyStoreError
from security.principal import Principal, PrincipalError

SEAL_FIELD = "seal"
SEAL_KEY_NAME = "command-seal"


class SealRejected(Exception):
    """The input has no valid seal, or names a principal no seal may carry."""


def _canonical(instance_id: str, payload: Mapping[str, Any]) -> bytes:
    body = {name: value for name, value in payload.items() if name != SEAL_FIELD}
    text = json.dumps([instance_id, body], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)
    return text.encode("ascii")


def _mac(key: bytes, instance_id: str, payload: Mapping[str, Any]) -> str:
    digest = hmac.new(key, _canonical(instance_id, payload), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def seal(payload: Mapping[str, Any], instance_id: str, keys: KeyProvider) -> dict[str, Any]:
    """``payload`` with a ``seal`` for the instance that will run it."""
    version, key = keys.current(SEAL_KEY_NAME)
    return {**payload, SEAL_FIELD: {"keyVersion": version,
                                    "mac": _mac(key, instance_id, payload)}}


def verify(payload: object, instance_id: str, keys: KeyProvider) -> dict[str, Any]:
    """The payload, if its seal is valid for this instance; raises ``SealRejected`` otherwise.

    The reason is not told apart (missing, altered, unknown key version): a forger learns
    nothing from the answer."""
    if not isinstance(payload, dict):
        raise SealRejected("the workflow input is not sealed")
    stamp = payload.get(SEAL_FIELD)
    if not isinstance(stamp, dict):
        raise SealRejected("the workflow input is not sealed")
    version, mac = stamp.get("keyVersion"), stamp.get("mac")
    if not isinstance(version, str) or not isinstance(mac, str):
        raise SealRejected("the workflow input is not sealed")
    try:
        key = keys.get(SEAL_KEY_NAME, version)
        expected = _mac(key, instance_id, payload)
    except (KeyNotFound, KeyStoreError, ValueError, TypeError):
        raise SealRejected("the workflow input's seal is not valid") from None
    if not hmac.compare_digest(expected.encode("ascii"), mac.encode("ascii", "replace")):
        raise SealRejected("the workflow input's seal is not valid")
    return payload


def sealed_issuer(payload: object, instance_id: str, keys: KeyProvider) -> Principal:
    """The caller a sealed command envelope names (its ``issuer``); never the system."""
    return issuer_of(verify(payload, instance_id, keys))


def issuer_of(envelope: Mapping[str, Any]) -> Principal:
    """The caller an envelope names, never the system: only for an envelope whose seal was
    verified already (by ``sealed_issuer``)."""
    try:
        principal = Principal.from_dict(envelope.get("issuer") or {})
    except PrincipalError:
        raise SealRejected("the command names no valid issuer") from None
    if principal.is_system:
        raise SealRejected("a command input cannot act as the system")
    return principal

