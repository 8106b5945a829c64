data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags   = merge({ "wattcast:module" = "monitoring" }, var.tags)
  prefix = var.alarm_name_prefix

  # One alarm per metric of services/core/metrics.py METRICS (tests/unit/test_terraform_monitoring.py
  # checks the names and services against it): emitted as EMF into var.metrics_namespace with the one
  # dimension service = the emitting service. ReadingsRejected is also emitted per reason; the alarm
  # watches the service-only series. treat_missing_data: "breaching" where silence is the failure (no
  # readings, hours, forecasts or scores arriving), "notBreaching" where a metric appears only when
  # something happens (errors, rejections, evictions) or is a measurement of events that did happen.
  custom_metric_alarms = {
    ReadingsAccepted = {
      service     = "wattcast-ingest", statistic = "Sum", comparison = "LessThanThreshold", threshold = 1,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "breaching",
      description = "No valid meter readings stored for 15 minutes: meters, the readings stream or ingest are down."
    }
    ReadingsRejected = {
      service     = "wattcast-ingest", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 500,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "More than 500 readings a 5 minutes rejected to the dead-letter queue for 15 minutes (all reasons)."
    }
    HoursClosed = {
      service     = "wattcast-ingest", statistic = "Sum", comparison = "LessThanThreshold", threshold = 1,
      period      = 3600, evaluation_periods = 2, datapoints_to_alarm = 2, treat_missing_data = "breaching",
      description = "No household hour closed for 2 hours: nothing reaches the hourly stream."
    }
    ForecastsStored = {
      service     = "wattcast-preprocess", statistic = "Sum", comparison = "LessThanThreshold", threshold = 1,
      period      = 3600, evaluation_periods = 2, datapoints_to_alarm = 2, treat_missing_data = "breaching",
      description = "No forecast stored for 2 hours: preprocess or the forecaster is down."
    }
    HouseholdsWarmingUp = {
      service     = "wattcast-preprocess", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 500,
      period      = 3600, evaluation_periods = 6, datapoints_to_alarm = 6, treat_missing_data = "notBreaching",
      description = "More than 500 closed hours an hour without enough history, for 6 hours: history reads are failing or a fleet joined."
    }
    EndpointLatency = {
      service     = "wattcast-preprocess", statistic = "p95", comparison = "GreaterThanThreshold", threshold = 2000,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "p95 of preprocess's InvokeEndpoint calls (retries included) above 2 s for 15 minutes."
    }
    EndpointErrors = {
      service     = "wattcast-preprocess", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 0,
      period      = 300, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "Endpoint calls failed until their deadline: forecasts are missing."
    }
    EventToForecastLatency = {
      service     = "wattcast-preprocess", statistic = "p95", comparison = "GreaterThanThreshold", threshold = 120,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "p95 from a closing reading's arrival to its hour's forecast above 120 s for 15 minutes."
    }
    AlertsRaised = {
      service     = "wattcast-alerts", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 1000,
      period      = 3600, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "More than 1000 household alerts in an hour: an alert storm (bad data or a broken forecast)."
    }
    # Statements are monthly, so silence says nothing; a runaway re-run is what an alarm can see.
    StatementsWritten = {
      service     = "wattcast-statements", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 10000,
      period      = 3600, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "More than 10000 statements written in an hour: a re-run loop."
    }
    ApiServerErrors = {
      service     = "wattcast-portal", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 5,
      period      = 300, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "More than 5 household API answers with a 5xx status in 5 minutes."
    }
    HoursScored = {
      service     = "wattcast-accuracy", statistic = "Sum", comparison = "LessThanThreshold", threshold = 1,
      period      = 3600, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "breaching",
      description = "No closed hour scored against its forecasts for 3 hours: production accuracy is blind."
    }
    ForecastErrorKw = {
      service     = "wattcast-accuracy", statistic = "Average", comparison = "GreaterThanThreshold", threshold = 1.0,
      period      = 3600, evaluation_periods = 6, datapoints_to_alarm = 6, treat_missing_data = "notBreaching",
      description = "The fleet's next-hour absolute error averaged above 1 kW for 6 hours."
    }
    # The forecast-error drift alarm: the accuracy sweep counts households whose daily error stayed
    # above drift_multiple x the model's test error for drift_days. A sweep that fails is the sweep
    # function's Errors alarm, so a missing count is not a drift.
    DriftingHouseholds = {
      service     = "wattcast-accuracy", statistic = "Maximum", comparison = "GreaterThanThreshold", threshold = 0,
      period      = 86400, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "Households whose forecast error drifted (the daily drift sweep): retrain or investigate."
    }
    ModelLoads = {
      service     = "wattcast-forecaster", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 100,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "More than 100 bundle loads a 5 minutes for 15 minutes: the multi-model cache thrashes."
    }
    ModelEvictions = {
      service     = "wattcast-forecaster", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 50,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "More than 50 bundle evictions a 5 minutes for 15 minutes: the instances need more memory."
    }
    Invocation4xx = {
      service     = "wattcast-forecaster", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 50,
      period      = 300, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "More than 50 forecaster requests refused (4xx) in 5 minutes: callers and bundles disagree."
    }
    Invocation5xx = {
      service     = "wattcast-forecaster", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 0,
      period      = 300, evaluation_periods = 1, datapoints_to_alarm = 1, treat_missing_data = "notBreaching",
      description = "The forecaster container answered with a 5xx status."
    }
    InvocationLatency = {
      service     = "wattcast-forecaster", statistic = "p95", comparison = "GreaterThanThreshold", threshold = 1000,
      period      = 300, evaluation_periods = 3, datapoints_to_alarm = 3, treat_missing_data = "notBreaching",
      description = "p95 of one invocation inside the forecaster container above 1 s for 15 minutes."
    }
  }

  # The metrics of the services this stack runs, with the overrides of var.custom_metric_alarm_overrides.
  custom_alarms = {
    for metric, alarm in local.custom_metric_alarms : metric => merge(
      alarm, { for knob, value in try(var.custom_metric_alarm_overrides[metric], {}) : knob => value if value != null }
    ) if contains(var.monitored_services, alarm.service)
  }

  queues = {
    "dead-letter"     = { name = var.dead_letter_queue, alarm = var.dead_letter_queue_alarm }
    "stream-failures" = { name = var.stream_failures_queue, alarm = var.stream_failures_queue_alarm }
  }
  endpoints = var.forecaster_endpoint == null ? {} : { forecaster = var.forecaster_endpoint }

  alarm_actions = [aws_sns_topic.operations.arn]
}

