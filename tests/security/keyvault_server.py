"""A small Key Vault-compatible HTTPS server: the secrets calls ``SecretClient`` makes, and the
bearer challenge, so tests run the real ``azure-keyvault-secrets`` code path.

Implemented as Key Vault answers them (REST API 7.x / 2025+, JSON shapes included):

- ``PUT /secrets/{name}``: a new version (32 hex characters) of the secret, returned as a bundle
  ``{"value", "contentType", "id": "<vault>/secrets/<name>/<version>", "attributes", "tags"}``.
- ``GET /secrets/{name}`` or ``/secrets/{name}/``: the newest version;
  ``GET /secrets/{name}/{version}``: that version. Unknown ones answer 404 ``SecretNotFound``.
- ``GET /secrets/{name}/versions``: the versions' properties (no values), paged with
  ``maxresults`` and a ``nextLink``.
- ``GET /secrets``: every secret's properties (no values), paged like the versions.
- ``DELETE /secrets/{name}``: soft delete (all versions), answering the deleted-secret bundle
  with ``recoveryId``; the name then refuses ``PUT`` with 409 ``Conflict`` until it is purged.
  ``GET /deletedsecrets/{name}`` answers it (404 before the deletion, as the SDK's delete
  poller expects); ``DELETE /deletedsecrets/{name}`` purges it for good (204), or answers 403
  when the vault has purge protection (``purge_protection = True``).
- Every call needs an ``api-version`` query parameter (400 ``BadParameter`` otherwise).
- A call without ``Authorization`` answers 401 with the challenge ``WWW-Authenticate: Bearer
  authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"``;
  a bearer token other than the one the test's credential issues answers the same 401.

The server keeps every request it saw (method, path, whether it was authorized) so tests can
count round trips. It never logs request bodies or secret values. TLS uses a throwaway CA and a
server certificate for ``127.0.0.1``/``localhost`` made by ``make_tls_files``.
``StaticTokenCredential`` is the client side's credential: it issues the token the server accepts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

T = TypeVar("T")

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class StaticTokenCredential:
    """A ``TokenCredential`` that issues one fixed token and records what it was asked for.

    It stands where ``DefaultAzureCredential`` stands in production: the SDK's challenge policy
    asks it for a token for the scope and tenant the vault's 401 challenge named.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[tuple[tuple[str, ...], str | None]] = []

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        self.requests.append((scopes, tenant_id))
        return AccessToken(self.token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "StaticTokenCredential()"


SECRET_NAME = re.compile(r"[0-9A-Za-z-]{1,127}")
RESOURCE = "https://vault.azure.net"
AUTHORITY = "https://login.microsoftonline.com"
MAX_BODY = 64 * 1024
DEFAULT_PAGE = 25


@dataclass(frozen=True)
class TlsFiles:
    ca_pem: Path  # what clients trust (``connection_verify``)
    cert_pem: Path
    key_pem: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake key vault test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_pem.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    files.key_pem.chmod(0o600)
    return files


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str  # without the query
    query: dict[str, str]
    authorized: bool


@dataclass
class _Version:
    version: str
    value: str
    content_type: str | None
    tags: dict[str, str]
    created: int
    enabled: bool = True


@dataclass
class VaultState:
    """What the vault holds and saw; guarded by ``lock``."""

    tenant_id: str
    token: str
    secrets: dict[str, list[_Version]] = field(default_factory=dict)
    deleted: dict[str, list[_Version]] = field(default_factory=dict)
    purge_protection: bool = False
    requests: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeKeyVault:
    """The server; ``start()`` binds a free port on 127.0.0.1 and waits until it answers TLS."""

    def __init__(self, tls: TlsFiles, *, tenant_id: str, token: str) -> None:
        self._tls = tls
        self.state = VaultState(tenant_id=tenant_id, token=token)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the vault first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_pem(self) -> Path:
        """The CA bundle clients pass as ``connection_verify``."""
        return self._tls.ca_pem

    @property
    def challenge(self) -> str:
        return (f'Bearer authorization="{AUTHORITY}/{self.state.tenant_id}", '
                f'resource="{RESOURCE}"')

    def start(self, timeout: float = 5.0) -> FakeKeyVault:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self._tls.cert_pem, self._tls.key_pem)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.vault = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-key-vault", daemon=True)
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            assert not self._thread.is_alive(), "the fake Key Vault did not stop"
        self._server = self._thread = None

    def _wait_ready(self, timeout: float) -> None:
        """A TLS handshake that verifies against the CA, retried until the deadline."""
        import http.client

        deadline = time.monotonic() + timeout
        client_context = ssl.create_default_context(cafile=str(self._tls.ca_pem))
        port = self._server.server_address[1] if self._server else 0
        last: Exception | None = None
        while time.monotonic() < deadline:
            connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=1,
                                                     context=client_context)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException) as error:
                last = error
            finally:
                connection.close()
            time.sleep(0.02)
        raise TimeoutError(f"the fake Key Vault did not answer within {timeout}s: {last!r}")

    # ---- what tests use -------------------------------------------------------------------

    def reset(self) -> None:
        with self.state.lock:
            self.state.secrets.clear()
            self.state.deleted.clear()
            self.state.requests.clear()
            self.state.purge_protection = False

    def names(self) -> list[str]:
        with self.state.lock:
            return sorted(self.state.secrets)

    def deleted_names(self) -> list[str]:
        """Soft-deleted secrets, still recoverable (not purged)."""
        with self.state.lock:
            return sorted(self.state.deleted)

    def all_values(self) -> list[str]:
        """Every value the vault holds, live or soft-deleted (for "is it really gone")."""
        with self.state.lock:
            stores = [*self.state.secrets.values(), *self.state.deleted.values()]
            return [v.value for versions in stores for v in versions]

    def reset_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def seen(self, method: str | None = None, *, authorized: bool | None = None,
             path_prefix: str = "/secrets/") -> list[SeenRequest]:
        with self.state.lock:
            requests = list(self.state.requests)
        return [r for r in requests
                if (method is None or r.method == method)
                and (authorized is None or r.authorized == authorized)
                and r.path.startswith(path_prefix)]

    def challenges(self) -> int:
        """401 round trips: requests that came without an acceptable bearer token."""
        return len(self.seen(authorized=False))

    def versions(self, name: str) -> list[str]:
        with self.state.lock:
            return [v.version for v in self.state.secrets.get(name, [])]

    def value(self, name: str, version: str) -> str:
        with self.state.lock:
            return next(v.value for v in self.state.secrets[name] if v.version == version)

    def put(self, name: str, value: str, content_type: str | None = None) -> str:
        """Add a version directly (as an operator would with the portal); returns it."""
        with self.state.lock:
            return _add_version(self.state, name, value, content_type, {}).version


