"""Every app setting the function app reads, in one place, with errors that say what to fix.

Settings are read once per process (``get_settings``). Adapters are chosen explicitly
(``ORDERS_STORE=embedded|azure``): a missing or unknown choice stops the app at start-up rather
than silently running against the wrong store. Relative paths resolve against the app folder,
because the Functions host's working directory is not guaranteed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

APP_ROOT = Path(__file__).resolve().parent
_DURATION = re.compile(r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


class SettingsError(RuntimeError):
    """An app setting is missing or malformed; the message names the setting and the fix."""


@dataclass(frozen=True)
class AppSettings:
    orders_store: str  # "embedded" | "azure"
    orders_data_dir: Path  # embedded adapters' SQLite files
    field_key_provider: str  # "local" | "keyvault"
    field_keys_dir: Path
    key_vault_url: str | None
    principal_header_trusted: bool
    fulfilment_deadline: timedelta
    default_credit_limit: int
    default_currency: str
    max_order_total: int
    max_body_bytes: int
    # Long polls of a command's status (``Prefer: wait=N``): the longest wait granted, and how
    # often the command is re-read meanwhile.
    command_wait_max: timedelta = timedelta(seconds=20)
    command_wait_poll: timedelta = timedelta(seconds=0.1)
    # Read side (issue 4): cache TTL, read-your-writes wait, and the Azure stores' connections.
    query_cache_ttl: timedelta = timedelta(seconds=60)
    min_version_wait: timedelta = timedelta(seconds=2)
    cosmos_endpoint: str | None = None
    cosmos_key: str | None = None
    cosmos_database: str = "orders"
    cosmos_verify_tls: bool = True
    tables_connection_string: str | None = None
    tables_endpoint: str | None = None
    # Observability (issue 7): Azure Monitor only when the connection string is set; health
    # probes' deadline and how long a health report is reused.
    applicationinsights_connection_string: str | None = None
    applicationinsights_authentication_string: str | None = None
    health_probe_timeout: timedelta = timedelta(seconds=2)
    health_cache_ttl: timedelta = timedelta(seconds=5)


def _choice(
    env: Mapping[str, str], name: str, options: tuple[str, ...], default: str | None
) -> str:
    raw = env.get(name, default)
    if raw is None:
        raise SettingsError(
            f"app setting {name} is required: set it to one of {', '.join(options)}"
        )
    value = raw.strip().lower()
    if value not in options:
        raise SettingsError(f"app setting {name}={raw!r} is not one of {', '.join(options)}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"app setting {name}={raw!r} must be true or false")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"app setting {name}={raw!r} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"app setting {name}={value} must be between {low} and {high}")
    return value


def parse_duration(raw: str, name: str = "duration") -> timedelta:
    """``72h``, ``30m``, ``45s``, ``3d`` or plain seconds; must be positive."""
    match = _DURATION.fullmatch(raw.strip().lower())
    if match is None:
        raise SettingsError(f"app setting {name}={raw!r} must look like 72h, 30m, 45s or 3d")
    seconds = float(match["value"]) * _UNITS[match["unit"]]
    if seconds <= 0:
        raise SettingsError(f"app setting {name} must be a positive duration")
    return timedelta(seconds=seconds)


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    path = Path(env.get(name) or default)
    return path if path.is_absolute() else APP_ROOT / path


def _run_folder(env: Mapping[str, str]) -> str:
    """The folder of this local run: the one devhost says it keeps its state in
    (``DEVHOST_DATA_DIR``, its ``--data``), so a run's views and keys live beside it."""
    return env.get("DEVHOST_DATA_DIR") or ".devhost"


def _currency(env: Mapping[str, str]) -> str:
    value = env.get("DEFAULT_CURRENCY", "EUR").strip()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise SettingsError(f"app setting DEFAULT_CURRENCY={value!r} must be an ISO 4217 code")
    return value


