data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "storage" }, var.tags)

  # Keys exactly as scripts/local/tables.py declares them (all of type S).
  tables = {
    hourly     = { name = var.hourly_table, hash_key = "household_id", range_key = "hour", ttl_attribute = null }
    households = { name = var.households_table, hash_key = "household_id", range_key = null, ttl_attribute = null }
    forecasts  = { name = var.forecasts_table, hash_key = "household_id", range_key = "forecast_key", ttl_attribute = "expires_at" }
    settings   = { name = var.settings_table, hash_key = "household_id", range_key = null, ttl_attribute = null }
    alerts     = { name = var.alerts_table, hash_key = "household_id", range_key = "alert_key", ttl_attribute = null }
    accuracy   = { name = var.accuracy_table, hash_key = "household_id", range_key = "score_key", ttl_attribute = "expires_at" }
  }

  # The model pointers: <model_pointer_prefix><name> holds the champion bundle (a key under models_prefix)
  # and the ones it replaced. None when the prefix is empty (the services then ask for the settings'
  # target models directly).
  model_pointers = var.model_pointer_prefix == "" ? {} : {
    lstm              = var.lstm_target_model
    "prophet-default" = var.prophet_default_model
  }

  queues = {
    dead_letter     = var.dead_letter_queue
    stream_failures = var.stream_failures_queue
  }
}

# ---------------------------------------------------------------- the one data key
resource "aws_kms_key" "data" {
  description             = "Wattcast data: streams, bucket, tables, queues, images, logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "data" {
  name          = "alias/${replace(var.data_bucket, ".", "-")}" # aliases allow no dots
  target_key_id = aws_kms_key.data.key_id
}

# ---------------------------------------------------------------- S3 bucket
resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second, log-only bucket; CloudTrail data events are the audit path for this bucket.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; the raw archive can be replayed from the meters' source and tables have PITR. Add replication per environment when required.
  #checkov:skip=CKV2_AWS_62:No consumer of bucket events: ingest writes, training lists the prefixes.
  bucket        = var.data_bucket
  force_destroy = !var.deletion_protection
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "data" {
  count = var.deny_insecure_transport ? 1 : 0

  bucket     = aws_s3_bucket.data.id
  policy     = data.aws_iam_policy_document.bucket[0].json
  depends_on = [aws_s3_bucket_public_access_block.data]
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket     = aws_s3_bucket.data.id
  depends_on = [aws_s3_bucket_versioning.data]

  rule {
    id     = "raw-archive"
    status = "Enabled"

    filter {
      prefix = var.raw_prefix
    }

    transition {
      days          = var.raw_archive_lifecycle.standard_ia_after_days
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = var.raw_archive_lifecycle.glacier_ir_after_days
      storage_class = "GLACIER_IR"
    }

    dynamic "expiration" {
      for_each = var.raw_archive_lifecycle.expire_after_days == null ? [] : [var.raw_archive_lifecycle.expire_after_days]
      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.raw_archive_lifecycle.noncurrent_expire_after
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "dead-letters"
    status = "Enabled"

    filter {
      prefix = var.dead_letter_prefix
    }

    expiration {
      days = var.dead_letter_expire_after_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "bucket-hygiene"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# ---------------------------------------------------------------- DynamoDB
resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name                        = each.value.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = each.value.hash_key
    type = "S"
  }

  dynamic "attribute" {
    for_each = each.value.range_key == null ? [] : [each.value.range_key]
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }

  tags = merge(local.tags, { "wattcast:table" = each.key })
}

# ---------------------------------------------------------------- SSM: the model pointers
# Created with the first champion; promotion (the trainer, or an operator) rewrites the value outside
# Terraform, so a later apply never puts an old champion back.
resource "aws_ssm_parameter" "model_pointer" {
  #checkov:skip=CKV2_AWS_34:A pointer names a public bundle key under the models prefix, not a secret; readers (preprocess, accuracy, the trainer) call GetParameter without decryption, so a String parameter keeps the key out of their path.
  for_each = local.model_pointers

  name        = "${var.model_pointer_prefix}${each.key}"
  description = "Champion ${each.key} bundle (a key under ${var.models_prefix}) and the ones it replaced; promotion rewrites it"
  type        = "String"
  tier        = "Standard"
  value       = jsonencode({ champion = each.value, previous = [] })
  tags        = merge(local.tags, { "wattcast:model" = each.key })

  # The trainer writes both when it promotes (services/core/model_pointer.py SsmPointers.put).
  lifecycle {
    ignore_changes = [value, description]
  }
}

# ---------------------------------------------------------------- SQS
resource "aws_sqs_queue" "this" {
  for_each = local.queues

  name                              = each.value
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.data.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(local.tags, { "wattcast:queue" = each.key })
}

resource "aws_sqs_queue_policy" "this" {
  for_each = var.deny_insecure_transport ? local.queues : {}

  queue_url = aws_sqs_queue.this[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# ---------------------------------------------------------------- ECR
resource "aws_ecr_repository" "this" {
  for_each = var.ecr_repositories

  name                 = each.key
  image_tag_mutability = "IMMUTABLE"
  force_delete         = !var.deletion_protection

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.data.arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = var.ecr_repositories

  repository = aws_ecr_repository.this[each.key].name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest tagged images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = each.value.keep_tagged_images }
        action       = { type = "expire" }
      },
    ]
  })
}

resource "aws_ecr_repository_policy" "lambda_pull" {
  for_each = { for name, repo in var.ecr_repositories : name => repo if repo.lambda_pull }

  repository = aws_ecr_repository.this[each.key].name
  policy     = data.aws_iam_policy_document.lambda_pull.json
}