def _add_version(state: VaultState, name: str, value: str, content_type: str | None,
                 tags: dict[str, str]) -> _Version:
    version = _Version(uuid.uuid4().hex, value, content_type, tags, int(time.time()))
    state.secrets.setdefault(name, []).append(version)
    return version


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    server_version = "FakeKeyVault/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls

    @property
    def vault(self) -> FakeKeyVault:
        return self.server.vault  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test server must not print request lines (or anything else) to stderr."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._error(413, "RequestTooLarge", "The request body is too large.")
            return
        body = self.rfile.read(length) if length else b""
        if parts.path == "/healthz":
            self._send(200, {"status": "ok"})
            return
        state = self.vault.state
        authorized = self.headers.get("Authorization") == f"Bearer {state.token}"
        with state.lock:
            state.requests.append(SeenRequest(method, parts.path, query, authorized))
        if not authorized:
            message = ("AKV10000: Request is missing a Bearer or PoP token."
                       if "Authorization" not in self.headers
                       else "AKV10032: Invalid issuer or token.")
            self._error(401, "Unauthorized", message,
                        {"WWW-Authenticate": self.vault.challenge})
            return
        if "api-version" not in query:
            self._error(400, "BadParameter", "The api-version query parameter is missing.")
            return
        segments = [s for s in parts.path.split("/")[1:] if s] or [""]
        if segments == ["secrets"] and method == "GET":
            self._list(query)
            return
        if len(segments) == 2 and segments[0] == "deletedsecrets" and \
                SECRET_NAME.fullmatch(segments[1]):
            self._deleted(method, segments[1])
            return
        if len(segments) >= 2 and segments[0] == "secrets" and SECRET_NAME.fullmatch(segments[1]):
            if method == "DELETE" and len(segments) == 2:
                self._delete(segments[1])
                return
            self._secrets(method, segments[1], segments[2:], query, body)
            return
        self._error(404, "NotFound", "There is no such operation on this vault.")

    def _secrets(self, method: str, name: str, rest: list[str], query: dict[str, str],
                 body: bytes) -> None:
        state = self.vault.state
        if method == "PUT" and not rest:
            with state.lock:
                in_deleted_state = name in state.deleted
            if in_deleted_state:
                self._error(409, "Conflict", f"Secret {name} is currently in a deleted but "
                            "recoverable state, and its name cannot be reused; in this state, "
                            "the secret can only be recovered or purged.")
                return
            try:
                document = json.loads(body or b"null")
            except json.JSONDecodeError:
                document = None
            if not isinstance(document, dict) or not isinstance(document.get("value"), str):
                self._error(400, "BadParameter", "Property value is required.")
                return
            with state.lock:
                created = _add_version(state, name, document["value"],
                                       document.get("contentType"), document.get("tags") or {})
            self._send(200, self._bundle(name, created, with_value=True))
            return
        if method == "GET" and rest == ["versions"]:
            self._versions(name, query)
            return
        if method == "GET" and len(rest) <= 1:
            wanted = rest[0] if rest else ""
            with state.lock:
                versions = list(state.secrets.get(name, []))
            if wanted:
                found = next((v for v in versions if v.version == wanted), None)
            else:
                found = versions[-1] if versions else None
            if found is None:
                self._error(404, "SecretNotFound",
                            f"A secret with (name/id) {name}/{wanted} was not found in this key "
                            "vault. If you recently deleted this secret you may be able to "
                            "recover it using the correct recovery command.")
                return
            if not found.enabled:
                self._error(403, "Forbidden", "Operation get is not allowed on a disabled secret.")
                return
            self._send(200, self._bundle(name, found, with_value=True))
            return
        self._error(405, "BadParameter", f"{method} is not supported on this path.")

    def _delete(self, name: str) -> None:
        state = self.vault.state
        with state.lock:
            versions = state.secrets.pop(name, None)
            if versions:
                state.deleted[name] = versions
        if not versions:
            self._error(404, "SecretNotFound", f"A secret with (name/id) {name} was not found "
                        "in this key vault.")
            return
        self._send(200, self._deleted_bundle(name, versions[-1]))

    def _deleted(self, method: str, name: str) -> None:
        state = self.vault.state
        with state.lock:
            versions = state.deleted.get(name)
            protected = state.purge_protection
            if method == "DELETE" and versions and not protected:
                del state.deleted[name]
        if not versions:
            self._error(404, "SecretNotFound", f"Deleted Secret not found: {name}")
            return
        if method == "GET":
            self._send(200, self._deleted_bundle(name, versions[-1]))
        elif method == "DELETE" and protected:
            self._error(403, "Forbidden", "Operation \"purge\" is not allowed because purge "
                        "protection is enabled for this vault.")
        elif method == "DELETE":
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.send_header("x-ms-request-id", str(uuid.uuid4()))
            self.end_headers()
        else:
            self._error(405, "BadParameter", f"{method} is not supported on this path.")

    def _deleted_bundle(self, name: str, version: _Version) -> dict[str, Any]:
        bundle = self._bundle(name, version, with_value=False)
        now = int(time.time())
        return {**bundle, "recoveryId": f"{self.vault.url}/deletedsecrets/{name}",
                "deletedDate": now, "scheduledPurgeDate": now + 90 * 86400}

    def _list(self, query: dict[str, str]) -> None:
        state = self.vault.state
        with state.lock:
            newest = [(name, versions[-1]) for name, versions in sorted(state.secrets.items())]
        paged = self._paged(newest, query, f"{self.vault.url}/secrets")
        if paged is None:
            return
        page, next_link = paged
        items = []
        for name, version in page:
            item = self._bundle(name, version, with_value=False)
            item["id"] = f"{self.vault.url}/secrets/{name}"
            items.append(item)
        self._send(200, {"value": items, "nextLink": next_link})

    def _versions(self, name: str, query: dict[str, str]) -> None:
        state = self.vault.state
        with state.lock:
            versions = list(state.secrets.get(name, []))
        paged = self._paged(versions, query, f"{self.vault.url}/secrets/{name}/versions")
        if paged is None:
            return
        page, next_link = paged
        self._send(200, {"value": [self._bundle(name, v, with_value=False) for v in page],
                         "nextLink": next_link})

    def _paged(self, items: list[T], query: dict[str, str], url: str
               ) -> tuple[list[T], str | None] | None:
        """One page of ``items`` as Key Vault pages a list (``maxresults``, ``$skiptoken``)
        and its ``nextLink``; None after answering 400 for a malformed page request."""
        try:
            size = max(1, min(25, int(query.get("maxresults", DEFAULT_PAGE))))
            start = int(query.get("$skiptoken", "0"))
        except ValueError:
            self._error(400, "BadParameter", "maxresults and $skiptoken must be integers.")
            return None
        next_link = None
        if start + size < len(items):
            params = {"api-version": query["api-version"], "maxresults": size,
                      "$skiptoken": start + size}
            next_link = f"{url}?{urlencode(params)}"
        return items[start:start + size], next_link

    def _bundle(self, name: str, version: _Version, *, with_value: bool) -> dict[str, Any]:
        bundle: dict[str, Any] = {
            "id": f"{self.vault.url}/secrets/{name}/{version.version}",
            "attributes": {"enabled": version.enabled, "created": version.created,
                           "updated": version.created, "recoveryLevel": "Recoverable+Purgeable",
                           "recoverableDays": 90},
            "tags": version.tags,
        }
        if version.content_type is not None:
            bundle["contentType"] = version.content_type
        if with_value:
            bundle["value"] = version.value
        return bundle

    def _error(self, status: int, code: str, message: str,
               headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"code": code, "message": message}}, headers)

    def _send(self, status: int, document: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
