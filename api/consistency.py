"""Read-your-writes tokens: a succeeded command's status carries ``consistencyToken``; any
query given it (``?after=<token>`` or the ``Consistency-Token`` header) answers only once the
views hold that command's effect, or ``409 StaleView`` after ``MIN_VERSION_WAIT``.

A token names the command's subject (an order, a customer or a product) and the version the
command left it at. It is opaque to clients and signed (HMAC-SHA256 with the command-seal key,
under its own label), because a query waits on the very document the token names: an unsigned
token would let anyone probe whether some other customer's order exists by how fast a query
answered. A token is checked against the view documents its event lands in, the last of them
written last (``projections.projector``), so once they hold the version every list, summary and
detail that the event changes holds it too. The query then reads the views, not the cache: a
fold invalidates the cache only after its writes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from api.problems import ApiError
from api.queries.query_params import invalid
from api.queries.read_through import wait_for
from readmodels.factory import view_store
from readmodels.views import CUSTOMER_ORDERS, CUSTOMER_SUMMARY, DOC_ID, ORDER_DETAILS, PRODUCTS
from security.command_seal import SEAL_KEY_NAME
from security.keys import KeyNotFound, KeyProvider, KeyStoreError
from security.providers import app_key_provider

PARAM = "after"
HEADER = "consistency-token"
MAX_TOKEN = 256
_LABEL = b"consistency-token\x00"
_STREAMS = {"orderId": "o", "customerId": "c", "sku": "p"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class Barrier:
    """The views must show ``version`` of this subject (``kind``: o order, c customer,
    p product)."""

    kind: str
    subject: str
    version: int


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, _LABEL + body.encode("ascii"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue(subject: Mapping[str, Any], version: int,
          keys: KeyProvider | None = None) -> str | None:
    """The token for a command on ``subject`` (its ``orderId``/``customerId``/``sku``) that left
    it at ``version``; ``None`` for a subject no view follows."""
    for key, kind in _STREAMS.items():
        value = subject.get(key)
        if isinstance(value, str) and DOC_ID.fullmatch(value):
            key_version, secret = (keys or app_key_provider()).current(SEAL_KEY_NAME)
            raw = json.dumps([kind, value, int(version), key_version], separators=(",", ":"))
            body = base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")
            return f"{body}.{_mac(secret, body)}"
    return None


def _decode(token: str) -> Barrier:
    """The barrier a token names; ``ValueError`` for anything this API did not sign."""
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise ValueError
    body, mac = token.split(".")
    try:
        kind, subject, version, key_version = json.loads(
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        secret = app_key_provider().get(SEAL_KEY_NAME, str(key_version))
    except (binascii.Error, UnicodeDecodeError, TypeError, KeyNotFound, KeyStoreError):
        raise ValueError from None
    if not hmac.compare_digest(_mac(secret, body), mac):
        raise ValueError
    if kind not in _STREAMS.values() or not isinstance(version, int) or \
            not isinstance(subject, str) or not DOC_ID.fullmatch(subject):
        raise ValueError
    return Barrier(kind, subject, version)


def requested(req: func.HttpRequest, params: Mapping[str, str]) -> Barrier | None:
    """The token of ``?after=`` or the header (400 for one we did not issue; a token is never
    echoed back in an error)."""
    raw = params.get(PARAM) or (req.headers.get(HEADER) or "").strip()
    if not raw:
        return None
    try:
        return _decode(raw)
    except ValueError:
        raise invalid(PARAM, "is not a consistencyToken this API issued") from None


def _version(view: str, doc_id: str, partition: str) -> int | None:
    stored = view_store().read(view, doc_id, partition)
    return int(stored.doc.get("version") or 0) if stored else None


def _reached(barrier: Barrier) -> bool:
    if barrier.kind == "p":
        return (_version(PRODUCTS, barrier.subject, barrier.subject) or 0) >= barrier.version
    if barrier.kind == "c":
        stored = view_store().read(CUSTOMER_SUMMARY, barrier.subject, barrier.subject)
        doc = stored.doc if stored else {}
        held = max(int((doc.get("profile") or {}).get("version") or 0),
                   int(doc.get("currencyVersion") or 0))
        return held >= barrier.version
    stored = view_store().read(ORDER_DETAILS, barrier.subject, barrier.subject)
    if stored is None or int(stored.doc["version"]) < barrier.version:
        return False
    customer = stored.doc.get("customerId")  # the row comes after the summary counted it
    return not customer or (_version(CUSTOMER_ORDERS, barrier.subject, str(customer)) or 0) \
        >= barrier.version


def wait_until_caught_up(req: func.HttpRequest, params: Mapping[str, str]) -> bool:
    """Wait (bounded) for the views to reach the caller's token; True when one was given, so
    the query reads the views instead of the cache. 409 StaleView when they do not in time."""
    barrier = requested(req, params)
    if barrier is None:
        return False
    last = wait_for(lambda: {"ok": _reached(barrier)}, lambda v: bool(v and v["ok"]))
    if not (last and last["ok"]):
        raise ApiError("StaleView", "The views have not caught up with that write yet.",
                       headers={"Retry-After": "1"})
    return True
