"""infra/ and the code agree: settings, functions, Event Grid, Cosmos DB, tables, hub, keys.

Everything on the code side is read from the code at test time (see infra_model); a piece of the
code that does not exist yet declares nothing, so its check holds trivially until it does.
"""

from __future__ import annotations

import ast
import inspect
import json
import re

import infra_model as im
import pytest
from infra_gaps import settle

# Settings infra sets that the code does not read, because the platform does.
PLATFORM_SETTINGS = {
    "AzureWebJobsStorage__accountName": "Functions host + Durable task hub, identity-based",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "Functions host telemetry",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "telemetry with the managed identity",
    "PYTHON_THREADPOOL_THREAD_COUNT": "Python worker thread pool (host.json concurrency)",
    "AZURE_FUNCTIONS_DURABLE_STRICT_TYPING": "azure-functions' durable JSON codec: plain JSON only",
}
# Flex Consumption rejects these as app settings (the runtime is in functionAppConfig).
FLEX_FORBIDDEN = {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION",
                  "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE",
                  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "AzureWebJobsStorage"}
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|CONNECTION_STRING|TOKEN)$")
KV_REFERENCE = re.compile(r"@Microsoft\.KeyVault\(VaultName=[^;)]+;SecretName=([A-Za-z0-9-]+)\)")


def documented_optional() -> dict[str, str]:
    """``| `NAME` | why |`` rows under "Settings infra leaves unset" in infra/README.md."""
    text = (im.INFRA / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings infra leaves unset", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\|\s*`([A-Za-z0-9_]+)`\s*\|\s*([^|]+?)\s*\|", section, re.M))


def code_settings() -> dict[str, str]:
    return {**im.settings_read_by_code(), **im.binding_settings(),
            **im.host_setting_references()}


def test_the_code_side_is_found():
    # Guards the collectors themselves: if one of these vanished, the checks below would pass
    # for the wrong reason.
    settings = code_settings()
    assert {"ORDERS_STORE", "FIELD_KEY_PROVIDER", "AUTH_PRINCIPAL_HEADER_TRUSTED"} <= set(settings)
    assert any(fn.trigger == "activityTrigger" for fn in im.functions())
    assert im.host_setting_references(), "host.json hub name should come from a setting"


def test_every_setting_the_code_reads_is_set_or_documented_optional():
    declared = im.declared_setting_names()
    optional = documented_optional()
    missing = {name: where for name, where in code_settings().items()
               if name not in declared and name not in optional}
    assert not missing, (
        "app settings the code reads that infra/modules/functionapp.bicep neither sets nor "
        "infra/README.md lists under 'Settings infra leaves unset': "
        + ", ".join(f"{k} ({v})" for k, v in sorted(missing.items())))


def test_documented_optional_settings_are_really_read_and_not_set():
    optional = documented_optional()
    assert optional, "README table 'Settings infra leaves unset' not found"
    read = code_settings()
    assert not set(optional) - set(read), f"documented but not read: {set(optional) - set(read)}"
    assert not set(optional) & im.declared_setting_names(), "documented as unset, but set"


