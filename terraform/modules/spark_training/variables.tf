# Names named after a field of services/core/settings.py default to that field's default.

variable "name" {
  description = "Names the EMR Serverless application, the state machine, the schedule, the roles and the alarms, and prefixes the job runs: lower case, at most 40 characters (the roles add up to 10)."
  type        = string
  default     = "wattcast-spark-training"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9])*$", var.name)) && length(var.name) <= 40
    error_message = "name must be 1-40 of a-z, 0-9 and inner single '-'."
  }
}

# ---------------------------------------------------------------- the application

variable "release_label" {
  description = "EMR release of the application, emr-7.<minor>.<patch> (Spark 3.5): docker/spark.Dockerfile's BASE_IMAGE must be the same release's EMR Serverless image."
  type        = string
  default     = "emr-7.5.0"

  validation {
    condition     = can(regex("^emr-7\\.[0-9]{1,2}\\.[0-9]+$", var.release_label))
    error_message = "release_label must be an EMR 7 release label, e.g. emr-7.5.0."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers, X86_64 or ARM64: the image must be built for it."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.architecture)
    error_message = "architecture must be X86_64 or ARM64."
  }
}

variable "maximum_capacity" {
  description = "The most the application may hold at once across its workers (EMR Serverless's units: \"<n> vCPU\", \"<n> GB\"); it caps the cost of a night. Disk is optional (20 GB per worker by default)."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string)
  })
  default = { cpu = "16 vCPU", memory = "64 GB", disk = "320 GB" }

  validation {
    condition = (
      can(regex("^[1-9][0-9]* ?vCPU$", var.maximum_capacity.cpu)) &&
      can(regex("^[1-9][0-9]* ?GB$", var.maximum_capacity.memory)) &&
      (var.maximum_capacity.disk == null || can(regex("^[1-9][0-9]* ?GB$", coalesce(var.maximum_capacity.disk, "1 GB"))))
    )
    error_message = "maximum_capacity is { cpu = \"<n> vCPU\", memory = \"<n> GB\", disk = \"<n> GB\" (optional) }."
  }
}

variable "idle_timeout_minutes" {
  description = "The application stops after this many idle minutes (1..10080); it starts again with the next job run."
  type        = number
  default     = 15

  validation {
    condition     = var.idle_timeout_minutes >= 1 && var.idle_timeout_minutes <= 10080 && floor(var.idle_timeout_minutes) == var.idle_timeout_minutes
    error_message = "idle_timeout_minutes must be a whole number 1..10080."
  }
}

variable "repository_name" {
  description = "ECR repository of the job's image (docker/spark.Dockerfile), created here."
  type        = string
  default     = "wattcast-spark"

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be a valid ECR repository name (lower case)."
  }
}

variable "image_tag" {
  description = "Tag of the pushed image in repository_name (immutable). Null: the application uses EMR's own image, which has no Prophet, so job runs fail until a tag is set (push the image first, then apply with it)."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", coalesce(var.image_tag, "-")))
    error_message = "image_tag must be null or a Docker tag."
  }
}

variable "keep_images" {
  description = "Tagged images the repository keeps (1..1000); older ones expire."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_images >= 1 && var.keep_images <= 1000 && floor(var.keep_images) == var.keep_images
    error_message = "keep_images must be a whole number 1..1000."
  }
}

