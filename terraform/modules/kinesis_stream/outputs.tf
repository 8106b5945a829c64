output "kinesis_stream_name" {
  description = "Name of the stream."
  value       = aws_kinesis_stream.this.name
}

output "kinesis_stream_arn" {
  description = "ARN of the stream (event source of a mapping, resource of IAM statements)."
  value       = aws_kinesis_stream.this.arn
}

output "producer_policy_json" {
  description = "IAM policy JSON that lets a meter client put records on this stream."
  value       = data.aws_iam_policy_document.producer.json
}

output "consumer_policy_json" {
  description = "IAM policy JSON that lets a consumer read this stream."
  value       = data.aws_iam_policy_document.consumer.json
}
