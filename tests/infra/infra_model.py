"""What `infra/` declares and what the code uses, both read at test time (nothing copied).

Infra side: every `.bicep` file parsed with pycep-parser, the `.bicepparam` files read by a
small reader (they hold literals only), and a small evaluator for the expressions that feed the
function app's settings (params, vars, conditionals, `union`, `string`, module outputs). Values
only Azure knows at deployment time (endpoints, keys) evaluate to `RUNTIME`.

Code side: the settings `app_settings.py` (and any module reading the environment) asks for, the
functions `function_app.py` registers with their bindings (imported once, in a subprocess, with
the embedded settings of local.settings.example.json), the Cosmos DB containers and the table the
Azure adapters create at start-up (built against recording fakes), host.json.

pycep represents an identifier and a string literal alike (both are Python strings), so a string
is taken for an identifier when it names a param, var, resource or module in scope.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"
ENVIRONMENTS = ("dev", "prod")
RUNTIME = "<runtime>"  # a value only the deployment knows (an endpoint, a resource property)
# Packages whose modules hold the function app's code (what Azure runs).
APP_PACKAGES = ("api", "orchestrators", "activities", "entities", "projections", "readmodels",
                "security", "contracts", "observability")
APP_MODULES = ("app_settings.py", "function_app.py")
# Binding properties that name an app setting (Functions binding reference).
SETTING_BINDING_KEYS = ("connection", "topicEndpointUri", "topicKeySetting")
_SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]")
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")


# --------------------------------------------------------------------------------------------
# Bicep


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    from pycep import BicepParser

    return BicepParser().parse(file_path=path)


def unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else key


@cache
def bicepparam(environment: str) -> tuple[str, dict[str, Any]]:
    """``(using, {param: value})`` of ``main.<environment>.bicepparam``."""
    path = INFRA / f"main.{environment}.bicepparam"
    using, values = "", {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if match := re.fullmatch(r"using\s+'([^']+)'", line):
            using = match[1]
        elif match := re.fullmatch(r"param\s+(\w+)\s*=\s*(.+)", line):
            values[match[1]] = _param_literal(match[2].strip(), f"{path.name}:{number}")
        else:
            raise ValueError(f"{path.name}:{number}: the test reader does not know {line!r}")
    return using, values


def _param_literal(text: str, where: str) -> Any:
    if match := re.fullmatch(r"'((?:[^'\\]|\\.)*)'", text):
        return match[1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if match := re.fullmatch(r"readEnvironmentVariable\('(\w+)'(?:\s*,\s*'([^']*)')?\)", text):
        return match[2] if match[2] is not None else f"<env:{match[1]}>"
    raise ValueError(f"{where}: the test reader does not know the value {text!r}")


class Scope:
    """Names visible in one Bicep file, each evaluated on first use."""

    def __init__(self, path: Path, inputs: dict[str, Callable[[], Any]]) -> None:
        self.path = path
        self.doc = parse(path)
        self._inputs = inputs
        self._values: dict[str, Any] = {}

    def names(self) -> set[str]:
        doc = self.doc
        return {*doc.get("parameters", {}), *doc.get("variables", {}),
                *doc.get("resources", {}), *doc.get("modules", {})}

    def lookup(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = self._resolve(name)
        return self._values[name]

    def _resolve(self, name: str) -> Any:
        doc = self.doc
        if name in doc.get("parameters", {}):
            if name in self._inputs:
                return self._inputs[name]()
            default = doc["parameters"][name].get("default")  # pycep: None when absent
            if default is None:
                raise KeyError(f"{self.path.name}: param {name} has no value and no default")
            return self.eval(default)
        if name in doc.get("variables", {}):
            return self.eval(doc["variables"][name]["value"])
        return RUNTIME  # a resource or module symbol used as a value

    def module(self, symbol: str) -> Scope:
        """The scope of module ``symbol`` with the params this file passes it."""
        config = self.doc["modules"][symbol]
        detail = config["config"]
        body = detail.get("config", detail) if "loop_type" in detail or "condition" in detail \
            else detail
        params = body.get("params", {}) or {}
        target = (self.path.parent / config["detail"]["path"]).resolve()
        return Scope(target, {k: (lambda v=v: self.eval(v)) for k, v in params.items()})

    def output(self, name: str) -> Any:
        return self.eval(self.doc["outputs"][name]["value"])

    # expressions ------------------------------------------------------------------------

    def eval(self, expr: Any) -> Any:
        if expr is None or isinstance(expr, bool | int | float):
            return expr
        if isinstance(expr, str):
            return self.lookup(expr) if expr in self.names() else self._interpolate(expr)
        if isinstance(expr, list):
            return [self.eval(item) for item in expr]
        if isinstance(expr, dict):
            if set(expr) == {"operator"}:
                return self._operator(expr["operator"])
            if set(expr) == {"function"}:
                return self._function(expr["function"])
            return {unquote(k): self.eval(v) for k, v in expr.items()}
        return RUNTIME

    def _interpolate(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            inner = match[1].strip()
            if inner in self.names():
                value = self.lookup(inner)
                return value if isinstance(value, str) else RUNTIME
            return RUNTIME

        return _INTERPOLATION.sub(one, text)

    def _operator(self, op: dict[str, Any]) -> Any:
        kind, args = op["type"], op["operands"]
        if kind == "conditional":
            condition = self.eval(args["condition"])
            if not isinstance(condition, bool):
                raise ValueError(f"{self.path.name}: condition {args['condition']!r} is not "
                                 "known before deployment")
            return self.eval(args["true_value"] if condition else args["false_value"])
        if kind in ("equals", "not_equals"):
            same = self.eval(args["operand_1"]) == self.eval(args["operand_2"])
            return same if kind == "equals" else not same
        if kind == "not":
            return not self.eval(args["bool_value"])
        if kind == "property_accessor":
            return self._accessor(_chain(op))
        return RUNTIME

    def _accessor(self, chain: list[Any]) -> Any:
        if not all(isinstance(part, str) for part in chain):
            return RUNTIME
        head = chain[0]
        doc = self.doc
        if head in doc.get("modules", {}) and len(chain) == 3 and chain[1] == "outputs":
            return self.module(head).output(chain[2])
        if head in doc.get("resources", {}) and chain[1:] == ["name"]:
            config = doc["resources"][head]["config"]
            return self.eval(config.get("config", config)["name"])
        return RUNTIME

    def _function(self, fn: dict[str, Any]) -> Any:
        kind, params = fn["type"], list((fn.get("parameters") or {}).values())
        if kind == "union" and all(p is not None for p in params):
            parts = [self.eval(p) for p in params]
            if all(isinstance(p, dict) for p in parts):
                merged: dict[str, Any] = {}
                for part in parts:
                    merged.update(part)
                return merged
            return RUNTIME
        if kind == "string":
            value = self.eval(params[0])
            return str(value).lower() if isinstance(value, bool) else str(value)
        if kind == "empty":
            value = self.eval(params[0])
            return value in ("", [], {}, None)
        if kind == "load_json_content":
            return json.loads((self.path.parent / params[0]).read_text(encoding="utf-8"))
        return RUNTIME


def _chain(op: dict[str, Any]) -> list[Any]:
    """``a.b.c`` (pycep nests it to the right) as ``["a", "b", "c"]``."""
    args = op["operands"]
    chain = [args["operand_1"]]
    rest = args["operand_2"]
    if isinstance(rest, dict) and rest.get("operator", {}).get("type") == "property_accessor":
        chain.extend(_chain(rest["operator"]))
    else:
        chain.append(rest)
    return chain


def main_scope(environment: str) -> Scope:
    _, values = bicepparam(environment)
    return Scope(MAIN, {k: (lambda v=v: v) for k, v in values.items()})


FUNCTION_APP_MODULE = "functionApp"


def app_settings_of(environment: str) -> dict[str, Any]:
    """The function app's settings as ``environment`` deploys them."""
    return main_scope(environment).module(FUNCTION_APP_MODULE).lookup("appSettings")


