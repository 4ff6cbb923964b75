// A Key Vault with RBAC authorization, soft delete and purge protection. The deployment uses two:
// `config` (secrets the platform resolves for app settings: the app's identity may only read) and
// `keys` (the field-encryption keys: the app creates per-customer keys and rotates them itself,
// see security/keys.py KeyVaultKeyProvider, so its identity may write secrets there and nowhere
// else).

@description('Vault name, 3-24 characters, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param location string

param tags object

@description('Days a deleted vault or secret can be recovered (7-90). Purge protection is always on.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