def test_infra_sets_no_setting_nobody_reads():
    unknown = im.declared_setting_names() - set(code_settings()) - set(PLATFORM_SETTINGS)
    assert not unknown, f"settings no code or platform reads (typo?): {sorted(unknown)}"


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_flex_consumption_settings(environment):
    settings = im.app_settings_of(environment)
    assert not FLEX_FORBIDDEN & set(settings), "Flex Consumption rejects these app settings"
    assert "AzureWebJobsStorage__accountName" in settings  # identity-based host storage


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_secrets_are_key_vault_references_only(environment):
    settings = im.app_settings_of(environment)
    key_settings = {v for k, v in im.binding_settings().items() if k.endswith("Setting")}
    secret_like = {n for n in settings if SECRET_NAME.search(n)} | (key_settings & set(settings))
    # Not a secret while the component refuses instrumentation-key ingestion (Entra only).
    secret_like.discard("APPLICATIONINSIGHTS_CONNECTION_STRING")
    monitoring = im.parse(im.INFRA / "modules" / "monitoring.bicep")
    component = dict(im.resources(monitoring, "Microsoft.Insights/components"))["appInsights"]
    assert component["properties"]["DisableLocalAuth"] is True
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"
    assert secret_like, "expected at least the Event Grid topic key"
    for name in secret_like:
        assert KV_REFERENCE.fullmatch(settings[name]), f"{name} must be a Key Vault reference"
    for name, value in settings.items():
        if name not in secret_like:
            assert "@Microsoft.KeyVault" not in str(value) or name in secret_like
            assert not re.search(r"AccountKey=|SharedAccessKey=", str(value)), name


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_key_vault_references_name_secrets_infra_writes(environment):
    written = set()
    for path in im.bicep_files():
        doc = im.parse(path)
        for _, body in im.resources(doc, "Microsoft.KeyVault/vaults/secrets"):
            written.add(body["name"])
    main = im.main_scope(environment)
    module_secrets = {main.lookup(n) for n in main.doc["variables"] if n.endswith("SecretName")}
    for name, value in im.app_settings_of(environment).items():
        if match := KV_REFERENCE.fullmatch(str(value)):
            assert match[1] in module_secrets, f"{name} names secret {match[1]} nobody writes"
    assert written, "no Key Vault secret resources found"


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_the_app_starts_with_the_settings_infra_gives_it(environment):
    """Run the real settings loader on what infra deploys (runtime values as placeholders)."""
    from app_settings import SettingsError, load_settings

    settings = {k: str(v) for k, v in im.app_settings_of(environment).items()}
    problems = set()
    try:
        loaded = load_settings(settings)
    except SettingsError as error:
        problems.add(f"{environment}-settings:{error}")
    else:
        assert loaded.orders_store == "azure"
        assert loaded.field_key_provider == "keyvault"
    settle(problems, f"{environment}-settings:")


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_azure_runs_the_durable_json_mode_the_tests_run(environment):
    """The SDK's strict and loose JSON codecs differ; Azure must get the one devhost tests."""
    name = "AZURE_FUNCTIONS_DURABLE_STRICT_TYPING"
    example = im.example_settings()
    assert example.get(name) == "1"
    assert str(im.app_settings_of(environment).get(name)) == example[name]


@pytest.mark.parametrize("environment", im.ENVIRONMENTS)
def test_principal_header_is_trusted_only_behind_app_service_authentication(environment):
    scope = im.main_scope(environment).module(im.FUNCTION_APP_MODULE)
    auth = scope.doc["resources"]["auth"]["config"]
    assert auth["condition"] == "authEnabled"  # authsettingsV2 is deployed iff authEnabled
    body = auth["config"]["properties"]
    assert body["platform"]["enabled"] is True
    assert body["globalValidation"]["requireAuthentication"] is True
    assert body["globalValidation"]["unauthenticatedClientAction"] == "Return401"
    trusted = im.app_settings_of(environment)["AUTH_PRINCIPAL_HEADER_TRUSTED"]
    assert trusted == ("true" if scope.lookup("authEnabled") else "false")
    if environment == "prod":
        assert scope.lookup("authEnabled"), "prod must deploy App Service Authentication"


def subscriptions() -> list[dict]:
    return json.loads((im.INFRA / "eventgrid-subscriptions.json").read_text(encoding="utf-8"))


def test_subscriptions_are_what_main_bicep_deploys():
    main = im.parse(im.MAIN)
    loaded = main["variables"]["eventSubscriptions"]["value"]["function"]
    assert loaded["type"] == "load_json_content"
    assert loaded["parameters"]["file_path"] == "eventgrid-subscriptions.json"
    loop = main["modules"]["subscriptions"]
    assert loop["detail"]["path"] == "modules/eventgrid-subscription.bicep"
    sub = im.parse(im.INFRA / "modules" / "eventgrid-subscription.bicep")
    body = next(b for _, b in im.resources(sub, "Microsoft.EventGrid/topics/eventSubscriptions"))
    destination = body["properties"]["destination"]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == "${app.id}/functions/${functionName}"
    assert body["properties"]["filter"]["includedEventTypes"] == "eventTypes"
    assert body["properties"]["filter"]["advancedFilters"] == "advancedFilters"
    assert "advancedFilters" in loop["config"]["config"]["params"]
    assert body["properties"]["retryPolicy"]["maxDeliveryAttempts"] == "maxDeliveryAttempts"
    dead = body["properties"]["deadLetterWithResourceIdentity"]["deadLetterDestination"]
    assert dead["endpointType"] == "StorageBlob"


