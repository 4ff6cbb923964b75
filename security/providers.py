"""The app's key provider, chosen by settings: local key files, or Key Vault in Azure.

One instance per process, shared by the edge (field encryption, command seals) and the
workflows (seal checks), so keys are read once and cached together.
"""

from __future__ import annotations

from functools import lru_cache

from app_settings import AppSettings, SettingsError, get_settings
from security.keys import KeyProvider, LocalKeyProvider, ManagedKeyProvider


def build_key_provider(settings: AppSettings) -> ManagedKeyProvider:
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
def app_key_provider() -> ManagedKeyProvider:
    return build_key_provider(get_settings())


__all__ = ["KeyProvider", "ManagedKeyProvider", "app_key_provider", "build_key_provider"]
