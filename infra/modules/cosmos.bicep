// Cosmos DB for NoSQL: the account, the read side's database and every container the code
// expects, with its partition key and indexing policy (infra/cosmos-containers.json; the tests in
// tests/infra check it against readmodels/). Serverless by default: no cost at idle.

param prefix string

param location string

param tags object

@description('Serverless (pay per request) or provisioned autoscale throughput on the database.')
param serverless bool = true

@description('Autoscale max RU/s of the database when serverless is false.')
@minValue(1000)
param autoscaleMaxThroughput int = 1000

@description('true disables account keys: only Entra ID (data-plane RBAC) can read or write.')
param disableLocalAuth bool

param databaseName string

@description('Containers: [{ name, partitionKey, indexingPolicy }] from cosmos-containers.json.')
param containers array

@description('Key Vault that receives the account key in keys mode.')
param configVaultName string

@description('Secret name of the account key in the config vault.')
param keySecretName string

param workspaceId string

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: toLower('cosmos-${prefix}-${take(uniqueString(resourceGroup().id, prefix), 6)}')
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: serverless ? [
      {
        name: 'EnableServerless'
      }
    ] : []
    disableLocalAuth: disableLocalAuth
    // Keys mode: the read side creates rebuild generations (`order_details__g2`, ...) at run
    // time (readmodels/cosmos_views.py prepare/drop), a metadata write.
    disableKeyBasedMetadataWriteAccess: disableLocalAuth
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: serverless ? {} : {
      autoscaleSettings: {
        maxThroughput: autoscaleMaxThroughput
      }
    }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: {
      id: c.name
      partitionKey: {
        paths: [
          c.partitionKey
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: c.indexingPolicy
    }
  }
}]

resource configVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: configVaultName
}

// Only while local auth is on (keys mode): the key the read side's CosmosClient uses.
resource keySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!disableLocalAuth) {
  parent: configVault
  name: keySecretName
  properties: {
    contentType: 'text/plain; Cosmos DB account key'
    value: account.listKeys().primaryMasterKey
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'DataPlaneRequests'
        enabled: true
      }
      {
        category: 'ControlPlaneRequests'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Requests'
        enabled: true
      }
    ]
  }
}

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