def load_settings(env: Mapping[str, str]) -> AppSettings:
    """Read and check every setting; raises ``SettingsError`` naming the first bad one."""
    provider = _choice(env, "FIELD_KEY_PROVIDER", ("local", "keyvault"), "local")
    vault_url = env.get("KEY_VAULT_URL") or None
    if provider == "keyvault" and not vault_url:
        raise SettingsError("FIELD_KEY_PROVIDER=keyvault needs KEY_VAULT_URL")
    return AppSettings(
        orders_store=_choice(env, "ORDERS_STORE", ("embedded", "azure"), None),
        orders_data_dir=_path(env, "ORDERS_DATA_DIR", f"{_run_folder(env)}/orders"),
        field_key_provider=provider,
        field_keys_dir=_path(env, "FIELD_KEYS_DIR", f"{_run_folder(env)}/keys"),
        key_vault_url=vault_url,
        principal_header_trusted=_flag(env, "AUTH_PRINCIPAL_HEADER_TRUSTED"),
        fulfilment_deadline=parse_duration(
            env.get("FULFILMENT_DEADLINE", "72h"), "FULFILMENT_DEADLINE"
        ),
        default_credit_limit=_int(env, "DEFAULT_CREDIT_LIMIT", 100_000, 0, 10**15),
        default_currency=_currency(env),
        max_order_total=_int(env, "MAX_ORDER_TOTAL", 10_000_000, 1, 10**15),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024, 1024, 1024 * 1024),
        command_wait_max=parse_duration(env.get("COMMAND_WAIT_MAX", "20s"), "COMMAND_WAIT_MAX"),
        command_wait_poll=parse_duration(env.get("COMMAND_WAIT_POLL", "0.1s"),
                                         "COMMAND_WAIT_POLL"),
        **_read_side(env),
        **_observability(env),
    )


class _ReadSide(TypedDict):
    query_cache_ttl: timedelta
    min_version_wait: timedelta
    cosmos_endpoint: str | None
    cosmos_key: str | None
    cosmos_database: str
    cosmos_verify_tls: bool
    tables_connection_string: str | None
    tables_endpoint: str | None


def _read_side(env: Mapping[str, str]) -> _ReadSide:
    """The read side's settings; ``ORDERS_STORE=azure`` needs Cosmos DB and Table storage."""
    read: _ReadSide = {
        "query_cache_ttl": parse_duration(env.get("QUERY_CACHE_TTL", "60s"), "QUERY_CACHE_TTL"),
        "min_version_wait": parse_duration(env.get("MIN_VERSION_WAIT", "2s"), "MIN_VERSION_WAIT"),
        "cosmos_endpoint": env.get("COSMOS_ENDPOINT") or None,
        "cosmos_key": env.get("COSMOS_KEY") or None,
        "cosmos_database": env.get("COSMOS_DATABASE") or "orders",
        "cosmos_verify_tls": not env.get("COSMOS_VERIFY_TLS") or _flag(env, "COSMOS_VERIFY_TLS"),
        "tables_connection_string": env.get("TABLES_CONNECTION_STRING") or None,
        "tables_endpoint": env.get("TABLES_ENDPOINT") or None,
    }
    if env.get("ORDERS_STORE", "").strip().lower() == "azure":
        # Without COSMOS_KEY / TABLES_CONNECTION_STRING the app signs in with its managed
        # identity (DefaultAzureCredential), which is how infra deploys prod.
        missing = [] if read["cosmos_endpoint"] else ["COSMOS_ENDPOINT"]
        if not (read["tables_connection_string"] or read["tables_endpoint"]):
            missing.append("TABLES_CONNECTION_STRING or TABLES_ENDPOINT")
        if missing:
            raise SettingsError(f"ORDERS_STORE=azure needs {', '.join(missing)}")
    return read


class _Observability(TypedDict):
    applicationinsights_connection_string: str | None
    applicationinsights_authentication_string: str | None
    health_probe_timeout: timedelta
    health_cache_ttl: timedelta


def _observability(env: Mapping[str, str]) -> _Observability:
    """Telemetry export (Azure sets the standard Application Insights settings) and health."""
    return {
        "applicationinsights_connection_string":
            env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or None,
        "applicationinsights_authentication_string":
            env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") or None,
        "health_probe_timeout": parse_duration(env.get("HEALTH_PROBE_TIMEOUT", "2s"),
                                               "HEALTH_PROBE_TIMEOUT"),
        "health_cache_ttl": parse_duration(env.get("HEALTH_CACHE_TTL", "5s"), "HEALTH_CACHE_TTL"),
    }


@lru_cache(maxsize=1)
def get_settings() -> AppSettings:
    """The process-wide settings (the host exports app settings before importing the app)."""
    return load_settings(os.environ)


def load_local_settings() -> None:
    """For the operator commands (``python -m projections``, ``python -m security``): the
    ``Values`` of ``local.settings.json``, as devhost would set them, without overriding the
    environment."""
    path = Path(__file__).resolve().parent / "local.settings.json"
    if not path.exists():
        return
    values = json.loads(path.read_text()).get("Values", {})
    for name, value in values.items():
        os.environ.setdefault(name, str(value))
