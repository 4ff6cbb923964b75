// The function app's storage account: Durable task hub (queues, tables, blobs), the Flex
// Consumption deployment container, the QueryCache table and the Event Grid dead-letter container.
// The app reaches it with its managed identity (AzureWebJobsStorage__accountName); shared-key
// access stays on only while the read side connects to Table storage with a connection string
// (readSideAuth = 'keys'), and then that connection string is kept in Key Vault, not in settings.

param prefix string

param location string

param tags object

@description('Standard_LRS for dev; Standard_ZRS where the region has zones, for prod.')
param skuName string = 'Standard_LRS'

@description('true only while the app needs a Table storage connection string (keys mode).')
param allowSharedKeyAccess bool

@description('The table the read side caches query results in (readmodels/table_cache.py).')
param queryCacheTable string

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainer string

@description('Deployment container of the optional Durable Functions Monitor; empty = none.')
param monitorDeploymentContainer string = ''

@description('Blob container Event Grid dead-letters undeliverable events to.')
param deadLetterContainer string

@description('Key Vault that receives the Tables connection string in keys mode.')
param configVaultName string

@description('Secret name of the Tables connection string in the config vault.')
param tablesSecretName string

param workspaceId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(toLower(replace('st${prefix}${uniqueString(resourceGroup().id, prefix)}', '-', '')), 24)
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
  properties: {
    publicAccess: 'None'
  }
}

resource monitorDeployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (!empty(monitorDeploymentContainer)) {
  parent: blobService
  name: empty(monitorDeploymentContainer) ? 'unused' : monitorDeploymentContainer
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainer
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource cacheTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: queryCacheTable
}

resource configVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: configVaultName
}

// Only in keys mode: the connection string the read side's TableQueryCache uses.
resource tablesSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (allowSharedKeyAccess) {
  parent: configVault
  name: tablesSecretName
  properties: {
    contentType: 'text/plain; Azure Storage connection string'
    value: 'DefaultEndpointsProtocol=https;AccountName=${account.name};AccountKey=${account.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

output accountName string = account.name
output accountId string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
