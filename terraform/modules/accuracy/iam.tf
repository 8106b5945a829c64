# The roles of both functions are the lambda_image_function module's (one statement per access, exact
# ARNs). Here: who may invoke the sweep.

resource "aws_lambda_permission" "drift_sweep" {
  statement_id  = "AllowDriftSweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.sweep.lambda_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.drift_sweep.arn
}
