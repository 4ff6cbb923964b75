"""Every template parses (and compiles, where a Bicep CLI exists), the parameter files fit
main.bicep, and the security settings the design asks for are in the templates."""

from __future__ import annotations

import shutil
import subprocess

import infra_model as im
import pytest

BICEP_FILES = im.bicep_files()


def test_there_are_templates():
    names = {p.relative_to(im.INFRA).as_posix() for p in BICEP_FILES}
    assert {"main.bicep", "modules/functionapp.bicep", "modules/storage.bicep",
            "modules/cosmos.bicep", "modules/eventgrid.bicep", "modules/keyvault.bicep",
            "modules/monitoring.bicep"} <= names


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.relative_to(im.INFRA).as_posix())
def test_parses(path):
    doc = im.parse(path)
    assert doc.get("resources") or doc.get("modules"), f"{path.name} declares nothing"


def test_every_module_reference_resolves_and_passes_only_declared_params():
    for path in BICEP_FILES:
        doc = im.parse(path)
        for symbol, module in doc.get("modules", {}).items():
            target = (path.parent / module["detail"]["path"]).resolve()
            assert target.exists(), f"{path.name}: module {symbol} -> {target} is missing"
            scope = im.Scope(path, {})
            config = module["config"]
            body = config.get("config", config) if "loop_type" in config or "condition" in \
                config else config
            passed = set(body.get("params", {}))
            declared = im.parse(target).get("parameters", {})
            assert passed <= set(declared), f"{symbol}: unknown params {passed - set(declared)}"
            required = {n for n, p in declared.items() if p.get("default") is None}
            assert required <= passed, f"{symbol}: required params not passed {required - passed}"
            assert scope.path == path


