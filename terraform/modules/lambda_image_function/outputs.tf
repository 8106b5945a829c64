output "lambda_function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "iam_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "cloudwatch_log_group_name" {
  description = "Log group the function writes to."
  value       = aws_cloudwatch_log_group.this.name
}

output "lambda_event_source_mapping_uuids" {
  description = "Event source mapping UUIDs by mapping key."
  value       = { for key, mapping in aws_lambda_event_source_mapping.this : key => mapping.uuid }
}