# ---------------------------------------------------------------- the operations topic

resource "aws_sns_topic" "operations" {
  name              = var.operations_topic
  kms_master_key_id = var.kms_key_arn
  tags              = local.tags

  lifecycle {
    precondition {
      condition     = length(setsubtract(keys(var.custom_metric_alarm_overrides), keys(local.custom_metric_alarms))) == 0
      error_message = "custom_metric_alarm_overrides names a metric services/core/metrics.py does not define."
    }
  }
}

# ---------------------------------------------------------------- Lambda: iterator age, errors, throttles

# Maximum IteratorAge of a stream-mapped function: how far its mapping is behind the stream's tip. No
# records means no datapoint, and no backlog.
resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  for_each = var.stream_functions

  alarm_name          = "${local.prefix}-${each.key}-iterator-age"
  alarm_description   = "The ${each.value} mapping is more than ${var.iterator_age_alarm.threshold_seconds} s behind its stream."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = each.value }
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.iterator_age_alarm.threshold_seconds * 1000 # the metric is in milliseconds
  period              = var.iterator_age_alarm.period
  evaluation_periods  = var.iterator_age_alarm.evaluation_periods
  datapoints_to_alarm = var.iterator_age_alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# Errors count invocations that failed (a stream batch's partial failures are not errors); an idle
# function has no datapoint.
resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each = var.functions

  alarm_name          = "${local.prefix}-${each.key}-errors"
  alarm_description   = "${each.value} failed more than ${var.lambda_errors_alarm.threshold} invocations in ${var.lambda_errors_alarm.period} s."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_errors_alarm.threshold
  period              = var.lambda_errors_alarm.period
  evaluation_periods  = var.lambda_errors_alarm.evaluation_periods
  datapoints_to_alarm = var.lambda_errors_alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  for_each = var.functions

  alarm_name          = "${local.prefix}-${each.key}-throttles"
  alarm_description   = "${each.value} was throttled more than ${var.lambda_throttles_alarm.threshold} times in ${var.lambda_throttles_alarm.period} s (concurrency quota or reservation)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_throttles_alarm.threshold
  period              = var.lambda_throttles_alarm.period
  evaluation_periods  = var.lambda_throttles_alarm.evaluation_periods
  datapoints_to_alarm = var.lambda_throttles_alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# ---------------------------------------------------------------- SQS: depth and age of both queues

