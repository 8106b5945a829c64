# One dashboard: the pipeline from meters to forecasts and their accuracy, then the plumbing.
locals {
  ns     = var.metrics_namespace
  region = data.aws_region.current.name

  panels = [
    {
      type = "metric"
      properties = {
        title  = "Ingest: readings accepted and rejected, hours closed (sum per 5 min)"
        region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
        metrics = [
          [local.ns, "ReadingsAccepted", "service", "wattcast-ingest"],
          [local.ns, "ReadingsRejected", "service", "wattcast-ingest"],
          [local.ns, "HoursClosed", "service", "wattcast-ingest", { yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Iterator age of the stream mappings (max, ms)"
        region  = local.region, view = "timeSeries", stacked = false, period = 60, stat = "Maximum"
        metrics = [for role, function in var.stream_functions : ["AWS/Lambda", "IteratorAge", "FunctionName", function, { label = role }]]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Event to forecast: a closing reading's arrival to its hour's forecast (s)"
        region = local.region, view = "timeSeries", stacked = false, period = 300
        metrics = [
          [local.ns, "EventToForecastLatency", "service", "wattcast-preprocess", { stat = "p50", label = "p50" }],
          [local.ns, "EventToForecastLatency", "service", "wattcast-preprocess", { stat = "p95", label = "p95" }],
          [local.ns, "ForecastsStored", "service", "wattcast-preprocess", { stat = "Sum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Forecast error in production: next-hour absolute error (kW) and hours scored"
        region = local.region, view = "timeSeries", stacked = false, period = 3600
        metrics = [
          [local.ns, "ForecastErrorKw", "service", "wattcast-accuracy", { stat = "Average", label = "mean abs error" }],
          [local.ns, "ForecastErrorKw", "service", "wattcast-accuracy", { stat = "p90", label = "p90 abs error" }],
          [local.ns, "HoursScored", "service", "wattcast-accuracy", { stat = "Sum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Forecaster: latency (preprocess's calls in ms, the endpoint's ModelLatency in µs) and 5xx"
        region = local.region, view = "timeSeries", stacked = false, period = 300
        metrics = concat(
          [
            [local.ns, "EndpointLatency", "service", "wattcast-preprocess", { stat = "p95", label = "InvokeEndpoint p95 (ms)" }],
            [local.ns, "EndpointErrors", "service", "wattcast-preprocess", { stat = "Sum", yAxis = "right" }],
          ],
          flatten([for endpoint in values(local.endpoints) : [
            ["AWS/SageMaker", "ModelLatency", "EndpointName", endpoint, "VariantName", var.forecaster_variant, { stat = "p95", label = "ModelLatency p95 (µs)" }],
            ["AWS/SageMaker", "Invocation5XXErrors", "EndpointName", endpoint, "VariantName", var.forecaster_variant, { stat = "Sum", yAxis = "right" }],
          ]])
        )
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Queue depths: dead letters and given-up stream batches (max)"
        region  = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Maximum"
        metrics = [for role, queue in local.queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue.name, { label = role }]]
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Drifting households (the daily drift sweep)"
        region  = local.region, view = "timeSeries", stacked = false, period = 86400, stat = "Maximum"
        metrics = [[local.ns, "DriftingHouseholds", "service", "wattcast-accuracy"]]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Lambda errors and throttles (sum per 5 min)"
        region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
        metrics = concat(
          [for role, function in var.functions : ["AWS/Lambda", "Errors", "FunctionName", function, { label = "${role} errors" }]],
          [for role, function in var.functions : ["AWS/Lambda", "Throttles", "FunctionName", function, { label = "${role} throttles" }]],
        )
      }
    },
  ]
  # A metric widget needs at least one metric (step one of envs/aws has no functions yet).
  metric_panels = [for panel in local.panels : panel if length(panel.properties.metrics) > 0]

  alarm_arns = concat(
    [for alarm in aws_cloudwatch_metric_alarm.custom : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.iterator_age : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.errors : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.throttles : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.queue_messages : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.queue_oldest_message : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_5xx : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_latency : alarm.arn],
  )
  alarm_panel = {
    type       = "alarm"
    properties = { title = "Alarms", alarms = slice(local.alarm_arns, 0, min(length(local.alarm_arns), 100)), sortBy = "stateUpdatedTimestamp" }
  }

  widgets = [
    for i, panel in concat(local.metric_panels, length(local.alarm_arns) == 0 ? [] : [local.alarm_panel]) :
    merge(panel, { x = (i % 2) * 12, y = floor(i / 2) * 6, width = 12, height = 6 })
  ]
}

resource "aws_cloudwatch_dashboard" "operations" {
  dashboard_name = var.dashboard_name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