def test_every_event_grid_trigger_has_a_subscription():
    triggers = {fn.name for fn in im.functions() if fn.trigger == "eventGridTrigger"}
    subscribed = {s["function"] for s in subscriptions()}
    missing = triggers - subscribed
    assert not missing, (
        f"event_grid_trigger functions without a subscription: {sorted(missing)}; add "
        '{"function": <name>, "eventTypes": [...]} to infra/eventgrid-subscriptions.json')


def test_every_subscription_points_at_an_existing_event_grid_trigger():
    triggers = {fn.name for fn in im.functions() if fn.trigger == "eventGridTrigger"}
    stale = [s["function"] for s in subscriptions() if s["function"] not in triggers]
    assert not stale, f"subscriptions to functions that are not event_grid_triggers: {stale}"
    names = [s["function"] for s in subscriptions()]
    assert len(names) == len(set(names)), "one subscription per function"


def test_subscription_filters_name_real_event_types():
    from contracts.events import EVENT_PAYLOADS

    for sub in subscriptions():
        types = sub["eventTypes"]
        assert types, f"{sub['function']}: an empty filter would deliver nothing"
        assert len(types) <= 25, "Event Grid allows at most 25 included event types"
        unknown = set(types) - set(EVENT_PAYLOADS)
        assert not unknown, f"{sub['function']}: unknown event types {sorted(unknown)}"


def test_projection_receives_every_event_it_folds():
    """The projector folds the orders stream and the customer profile events it names."""
    from contracts.events import EVENT_PAYLOADS
    from contracts.payload import ORDERS_STREAM

    try:
        from projections import projector
    except ModuleNotFoundError:
        pytest.skip("projections.projector does not exist yet")
    folded = {t for t, cls in EVENT_PAYLOADS.items() if cls.STREAM == ORDERS_STREAM}
    folded |= set(getattr(projector, "PROFILE_EVENTS", set()))
    received = {t for s in subscriptions() for t in s["eventTypes"]}
    assert folded <= received, f"filtered out although folded: {sorted(folded - received)}"


def containers() -> dict[str, dict]:
    rows = json.loads((im.INFRA / "cosmos-containers.json").read_text(encoding="utf-8"))
    return {row["name"]: row for row in rows}


def test_cosmos_containers_are_what_main_bicep_deploys():
    main = im.parse(im.MAIN)
    loaded = main["variables"]["cosmosContainers"]["value"]["function"]
    assert loaded["parameters"]["file_path"] == "cosmos-containers.json"
    assert main["modules"]["cosmos"]["config"]["params"]["containers"] == "cosmosContainers"
    cosmos = im.parse(im.INFRA / "modules" / "cosmos.bicep")
    loop = cosmos["resources"]["sqlContainers"]["config"]
    assert loop["loop_type"]["detail"]["array_name"] == "containers"
    resource = loop["config"]["properties"]["resource"]
    assert resource["partitionKey"]["paths"] == [{"operator": {"type": "property_accessor",
                                                  "operands": {"operand_1": "c",
                                                               "operand_2": "partitionKey"}}}]


def test_every_container_the_code_creates_exists_with_its_partition_key():
    stores = im.code_stores()
    declared = containers()
    for name, key in stores.containers.items():
        assert name in declared, f"the code creates Cosmos container {name}; infra does not"
        assert declared[name]["partitionKey"] == key, (
            f"{name}: code partitions by {key}, infra by {declared[name]['partitionKey']}")
    unused = set(declared) - set(stores.containers)
    assert not unused, f"infra creates containers the code never opens: {sorted(unused)}"


