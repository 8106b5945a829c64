output "kms_key_arn" {
  description = "ARN of the customer managed key that encrypts every Wattcast store."
  value       = aws_kms_key.data.arn
}

output "s3_bucket_id" {
  description = "Name of the data bucket."
  value       = aws_s3_bucket.data.id
}

output "s3_bucket_arn" {
  description = "ARN of the data bucket."
  value       = aws_s3_bucket.data.arn
}

output "s3_bucket_prefixes" {
  description = "Key prefixes of the data bucket by role: raw, dead_letter, models."
  value = {
    raw         = var.raw_prefix
    dead_letter = var.dead_letter_prefix
    models      = var.models_prefix
  }
}

output "dynamodb_table_names" {
  description = "Table names by role: hourly, households, forecasts, settings, alerts, accuracy."
  value       = { for role, table in aws_dynamodb_table.this : role => table.name }
}

output "dynamodb_table_arns" {
  description = "Table ARNs by role: hourly, households, forecasts, settings, alerts, accuracy."
  value       = { for role, table in aws_dynamodb_table.this : role => table.arn }
}

output "sqs_queue_arns" {
  description = "Queue ARNs by role: dead_letter, stream_failures."
  value       = { for role, queue in aws_sqs_queue.this : role => queue.arn }
}

output "sqs_queue_urls" {
  description = "Queue URLs by role: dead_letter, stream_failures."
  value       = { for role, queue in aws_sqs_queue.this : role => queue.url }
}

output "ecr_repository_urls" {
  description = "Repository URLs by repository name (push images here before creating functions and endpoints)."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}

output "ecr_repository_arns" {
  description = "Repository ARNs by repository name."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.arn }
}

output "model_pointer_parameter_names" {
  description = "SSM parameter names of the model pointers by model: lstm, prophet-default (empty without a prefix)."
  value       = { for model, parameter in aws_ssm_parameter.model_pointer : model => parameter.name }
}

output "model_pointer_parameter_arns" {
  description = "SSM parameter ARNs of the model pointers by model: lstm, prophet-default (empty without a prefix)."
  value       = { for model, parameter in aws_ssm_parameter.model_pointer : model => parameter.arn }
}
