"""The guard between our data and the log: sensitive fields never reach a log line.

Plaintext of sensitive fields exists only at the HTTP edge (docs/design.md section 3), and their
ciphertext envelopes, though useless without keys, are still customer data. So structured
fields named like a sensitive field or like a whole payload (which may contain one) are refused,
and free text (messages, error text) is scrubbed of envelopes and e-mail addresses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Sensitive fields (api.md, design.md) and the payloads that carry them: the command envelope
# and body, event data, entity state. Compared case-insensitively.
SENSITIVE_KEYS = frozenset(k.lower() for k in (
    "email", "phone", "shippingAddress", "address", "street", "postalCode", "city",
    "paymentReference", "customer", "contact", "profile",
    "body", "command", "envelope", "input", "payload", "data", "state", "lines",
    "authorization", "x-ms-client-principal", "token", "password", "secret", "key",
))
_ENVELOPE = re.compile(r"enc:v1:[A-Za-z0-9_:-]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
REDACTED = "[redacted]"


class SensitiveFieldError(ValueError):
    """A log call tried to record a sensitive field; the line is refused, not written."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__("refused to log sensitive fields: " + ", ".join(paths))
        self.paths = paths


def sensitive_paths(fields: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every sensitive key or ciphertext envelope in ``fields``."""
    found: list[str] = []
    for key, value in fields.items():
        path = f"{prefix}{key}"
        if str(key).lower() in SENSITIVE_KEYS:
            found.append(path)
        elif isinstance(value, Mapping):
            found.extend(sensitive_paths(value, path + "."))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    found.extend(sensitive_paths(item, f"{path}[{index}]."))
                elif isinstance(item, str) and _ENVELOPE.search(item):
                    found.append(f"{path}[{index}]")
        elif isinstance(value, str) and _ENVELOPE.search(value):
            found.append(path)
    return found


def check_fields(fields: Mapping[str, Any]) -> None:
    """Raise ``SensitiveFieldError`` naming the offending paths (never their values)."""
    paths = sensitive_paths(fields)
    if paths:
        raise SensitiveFieldError(paths)


def scrub(text: str) -> str:
    """Free text with ciphertext envelopes and e-mail addresses replaced."""
    return _EMAIL.sub(REDACTED, _ENVELOPE.sub(REDACTED, text))
