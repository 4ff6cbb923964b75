// One Event Grid subscription: the custom topic -> one projection function (endpoint type
// AzureFunction), only the event types that projection folds, with retries and dead letters.
// Event Grid checks that the function exists, so deploy these after publishing the app
// (infra/README.md: deployEventSubscriptions=true on the second deployment).

param topicName string

param functionAppName string

@description('The event_grid_trigger function name, as function_app.py registers it.')
param functionName string

@description('Event types this projection folds (contracts/events.py EVENT_PAYLOADS keys).')
param eventTypes array

@description('Advanced filters ({operatorType, key}); all must hold. The views skip stock events their order event carries (contracts/carrying.py).')
param advancedFilters array = []

param storageAccountId string

param deadLetterContainer string

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying one event before it dead-letters it.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: topicName
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource subscription 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: replace(functionName, '_', '-')
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${app.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: eventTypes
      advancedFilters: advancedFilters
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccountId
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

output name string = subscription.name
