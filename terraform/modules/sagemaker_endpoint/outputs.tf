output "sagemaker_endpoint_name" {
  description = "Name of the endpoint (what InvokeEndpoint takes)."
  value       = aws_sagemaker_endpoint.this.name
}

output "sagemaker_endpoint_arn" {
  description = "ARN of the endpoint (the resource of sagemaker:InvokeEndpoint statements)."
  value       = aws_sagemaker_endpoint.this.arn
}

output "sagemaker_model_name" {
  description = "Name of the current model (changes when the image or model data changes)."
  value       = aws_sagemaker_model.this.name
}

output "sagemaker_model_data_url" {
  description = "S3 URL the model loads from: the multi-model prefix or the single bundle."
  value       = aws_sagemaker_model.this.primary_container[0].model_data_url
}

output "iam_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = aws_iam_role.this.arn
}

output "cloudwatch_log_group_name" {
  description = "Log group of the endpoint's containers."
  value       = aws_cloudwatch_log_group.this.name
}
