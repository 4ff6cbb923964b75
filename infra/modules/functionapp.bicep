// The orders function app on the Flex Consumption plan: Python 3.11, system-assigned identity,
// always-ready instances for the durable group, HTTPS only, TLS 1.2+, FTP and basic publishing
// credentials off, App Service Authentication in front when a client id is given.
// App settings are the names app_settings.py, activities/publish_events.py and host.json read
// (tests/infra checks both directions); secrets are Key Vault references only.

param prefix string

param location string

param tags object

@description('Python version of the Flex Consumption runtime.')
@allowed([
  '3.11'
])
param pythonVersion string = '3.11'

@description('Memory of one instance: 512, 2048 or 4096 MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances of the durable group (orchestrations, activities, entities).')
@minValue(0)
param alwaysReadyDurableInstances int = 1

@description('Thread pool of the Python worker; host.json durable concurrency must not exceed it.')
param pythonThreadCount int = 16

param storageAccountName string

param deploymentContainerUrl string

param appInsightsConnectionString string

param workspaceId string

@description('Task hub name; host.json reads it from ORDERS_TASK_HUB.')
param taskHubName string

@description('keys: Cosmos DB key and Tables connection string from Key Vault; identity: neither.')
@allowed([
  'keys'
  'identity'
])
param readSideAuth string

param cosmosEndpoint string

param cosmosDatabaseName string

@description('Table service endpoint of the storage account; the app reaches the QueryCache table with its identity here when no connection string is set.')
param tablesEndpoint string

param eventGridTopicEndpoint string

@description('Vault of the secrets the platform resolves for app settings.')
param configVaultName string

param eventGridKeySecretName string

param cosmosKeySecretName string

param tablesSecretName string

@description('Vault of the field-encryption keys (KEY_VAULT_URL).')
param keysVaultUri string

@description('Entra ID app registration (client id) for App Service Authentication; empty = off.')
param authClientId string = ''

@description('Tenant that issues the tokens; the subscription tenant by default.')
param authTenantId string = subscription().tenantId

param fulfilmentDeadline string = '72h'

param defaultCreditLimit int = 100000

param defaultCurrency string = 'EUR'

param maxOrderTotal int = 10000000

param maxBodyBytes int = 65536

param queryCacheTtl string = '60s'

param minVersionWait string = '2s'

// The app trusts x-ms-client-principal only when App Service Authentication is really in front.
var authEnabled = !empty(authClientId)
var readSideKeys = readSideAuth == 'keys'

var baseSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  PYTHON_THREADPOOL_THREAD_COUNT: string(pythonThreadCount)
  AZURE_FUNCTIONS_DURABLE_STRICT_TYPING: '1'
  ORDERS_TASK_HUB: taskHubName
  ORDERS_STORE: 'azure'
  FIELD_KEY_PROVIDER: 'keyvault'
  KEY_VAULT_URL: keysVaultUri
  AUTH_PRINCIPAL_HEADER_TRUSTED: authEnabled ? 'true' : 'false'
  FULFILMENT_DEADLINE: fulfilmentDeadline
  DEFAULT_CREDIT_LIMIT: string(defaultCreditLimit)
  DEFAULT_CURRENCY: defaultCurrency
  MAX_ORDER_TOTAL: string(maxOrderTotal)
  MAX_BODY_BYTES: string(maxBodyBytes)
  QUERY_CACHE_TTL: queryCacheTtl
  MIN_VERSION_WAIT: minVersionWait
  COSMOS_ENDPOINT: cosmosEndpoint
  COSMOS_DATABASE: cosmosDatabaseName
  TABLES_ENDPOINT: tablesEndpoint
  EVENTGRID_TOPIC_URI: eventGridTopicEndpoint
  EVENTGRID_TOPIC_KEY: '@Microsoft.KeyVault(VaultName=${configVaultName};SecretName=${eventGridKeySecretName})'
}

var keySettings = readSideKeys ? {
  COSMOS_KEY: '@Microsoft.KeyVault(VaultName=${configVaultName};SecretName=${cosmosKeySecretName})'
  TABLES_CONNECTION_STRING: '@Microsoft.KeyVault(VaultName=${configVaultName};SecretName=${tablesSecretName})'
} : {}

var appSettings = union(baseSettings, keySettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${prefix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${prefix}-${take(uniqueString(resourceGroup().id, prefix), 6)}'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: [
          {
            name: 'durable'
            instanceCount: alwaysReadyDurableInstances
          }
        ]
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: appSettings
}

resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (authEnabled) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Event Grid delivers to AzureFunction endpoints through this webhook, which the
      // Event Grid extension's system key guards; it carries no user token.
      excludedPaths: [
        '/runtime/webhooks/eventgrid'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: app
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
      {
        category: 'AppServiceAuthenticationLogs'
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

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
output authEnabled bool = authEnabled
