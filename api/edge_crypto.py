"""Encrypt sensitive fields at the HTTP edge, before they reach orchestration input.

Each customer's data is sealed under their own key (``customer_key_name``) so erasing a customer
is deleting one key; the associated data binds each value to its record and field so a
ciphertext cannot be moved to another order or field.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app_settings import AppSettings, SettingsError, get_settings
from security.crypto import FieldCipher, field_aad
from security.keys import KeyProvider, LocalKeyProvider, customer_key_name

SEALED_ADDRESS_FIELDS = ("name", "street", "city", "postalCode")


def build_key_provider(settings: AppSettings) -> KeyProvider:
    if settings.field_key_provider == "local":
        return LocalKeyProvider(settings.field_keys_dir)
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise SettingsError(
            "FIELD_KEY_PROVIDER=keyvault needs azure-identity and azure-keyvault-secrets"
        ) from None
    from security.keys import KeyVaultKeyProvider

    return KeyVaultKeyProvider(str(settings.key_vault_url), DefaultAzureCredential())


@lru_cache(maxsize=1)
def cipher() -> FieldCipher:
    return FieldCipher(build_key_provider(get_settings()))


def seal_customer_field(customer_id: str, field: str, value: str) -> str:
    return cipher().encrypt(
        value, field_aad("customer", customer_id, field), key_name=customer_key_name(customer_id)
    )


def seal_address(order_id: str, customer_id: str, address: dict[str, Any]) -> dict[str, Any]:
    """The address with every field but ``country`` (kept plain for shipping rules) sealed."""
    key_name = customer_key_name(customer_id)
    sealed = dict(address)
    for name in SEALED_ADDRESS_FIELDS:
        aad = field_aad("order", order_id, f"shippingAddress.{name}")
        sealed[name] = cipher().encrypt(address[name], aad, key_name=key_name)
    return sealed
