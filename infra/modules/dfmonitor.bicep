// Optional: Durable Functions Monitor (standalone, .NET isolated) on its own Flex Consumption
// plan, reading the orders task hub straight from storage with its own managed identity, behind
// App Service Authentication (Entra ID). Only two kinds of app role get in: full access
// (fullAccessAppRoles, default 'admin') and read only (readOnlyAppRoles, default 'support').
// Publish its package after deploying (infra/README.md).
//
// Who may change the task hub. Full access in DfMon means starting an orchestration with any
// input, raising events, terminating, purging, rewinding: all straight on the task hub, past the
// API's authorization (commands, ownership checks, validation). Support only needs to read the
// task hub to help customers, so support is read only and only admins may change it.
// DfMon settings (microsoft/DurableFunctionsMonitor, DfmSettings.cs / Auth.cs):
// - DFM_ALLOWED_APP_ROLES: roles admitted with full access. Used for the admin roles rather than
//   the newer DFM_ALLOWED_FULL_ACCESS_APP_ROLES, which older packages ignore (admins would be
//   locked out); every package with read-only roles understands this one.
// - DFM_ALLOWED_READ_ONLY_APP_ROLES: roles admitted read only; every write operation answers 403.
//   A user holding a role from both lists is read only (the read-only role wins), so give
//   admins the admin role alone on the monitor's app registration.
// - The two lists must not share a role (DfMon refuses to start) and are split on ',' without
//   trimming: no spaces.
// - DFM_MODE is left unset (Normal): DFM_MODE=ReadOnly makes everybody read only, admins too.
//
// Storage roles of the monitor's identity stay as they are. The identity is shared by every
// user, so storage RBAC cannot tell support from admin; read-only is enforced by DfMon per
// request, above storage. Admins' writes need Queue Data Contributor (start, raise event,
// terminate and rewind enqueue control-queue messages), Table Data Contributor (start, purge
// and rewind write the Instances/History tables) and blob write (purge deletes large-message
// blobs); the monitor's Functions host itself needs Blob Data Owner on AzureWebJobsStorage
// (host locks and keys) and blob read of its deployment package. Narrowing them would break
// the admins' monitor and protect nothing from support, whom DfMon already stops.

param prefix string

param location string

param tags object

param storageAccountName string

param deploymentContainerUrl string

@description('The task hub to show; the same value as the app\'s ORDERS_TASK_HUB.')
param taskHubName string

@description('Entra ID app registration (client id) for the monitor; required: no anonymous monitor.')
@minLength(1)
param authClientId string

param authTenantId string = subscription().tenantId

@description('Comma-separated app roles with full access (DFM_ALLOWED_APP_ROLES): they can start, raise events, terminate, purge, rewind. No spaces; must not share a role with readOnlyAppRoles.')
@minLength(1)
param fullAccessAppRoles string = 'admin'

@description('Comma-separated app roles with read-only access (DFM_ALLOWED_READ_ONLY_APP_ROLES). No spaces; empty for none.')
param readOnlyAppRoles string = 'support'

param workspaceId string

// Needed as they are, also with support read only: see the top of this file.
var roles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${prefix}-dfmon'
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

resource monitor 'Microsoft.Web/sites@2024-04-01' = {
  name: 'dfmon-${prefix}-${take(uniqueString(resourceGroup().id, prefix), 6)}'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
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
        instanceMemoryMB: 2048
        maximumInstanceCount: 2
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '8.0'
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: monitor
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    DFM_HUB_NAME: taskHubName
    // Roles, not DFM_MODE: see the top of this file.
    DFM_ALLOWED_APP_ROLES: fullAccessAppRoles
    DFM_ALLOWED_READ_ONLY_APP_ROLES: readOnlyAppRoles
  }
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: monitor
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: monitor
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: monitor
  name: 'scm'
  properties: {
    allow: false
  }
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {
  name: guid(storage.id, monitor.id, role)
  scope: storage
  properties: {
    principalId: monitor.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: monitor
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
  }
}

output name string = monitor.name
output url string = 'https://${monitor.properties.defaultHostName}'
