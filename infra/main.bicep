// Durable Orders: every Azure resource the app needs, in one resource group.
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.<env>.bicepparam
// See infra/README.md for the order of steps (deploy, publish, subscribe), key rotation, tear down
// and idle cost. tests/infra checks this against the code (settings, functions, containers, hub).

targetScope = 'resourceGroup'

@description('Environment name; part of every resource name.')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('Short application name; part of every resource name.')
@minLength(2)
@maxLength(10)
param appName string = 'orders'

param location string = resourceGroup().location

@description('Durable task hub name (letters and digits, 3-45, starting with a letter).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'DurableOrders'

@description('keys: the read side connects to Cosmos DB and Table storage with keys kept in Key Vault. identity: account keys off (Cosmos local auth disabled, no storage shared key); needs identity support in readmodels/.')
@allowed([
  'keys'
  'identity'
])
param readSideAuth string = 'identity'

@description('Cosmos DB serverless (no cost at idle) or provisioned autoscale throughput.')
param cosmosServerless bool = true

@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 1000

@description('Database of the read side; the app reads it from COSMOS_DATABASE.')
param cosmosDatabaseName string = 'orders'

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the durable group (0 = scale to zero, cold starts).')
@minValue(0)
param alwaysReadyDurableInstances int = 1

@description('Entra ID app registration client id for App Service Authentication; empty = off, and then the app does not trust x-ms-client-principal.')
param authClientId string = ''

@description('Create the Event Grid subscriptions; Event Grid needs the functions to exist, so true only after the app is published.')
param deployEventSubscriptions bool = false

@description('Deploy Durable Functions Monitor (standalone) behind Entra ID authentication.')
param deployDurableMonitor bool = false

@description('Entra ID app registration client id of the monitor (required with deployDurableMonitor).')
param monitorAuthClientId string = ''

@description('Days deleted vaults and secrets stay recoverable.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteDays int = 90

@secure()
@description('First deployment only (optional): base64 of 32 random bytes for the default field key; empty = the app creates it on first use.')
param fieldKeyInitialValue string = ''

@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Fulfilment deadline (FULFILMENT_DEADLINE): 72h, 30m, 45s, 3d.')
param fulfilmentDeadline string = '72h'

param defaultCurrency string = 'EUR'

@description('E-mail address for alert notifications (modules/alerts.bicep); empty = alerts without notifications.')
param alertEmail string = ''

param tags object = {}

var prefix = '${appName}-${environmentName}'
var allTags = union(tags, {
  app: appName
  environment: environmentName
})
var suffix = take(uniqueString(resourceGroup().id, prefix), 6)
var readSideKeys = readSideAuth == 'keys'

// Names the code fixes (tests/infra compare them with readmodels/, security/ and host.json).
var queryCacheTable = 'QueryCache'
var deploymentContainer = 'app-package'
var monitorDeploymentContainer = deployDurableMonitor ? 'dfmon-package' : ''
var deadLetterContainer = 'eventgrid-deadletter'
var fieldKeySecretPrefix = 'field-key-'
var defaultFieldKeyName = 'fields'
var fieldKeySecretName = '${fieldKeySecretPrefix}${defaultFieldKeyName}'
var eventGridKeySecretName = 'eventgrid-topic-key'
var cosmosKeySecretName = 'cosmos-account-key'
var tablesSecretName = 'tables-connection-string'
var cosmosContainers = loadJsonContent('cosmos-containers.json')
var eventSubscriptions = loadJsonContent('eventgrid-subscriptions.json')

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    retentionInDays: logRetentionDays
  }
}

// The seeds' alert thresholds and the operations workbook, over the app's OpenTelemetry metrics.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    workspaceId: monitoring.outputs.workspaceId
    eventGridTopicId: eventGrid.outputs.topicId
    alertEmail: alertEmail
  }
}

