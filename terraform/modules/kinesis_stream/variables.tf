variable "name" {
  description = "Stream name (Settings.readings_stream or Settings.hourly_stream in the roots)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1-128 of a-z, A-Z, 0-9, '_', '.', '-'."
  }
}

variable "stream_mode" {
  description = "ON_DEMAND (Kinesis scales shards, billed per GB and stream-hour) or PROVISIONED (fixed shard_count)."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Shards of a PROVISIONED stream (1..1000); must be null for ON_DEMAND."
  type        = number
  default     = null

  validation {
    condition     = var.shard_count == null || try(var.shard_count >= 1 && var.shard_count <= 1000 && floor(var.shard_count) == var.shard_count, false)
    error_message = "shard_count must be a whole number 1..1000 (or null for ON_DEMAND)."
  }
}

variable "retention_period_hours" {
  description = "How long records stay readable (24..8760 hours). Keep it above the mappings' maximum record age."
  type        = number
  default     = 24

  validation {
    condition     = var.retention_period_hours >= 24 && var.retention_period_hours <= 8760 && floor(var.retention_period_hours) == var.retention_period_hours
    error_message = "retention_period_hours must be a whole number 24..8760."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the stream at rest."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "shard_level_metrics" {
  description = "Enhanced shard-level CloudWatch metrics to enable (billed per shard), e.g. [\"IteratorAgeMilliseconds\"]."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([for m in var.shard_level_metrics : contains([
      "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
      "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL",
    ], m)])
    error_message = "shard_level_metrics holds Kinesis shard-level metric names only."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
