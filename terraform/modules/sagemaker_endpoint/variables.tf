variable "endpoint_name" {
  description = "Endpoint name (Settings.forecaster_endpoint in the roots); also names the model, role and log group."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,53}$", var.endpoint_name))
    error_message = "endpoint_name must be 1-54 of a-z, A-Z, 0-9 and inner '-' (the model name adds a 9-character suffix)."
  }
}

variable "image_uri" {
  description = "ECR URI of the forecaster (BYOC) image with an immutable tag or digest."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or a sha256 digest."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the repository holding image_uri; the execution role may pull from it only."
  type        = string

  validation {
    condition     = startswith(var.ecr_repository_arn, "arn:") && strcontains(var.ecr_repository_arn, ":repository/")
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "model_mode" {
  description = "MultiModel: the endpoint loads any model.tar.gz under the models prefix on demand (TargetModel). SingleModel: one bundle, single_model_key."
  type        = string
  default     = "MultiModel"

  validation {
    condition     = contains(["MultiModel", "SingleModel"], var.model_mode)
    error_message = "model_mode must be MultiModel or SingleModel."
  }
}

variable "models_bucket" {
  description = "Name of the bucket holding the model bundles (Settings.data_bucket)."
  type        = string
}

variable "models_prefix" {
  description = "Key prefix of the model bundles (Settings.models_prefix); the execution role reads under it only."
  type        = string
  default     = "models/"

  validation {
    condition     = endswith(var.models_prefix, "/")
    error_message = "models_prefix must end with '/'."
  }
}

variable "single_model_key" {
  description = "SingleModel only: key of the model.tar.gz under models_prefix, e.g. \"lstm/v1.tar.gz\"."
  type        = string
  default     = null

  validation {
    condition     = var.single_model_key == null || try(endswith(var.single_model_key, ".tar.gz"), false)
    error_message = "single_model_key must name a .tar.gz bundle."
  }
}

variable "container_environment" {
  description = "Environment of the serving container (e.g. gunicorn workers, log level)."
  type        = map(string)
  default     = {}
}

variable "enable_network_isolation" {
  description = "Run the container without network access (models still load from S3 through SageMaker). Ignored with serverless_config, which does not support it."
  type        = bool
  default     = true
}

variable "variant_name" {
  description = "Name of the production variant (the autoscaling target)."
  type        = string
  default     = "AllTraffic"
}

variable "instance_type" {
  description = "Real-time instance type (billed per instance-hour even when idle), e.g. ml.m5.large; ignored with serverless_config."
  type        = string
  default     = "ml.m5.large"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9-]+\\.(medium|large|[0-9]*xlarge)$", var.instance_type))
    error_message = "instance_type must look like ml.<family>.<size>, e.g. ml.m5.large."
  }
}

variable "initial_instance_count" {
  description = "Instances at creation (1..20); autoscaling moves it between its min and max."
  type        = number
  default     = 1

  validation {
    condition     = var.initial_instance_count >= 1 && var.initial_instance_count <= 20 && floor(var.initial_instance_count) == var.initial_instance_count
    error_message = "initial_instance_count must be a whole number 1..20."
  }
}

variable "serverless_config" {
  description = "Serverless inference instead of instances. SingleModel only, and without vpc_config or network isolation: serverless endpoints support none of them. null = real-time instances."
  type = object({
    max_concurrency         = number
    memory_size_in_mb       = number
    provisioned_concurrency = optional(number)
  })
  default = null

  validation {
    condition = var.serverless_config == null || try(
      var.serverless_config.max_concurrency >= 1 && var.serverless_config.max_concurrency <= 200 &&
      contains([1024, 2048, 3072, 4096, 5120, 6144], var.serverless_config.memory_size_in_mb),
    false)
    error_message = "serverless_config: max_concurrency 1..200, memory_size_in_mb one of 1024, 2048, ... 6144."
  }
}

variable "autoscaling" {
  description = "Target tracking on SageMakerVariantInvocationsPerInstance (real-time endpoints only)."
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number, 1)
    max_capacity                    = optional(number, 2)
    target_invocations_per_instance = optional(number, 100)
    scale_in_cooldown_seconds       = optional(number, 300)
    scale_out_cooldown_seconds      = optional(number, 60)
  })
  default = {}

  validation {
    condition = (
      var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity &&
      var.autoscaling.max_capacity <= 20 && var.autoscaling.target_invocations_per_instance > 0 &&
      var.autoscaling.scale_in_cooldown_seconds >= 0 && var.autoscaling.scale_out_cooldown_seconds >= 0
    )
    error_message = "autoscaling: 1 <= min_capacity <= max_capacity <= 20, target > 0, cooldowns >= 0."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN: encrypts the instances' storage volume and the endpoint's log group; the role may decrypt model bundles with it."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:") && strcontains(var.kms_key_arn, ":key/")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "vpc_config" {
  description = "Optional VPC placement of the model containers."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "log_retention_days" {
  description = "Retention of /aws/sagemaker/Endpoints/<name>, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values."
  }
}

variable "tags" {
  description = "Tags merged over the module's default tags."
  type        = map(string)
  default     = {}
}
