using './main.bicep'

// Dev: scale to zero, serverless Cosmos DB, smallest retention. The read side still connects
// with keys (kept in Key Vault) until readmodels/ supports managed identity.
param environmentName = 'dev'
param readSideAuth = 'keys'
param cosmosServerless = true
param storageSku = 'Standard_LRS'
param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param alwaysReadyDurableInstances = 0
param keyVaultSoftDeleteDays = 7
param logRetentionDays = 30
param deployEventSubscriptions = false
param deployDurableMonitor = false
