// Alerts on the seeds' thresholds, and the operations workbook (../workbook.json) with the same
// charts; both read the workspace, where workspace-based Application Insights stores telemetry.
// The app's OpenTelemetry metrics (observability/instruments.py) reach the workspace's AppMetrics
// table through Azure Monitor: histograms arrive pre-aggregated (Sum, ItemCount, Max per
// minute), so each rule compares a 5-minute mean (or, for freshness, the maximum) with its
// threshold. Log search alerts rather than metric alerts: custom metric dimensions (command type,
// route, view) stay queryable without enabling dimension export on the component.

@description('Name prefix of the environment, e.g. orders-dev.')
param prefix string

param location string

param tags object

@description('Log Analytics workspace the app\'s telemetry lands in.')
param workspaceId string

@description('Event Grid topic whose deliveries to the projections are watched for dead letters.')
param eventGridTopicId string

@description('E-mail address that receives alert notifications; empty = alerts fire without notifying anyone (see them in the portal).')
param alertEmail string = ''

@description('Alert rules on (false in a throwaway environment to keep the portal quiet).')
param alertsEnabled bool = true

// The seeds' alert thresholds (targets in parentheses): command latency 500 ms (100 ms), query
// latency 200 ms (50 ms), sync lag 10 s (2 s), command failure rate 1 % (0.1 %), read-model
// freshness 30 s (5 s).
var thresholds = {
  commandLatencyMs: 500
  queryLatencyMs: 200
  syncLagMs: 10000
  commandFailurePercent: 1
  freshnessSeconds: 30
}

var rules = [
  {
    name: 'command-latency'
    title: 'Command latency above 500 ms'
    description: 'Mean time to answer a command request (orders_command_latency) over 5 minutes.'
    severity: 2
    threshold: thresholds.commandLatencyMs
    query: 'AppMetrics | where Name == "orders_command_latency" | summarize value = sum(Sum) / sum(ItemCount)'
  }
  {
    name: 'query-latency'
    title: 'Query latency above 200 ms'
    description: 'Mean time to answer a query (orders_query_latency, command status excluded) over 5 minutes.'
    severity: 2
    threshold: thresholds.queryLatencyMs
    query: 'AppMetrics | where Name == "orders_query_latency" and tostring(Properties.route) != "command_status" | summarize value = sum(Sum) / sum(ItemCount)'
  }
  {
    name: 'sync-lag'
    title: 'Sync lag above 10 s'
    description: 'Mean time from an event to the fold that changed a view (orders_projection_lag) over 5 minutes.'
    severity: 2
    threshold: thresholds.syncLagMs
    query: 'AppMetrics | where Name == "orders_projection_lag" | summarize value = sum(Sum) / sum(ItemCount)'
  }
  {
    name: 'command-failure-rate'
    title: 'Command failure rate above 1 %'
    description: 'Commands that errored at the edge (5xx) or whose workflow ended failed, per command request, over 5 minutes (at least 20 commands).'
    severity: 1
    threshold: thresholds.commandFailurePercent
    query: 'AppMetrics | where Name in ("orders_command_requests", "orders_command_results") | extend outcome = tostring(Properties.outcome) | summarize total = sumif(Sum, Name == "orders_command_requests"), failed = sumif(Sum, (Name == "orders_command_requests" and outcome == "error") or (Name == "orders_command_results" and outcome == "failed")) | where total >= 20 | project value = 100.0 * failed / total'
  }
  {
    name: 'readmodel-freshness'
    title: 'Read-model freshness above 30 s'
    description: 'Largest lag of the newest change a view applied (orders_readmodel_freshness) over 5 minutes.'
    severity: 2
    threshold: thresholds.freshnessSeconds
    query: 'AppMetrics | where Name == "orders_readmodel_freshness" | summarize value = max(Max)'
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${prefix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(replace(prefix, '-', ''), 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: 'alert-${prefix}-${rule.name}'
  location: location
  tags: tags
  properties: {
    displayName: '${prefix}: ${rule.title}'
    description: rule.description
    severity: rule.severity
    enabled: alertsEnabled
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'value'
          operator: 'GreaterThan'
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: empty(alertEmail) ? [] : [
        actionGroup.id
      ]
    }
  }
}]

// Deliveries to the projections that Event Grid gave up on (after its retries) land in the
// dead-letter container and never reach the views: any of them needs an operator. These are the
// topic's platform metrics, so a metric alert, not a log query.
resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${prefix}-eventgrid-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid dead-lettered a delivery to a projection (DeadLetteredCount > 0 in 5 minutes).'
    severity: 1
    enabled: alertsEnabled
    scopes: [
      eventGridTopicId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.EventGrid/topics'
          metricName: 'DeadLetteredCount'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: empty(alertEmail) ? [] : [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, prefix, 'orders-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Durable Orders: operations (${prefix})'
    category: 'workbook'
    sourceId: workspaceId
    serializedData: loadTextContent('../workbook.json')
  }
}

output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
output deadLetterAlertName string = deadLetters.name
output workbookId string = workbook.id
