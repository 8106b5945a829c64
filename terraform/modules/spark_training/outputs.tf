output "emrserverless_application_id" {
  description = "ID of the EMR Serverless application (aws emr-serverless start-job-run --application-id ...)."
  value       = aws_emrserverless_application.spark.id
}

output "emrserverless_application_arn" {
  description = "ARN of the EMR Serverless application."
  value       = aws_emrserverless_application.spark.arn
}

output "job_iam_role_arn" {
  description = "ARN of the job runs' runtime role (start-job-run --execution-role-arn)."
  value       = aws_iam_role.job.arn
}

output "ecr_repository_url" {
  description = "URL of the job image's repository (docker push <url>:<tag>, then apply with that image_tag)."
  value       = aws_ecr_repository.spark.repository_url
}

output "sfn_state_machine_arn" {
  description = "ARN of the training state machine (aws stepfunctions start-execution --state-machine-arn ... trains now, on every day before today's UTC date)."
  value       = aws_sfn_state_machine.spark_training.arn
}

output "scheduler_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that starts it."
  value       = aws_scheduler_schedule.spark_training.name
}

output "job_arguments" {
  description = "The job's entry point and arguments as the state machine passes them (--train-end <date> follows)."
  value       = { entry_point = local.entry_point, arguments = local.job_arguments, spark_submit_parameters = local.spark_submit_parameters }
}

output "spark_training_cloudwatch_metric_alarm_names" {
  description = "The failed and timed-out alarms of the flow."
  value       = sort([for alarm in aws_cloudwatch_metric_alarm.spark_training : alarm.alarm_name])
}