# SQS stops sending datapoints for a queue idle for 6 hours: an idle queue is an empty one.
resource "aws_cloudwatch_metric_alarm" "queue_messages" {
  for_each = local.queues

  alarm_name          = "${local.prefix}-${each.key}-messages-visible"
  alarm_description   = "${each.value.name} holds more than ${each.value.alarm.messages_threshold} messages."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.alarm.messages_threshold
  period              = each.value.alarm.period
  evaluation_periods  = each.value.alarm.evaluation_periods
  datapoints_to_alarm = each.value.alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message" {
  for_each = local.queues

  alarm_name          = "${local.prefix}-${each.key}-oldest-message-age"
  alarm_description   = "The oldest message in ${each.value.name} waits for more than ${each.value.alarm.oldest_message_age_seconds} s: nobody looked at it."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.alarm.oldest_message_age_seconds
  period              = each.value.alarm.period
  evaluation_periods  = each.value.alarm.evaluation_periods
  datapoints_to_alarm = each.value.alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# ---------------------------------------------------------------- SageMaker: the forecaster endpoint

resource "aws_cloudwatch_metric_alarm" "endpoint_5xx" {
  for_each = local.endpoints

  alarm_name          = "${local.prefix}-${each.key}-5xx"
  alarm_description   = "${each.value} answered more than ${var.endpoint_5xx_alarm.threshold} invocations with a 5xx status in ${var.endpoint_5xx_alarm.period} s."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  dimensions          = { EndpointName = each.value, VariantName = var.forecaster_variant }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.endpoint_5xx_alarm.threshold
  period              = var.endpoint_5xx_alarm.period
  evaluation_periods  = var.endpoint_5xx_alarm.evaluation_periods
  datapoints_to_alarm = var.endpoint_5xx_alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "endpoint_latency" {
  for_each = local.endpoints

  alarm_name          = "${local.prefix}-${each.key}-model-latency"
  alarm_description   = "${var.endpoint_latency_alarm.statistic} of ${each.value}'s ModelLatency above ${var.endpoint_latency_alarm.threshold_ms} ms."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = { EndpointName = each.value, VariantName = var.forecaster_variant }
  extended_statistic  = var.endpoint_latency_alarm.statistic
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.endpoint_latency_alarm.threshold_ms * 1000 # the metric is in microseconds
  period              = var.endpoint_latency_alarm.period
  evaluation_periods  = var.endpoint_latency_alarm.evaluation_periods
  datapoints_to_alarm = var.endpoint_latency_alarm.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# ---------------------------------------------------------------- the services' own metrics (EMF)

resource "aws_cloudwatch_metric_alarm" "custom" {
  for_each = local.custom_alarms

  alarm_name          = "${local.prefix}-${lower(replace(each.key, "/([a-z0-9])([A-Z])/", "$1-$2"))}"
  alarm_description   = each.value.description
  namespace           = var.metrics_namespace
  metric_name         = each.key
  dimensions          = { service = each.value.service }
  statistic           = startswith(each.value.statistic, "p") ? null : each.value.statistic
  extended_statistic  = startswith(each.value.statistic, "p") ? each.value.statistic : null
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = each.value.treat_missing_data
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = merge(local.tags, { "wattcast:service" = each.value.service })

  lifecycle {
    precondition {
      condition     = (contains([10, 20, 30], each.value.period) || each.value.period % 60 == 0) && each.value.period * each.value.evaluation_periods <= (each.value.period < 3600 ? 86400 : 604800)
      error_message = "${each.key}: period must be 10, 20, 30 or a multiple of 60, and period x evaluation_periods at most a day (a week for periods of an hour or more)."
    }

    precondition {
      condition     = each.value.datapoints_to_alarm >= 1 && each.value.datapoints_to_alarm <= each.value.evaluation_periods
      error_message = "${each.key}: datapoints_to_alarm must be 1..evaluation_periods."
    }
  }
}
