data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags       = merge({ "wattcast:module" = "sagemaker_endpoint", "wattcast:endpoint" = var.endpoint_name }, var.tags)
  serverless = var.serverless_config != null

  # MultiModel: the prefix (TargetModel is relative to it); SingleModel: the one bundle.
  model_data_url = var.model_mode == "MultiModel" ? "s3://${var.models_bucket}/${var.models_prefix}" : "s3://${var.models_bucket}/${var.models_prefix}${coalesce(var.single_model_key, "-")}"

  # Models and endpoint configurations are immutable: a change creates a new one, then swaps.
  model_name  = "${var.endpoint_name}-${substr(sha1(jsonencode([var.image_uri, var.model_mode, local.model_data_url, var.container_environment, var.enable_network_isolation, var.vpc_config])), 0, 8)}"
  config_name = "${var.endpoint_name}-${substr(sha1(jsonencode([local.model_name, var.variant_name, var.instance_type, var.initial_instance_count, var.serverless_config, var.kms_key_arn])), 0, 8)}"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/sagemaker/Endpoints/${var.endpoint_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_sagemaker_model" "this" {
  #checkov:skip=CKV_AWS_370:Isolation is on (var.enable_network_isolation defaults true) for every real-time model; serverless, which does not support it, is the only exception, and checkov cannot evaluate that conditional.
  name                     = local.model_name
  execution_role_arn       = aws_iam_role.this.arn
  enable_network_isolation = var.enable_network_isolation && !local.serverless # serverless excludes it
  tags                     = local.tags

  primary_container {
    image          = var.image_uri
    mode           = var.model_mode
    model_data_url = local.model_data_url
    environment    = var.container_environment
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = (var.model_mode == "SingleModel") == (var.single_model_key != null)
      error_message = "single_model_key is required for SingleModel and must be null for MultiModel."
    }

    precondition {
      condition     = !(local.serverless && var.model_mode == "MultiModel")
      error_message = "Serverless endpoints do not host multi-model containers: use SingleModel or drop serverless_config."
    }

    precondition {
      condition     = !(local.serverless && var.vpc_config != null)
      error_message = "Serverless endpoints do not support VPC configuration: drop vpc_config or serverless_config."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  #checkov:skip=CKV_AWS_98:The KMS key is set for every real-time variant (kms_key_arn); only serverless variants, which have no instance storage volume to encrypt, go without.
  name        = local.config_name
  kms_key_arn = local.serverless ? null : var.kms_key_arn
  tags        = local.tags

  production_variants {
    variant_name           = var.variant_name
    model_name             = aws_sagemaker_model.this.name
    initial_variant_weight = 1
    instance_type          = local.serverless ? null : var.instance_type
    initial_instance_count = local.serverless ? null : var.initial_instance_count

    dynamic "serverless_config" {
      for_each = local.serverless ? [var.serverless_config] : []
      content {
        max_concurrency         = serverless_config.value.max_concurrency
        memory_size_in_mb       = serverless_config.value.memory_size_in_mb
        provisioned_concurrency = serverless_config.value.provisioned_concurrency
      }
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name
  tags                 = local.tags

  depends_on = [aws_cloudwatch_log_group.this]
}

# ---------------------------------------------------------------- autoscaling (real-time only)
resource "aws_appautoscaling_target" "this" {
  count = !local.serverless && var.autoscaling.enabled ? 1 : 0

  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this.name}/variant/${var.variant_name}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "invocations" {
  count = length(aws_appautoscaling_target.this)

  name               = "${var.endpoint_name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.target_invocations_per_instance
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown_seconds
    scale_out_cooldown = var.autoscaling.scale_out_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}
