# Names default to the defaults of services/core/settings.py (tests/unit/test_terraform.py checks it).

variable "data_bucket" {
  description = "S3 bucket for the raw archive, parked dead letters and model bundles (Settings.data_bucket). Bucket names are global: override it on AWS."
  type        = string
  default     = "wattcast-data"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket))
    error_message = "data_bucket must be a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')."
  }
}

variable "raw_prefix" {
  description = "Key prefix of the raw reading archive written by ingest (Settings.raw_prefix)."
  type        = string
  default     = "raw/"

  validation {
    condition     = endswith(var.raw_prefix, "/")
    error_message = "raw_prefix must end with '/'."
  }
}

variable "dead_letter_prefix" {
  description = "Key prefix where ingest parks rejected records too large for SQS (Settings.dead_letter_prefix)."
  type        = string
  default     = "dead-letter/"

  validation {
    condition     = endswith(var.dead_letter_prefix, "/")
    error_message = "dead_letter_prefix must end with '/'."
  }
}

variable "models_prefix" {
  description = "Key prefix of the model bundles the forecaster endpoint loads (Settings.models_prefix)."
  type        = string
  default     = "models/"

  validation {
    condition     = endswith(var.models_prefix, "/")
    error_message = "models_prefix must end with '/'."
  }
}

variable "hourly_table" {
  description = "DynamoDB table of hourly aggregates, keys household_id + hour (Settings.hourly_table)."
  type        = string
  default     = "wattcast-hourly"
}

variable "households_table" {
  description = "DynamoDB table of per-household state, key household_id (Settings.households_table)."
  type        = string
  default     = "wattcast-households"
}

variable "forecasts_table" {
  description = "DynamoDB table of forecasts, keys household_id + forecast_key, TTL expires_at (Settings.forecasts_table)."
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

variable "accuracy_table" {
  description = "DynamoDB table of forecast scores and rolling errors, keys household_id + score_key, TTL expires_at (Settings.accuracy_table)."
  type        = string
  default     = "wattcast-accuracy"
}

variable "model_pointer_prefix" {
  description = "SSM path of the model pointers, <prefix>lstm and <prefix>prophet-default (Settings.model_pointer_prefix); empty creates none."
  type        = string
  default     = "/wattcast/models/"

  validation {
    condition     = var.model_pointer_prefix == "" || can(regex("^(/[a-zA-Z0-9_.-]+)+/$", var.model_pointer_prefix))
    error_message = "model_pointer_prefix must be empty or an SSM path such as /wattcast/models/ (starting and ending with '/')."
  }
}

variable "lstm_target_model" {
  description = "The first LSTM champion, a bundle key under models_prefix (Settings.lstm_target_model): the lstm pointer's initial value."
  type        = string
  default     = "lstm/default.tar.gz"

  validation {
    condition     = endswith(var.lstm_target_model, ".tar.gz")
    error_message = "lstm_target_model must name a .tar.gz bundle."
  }
}

variable "prophet_default_model" {
  description = "The first fleet-wide Prophet champion, a bundle key under models_prefix (Settings.prophet_default_model): the prophet-default pointer's initial value."
  type        = string
  default     = "prophet/default.tar.gz"

  validation {
    condition     = endswith(var.prophet_default_model, ".tar.gz")
    error_message = "prophet_default_model must name a .tar.gz bundle."
  }
}

variable "dead_letter_queue" {
  description = "SQS queue receiving rejected readings with their reason (Settings.dead_letter_queue)."
  type        = string
  default     = "wattcast-dead-letter"
}

variable "stream_failures_queue" {
  description = "SQS queue that is the on-failure destination of the event source mappings (Settings.stream_failures_queue)."
  type        = string
  default     = "wattcast-stream-failures"
}

variable "ecr_repositories" {
  description = "ECR repositories to create, by name. lambda_pull lets the Lambda service pull images of this account's functions; keep_tagged_images is how many tagged images the lifecycle policy keeps."
  type = map(object({
    lambda_pull        = optional(bool, false)
    keep_tagged_images = optional(number, 30)
  }))
  default = {
    "wattcast-ingest"     = { lambda_pull = true }
    "wattcast-preprocess" = { lambda_pull = true }
    "wattcast-forecaster" = {}
    "wattcast-portal"     = { lambda_pull = true }
    "wattcast-accuracy"   = { lambda_pull = true }
    "wattcast-trainer"    = {}
  }

  validation {
    condition     = alltrue([for name, repo in var.ecr_repositories : can(regex("^[a-z0-9][a-z0-9._/-]{1,255}$", name)) && repo.keep_tagged_images >= 1])
    error_message = "ECR repository names must be lower case (a-z, 0-9, . _ - /) and keep_tagged_images >= 1."
  }
}

variable "raw_archive_lifecycle" {
  description = "Lifecycle of the raw archive prefix: days before Standard-IA and Glacier Instant Retrieval, and optional expiry (null keeps objects forever; training reads the archive)."
  type = object({
    standard_ia_after_days  = optional(number, 30)
    glacier_ir_after_days   = optional(number, 90)
    expire_after_days       = optional(number)
    noncurrent_expire_after = optional(number, 30)
  })
  default = {}

  validation {
    condition = (
      var.raw_archive_lifecycle.standard_ia_after_days >= 30 &&
      var.raw_archive_lifecycle.glacier_ir_after_days >= var.raw_archive_lifecycle.standard_ia_after_days + 30 &&
      var.raw_archive_lifecycle.noncurrent_expire_after >= 1
    )
    error_message = "standard_ia_after_days must be >= 30 (an S3 minimum), glacier_ir_after_days >= standard_ia_after_days + 30, noncurrent_expire_after >= 1."
  }

  validation {
    condition     = var.raw_archive_lifecycle.expire_after_days == null || try(var.raw_archive_lifecycle.expire_after_days > var.raw_archive_lifecycle.glacier_ir_after_days, false)
    error_message = "expire_after_days, when set, must be later than glacier_ir_after_days."
  }
}

variable "dead_letter_expire_after_days" {
  description = "Days before parked dead-letter objects (the dead_letter_prefix) expire."
  type        = number
  default     = 90

  validation {
    condition     = var.dead_letter_expire_after_days >= 1 && floor(var.dead_letter_expire_after_days) == var.dead_letter_expire_after_days
    error_message = "dead_letter_expire_after_days must be a whole number >= 1."
  }
}

variable "queue_message_retention_seconds" {
  description = "How long both SQS queues keep a message (60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.queue_message_retention_seconds >= 60 && var.queue_message_retention_seconds <= 1209600
    error_message = "queue_message_retention_seconds must be 60..1209600."
  }
}

variable "deletion_protection" {
  description = "Protect the DynamoDB tables against deletion and keep a non-empty bucket / repository on destroy. Set false (and apply) before `terraform destroy` of a throw-away environment."
  type        = bool
  default     = true
}

variable "deny_insecure_transport" {
  description = "Deny S3 and SQS requests made without TLS. Keep true on AWS; envs/local sets false because the emulator it targets speaks plain HTTP on loopback, and an emulator that evaluates bucket policies (moto) would refuse every call."
  type        = bool
  default     = true
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the data key is deleted after destroy (7..30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be 7..30."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags on every resource."
  type        = map(string)
  default     = {}
}