def _bicep_cli() -> list[str] | None:
    if shutil.which("bicep"):
        return ["bicep"]
    if shutil.which("az"):
        probe = subprocess.run(["az", "bicep", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["az", "bicep"]
    return None


@pytest.mark.parametrize("path", [im.MAIN, *sorted(im.INFRA.glob("*.bicepparam"))],
                         ids=lambda p: p.name)
def test_compiles_with_the_bicep_cli(path, tmp_path):
    cli = _bicep_cli()
    if cli is None:
        pytest.skip("no Bicep CLI on PATH: it is a .NET binary fetched from GitHub, and no "
                    "package registry reachable here ships it; pycep-parser checks the syntax")
    verb = "build-params" if path.suffix == ".bicepparam" else "build"
    done = subprocess.run([*cli, verb, str(path), "--outdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300,
                          env={"ORDERS_AUTH_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
                               **__import__("os").environ})
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr, done.stderr


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_parameter_file_fits_main(environment):
    using, values = im.bicepparam(environment)
    assert using == "./main.bicep"
    params = im.parse(im.MAIN)["parameters"]
    assert set(values) <= set(params), f"unknown params: {set(values) - set(params)}"
    missing = {n for n, p in params.items() if p.get("default") is None and n not in values}
    assert not missing, f"required params not set: {missing}"
    assert values["environmentName"] == environment
    for name, value in values.items():
        for decorator in params[name].get("decorators", []):
            if decorator["type"] == "allowed":
                allowed = decorator["argument"]
                assert value in allowed, f"{name}={value!r} not in {allowed}"
            if decorator["type"] == "min_value":
                assert value >= int(decorator["argument"]), name
            if decorator["type"] == "max_value":
                assert value <= int(decorator["argument"]), name


def _one(path: str, type_: str) -> dict:
    doc = im.parse(im.INFRA / path)
    bodies = [body for _, body in im.resources(doc, type_)]
    assert len(bodies) == 1, f"{path}: expected one {type_}"
    return bodies[0]


def test_function_app_is_flex_python_with_identity_https_tls_and_no_ftp():
    plan = _one("modules/functionapp.bicep", "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    site = _one("modules/functionapp.bicep", "Microsoft.Web/sites")
    assert site["identity"]["type"] == "SystemAssigned"
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["ftpsState"] == "Disabled"
    config = props["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "pythonVersion"}
    assert config["deployment"]["storage"]["authentication"]["type"] == "SystemAssignedIdentity"
    always = config["scaleAndConcurrency"]["alwaysReady"]
    assert [a["name"] for a in always] == ["durable"]
    scope = im.main_scope("prod").module(im.FUNCTION_APP_MODULE)
    assert scope.lookup("pythonVersion") == "3.11"
    assert scope.lookup("alwaysReadyDurableInstances") >= 1
    policies = {body["name"]: body["properties"]["allow"] for _, body in im.resources(
        scope.doc, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")}
    assert policies == {"ftp": False, "scm": False}


def test_storage_is_private_tls12_and_keyless_in_prod():
    account = _one("modules/storage.bicep", "Microsoft.Storage/storageAccounts")["properties"]
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["supportsHttpsTrafficOnly"] is True
    assert account["allowSharedKeyAccess"] == "allowSharedKeyAccess"
    assert im.main_scope("prod").module("storage").lookup("allowSharedKeyAccess") is False


def test_cosmos_is_serverless_by_default_and_keyless_in_prod():
    scope = im.main_scope("prod").module("cosmos")
    assert scope.lookup("serverless") is True
    assert scope.lookup("disableLocalAuth") is True
    account = _one("modules/cosmos.bicep", "Microsoft.DocumentDB/databaseAccounts")
    assert account["properties"]["disableLocalAuth"] == "disableLocalAuth"
    assert account["properties"]["minimalTlsVersion"] == "Tls12"
    dev = im.main_scope("dev").module("cosmos")
    assert dev.lookup("serverless") is True


def test_key_vaults_use_rbac_soft_delete_and_purge_protection():
    vault = _one("modules/keyvault.bicep", "Microsoft.KeyVault/vaults")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["enablePurgeProtection"] is True
    assert "accessPolicies" not in vault


def test_every_resource_with_logs_sends_them_to_log_analytics():
    wanted = {"modules/functionapp.bicep", "modules/storage.bicep", "modules/cosmos.bicep",
              "modules/eventgrid.bicep", "modules/keyvault.bicep", "modules/dfmonitor.bicep"}
    for name in wanted:
        doc = im.parse(im.INFRA / name)
        settings = [body for _, body in im.resources(
            doc, "Microsoft.Insights/diagnosticSettings")]
        assert settings, f"{name}: no diagnostic settings"
        for body in settings:
            assert body["properties"]["workspaceId"] == "workspaceId"
            assert all(log["enabled"] is True for log in body["properties"]["logs"])


def test_the_monitor_is_never_anonymous():
    auth = [body for _, body in im.resources(im.parse(im.INFRA / "modules" / "dfmonitor.bicep"),
                                             "Microsoft.Web/sites/config")
            if body["name"] == "authsettingsV2"]
    assert len(auth) == 1
    validation = auth[0]["properties"]["globalValidation"]
    assert validation["requireAuthentication"] is True
    assert validation["unauthenticatedClientAction"] != "AllowAnonymous"
    param = im.parse(im.INFRA / "modules" / "dfmonitor.bicep")["parameters"]["authClientId"]
    assert param.get("default") is None  # no monitor without an app registration


def _monitor_app_settings(environment: str) -> dict:
    """The monitor's app settings as ``environment`` deploys them (module defaults included)."""
    scope = im.main_scope(environment).module("durableMonitor")
    bodies = [body for _, body in im.resources(scope.doc, "Microsoft.Web/sites/config")
              if body["name"] == "appsettings"]
    assert len(bodies) == 1
    return scope.eval(bodies[0]["properties"])


def _roles(value: object) -> list[str]:
    return value.split(",") if isinstance(value, str) and value else []


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_the_monitor_gives_support_read_only_access_and_admin_full_access(environment):
    """Anyone with full rights in DfMon can start orchestrations with any input, raise events,
    terminate, purge and rewind, past the API's authorization: only `admin` may; `support` only
    reads. DfMon: DFM_ALLOWED_APP_ROLES (and, in newer packages, DFM_ALLOWED_FULL_ACCESS_APP_ROLES)
    admit with full access, DFM_ALLOWED_READ_ONLY_APP_ROLES read only; a user holding a role of
    both kinds is read only unless the role is a full-access one, the lists must not overlap (it
    refuses to start), and it splits them on ',' without trimming."""
    settings = _monitor_app_settings(environment)
    full = _roles(settings.get("DFM_ALLOWED_APP_ROLES")) + _roles(
        settings.get("DFM_ALLOWED_FULL_ACCESS_APP_ROLES"))
    read_only = _roles(settings.get("DFM_ALLOWED_READ_ONLY_APP_ROLES"))
    assert "admin" in full and "admin" not in read_only
    assert "support" in read_only and "support" not in full
    assert not set(full) & set(read_only), "DfMon refuses overlapping role lists"
    assert all(role and role == role.strip() for role in full + read_only), \
        "DfMon does not trim role names: no spaces, no empty entries"
    assert settings.get("DFM_MODE") != "ReadOnly", "DFM_MODE=ReadOnly would lock admins out too"
    assert "DFM_NONCE" not in settings  # its magic value turns authentication off
