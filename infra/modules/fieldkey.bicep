// The default field-encryption key as a Key Vault secret (security/keys.py: secret
// `<prefix><keyName>`, value = base64 of 32 random bytes, secret versions = key versions).
// Bicep cannot make 32 random bytes, and a template that wrote the secret on every deployment
// would rotate the key each time, so the value comes from the operator once
// (`openssl rand -base64 32`, see infra/README.md); without it the app creates the key itself on
// first use, as it does for every per-customer key.

param vaultName string

@description('Secret name: the key provider prefix followed by the default key name.')
param secretName string

@secure()
@description('base64 of 32 random bytes; pass it on the first deployment only.')
param initialValue string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource fieldKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: secretName
  properties: {
    contentType: 'application/octet-stream; encoding=base64'
    value: initialValue
  }
}

output secretName string = fieldKey.name
