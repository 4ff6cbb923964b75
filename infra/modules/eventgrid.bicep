// Event Grid custom topic the `publish_events` activity sends to (Event Grid schema). The output
// binding authenticates with the topic key (activities/publish_events.py topic_key_setting), so
// the key is written to the config vault and the app setting is a Key Vault reference.
// The topic's own identity writes dead letters to the storage account (no key for that).

param prefix string

param location string

param tags object

param configVaultName string

@description('Secret name of the topic key in the config vault.')
param keySecretName string

param workspaceId string

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: 'evgt-${prefix}-${take(uniqueString(resourceGroup().id, prefix), 6)}'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'EventGridSchema'
    publicNetworkAccess: 'Enabled'
    // The output binding sends with the key (topicKeySetting); Entra-only would break it.
    disableLocalAuth: false
  }
}

resource configVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: configVaultName
}

resource keySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: configVault
  name: keySecretName
  properties: {
    contentType: 'text/plain; Event Grid topic key'
    value: topic.listKeys().key1
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: topic
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
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

output topicName string = topic.name
output topicId string = topic.id
output endpoint string = topic.properties.endpoint
output principalId string = topic.identity.principalId
