using './main.bicep'

// Prod: identity only (Cosmos DB local auth off, no storage shared key), zone-redundant storage,
// one always-ready durable instance, App Service Authentication in front (set authClientId).
param environmentName = 'prod'
param readSideAuth = 'identity'
param cosmosServerless = true
param storageSku = 'Standard_ZRS'
param instanceMemoryMB = 2048
param maximumInstanceCount = 100
param alwaysReadyDurableInstances = 1
param keyVaultSoftDeleteDays = 90
param logRetentionDays = 90
// The Entra ID app registration in front of the API; deployment stops if it is not set.
param authClientId = readEnvironmentVariable('ORDERS_AUTH_CLIENT_ID')
param deployEventSubscriptions = false
param deployDurableMonitor = false
