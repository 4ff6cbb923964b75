"""App settings fail loudly; the embedded event archive appends each event id once."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.openapi.document import openapi_document
from app_settings import SettingsError, load_settings, parse_duration
from readmodels.sqlite_archive import SqliteEventArchive


def test_the_store_must_be_chosen_explicitly() -> None:
    with pytest.raises(SettingsError, match="ORDERS_STORE"):
        load_settings({})
    with pytest.raises(SettingsError, match="ORDERS_STORE"):
        load_settings({"ORDERS_STORE": "cosmos"})
    assert load_settings({"ORDERS_STORE": "Embedded"}).orders_store == "embedded"


@pytest.mark.parametrize(("env", "name"), [
    ({"AUTH_PRINCIPAL_HEADER_TRUSTED": "maybe"}, "AUTH_PRINCIPAL_HEADER_TRUSTED"),
    ({"FULFILMENT_DEADLINE": "soon"}, "FULFILMENT_DEADLINE"),
    ({"DEFAULT_CREDIT_LIMIT": "lots"}, "DEFAULT_CREDIT_LIMIT"),
    ({"DEFAULT_CURRENCY": "euro"}, "DEFAULT_CURRENCY"),
    ({"FIELD_KEY_PROVIDER": "keyvault"}, "KEY_VAULT_URL"),
])
def test_bad_settings_name_themselves(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"ORDERS_STORE": "embedded", **env})


def test_the_azure_store_signs_in_with_keys_or_its_identity() -> None:
    cosmos = {"ORDERS_STORE": "azure", "COSMOS_ENDPOINT": "https://acct.documents.azure.com"}
    with pytest.raises(SettingsError, match="TABLES_CONNECTION_STRING or TABLES_ENDPOINT"):
        load_settings(cosmos)
    with pytest.raises(SettingsError, match="COSMOS_ENDPOINT"):
        load_settings({"ORDERS_STORE": "azure", "TABLES_ENDPOINT": "https://a.table.x"})
    identity = load_settings({**cosmos, "TABLES_ENDPOINT": "https://acct.table.core.windows.net"})
    assert identity.cosmos_key is None and identity.tables_connection_string is None
    keyed = load_settings({**cosmos, "COSMOS_KEY": "k", "TABLES_CONNECTION_STRING": "c"})
    assert keyed.cosmos_key == "k" and keyed.tables_connection_string == "c"


def test_defaults_and_durations() -> None:
    settings = load_settings({"ORDERS_STORE": "embedded"})
    assert settings.fulfilment_deadline.total_seconds() == 72 * 3600
    assert settings.principal_header_trusted is False
    assert settings.field_keys_dir.parts[-2:] == (".devhost", "keys")
    assert parse_duration("90").total_seconds() == 90
    assert parse_duration("3d").total_seconds() == 3 * 86400
    with pytest.raises(SettingsError):
        parse_duration("0s")


def test_archive_appends_each_event_once(tmp_path: Path) -> None:
    archive = SqliteEventArchive(tmp_path / "a.db")
    event = {"id": "o-1:1", "subject": "orders/o-1", "eventType": "Orders.OrderPlaced",
             "data": {}}
    assert archive.append([event]) == 1
    assert archive.append([event, {**event, "id": "o-1:2"}]) == 1
    assert archive.count() == 2
    assert [e["id"] for _, e in archive.read_all()] == ["o-1:1", "o-1:2"]
    assert [e["id"] for _, e in archive.read_all(after=1)] == ["o-1:2"]


def test_openapi_covers_the_contract() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    place = document["paths"]["/api/orders"]["post"]
    schema = place["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"currency", "lines", "shippingAddress"}
    assert {"202", "400", "401", "403", "404", "409", "413", "415"} <= set(place["responses"])
    assert "put" in document["paths"]["/api/customers/{customerId}/credit-limit"]
    status = document["paths"]["/api/commands/{commandId}"]["get"]
    assert "Prefer" in {parameter["name"] for parameter in status["parameters"]}
    assert "Preference-Applied" in status["responses"]["200"]["headers"]
