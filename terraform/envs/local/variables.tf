# Same names and defaults as services/core/settings.py (and envs/aws): the services, the embedded stack
# and `wattcast stack up --localstack` find these resources without any WATTCAST_* override.

variable "localstack_region" {
  description = "Region LocalStack answers in (any region works; us-east-1 is LocalStack's default)."
  type        = string
  default     = "us-east-1"
}

variable "localstack_endpoint" {
  description = "LocalStack edge endpoint used for every service."
  type        = string
  default     = "http://localhost:4566"
}

variable "tags" {
  description = "Tags merged into every resource's tags."
  type        = map(string)
  default     = {}
}

variable "readings_stream" {
  description = "Kinesis stream the meters publish readings to (WATTCAST_READINGS_STREAM)."
  type        = string
  default     = "wattcast-readings"
}

variable "hourly_stream" {
  description = "Kinesis stream of hour-closed events (WATTCAST_HOURLY_STREAM)."
  type        = string
  default     = "wattcast-hourly"
}

variable "forecasted_stream" {
  description = "Kinesis stream of forecasted-hour events from preprocess to accuracy (WATTCAST_FORECASTED_STREAM)."
  type        = string
  default     = "wattcast-forecasted"
}

variable "readings_shards" {
  description = "Shards of the readings stream (the embedded stack uses 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.readings_shards >= 1 && var.readings_shards <= 16 && floor(var.readings_shards) == var.readings_shards
    error_message = "readings_shards must be a whole number 1..16 locally."
  }
}

variable "data_bucket" {
  description = "S3 bucket for raw archive, dead letters, models (WATTCAST_DATA_BUCKET)."
  type        = string
  default     = "wattcast-data"
}

variable "raw_prefix" {
  description = "Raw archive key prefix (WATTCAST_RAW_PREFIX)."
  type        = string
  default     = "raw/"
}

variable "dead_letter_prefix" {
  description = "Key prefix of parked rejected records (WATTCAST_DEAD_LETTER_PREFIX)."
  type        = string
  default     = "dead-letter/"
}

variable "models_prefix" {
  description = "Key prefix of model bundles (WATTCAST_MODELS_PREFIX)."
  type        = string
  default     = "models/"
}

variable "hourly_table" {
  description = "DynamoDB hourly aggregates table (WATTCAST_HOURLY_TABLE)."
  type        = string
  default     = "wattcast-hourly"
}

variable "households_table" {
  description = "DynamoDB per-household state table (WATTCAST_HOUSEHOLDS_TABLE)."
  type        = string
  default     = "wattcast-households"
}

variable "forecasts_table" {
  description = "DynamoDB forecasts table (WATTCAST_FORECASTS_TABLE)."
  type        = string
  default     = "wattcast-forecasts"
}

variable "settings_table" {
  description = "DynamoDB table of each household's settings (budget, tariff, alert knobs), key household_id (Settings.settings_table)."
  type        = string
  default     = "wattcast-settings"
}

variable "alerts_table" {
  description = "DynamoDB table of household alerts and alert states, keys household_id + alert_key (Settings.alerts_table)."
  type        = string
  default     = "wattcast-alerts"
}

variable "dead_letter_queue" {
  description = "SQS queue of rejected readings (WATTCAST_DEAD_LETTER_QUEUE)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS queue for batches the local mapping runner gives up on (WATTCAST_STREAM_FAILURES_QUEUE)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "accuracy_table" {
  description = "DynamoDB table of forecast scores and rolling errors (WATTCAST_ACCURACY_TABLE)."
  type        = string
  default     = "wattcast-accuracy"
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers <prefix>lstm and <prefix>prophet-default (WATTCAST_MODEL_POINTER_PREFIX)."
  type        = string
  default     = "/wattcast/models/"
}

variable "lstm_target_model" {
  description = "The first LSTM champion, the lstm pointer's initial value (Settings.lstm_target_model)."
  type        = string
  default     = "lstm/default.tar.gz"
}

variable "prophet_default_model" {
  description = "The first fleet-wide Prophet champion, the prophet-default pointer's initial value (Settings.prophet_default_model)."
  type        = string
  default     = "prophet/default.tar.gz"
}

variable "operations_topic" {
  description = "SNS topic of the alarms and drift alerts (WATTCAST_OPERATIONS_TOPIC)."
  type        = string
  default     = "wattcast-operations"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' EMF metrics, which the alarms watch (WATTCAST_METRICS_NAMESPACE)."
  type        = string
  default     = "Wattcast"
}

# The functions and the endpoint run outside the emulator (README); their alarms are created here all
# the same, on their names, so the alarms are the ones AWS gets.

variable "ingest_function" {
  description = "Name of the ingest function (WATTCAST_INGEST_FUNCTION), for its alarms."
  type        = string
  default     = "wattcast-ingest"
}

variable "preprocess_function" {
  description = "Name of the preprocess function (WATTCAST_PREPROCESS_FUNCTION), for its alarms."
  type        = string
  default     = "wattcast-preprocess"
}

variable "alerts_function" {
  description = "Name of the alerts function (WATTCAST_ALERTS_FUNCTION), for its alarms."
  type        = string
  default     = "wattcast-alerts"
}

variable "statements_function" {
  description = "Name of the statements function (WATTCAST_STATEMENTS_FUNCTION), for its alarms."
  type        = string
  default     = "wattcast-statements"
}

variable "accuracy_function" {
  description = "Name of the accuracy function (WATTCAST_ACCURACY_FUNCTION); its drift sweep is <name>-drift-sweep."
  type        = string
  default     = "wattcast-accuracy"
}

variable "portal_function" {
  description = "Name of the household API's function, for its alarms."
  type        = string
  default     = "wattcast-portal"
}

variable "forecaster_endpoint" {
  description = "Name of the forecaster endpoint (WATTCAST_FORECASTER_ENDPOINT), for its alarms."
  type        = string
  default     = "wattcast-forecaster"
}