module configVault 'modules/keyvault.bicep' = {
  name: 'config-vault'
  params: {
    name: take('kv-${appName}-${environmentName}-c${suffix}', 24)
    location: location
    tags: allTags
    softDeleteRetentionInDays: keyVaultSoftDeleteDays
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keysVault 'modules/keyvault.bicep' = {
  name: 'keys-vault'
  params: {
    name: take('kv-${appName}-${environmentName}-k${suffix}', 24)
    location: location
    tags: allTags
    softDeleteRetentionInDays: keyVaultSoftDeleteDays
    workspaceId: monitoring.outputs.workspaceId
  }
}

module fieldKey 'modules/fieldkey.bicep' = if (!empty(fieldKeyInitialValue)) {
  name: 'field-key'
  params: {
    vaultName: keysVault.outputs.name
    secretName: fieldKeySecretName
    initialValue: fieldKeyInitialValue
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    skuName: storageSku
    allowSharedKeyAccess: readSideKeys
    queryCacheTable: queryCacheTable
    deploymentContainer: deploymentContainer
    monitorDeploymentContainer: monitorDeploymentContainer
    deadLetterContainer: deadLetterContainer
    configVaultName: configVault.outputs.name
    tablesSecretName: tablesSecretName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    serverless: cosmosServerless
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    disableLocalAuth: !readSideKeys
    databaseName: cosmosDatabaseName
    containers: cosmosContainers
    configVaultName: configVault.outputs.name
    keySecretName: cosmosKeySecretName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    configVaultName: configVault.outputs.name
    keySecretName: eventGridKeySecretName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyDurableInstances: alwaysReadyDurableInstances
    storageAccountName: storage.outputs.accountName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    workspaceId: monitoring.outputs.workspaceId
    taskHubName: taskHubName
    readSideAuth: readSideAuth
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    tablesEndpoint: storage.outputs.tableEndpoint
    eventGridTopicEndpoint: eventGrid.outputs.endpoint
    configVaultName: configVault.outputs.name
    eventGridKeySecretName: eventGridKeySecretName
    cosmosKeySecretName: cosmosKeySecretName
    tablesSecretName: tablesSecretName
    keysVaultUri: keysVault.outputs.uri
    authClientId: authClientId
    fulfilmentDeadline: fulfilmentDeadline
    defaultCurrency: defaultCurrency
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  params: {
    appPrincipalId: functionApp.outputs.principalId
    topicPrincipalId: eventGrid.outputs.principalId
    storageAccountName: storage.outputs.accountName
    deadLetterContainer: deadLetterContainer
    configVaultName: configVault.outputs.name
    keysVaultName: keysVault.outputs.name
    cosmosAccountName: cosmos.outputs.accountName
    cosmosDatabaseName: cosmos.outputs.databaseName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// One subscription per projection function (eventgrid-subscriptions.json: function, eventTypes,
// advancedFilters).
module subscriptions 'modules/eventgrid-subscription.bicep' = [for sub in (deployEventSubscriptions ? eventSubscriptions : []): {
  name: 'evgs-${sub.function}'
  dependsOn: [
    access
  ]
  params: {
    topicName: eventGrid.outputs.topicName
    functionAppName: functionApp.outputs.name
    functionName: sub.function
    eventTypes: sub.eventTypes
    advancedFilters: contains(sub, 'advancedFilters') ? sub.advancedFilters : []
    storageAccountId: storage.outputs.accountId
    deadLetterContainer: deadLetterContainer
  }
}]

module durableMonitor 'modules/dfmonitor.bicep' = if (deployDurableMonitor) {
  name: 'durable-monitor'
  params: {
    prefix: prefix
    location: location
    tags: allTags
    storageAccountName: storage.outputs.accountName
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${monitorDeploymentContainer}'
    taskHubName: taskHubName
    authClientId: monitorAuthClientId
    workspaceId: monitoring.outputs.workspaceId
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHost string = functionApp.outputs.defaultHostName
output authEnabled bool = functionApp.outputs.authEnabled
output storageAccountName string = storage.outputs.accountName
output cosmosAccountName string = cosmos.outputs.accountName
output eventGridTopicName string = eventGrid.outputs.topicName
output configVaultName string = configVault.outputs.name
output keysVaultName string = keysVault.outputs.name
output fieldKeySecretName string = fieldKeySecretName
output taskHubName string = taskHubName
