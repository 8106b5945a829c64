output "accuracy_lambda_function_name" {
  description = "Name of the scoring function (the forecasted stream's consumer)."
  value       = module.accuracy.lambda_function_name
}

output "accuracy_lambda_function_arn" {
  description = "ARN of the scoring function."
  value       = module.accuracy.lambda_function_arn
}

output "accuracy_lambda_event_source_mapping_uuids" {
  description = "Event source mapping UUIDs of the scoring function by mapping key (forecasted)."
  value       = module.accuracy.lambda_event_source_mapping_uuids
}

output "sweep_lambda_function_name" {
  description = "Name of the drift sweep function (invoke it with {\"sweep\": \"drift\"} to run a sweep now)."
  value       = module.sweep.lambda_function_name
}

output "sweep_lambda_function_arn" {
  description = "ARN of the drift sweep function."
  value       = module.sweep.lambda_function_arn
}

output "drift_sweep_cloudwatch_event_rule_name" {
  description = "EventBridge rule that runs the drift sweep."
  value       = aws_cloudwatch_event_rule.drift_sweep.name
}
