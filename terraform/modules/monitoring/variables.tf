# Names named after a field of services/core/settings.py default to that field's default
# (tests/unit/test_terraform.py checks it).

# ---------------------------------------------------------------- names

variable "operations_topic" {
  description = "SNS topic every alarm (and the accuracy function's drift alerts) goes to (Settings.operations_topic); its ARN reaches the functions as WATTCAST_OPERATIONS_TOPIC_ARN."
  type        = string
  default     = "wattcast-operations"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.operations_topic))
    error_message = "operations_topic must be 1-256 of a-z, A-Z, 0-9, '_', '-' (a standard topic)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the services emit their EMF metrics into (Settings.metrics_namespace)."
  type        = string
  default     = "Wattcast"

  validation {
    condition     = can(regex("^[^:][^:]{0,254}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters without ':' and must not start with AWS/."
  }
}

variable "alarm_name_prefix" {
  description = "Prefix of every alarm name (<prefix>-<what>): make it unique per stack in a shared account and region."
  type        = string
  default     = "wattcast"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.alarm_name_prefix))
    error_message = "alarm_name_prefix must be 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  type        = string
  default     = "wattcast"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.dashboard_name))
    error_message = "dashboard_name must be 1-255 of a-z, A-Z, 0-9, '_', '-'."
  }
}

# ---------------------------------------------------------------- what is watched

variable "stream_functions" {
  description = "Functions with a Kinesis event source mapping, by role (ingest, preprocess, alerts, statements, accuracy): an IteratorAge alarm each. Pass the functions that exist."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for role, name in var.stream_functions : can(regex("^[a-z0-9-]{1,40}$", role)) && can(regex("^[a-zA-Z0-9_-]{1,64}$", name))])
    error_message = "stream_functions: roles 1-40 of a-z, 0-9, '-'; function names 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "functions" {
  description = "Every Lambda function, by role (ingest, preprocess, alerts, statements, accuracy, accuracy-sweep, portal): an Errors and a Throttles alarm each. Pass the functions that exist."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for role, name in var.functions : can(regex("^[a-z0-9-]{1,40}$", role)) && can(regex("^[a-zA-Z0-9_-]{1,64}$", name))])
    error_message = "functions: roles 1-40 of a-z, 0-9, '-'; function names 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "dead_letter_queue" {
  description = "SQS queue of rejected readings (Settings.dead_letter_queue)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS on-failure destination of the event source mappings (Settings.stream_failures_queue)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "forecaster_endpoint" {
  description = "SageMaker endpoint whose Invocation5XXErrors and ModelLatency are watched (Settings.forecaster_endpoint); null before the endpoint exists."
  type        = string
  default     = "wattcast-forecaster"
}

variable "forecaster_variant" {
  description = "Production variant of the endpoint (the sagemaker_endpoint module's variant_name)."
  type        = string
  default     = "AllTraffic"
}

variable "monitored_services" {
  description = "Services (the `service` dimension of services/core/metrics.py) whose custom metrics get their alarm: those that run in this stack."
  type        = list(string)
  default = [
    "wattcast-ingest", "wattcast-preprocess", "wattcast-alerts", "wattcast-statements", "wattcast-portal",
    "wattcast-accuracy", "wattcast-forecaster",
  ]

  validation {
    condition = alltrue([for service in var.monitored_services : contains([
      "wattcast-ingest", "wattcast-preprocess", "wattcast-alerts", "wattcast-statements", "wattcast-portal",
      "wattcast-accuracy", "wattcast-forecaster",
    ], service)])
    error_message = "monitored_services holds service names of services/core/metrics.py only."
  }
}

# ---------------------------------------------------------------- thresholds
# CloudWatch's rules for every alarm below: period 10, 20, 30 or a multiple of 60 s; period x
# evaluation_periods at most a day (a week when the period is an hour or more); datapoints_to_alarm
# ("M of N") 1..evaluation_periods.

