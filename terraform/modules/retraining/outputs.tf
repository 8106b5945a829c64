output "sfn_state_machine_arn" {
  description = "ARN of the retraining state machine (aws stepfunctions start-execution --state-machine-arn ... runs it now)."
  value       = aws_sfn_state_machine.retraining.arn
}

output "sfn_state_machine_name" {
  description = "Name of the retraining state machine."
  value       = aws_sfn_state_machine.retraining.name
}

output "scheduler_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that starts it."
  value       = aws_scheduler_schedule.retraining.name
}

output "training_iam_role_arn" {
  description = "ARN of the training jobs' execution role."
  value       = aws_iam_role.training.arn
}

output "retraining_cloudwatch_metric_alarm_names" {
  description = "The failed and timed-out alarms of the flow."
  value       = sort([for alarm in aws_cloudwatch_metric_alarm.retraining : alarm.alarm_name])
}
