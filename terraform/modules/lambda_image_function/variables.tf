variable "function_name" {
  description = "Function name (Settings.ingest_function, preprocess_function, alerts_function or statements_function where a Settings field names it)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 of a-z, A-Z, 0-9, '_', '-'."
  }
}

variable "description" {
  description = "Human description of the function."
  type        = string
  default     = ""
}

variable "image_uri" {
  description = "ECR image URI with an immutable tag or digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "image_command" {
  description = "Handler the runtime interface client runs (the image CMD), e.g. [\"services.ingest.handler.lambda_handler\"]; null keeps the image's CMD."
  type        = list(string)
  default     = null
}

variable "architecture" {
  description = "Instruction set of the image: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (128..10240); CPU scales with it."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number 128..10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1..900)."
  type        = number

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number 1..900."
  }
}

variable "environment" {
  description = "Environment variables of the function (WATTCAST_* names from Settings.env_names())."
  type        = map(string)
  default     = {}
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency: -1 leaves the function unreserved, 0 stops it, N reserves and caps N. Kinesis mappings already bound concurrency to shards x parallelization factor."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be a whole number >= -1."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN encrypting the environment variables and the log group; the role may also use it for the stores it encrypts."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "vpc_config" {
  description = "Optional VPC placement (needs VPC endpoints or NAT for Kinesis, S3, DynamoDB, SQS, SageMaker runtime)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "event_source_mappings" {
  description = "Kinesis event source mappings by key. Defaults are those of scripts/local/mappings.py EventSourceMapping; the roots pass the Settings values."
  type = map(object({
    event_source_arn                   = string
    batch_size                         = optional(number, 100)
    maximum_batching_window_in_seconds = optional(number, 0)
    parallelization_factor             = optional(number, 1)
    starting_position                  = optional(string, "TRIM_HORIZON")
    starting_position_timestamp        = optional(string)
    report_batch_item_failures         = optional(bool, true)
    bisect_batch_on_function_error     = optional(bool, false)
    maximum_retry_attempts             = optional(number, -1)
    maximum_record_age_in_seconds      = optional(number, -1)
    on_failure_destination_arn         = optional(string)
    tumbling_window_in_seconds         = optional(number)
    enabled                            = optional(bool, true)
  }))
  default = {}

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.batch_size >= 1 && m.batch_size <= 10000])
    error_message = "batch_size must be 1..10000."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_batching_window_in_seconds >= 0 && m.maximum_batching_window_in_seconds <= 300 && floor(m.maximum_batching_window_in_seconds) == m.maximum_batching_window_in_seconds])
    error_message = "maximum_batching_window_in_seconds must be a whole number 0..300."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.parallelization_factor >= 1 && m.parallelization_factor <= 10])
    error_message = "parallelization_factor must be 1..10."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : contains(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"], m.starting_position)])
    error_message = "starting_position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : (m.starting_position == "AT_TIMESTAMP") == (m.starting_position_timestamp != null)])
    error_message = "starting_position_timestamp (RFC 3339) is required with AT_TIMESTAMP and only then."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_retry_attempts >= -1 && m.maximum_retry_attempts <= 10000])
    error_message = "maximum_retry_attempts must be -1 (infinite) or 0..10000."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_record_age_in_seconds == -1 || (m.maximum_record_age_in_seconds >= 60 && m.maximum_record_age_in_seconds <= 604800)])
    error_message = "maximum_record_age_in_seconds must be -1 (infinite) or 60..604800."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.tumbling_window_in_seconds == null || try(m.tumbling_window_in_seconds >= 0 && m.tumbling_window_in_seconds <= 900, false)])
    error_message = "tumbling_window_in_seconds must be 0..900 when set."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.on_failure_destination_arn == null || try(strcontains(m.on_failure_destination_arn, ":sqs:"), false)])
    error_message = "on_failure_destination_arn must be an SQS queue ARN (the role is granted sqs:SendMessage on it)."
  }
}

# ---------------------------------------------------------------- what the role may touch (exact ARNs)

variable "kinesis_put_stream_arns" {
  description = "Streams the function puts records on. Mapping sources are granted read access automatically."
  type        = list(string)
  default     = []
}

variable "dynamodb_read_table_arns" {
  description = "Tables the function reads (GetItem, BatchGetItem, Query)."
  type        = list(string)
  default     = []
}

variable "dynamodb_write_table_arns" {
  description = "Tables the function writes (PutItem, UpdateItem, BatchWriteItem)."
  type        = list(string)
  default     = []
}

variable "dynamodb_scan_table_arns" {
  description = "Tables the function scans whole (dynamodb:Scan); reading by key is dynamodb_read_table_arns."
  type        = list(string)
  default     = []
}

variable "s3_write_prefixes" {
  description = "Bucket prefixes the function writes objects under: bucket ARN and key prefix (\"raw/\")."
  type = list(object({
    bucket_arn = string
    prefix     = string
  }))
  default = []
}

variable "s3_read_prefixes" {
  description = "Bucket prefixes the function reads objects under: bucket ARN and key prefix."
  type = list(object({
    bucket_arn = string
    prefix     = string
  }))
  default = []
}

variable "sqs_send_queue_arns" {
  description = "Queues the function sends to (with GetQueueUrl). Mapping on-failure destinations are added automatically."
  type        = list(string)
  default     = []
}

variable "sqs_read_queue_arns" {
  description = "Queues whose depth the function reads (sqs:GetQueueUrl, GetQueueAttributes); sending is sqs_send_queue_arns."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.sqs_read_queue_arns : startswith(arn, "arn:") && strcontains(arn, ":sqs:")])
    error_message = "sqs_read_queue_arns must hold SQS queue ARNs."
  }
}

variable "sagemaker_endpoint_arns" {
  description = "SageMaker endpoints the function invokes (sagemaker:InvokeEndpoint)."
  type        = list(string)
  default     = []
}

variable "sns_publish_topic_arns" {
  description = "SNS topics the function publishes to (sns:Publish); an encrypted topic's key goes in kms_key_arn or kms_key_arns."
  type        = list(string)
  default     = []
}

variable "ssm_read_parameter_arns" {
  description = "SSM parameters the function reads (ssm:GetParameter), e.g. the model pointers; String parameters need no key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.ssm_read_parameter_arns : startswith(arn, "arn:") && strcontains(arn, ":parameter/")])
    error_message = "ssm_read_parameter_arns must hold SSM parameter ARNs."
  }
}

variable "cloudwatch_read_metrics" {
  description = "Let the function read CloudWatch metric statistics (cloudwatch:GetMetricStatistics, which supports no resource-level permissions or conditions: Resource \"*\")."
  type        = bool
  default     = false
}

variable "kms_key_arns" {
  description = "Extra KMS keys protecting the stores above (Decrypt, GenerateDataKey); kms_key_arn is always included."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
