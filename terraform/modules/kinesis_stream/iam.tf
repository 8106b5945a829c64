# Least-privilege policy documents for the stream's clients (meter publishers, consumers outside this
# stack). The Lambda module builds its own from the stream ARN.

data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "PutRecords"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
    resources = [aws_kinesis_stream.this.arn]
  }

  statement {
    sid       = "EncryptWithStreamKey"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

data "aws_iam_policy_document" "consumer" {
  statement {
    sid = "ReadShards"
    actions = [
      "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
      "kinesis:GetShardIterator", "kinesis:ListShards",
    ]
    resources = [aws_kinesis_stream.this.arn]
  }

  statement {
    sid       = "DecryptWithStreamKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}
