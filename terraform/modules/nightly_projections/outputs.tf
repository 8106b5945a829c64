output "sfn_state_machine_arn" {
  description = "ARN of the nightly projections state machine (aws stepfunctions start-execution --state-machine-arn ... projects now, as of today's UTC date)."
  value       = aws_sfn_state_machine.nightly_projections.arn
}

output "sfn_state_machine_name" {
  description = "Name of the nightly projections state machine."
  value       = aws_sfn_state_machine.nightly_projections.name
}

output "scheduler_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that starts it."
  value       = aws_scheduler_schedule.nightly_projections.name
}

output "processing_iam_role_arn" {
  description = "ARN of the processing jobs' execution role."
  value       = aws_iam_role.processing.arn
}

output "nightly_projections_cloudwatch_metric_alarm_names" {
  description = "The failed and timed-out alarms of the flow."
  value       = sort([for alarm in aws_cloudwatch_metric_alarm.nightly_projections : alarm.alarm_name])
}