def test_cosmos_database_name_matches_the_setting():
    from app_settings import load_settings

    for environment in im.ENVIRONMENTS:
        main = im.main_scope(environment)
        infra_db = main.module("cosmos").lookup("databaseName")
        setting = im.app_settings_of(environment).get("COSMOS_DATABASE")
        code_default = load_settings({"ORDERS_STORE": "embedded"}).cosmos_database
        assert (setting or code_default) == infra_db


def ordered_properties() -> set[str]:
    """Properties the Cosmos adapters ORDER BY: they must be indexed, or the query fails."""
    found = set()
    for path in sorted((im.ROOT / "readmodels").glob("cosmos_*.py")):
        found |= set(re.findall(r"ORDER BY c\.(\w+)", path.read_text(encoding="utf-8")))
    return found


def test_indexing_policies_index_what_the_queries_sort_by():
    for name, row in containers().items():
        policy = row["indexingPolicy"]
        assert policy["indexingMode"] == "consistent"
        assert {"path": "/*"} in policy["includedPaths"], f"{name}: index by default"
        excluded = [p["path"] for p in policy["excludedPaths"]]
        for prop in ordered_properties():
            assert not any(p.startswith(f"/{prop}/") for p in excluded), (name, prop)
        for composite in policy.get("compositeIndexes", []):
            assert len(composite) >= 2
            for part in composite:
                assert part["order"] in ("ascending", "descending")
                assert not any(p.startswith(f"{part['path']}/") for p in excluded)


def test_list_queries_have_composite_indexes():
    """Each filter+ORDER BY query shape of readmodels/cosmos_views.py has a composite index."""
    source = (im.ROOT / "readmodels" / "cosmos_views.py")
    if not source.exists():
        pytest.skip("no Cosmos DB view store yet")
    text = source.read_text(encoding="utf-8")
    if "c.customerId = @customerId" not in text or "ORDER BY c.sortKey DESC" not in text:
        pytest.skip("the customer list query changed shape; update this check")
    composites = [[(p["path"], p["order"]) for p in c]
                  for c in containers()["customer_orders"]["indexingPolicy"]["compositeIndexes"]]
    assert [("/customerId", "ascending"), ("/sortKey", "descending")] in composites
    if "c.status = @status" in text:
        assert [("/customerId", "ascending"), ("/status", "ascending"),
                ("/sortKey", "descending")] in composites


def test_every_table_the_code_opens_exists():
    tables = set()
    for environment in im.ENVIRONMENTS:
        storage = im.main_scope(environment).module("storage")
        for _, body in im.resources(storage.doc,
                                    "Microsoft.Storage/storageAccounts/tableServices/tables"):
            tables.add(storage.eval(body["name"]))
    missing = im.code_stores().tables - tables
    assert not missing, f"tables the code opens that infra does not create: {sorted(missing)}"


def test_hub_name_comes_from_the_setting_infra_sets():
    references = im.host_setting_references()
    hub = im.host_json()["extensions"]["durableTask"]["hubName"]
    match = re.fullmatch(r"%(\w+)%", hub)
    assert match, "host.json hubName should be a %Setting% reference"
    for environment in im.ENVIRONMENTS:
        value = im.app_settings_of(environment)[match[1]]
        assert value == im.main_scope(environment).lookup("taskHubName")
        # Durable task hub names: 3-45 letters and digits, starting with a letter.
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{2,44}", value), value
        monitor = im.main_scope(environment).module("durableMonitor").lookup("taskHubName")
        assert monitor == value, "the monitor must watch the app's task hub"
    assert references[match[1]] == "extensions.durableTask.hubName"


def test_worker_threads_cover_host_json_durable_concurrency():
    durable = im.host_json()["extensions"]["durableTask"]
    wanted = max(int(durable.get(k, 1)) for k in (
        "maxConcurrentActivityFunctions", "maxConcurrentOrchestratorFunctions",
        "maxConcurrentEntityFunctions"))
    for environment in im.ENVIRONMENTS:
        settings = im.app_settings_of(environment)
        threads = int(settings["PYTHON_THREADPOOL_THREAD_COUNT"])
        processes = int(settings.get("FUNCTIONS_WORKER_PROCESS_COUNT", "1"))
        assert threads * processes >= wanted, (environment, threads, wanted)


