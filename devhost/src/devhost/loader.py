"""Load a Functions app the way Core Tools and the Python worker do, and index its functions.

Settings come from `local.settings.json` (exported to the environment before the import, since
apps read settings at import time), `host.json` supplies the route prefix, hub name and
concurrency, and `function_app.py` is imported with the app root on `sys.path` and as CWD.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

from devhost.routes import RouteError, RouteTemplate
from devhost.schedules import ScheduleError, parse_schedule

SUPPORTED_TRIGGERS = {
    "httpTrigger",
    "orchestrationTrigger",
    "activityTrigger",
    "entityTrigger",
    "eventGridTrigger",
    "timerTrigger",
}
SUPPORTED_BINDINGS = SUPPORTED_TRIGGERS | {"http", "durableClient", "eventGrid"}


class AppLoadError(Exception):
    """The app cannot be served; the message names the file and function at fault."""


@dataclass
class FunctionInfo:
    """One indexed function: its bindings and the callable the worker would invoke."""

    name: str
    trigger_type: str
    trigger: dict[str, Any]
    bindings: list[dict[str, Any]]
    callable: Any
    is_async: bool
    accepts_context: bool
    durable_name: str | None = None
    route: RouteTemplate | None = None
    route_text: str = ""
    methods: list[str] | None = None
    auth_level: str = "function"
    schedule: Any = None  # timer triggers: a devhost.schedules.Cron or Interval

    def outputs(self, kind: str) -> list[dict[str, Any]]:
        return [
            b for b in self.bindings
            if b.get("direction") == "OUT" and b.get("type") == kind and b["name"] != "$return"
        ]

    @property
    def client_binding(self) -> dict[str, Any] | None:
        return next((b for b in self.bindings if b["type"] == "durableClient"), None)


@dataclass
class HostConfig:
    """What `host.json` says, with the Functions defaults filled in."""

    route_prefix: str = "api"
    hub_name: str = "TestHubName"
    max_activities: int = 10
    max_orchestrators: int = 10
    max_entities: int = 10
    max_entity_batch: int = 50
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadedApp:
    root: Path
    config: HostConfig
    settings: dict[str, str]
    functions: list[FunctionInfo]
    http_port: int | None = None
    _durable_index: dict[tuple[str, str], FunctionInfo] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._durable_index = {(f.trigger_type, f.durable_name.lower()): f
                               for f in self.functions if f.durable_name}

    def by_kind(self, trigger_type: str) -> list[FunctionInfo]:
        return [f for f in self.functions if f.trigger_type == trigger_type]

    def durable(self, trigger_type: str, name: str) -> FunctionInfo | None:
        """Durable names resolve case-insensitively, as in the extension."""
        return self._durable_index.get((trigger_type, name.lower()))

    def function(self, name: str) -> FunctionInfo | None:
        return next((f for f in self.functions if f.name.lower() == name.lower()), None)


def _resolve_setting(value: Any) -> Any:
    """`%Name%` references in host.json resolve against app settings, as in the host."""
    if isinstance(value, str) and len(value) > 2 and value.startswith("%") and value.endswith("%"):
        return os.environ.get(value[1:-1], value)
    return value


def read_host_config(root: Path) -> HostConfig:
    path = root / "host.json"
    if not path.exists():
        raise AppLoadError(f"{path}: host.json not found; is --app pointing at a Functions app?")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise AppLoadError(f"{path}: invalid JSON: {exc}") from None
    ext = raw.get("extensions", {}) or {}
    http = ext.get("http", {}) or {}
    dt = ext.get("durableTask", {}) or {}
    cpus = os.cpu_count() or 1
    cfg = HostConfig(raw=raw)
    cfg.route_prefix = str(http.get("routePrefix", "api")).strip("/")
    cfg.hub_name = str(_resolve_setting(dt.get("hubName")) or os.environ.get(
        "WEBSITE_SITE_NAME", "TestHubName"))
    cfg.max_activities = int(dt.get("maxConcurrentActivityFunctions", 10 * cpus))
    cfg.max_orchestrators = int(dt.get("maxConcurrentOrchestratorFunctions", 10 * cpus))
    cfg.max_entities = int(dt.get("maxConcurrentEntityFunctions", 10 * cpus))
    cfg.max_entity_batch = int(dt.get("maxEntityOperationBatchSize", 50))
    return cfg


def read_local_settings(root: Path) -> tuple[dict[str, str], int | None]:
    path = root / "local.settings.json"
    if not path.exists():
        return {}, None
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise AppLoadError(f"{path}: invalid JSON: {exc}") from None
    values = {str(k): str(v) for k, v in (raw.get("Values") or {}).items()}
    port = (raw.get("Host") or {}).get("LocalHttpPort")
    return values, int(port) if port else None


def _find_app(module: Any, script: str) -> func.FunctionRegister:
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) > 1:
        raise AppLoadError(f"{script}: more than one function app instance is defined")
    if not apps:
        raise AppLoadError(f"{script}: no top-level function app instance (df.DFApp or "
                           "func.FunctionApp) found")
    return apps[0]


def _import_app(root: Path, script: str) -> Any:
    sys.path.insert(0, str(root))
    os.chdir(root)
    try:
        return importlib.import_module(Path(script).stem)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{fr.filename}:{fr.lineno}" for fr in reversed(tb)
                      if str(root) in fr.filename), script)
        raise AppLoadError(f"{script}: import failed at {where}: "
                           f"{type(exc).__name__}: {exc}") from None


def _index_function(fn: Any, script: str, default_auth: str) -> FunctionInfo:
    name = fn.get_function_name()
    bindings = [json.loads(b) for b in fn.get_raw_bindings()]
    for b in bindings:
        if b.get("type") not in SUPPORTED_BINDINGS:
            raise AppLoadError(
                f"{script}: function '{name}' uses binding type '{b.get('type')}' (binding "
                f"'{b.get('name')}'), which devhost does not support; it serves these binding "
                f"types: {', '.join(sorted(SUPPORTED_BINDINGS))}")
    trigger = next(b for b in bindings if str(b.get("type", "")).endswith("Trigger"))
    user = fn.get_user_function()
    target = getattr(user, "client_function", None) or user
    import inspect

    info = FunctionInfo(
        name=name, trigger_type=trigger["type"], trigger=trigger, bindings=bindings,
        callable=user, is_async=inspect.iscoroutinefunction(user),
        accepts_context="context" in inspect.signature(target).parameters
        and not any(b["name"] == "context" for b in bindings),
    )
    t = trigger["type"]
    if t == "orchestrationTrigger":
        info.durable_name = trigger.get("orchestration") or name
    elif t == "activityTrigger":
        info.durable_name = trigger.get("activity") or name
    elif t == "entityTrigger":
        info.durable_name = trigger.get("entityName") or name
    elif t == "httpTrigger":
        info.route_text = str(trigger.get("route") or name).strip("/")
        try:
            info.route = RouteTemplate(info.route_text)
        except RouteError as exc:
            raise AppLoadError(f"{script}: function '{name}' has a bad route "
                               f"'{info.route_text}': {exc}") from None
        methods = trigger.get("methods")
        info.methods = [m.upper() for m in methods] if methods else None
        info.auth_level = str(trigger.get("authLevel") or default_auth).lower()
    elif t == "timerTrigger":
        schedule = str(_resolve_setting(trigger.get("schedule") or ""))
        try:
            info.schedule = parse_schedule(schedule)
        except ScheduleError as exc:
            raise AppLoadError(f"{script}: function '{name}' has a bad timer schedule "
                               f"'{schedule}': {exc}") from None
    return info


def load_app(root: Path) -> LoadedApp:
    """Export settings, import the app and index it; raises AppLoadError on a broken app."""
    root = root.resolve()
    settings, port = read_local_settings(root)
    for name, value in settings.items():
        # As in Core Tools, a variable already in the environment wins over the file.
        os.environ.setdefault(name, value)
    os.environ.setdefault("AzureWebJobsScriptRoot", str(root))
    os.environ.setdefault("FUNCTIONS_WORKER_RUNTIME", "python")
    config = read_host_config(root)
    script = os.environ.get("PYTHON_SCRIPT_FILE_NAME", "function_app.py")
    if not (root / script).exists():
        folders = sorted(root.glob("*/function.json"))
        if not folders:
            raise AppLoadError(f"{root / script}: not found")
        # The v1 programming model: one folder per function, as the worker loads them.
        infos = [_index_function(f, f.script, "function") for f in _load_v1(root, folders)]
        _check_unique_durable_names(infos, "function.json")
        return LoadedApp(root=root, config=config, settings=settings, functions=infos,
                         http_port=port)
    module = _import_app(root, script)
    app = _find_app(module, script)
    try:
        functions = app.get_functions()  # may be called once only (it records names)
    except ValueError as exc:
        raise AppLoadError(f"{script}: {exc}") from None
    default_auth = getattr(app, "auth_level", None)
    default_auth_name = getattr(default_auth, "name", None) or "function"
    infos = [_index_function(f, script, default_auth_name) for f in functions]
    _check_unique_durable_names(infos, script)
    return LoadedApp(root=root, config=config, settings=settings, functions=infos,
                     http_port=port)


class _V1Function:
    """A v1 function (a folder with function.json) in the shape of a v2 indexed function."""

    def __init__(self, name: str, script: str, bindings: list[dict[str, Any]],
                 user: Any) -> None:
        self.name = name
        self.script = script
        self.bindings = bindings
        trigger = next((b for b in bindings if str(b.get("type", "")).endswith("Trigger")), None)
        if trigger is None:
            raise AppLoadError(f"{script}: function '{name}' has no trigger binding")
        if trigger["type"] in ("orchestrationTrigger", "entityTrigger"):
            # devhost calls the SDK's handle with `context=`; the worker passes the binding's
            # name, which function.json may choose.
            arg = trigger["name"]
            self.user = user if arg == "context" else (lambda context: user(**{arg: context}))
        else:
            self.user = user

    def get_function_name(self) -> str:
        return self.name

    def get_raw_bindings(self) -> list[str]:
        return [json.dumps(b) for b in self.bindings]

    def get_user_function(self) -> Any:
        return self.user


def _load_v1(root: Path, configs: list[Path]) -> list[_V1Function]:
    """Import each function folder as the worker does: as `__app__.<folder>`, with the app root
    on `sys.path` too (so `from shared_code import x`, `from __app__.shared_code import x` and
    `from ..shared_code import x` all work)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    package = types.ModuleType("__app__")
    package.__path__ = [str(root)]
    sys.modules["__app__"] = package
    functions = []
    for config_path in configs:
        folder = config_path.parent.name
        where = f"{folder}/function.json"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise AppLoadError(f"{where}: invalid JSON: {exc}") from None
        if config.get("disabled") or os.environ.get(f"AzureWebJobs.{folder}.Disabled",
                                                    "").lower() == "true":
            continue
        script_file = str(config.get("scriptFile") or "__init__.py")
        script = f"{folder}/{script_file}"
        inside = "/" not in script_file.replace("\\", "/")
        if not inside or not (config_path.parent / script_file).exists():
            raise AppLoadError(f"{where}: scriptFile '{script_file}' is not a file in {folder}/")
        module_name = f"__app__.{folder}"
        if script_file != "__init__.py":
            module_name += f".{Path(script_file).stem}"
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)
            at = next((f"{fr.filename}:{fr.lineno}" for fr in reversed(tb)
                       if str(root) in fr.filename), script)
            raise AppLoadError(f"{script}: import failed at {at}: "
                               f"{type(exc).__name__}: {exc}") from None
        entry = str(config.get("entryPoint") or "main")
        user = getattr(module, entry, None)
        if not callable(user):
            raise AppLoadError(f"{script}: function '{folder}' has no entry point '{entry}'")
        bindings = [{**b, "direction": str(b.get("direction", "")).upper()}
                    for b in config.get("bindings") or []]
        functions.append(_V1Function(folder, script, bindings, user))
    return functions


def _check_unique_durable_names(infos: list[FunctionInfo], script: str) -> None:
    seen: dict[tuple[str, str], str] = {}
    for f in infos:
        if f.durable_name is None:
            continue
        key = (f.trigger_type, f.durable_name.lower())
        if key in seen:
            raise AppLoadError(f"{script}: functions '{seen[key]}' and '{f.name}' both register "
                               f"the durable name '{f.durable_name}'")
        seen[key] = f.name
