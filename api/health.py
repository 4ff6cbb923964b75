"""``GET /api/health``: does each dependency answer (view store, cache, event archive, keys)?

Anonymous, so load balancers and uptime checks can call it: they get ``{"status": "pass"}``
(200) or ``{"status": "fail"}`` (503) and nothing else. Support and admin get each dependency's
status and latency (``observability.health``). Each probe is a read that may miss: a missing
document, cache entry or key still proves the store answered, and nothing is ever created.
"""

from __future__ import annotations

import contextlib
import itertools
from functools import lru_cache

import azure.durable_functions as df
import azure.functions as func

from api.http import json_response
from api.routes import http_route
from app_settings import get_settings
from observability.health import HealthChecker, Probe
from readmodels.factory import event_archive, query_cache, view_store
from readmodels.views import ORDER_DETAILS
from security.keys import KeyNotFound
from security.principal import CLIENT_PRINCIPAL_HEADER, PrincipalError, Role
from security.principal import parse_client_principal as _parse
from security.providers import app_key_provider

bp = df.Blueprint()
PROBE_ID = "health-probe"  # valid as a document id, cache key and key name; never created


def _key_provider_answers() -> None:
    with contextlib.suppress(KeyNotFound):  # answered: there is no such key
        app_key_provider().get(PROBE_ID, "1")


def _archive_answers() -> None:
    # Past any real position: an indexed, empty read rather than a count over the archive.
    list(itertools.islice(event_archive().read_all(after=2**62, limit=1), 1))


def probes() -> list[Probe]:
    return [
        Probe("viewStore", lambda: view_store().read(ORDER_DETAILS, PROBE_ID, PROBE_ID)),
        Probe("queryCache", lambda: query_cache().lookup("health", PROBE_ID)),
        Probe("eventArchive", _archive_answers),
        Probe("keyProvider", _key_provider_answers),
    ]


@lru_cache(maxsize=1)
def checker() -> HealthChecker:
    settings = get_settings()
    return HealthChecker(probes, settings.health_probe_timeout.total_seconds(),
                         settings.health_cache_ttl.total_seconds())


def may_see_details(req: func.HttpRequest) -> bool:
    """Support and admin, when the platform vouches for the principal; everyone else not."""
    if not get_settings().principal_header_trusted:
        return False
    try:
        principal = _parse(req.headers.get(CLIENT_PRINCIPAL_HEADER))
    except PrincipalError:
        return False
    return principal.has_role(Role.SUPPORT, Role.ADMIN)


@http_route(bp, "getHealth")
def api_health(req: func.HttpRequest) -> func.HttpResponse:
    report = checker().report()
    body = report.detailed() if may_see_details(req) else report.public()
    return json_response(body, status=200 if report.ok else 503,
                         headers={"Cache-Control": "no-store"})
