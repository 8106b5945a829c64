locals {
  tags = merge({ "wattcast:module" = "kinesis_stream" }, var.tags)
}

resource "aws_kinesis_stream" "this" {
  name                = var.name
  shard_count         = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  retention_period    = var.retention_period_hours
  encryption_type     = "KMS"
  kms_key_id          = var.kms_key_arn
  shard_level_metrics = var.shard_level_metrics
  tags                = local.tags

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  lifecycle {
    precondition {
      condition     = (var.stream_mode == "PROVISIONED") == (var.shard_count != null)
      error_message = "shard_count is required for PROVISIONED streams and must be null for ON_DEMAND."
    }
  }
}