variable "iterator_age_alarm" {
  description = "IteratorAge (Maximum) of each stream mapping: alarm when it is behind by more than threshold_seconds in datapoints_to_alarm of evaluation_periods periods."
  type = object({
    threshold_seconds   = optional(number, 300)
    period              = optional(number, 60)
    evaluation_periods  = optional(number, 5)
    datapoints_to_alarm = optional(number, 5)
  })
  default = {}

  validation {
    condition = (
      var.iterator_age_alarm.threshold_seconds > 0 &&
      (contains([10, 20, 30], var.iterator_age_alarm.period) || var.iterator_age_alarm.period % 60 == 0) &&
      var.iterator_age_alarm.evaluation_periods >= 1 && floor(var.iterator_age_alarm.evaluation_periods) == var.iterator_age_alarm.evaluation_periods &&
      var.iterator_age_alarm.period * var.iterator_age_alarm.evaluation_periods <= (var.iterator_age_alarm.period < 3600 ? 86400 : 604800) &&
      var.iterator_age_alarm.datapoints_to_alarm >= 1 && var.iterator_age_alarm.datapoints_to_alarm <= var.iterator_age_alarm.evaluation_periods
    )
    error_message = "iterator_age_alarm: threshold_seconds > 0, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "lambda_errors_alarm" {
  description = "Errors (Sum) of each function: alarm above threshold failed invocations per period."
  type = object({
    threshold           = optional(number, 0)
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 1)
    datapoints_to_alarm = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.lambda_errors_alarm.threshold >= 0 &&
      (contains([10, 20, 30], var.lambda_errors_alarm.period) || var.lambda_errors_alarm.period % 60 == 0) &&
      var.lambda_errors_alarm.evaluation_periods >= 1 && floor(var.lambda_errors_alarm.evaluation_periods) == var.lambda_errors_alarm.evaluation_periods &&
      var.lambda_errors_alarm.period * var.lambda_errors_alarm.evaluation_periods <= (var.lambda_errors_alarm.period < 3600 ? 86400 : 604800) &&
      var.lambda_errors_alarm.datapoints_to_alarm >= 1 && var.lambda_errors_alarm.datapoints_to_alarm <= var.lambda_errors_alarm.evaluation_periods
    )
    error_message = "lambda_errors_alarm: threshold >= 0, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "lambda_throttles_alarm" {
  description = "Throttles (Sum) of each function: alarm above threshold throttled invocations per period."
  type = object({
    threshold           = optional(number, 0)
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 1)
    datapoints_to_alarm = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.lambda_throttles_alarm.threshold >= 0 &&
      (contains([10, 20, 30], var.lambda_throttles_alarm.period) || var.lambda_throttles_alarm.period % 60 == 0) &&
      var.lambda_throttles_alarm.evaluation_periods >= 1 && floor(var.lambda_throttles_alarm.evaluation_periods) == var.lambda_throttles_alarm.evaluation_periods &&
      var.lambda_throttles_alarm.period * var.lambda_throttles_alarm.evaluation_periods <= (var.lambda_throttles_alarm.period < 3600 ? 86400 : 604800) &&
      var.lambda_throttles_alarm.datapoints_to_alarm >= 1 && var.lambda_throttles_alarm.datapoints_to_alarm <= var.lambda_throttles_alarm.evaluation_periods
    )
    error_message = "lambda_throttles_alarm: threshold >= 0, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "dead_letter_queue_alarm" {
  description = "The dead-letter queue: alarm when it holds more than messages_threshold messages, or its oldest message waits longer than oldest_message_age_seconds (rejected readings are expected now and then; an operator reads and purges them)."
  type = object({
    messages_threshold         = optional(number, 1000)
    oldest_message_age_seconds = optional(number, 259200)
    period                     = optional(number, 300)
    evaluation_periods         = optional(number, 1)
    datapoints_to_alarm        = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.dead_letter_queue_alarm.messages_threshold >= 0 && var.dead_letter_queue_alarm.oldest_message_age_seconds >= 60 &&
      (contains([10, 20, 30], var.dead_letter_queue_alarm.period) || var.dead_letter_queue_alarm.period % 60 == 0) &&
      var.dead_letter_queue_alarm.evaluation_periods >= 1 && floor(var.dead_letter_queue_alarm.evaluation_periods) == var.dead_letter_queue_alarm.evaluation_periods &&
      var.dead_letter_queue_alarm.period * var.dead_letter_queue_alarm.evaluation_periods <= (var.dead_letter_queue_alarm.period < 3600 ? 86400 : 604800) &&
      var.dead_letter_queue_alarm.datapoints_to_alarm >= 1 && var.dead_letter_queue_alarm.datapoints_to_alarm <= var.dead_letter_queue_alarm.evaluation_periods
    )
    error_message = "dead_letter_queue_alarm: messages_threshold >= 0, oldest_message_age_seconds >= 60, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "stream_failures_queue_alarm" {
  description = "The stream-failures queue (batches a mapping gave up on): alarm on any message by default, and when the oldest waits longer than oldest_message_age_seconds."
  type = object({
    messages_threshold         = optional(number, 0)
    oldest_message_age_seconds = optional(number, 3600)
    period                     = optional(number, 300)
    evaluation_periods         = optional(number, 1)
    datapoints_to_alarm        = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.stream_failures_queue_alarm.messages_threshold >= 0 && var.stream_failures_queue_alarm.oldest_message_age_seconds >= 60 &&
      (contains([10, 20, 30], var.stream_failures_queue_alarm.period) || var.stream_failures_queue_alarm.period % 60 == 0) &&
      var.stream_failures_queue_alarm.evaluation_periods >= 1 && floor(var.stream_failures_queue_alarm.evaluation_periods) == var.stream_failures_queue_alarm.evaluation_periods &&
      var.stream_failures_queue_alarm.period * var.stream_failures_queue_alarm.evaluation_periods <= (var.stream_failures_queue_alarm.period < 3600 ? 86400 : 604800) &&
      var.stream_failures_queue_alarm.datapoints_to_alarm >= 1 && var.stream_failures_queue_alarm.datapoints_to_alarm <= var.stream_failures_queue_alarm.evaluation_periods
    )
    error_message = "stream_failures_queue_alarm: messages_threshold >= 0, oldest_message_age_seconds >= 60, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "endpoint_5xx_alarm" {
  description = "Invocation5XXErrors (Sum) of the forecaster endpoint: alarm above threshold per period."
  type = object({
    threshold           = optional(number, 0)
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 1)
    datapoints_to_alarm = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.endpoint_5xx_alarm.threshold >= 0 &&
      (contains([10, 20, 30], var.endpoint_5xx_alarm.period) || var.endpoint_5xx_alarm.period % 60 == 0) &&
      var.endpoint_5xx_alarm.evaluation_periods >= 1 && floor(var.endpoint_5xx_alarm.evaluation_periods) == var.endpoint_5xx_alarm.evaluation_periods &&
      var.endpoint_5xx_alarm.period * var.endpoint_5xx_alarm.evaluation_periods <= (var.endpoint_5xx_alarm.period < 3600 ? 86400 : 604800) &&
      var.endpoint_5xx_alarm.datapoints_to_alarm >= 1 && var.endpoint_5xx_alarm.datapoints_to_alarm <= var.endpoint_5xx_alarm.evaluation_periods
    )
    error_message = "endpoint_5xx_alarm: threshold >= 0, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "endpoint_latency_alarm" {
  description = "ModelLatency of the forecaster endpoint at a percentile (statistic, e.g. p95): alarm above threshold_ms milliseconds (the metric is in microseconds; the module converts)."
  type = object({
    statistic           = optional(string, "p95")
    threshold_ms        = optional(number, 1000)
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 3)
    datapoints_to_alarm = optional(number, 3)
  })
  default = {}

  validation {
    condition = (
      can(regex("^p(\\d{1,2}(\\.\\d{1,2})?|100)$", var.endpoint_latency_alarm.statistic)) && var.endpoint_latency_alarm.threshold_ms > 0 &&
      (contains([10, 20, 30], var.endpoint_latency_alarm.period) || var.endpoint_latency_alarm.period % 60 == 0) &&
      var.endpoint_latency_alarm.evaluation_periods >= 1 && floor(var.endpoint_latency_alarm.evaluation_periods) == var.endpoint_latency_alarm.evaluation_periods &&
      var.endpoint_latency_alarm.period * var.endpoint_latency_alarm.evaluation_periods <= (var.endpoint_latency_alarm.period < 3600 ? 86400 : 604800) &&
      var.endpoint_latency_alarm.datapoints_to_alarm >= 1 && var.endpoint_latency_alarm.datapoints_to_alarm <= var.endpoint_latency_alarm.evaluation_periods
    )
    error_message = "endpoint_latency_alarm: statistic a percentile such as p95, threshold_ms > 0, and period, evaluation_periods and datapoints_to_alarm within CloudWatch's rules."
  }
}

variable "custom_metric_alarm_overrides" {
  description = "Per custom metric (a name of services/core/metrics.py METRICS), what to change of its alarm's default (local.custom_metric_alarms in main.tf, listed in the README): threshold, period, evaluation_periods, datapoints_to_alarm."
  type = map(object({
    threshold           = optional(number)
    period              = optional(number)
    evaluation_periods  = optional(number)
    datapoints_to_alarm = optional(number)
  }))
  default = {}

  validation {
    condition = alltrue([for metric, alarm in var.custom_metric_alarm_overrides : (
      (alarm.period == null ? true : (contains([10, 20, 30], alarm.period) || alarm.period % 60 == 0)) &&
      (alarm.evaluation_periods == null ? true : alarm.evaluation_periods >= 1 && floor(alarm.evaluation_periods) == alarm.evaluation_periods) &&
      (alarm.datapoints_to_alarm == null ? true : alarm.datapoints_to_alarm >= 1 && floor(alarm.datapoints_to_alarm) == alarm.datapoints_to_alarm)
    )])
    error_message = "custom_metric_alarm_overrides: period 10, 20, 30 or a multiple of 60; evaluation_periods and datapoints_to_alarm whole numbers >= 1 (the module checks their product and order per alarm)."
  }
}

# ---------------------------------------------------------------- the rest

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's) encrypting the operations topic; its key policy lets CloudWatch use it."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "deny_insecure_transport" {
  description = "Refuse topic requests made without TLS. Keep true on AWS; envs/local sets false for the emulator's plain HTTP."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
