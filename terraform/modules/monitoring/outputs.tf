output "sns_topic_arn" {
  description = "ARN of the operations topic every alarm notifies (WATTCAST_OPERATIONS_TOPIC_ARN; subscribe operators here)."
  value       = aws_sns_topic.operations.arn
}

output "sns_topic_name" {
  description = "Name of the operations topic."
  value       = aws_sns_topic.operations.name
}

output "cloudwatch_metric_alarm_names" {
  description = "Every alarm this module created, sorted."
  value = sort(concat(
    [for alarm in aws_cloudwatch_metric_alarm.custom : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.iterator_age : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.errors : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.throttles : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.queue_messages : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.queue_oldest_message : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_5xx : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.endpoint_latency : alarm.alarm_name],
  ))
}

output "cloudwatch_dashboard_name" {
  description = "Name of the dashboard."
  value       = aws_cloudwatch_dashboard.operations.dashboard_name
}

output "cloudwatch_dashboard_arn" {
  description = "ARN of the dashboard."
  value       = aws_cloudwatch_dashboard.operations.dashboard_arn
}