def declared_setting_names() -> set[str]:
    """Every setting name the function app module can set (all branches)."""
    doc = parse(INFRA / "modules" / "functionapp.bicep")
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) - {"operator", "function"}:
                names.update(unquote(k) for k in node if _SETTING_NAME.fullmatch(unquote(k))
                             or "__" in k or k.startswith("APPLICATIONINSIGHTS"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for var in ("baseSettings", "keySettings"):
        walk(doc["variables"][var]["value"])
    return names


def resources(doc: dict[str, Any], type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(symbol, body)`` of every resource of ``type_`` (body without loop/condition)."""
    for symbol, res in doc.get("resources", {}).items():
        if res["type"] == type_:
            config = res["config"]
            yield symbol, config.get("config", config) if "condition" in config or \
                "loop_type" in config else config


# --------------------------------------------------------------------------------------------
# Code


def app_source_files() -> list[Path]:
    files = [ROOT / name for name in APP_MODULES]
    for package in APP_PACKAGES:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return [f for f in files if f.exists()]


@cache
def settings_read_by_code() -> dict[str, str]:
    """``{setting: where}`` for every app setting the code reads from the environment.

    ``app_settings.py`` reads a mapping named ``env`` (``env.get("X")``, ``env["X"]``, or helpers
    called as ``helper(env, "X", ...)``); any other module reading ``os.environ``/``os.getenv``
    directly is included too, so a setting read behind the settings module's back still counts.
    """
    found: dict[str, str] = {}
    for path in app_source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            for name in _setting_names_in(node, env_names={"env"} if path.name ==
                                          "app_settings.py" else set()):
                found.setdefault(name, f"{rel}:{node.lineno}")  # type: ignore[attr-defined]
    return found


def _is_environ(node: ast.AST, env_names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in env_names
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _setting_names_in(node: ast.AST, env_names: set[str]) -> Iterator[str]:
    def constant(arg: ast.AST) -> str | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                and _SETTING_NAME.fullmatch(arg.value):
            return arg.value
        return None

    candidate: ast.AST | None = None
    if isinstance(node, ast.Subscript) and _is_environ(node.value, env_names):
        candidate = node.slice
    elif isinstance(node, ast.Call) and node.args:
        func = node.func
        reads_mapping = (isinstance(func, ast.Attribute)
                         and func.attr in ("get", "setdefault", "pop")
                         and _is_environ(func.value, env_names))
        getenv = (isinstance(func, ast.Attribute) and func.attr == "getenv"
                  and isinstance(func.value, ast.Name) and func.value.id == "os")
        if reads_mapping or getenv:
            candidate = node.args[0]
        elif _is_environ(node.args[0], env_names) and len(node.args) > 1:
            candidate = node.args[1]  # helper(env, "NAME", ...)
    if candidate is not None and (name := constant(candidate)):
        yield name


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    trigger: str
    bindings: tuple[dict[str, Any], ...] = field(default=())


_INDEX_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import function_app
out = []
for f in function_app.app.get_functions():
    bindings = [b.get_dict_repr() for b in f.get_bindings()]
    trigger = f.get_trigger()
    out.append({"name": f.get_function_name(), "trigger": trigger.get_binding_name(),
                "bindings": bindings})
print(json.dumps(out, default=str))
"""


def example_settings() -> dict[str, str]:
    doc = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in doc["Values"].items()}


@cache
def functions() -> tuple[FunctionInfo, ...]:
    """The function index of ``function_app.py``, imported once in a fresh interpreter with the
    embedded settings, so this process's settings cache and modules stay untouched."""
    import tempfile

    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, **example_settings(), "ORDERS_DATA_DIR": f"{data}/orders",
               "FIELD_KEYS_DIR": f"{data}/keys"}
        done = subprocess.run([sys.executable, "-c", _INDEX_SCRIPT, str(ROOT)], env=env,
                              capture_output=True, text=True, timeout=120, cwd=data)
    if done.returncode != 0:
        raise RuntimeError(f"importing function_app failed:\n{done.stderr[-3000:]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return tuple(FunctionInfo(r["name"], r["trigger"], tuple(r["bindings"])) for r in rows)


def binding_settings() -> dict[str, str]:
    """``{setting: function}`` for binding properties that name an app setting."""
    found: dict[str, str] = {}
    for fn in functions():
        for binding in fn.bindings:
            for key in SETTING_BINDING_KEYS:
                value = binding.get(key)
                if isinstance(value, str) and value:
                    found.setdefault(value, f"{fn.name}.{binding.get('name')}.{key}")
    return found


def host_json() -> dict[str, Any]:
    return json.loads((ROOT / "host.json").read_text(encoding="utf-8-sig"))


def host_setting_references() -> dict[str, str]:
    """``{setting: json path}`` for every ``%Setting%`` value in host.json."""
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, str) and (match := re.fullmatch(r"%(\w+)%", node)):
            found[match[1]] = path

    walk(host_json(), "")
    return found


@dataclass(frozen=True)
class CodeStores:
    containers: dict[str, str]  # Cosmos container -> partition key path
    tables: set[str]
    adapters: tuple[str, ...]  # the factory builders that ran


def azure_settings() -> dict[str, str]:
    return {"ORDERS_STORE": "azure", "COSMOS_ENDPOINT": "https://cosmos.invalid:443/",
            "COSMOS_KEY": "a2V5", "COSMOS_DATABASE": "orders",
            "TABLES_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountName=x;"
            "AccountKey=a2V5;EndpointSuffix=core.windows.net"}


@cache
def code_stores() -> CodeStores:
    """Build every ``readmodels.factory.build_*`` adapter for ``ORDERS_STORE=azure`` against
    recording fakes and collect the containers and tables they create or open."""
    import importlib

    from app_settings import load_settings

    factory = importlib.import_module("readmodels.factory")
    settings = load_settings(azure_settings())
    database = mock.MagicMock(name="cosmos-database")
    database.id = "orders"
    service = mock.MagicMock(name="table-service")
    patches = [mock.patch("readmodels.cosmos_client.cosmos_database", return_value=database)]
    try:
        importlib.import_module("readmodels.table_cache")
        patches.append(mock.patch("readmodels.table_cache.TableServiceClient.from_connection_string",
                                  return_value=service))
    except ModuleNotFoundError:
        pass
    built = []
    with _all(patches):
        for name in sorted(dir(factory)):
            if name.startswith("build_") and callable(getattr(factory, name)):
                try:
                    getattr(factory, name)(settings)
                except ModuleNotFoundError as missing:  # an adapter not written yet
                    if not (missing.name or "").startswith("readmodels."):
                        raise
                    continue
                built.append(name)
    containers: dict[str, str] = {}
    for call in database.mock_calls:
        if call[0] in ("create_container_if_not_exists", "create_container"):
            kwargs = call[2]
            key = kwargs.get("partition_key")
            path = getattr(key, "path", None) or (key or {}).get("paths", [None])[0]
            containers[str(kwargs.get("id"))] = str(path)
    tables = set()
    for call in service.mock_calls:
        if call[0] in ("get_table_client", "create_table_if_not_exists", "create_table"):
            name = call[2].get("table_name") or (call[1][0] if call[1] else None)
            tables.add(str(name))
    return CodeStores(containers, tables, tuple(built))


class _all:
    def __init__(self, patches: list[Any]) -> None:
        self._patches = patches

    def __enter__(self) -> None:
        for p in self._patches:
            p.start()

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self._patches):
            p.stop()
