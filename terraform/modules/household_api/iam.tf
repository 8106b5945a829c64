# The roles of both functions are the lambda_image_function module's (one statement per access, exact
# ARNs). Here: who may invoke them, and the topic's resource policy.

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHouseholdApi"
  action        = "lambda:InvokeFunction"
  function_name = module.portal.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.api.execution_arn}/*/*"
}

resource "aws_lambda_permission" "silent_sweep" {
  statement_id  = "AllowSilentSweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.alerts.lambda_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.silent_sweep.arn
}

# The alerts function publishes through its role (same account); the topic refuses requests without TLS.
resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
