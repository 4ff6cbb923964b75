"""Azure: send the app's traces, metrics and ``orders.*`` logs to Application Insights.

Only when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set (infra sets it; devhost and tests do
not, and devhost installs its own meter provider). The distro is imported lazily so a local run
never pays for it. The component refuses instrumentation-key ingestion (``DisableLocalAuth``), so
when ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` says ``Authorization=AAD`` the exporter
authenticates with the app's managed identity (``ClientId=`` picks a user-assigned one).
"""

from __future__ import annotations

import threading
from typing import Any

_configured = False
_lock = threading.Lock()
# Instrumentations the distro enables by default for frameworks this app does not use.
_UNUSED = ("django", "fastapi", "flask", "psycopg2")


def _auth_fields(authentication: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in (authentication or "").split(";"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


def credential_for(authentication: str | None) -> Any:
    """A managed-identity credential for ``Authorization=AAD``; ``None`` otherwise."""
    fields = _auth_fields(authentication)
    if fields.get("authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    client_id = fields.get("clientid")
    return ManagedIdentityCredential(client_id=client_id) if client_id else \
        ManagedIdentityCredential()


def configure(connection_string: str | None, authentication: str | None,
              service_name: str = "durable-orders") -> bool:
    """Configure Azure Monitor once per process; ``False`` (nothing done) without a string."""
    global _configured
    if not connection_string:
        return False
    with _lock:
        if _configured:
            return True
        from azure.monitor.opentelemetry import configure_azure_monitor
        from opentelemetry.sdk.resources import Resource

        options: dict[str, Any] = {
            "connection_string": connection_string,
            "logger_name": "orders",
            "resource": Resource.create({"service.name": service_name}),
            "instrumentation_options": {name: {"enabled": False} for name in _UNUSED},
        }
        credential = credential_for(authentication)
        if credential is not None:
            options["credential"] = credential
        configure_azure_monitor(**options)
        _configured = True
        return True