variable "force_delete" {
  description = "Let destroy delete the repository with its images (the root passes !deletion_protection)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- the job

variable "input" {
  description = "What the scheduled job reads: raw-archive (ingest's gzipped JSON lines under raw_prefix, deduplicated and aggregated to the hours as ingest stores them) or parquet (an export of the hourly table under parquet_prefix, `wattcast data export-parquet`)."
  type        = string
  default     = "raw-archive"

  validation {
    condition     = contains(["raw-archive", "parquet"], var.input)
    error_message = "input must be raw-archive or parquet."
  }
}

variable "executor_cores" {
  description = "Cores per Spark executor (1, 2, 4, 8 or 16: EMR Serverless's worker sizes)."
  type        = number
  default     = 4

  validation {
    condition     = contains([1, 2, 4, 8, 16], var.executor_cores)
    error_message = "executor_cores must be 1, 2, 4, 8 or 16."
  }
}

variable "executor_memory" {
  description = "Memory per Spark executor, e.g. 14g (EMR Serverless allows 2-8 GB per vCPU, and adds 10 % overhead)."
  type        = string
  default     = "14g"

  validation {
    condition     = can(regex("^[1-9][0-9]*[mg]$", var.executor_memory))
    error_message = "executor_memory must be like 14g or 4096m."
  }
}

variable "spark_partitions" {
  description = "Shuffle partitions of the households' groups (1..100000): about 4 per executor core the job reaches, so a slow partition does not idle the others."
  type        = number
  default     = 64

  validation {
    condition     = var.spark_partitions >= 1 && var.spark_partitions <= 100000 && floor(var.spark_partitions) == var.spark_partitions
    error_message = "spark_partitions must be a whole number 1..100000."
  }
}

variable "max_runtime_minutes" {
  description = "A job run is cancelled after this long (5..1440 minutes); the execution times out an hour later."
  type        = number
  default     = 240

  validation {
    condition     = var.max_runtime_minutes >= 5 && var.max_runtime_minutes <= 1440 && floor(var.max_runtime_minutes) == var.max_runtime_minutes
    error_message = "max_runtime_minutes must be a whole number 5..1440."
  }
}

# ---------------------------------------------------------------- the schedule

variable "schedule_expression" {
  description = "When the fleet is retrained, in UTC (the job trains on every day before the UTC date the execution starts): an EventBridge Scheduler cron(...) or rate(...) expression. Default Sundays 02:00."
  type        = string
  default     = "cron(0 2 ? * SUN *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(...)."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule starts executions (false keeps the flow for manual starts only)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- what the job reads and writes (Settings defaults)

variable "data_bucket" {
  description = "S3 bucket of the raw archive, the export, the bundles and the logs (WATTCAST_DATA_BUCKET)."
  type        = string
  default     = "wattcast-data"
}

variable "raw_prefix" {
  description = "Key prefix of the raw archive ingest writes, dt=YYYY-MM-DD/<shard>/<first>-<last>.jsonl.gz (WATTCAST_RAW_PREFIX); read with input = raw-archive."
  type        = string
  default     = "raw/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.raw_prefix))
    error_message = "raw_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

variable "parquet_prefix" {
  description = "Key prefix of the hourly table's Parquet export (wattcast data export-parquet, copied to S3); read with input = parquet."
  type        = string
  default     = "exports/hourly/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.parquet_prefix))
    error_message = "parquet_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

variable "models_prefix" {
  description = "Key prefix of the bundles (WATTCAST_MODELS_PREFIX); the job writes under <models_prefix><bundles_path> only."
  type        = string
  default     = "models/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.models_prefix))
    error_message = "models_prefix must be a key prefix ending with '/': S3's safe characters but '*', no leading '/'."
  }
}

variable "bundles_path" {
  description = "Where under models_prefix a run writes <household>/model.tar.gz, metrics.json and the run's metrics.json: a folder of its own, so a run never overwrites a served bundle (promotion stays `wattcast models promote`)."
  type        = string
  default     = "prophet-spark/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.bundles_path))
    error_message = "bundles_path must be a key prefix ending with '/'."
  }
}

variable "logs_prefix" {
  description = "Key prefix of the job runs' driver and executor logs (EMR Serverless's S3 monitoring configuration)."
  type        = string
  default     = "logs/spark-training/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*/$", var.logs_prefix))
    error_message = "logs_prefix must be a key prefix ending with '/'."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN (the storage module's): encrypts the repository, the logs, the schedule and the state machine's log group; the archive and the bundles are encrypted with it."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "operations_topic_arn" {
  description = "ARN of the operations topic (the monitoring module's) the failed and timed-out alarms notify."
  type        = string

  validation {
    condition     = startswith(var.operations_topic_arn, "arn:") && strcontains(var.operations_topic_arn, ":sns:")
    error_message = "operations_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_period" {
  description = "Period of the failed and timed-out alarms in seconds (a multiple of 60, up to a day)."
  type        = number
  default     = 3600

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period <= 86400 && var.alarm_period % 60 == 0
    error_message = "alarm_period must be a multiple of 60 between 60 and 86400."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags (also put on the job runs)."
  type        = map(string)
  default     = {}
}