def test_host_json_bundle_and_hub():
    host = im.host_json()
    assert host["extensionBundle"]["version"] == "[4.*, 5.0.0)"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    tracing = host["extensions"]["durableTask"].get("tracing", {})
    assert tracing.get("traceInputsAndOutputs", False) is False  # no payloads in telemetry


def test_field_key_secret_name_matches_the_key_provider():
    from security.crypto import DEFAULT_KEY_NAME
    from security.keys import KeyVaultKeyProvider

    prefix = inspect.signature(KeyVaultKeyProvider).parameters["secret_name_prefix"].default
    main = im.main_scope("prod")
    assert main.lookup("fieldKeySecretName") == f"{prefix}{DEFAULT_KEY_NAME}"
    assert main.module("fieldKey").lookup("secretName") == f"{prefix}{DEFAULT_KEY_NAME}"


def test_key_vault_url_points_at_the_vault_the_app_may_write_keys_to():
    """KeyVaultKeyProvider creates and rotates secrets itself, so the vault behind KEY_VAULT_URL
    needs Secrets Officer for the app; the other vault (settings' references) Secrets User."""
    from security import keys

    writes = "set_secret" in inspect.getsource(keys.KeyVaultKeyProvider)
    main = im.parse(im.MAIN)
    assert main["modules"]["functionApp"]["config"]["params"]["keysVaultUri"] == {
        "operator": {"type": "property_accessor", "operands": {"operand_1": "keysVault",
                     "operand_2": {"operator": {"type": "property_accessor", "operands": {
                         "operand_1": "outputs", "operand_2": "uri"}}}}}}
    access = im.parse(im.INFRA / "modules" / "access.bicep")
    roles = access["variables"]["roles"]["value"]
    assigned = dict(im.resources(access, "Microsoft.Authorization/roleAssignments"))
    keys_role = json.dumps(assigned["appFieldKeys"]["properties"]["roleDefinitionId"])
    config_role = json.dumps(assigned["appConfigSecrets"]["properties"]["roleDefinitionId"])
    assert assigned["appFieldKeys"]["scope"] == "keysVault"
    assert assigned["appConfigSecrets"]["scope"] == "configVault"
    assert ("keyVaultSecretsOfficer" if writes else "keyVaultSecretsUser") in keys_role
    assert "keyVaultSecretsUser" in config_role
    assert roles["keyVaultSecretsUser"] == "4633458b-17de-408a-b874-0445c86b69e6"
    assert roles["keyVaultSecretsOfficer"] == "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"


def _azure_imports() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in im.app_source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            for module in modules:
                if module.startswith("azure.") and not module.startswith("azure.core"):
                    found.setdefault(module, path.relative_to(im.ROOT).as_posix())
    return found


def distribution(module: str) -> str:
    special = {"azure.durable_functions": "azure-functions-durable"}
    parts = module.split(".")
    for size in range(len(parts), 1, -1):
        name = ".".join(parts[:size])
        if name in special:
            return special[name]
    known = {"azure.functions": 2, "azure.cosmos": 2, "azure.identity": 2,
             "azure.eventgrid": 2, "azure.data.tables": 3, "azure.keyvault.secrets": 3,
             "azure.keyvault.keys": 3, "azure.storage.blob": 3, "azure.storage.queue": 3,
             "azure.monitor.opentelemetry": 3}
    for prefix, size in known.items():
        if module == prefix or module.startswith(prefix + "."):
            return "-".join(parts[:size])
    return "-".join(parts[:2])


def test_azure_sdks_the_deployed_code_imports_are_installed_by_azure():
    """Infra runs ORDERS_STORE=azure and FIELD_KEY_PROVIDER=keyvault: every Azure SDK the app's
    code imports must be in requirements.txt (what Azure installs)."""
    text = (im.ROOT / "requirements.txt").read_text(encoding="utf-8")
    listed = {re.split(r"[=<>~!\[ ;]", line.strip(), maxsplit=1)[0].lower()
              for line in text.splitlines() if line.strip() and not line.startswith("#")}
    problems = {f"requirements:{distribution(m)}" for m in _azure_imports()
                if distribution(m) not in listed}
    settle(problems, "requirements:")
