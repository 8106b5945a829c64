output "api_endpoint" {
  description = "Invoke URL of the HTTP API ($default stage): <api_endpoint>/households/<id>/summary."
  value       = aws_apigatewayv2_api.api.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.api.id
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API (the prefix of its invoke permissions)."
  value       = aws_apigatewayv2_api.api.execution_arn
}

output "user_pool_id" {
  description = "ID of the Cognito user pool of households and operators."
  value       = aws_cognito_user_pool.user_pool.id
}

output "user_pool_arn" {
  description = "ARN of the Cognito user pool."
  value       = aws_cognito_user_pool.user_pool.arn
}

output "user_pool_client_id" {
  description = "ID of the app client (no secret): the audience of the API's tokens."
  value       = aws_cognito_user_pool_client.user_pool_client.id
}

output "user_pool_issuer_url" {
  description = "Issuer of the pool's tokens, https://cognito-idp.<region>.amazonaws.com/<pool id> (the JWT authorizer's issuer)."
  value       = local.issuer_url
}

output "operators_group_name" {
  description = "Cognito group whose members read every household."
  value       = aws_cognito_user_group.operators.name
}

output "alerts_topic_arn" {
  description = "ARN of the SNS topic new alerts are announced on (subscribe here)."
  value       = aws_sns_topic.alerts.arn
}

output "access_log_group_name" {
  description = "Log group of the API's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "portal_lambda_function_name" {
  description = "Name of the portal function (behind the API)."
  value       = module.portal.lambda_function_name
}

output "portal_lambda_function_arn" {
  description = "ARN of the portal function."
  value       = module.portal.lambda_function_arn
}

output "alerts_lambda_function_name" {
  description = "Name of the alerts function."
  value       = module.alerts.lambda_function_name
}

output "alerts_lambda_function_arn" {
  description = "ARN of the alerts function."
  value       = module.alerts.lambda_function_arn
}

output "alerts_lambda_event_source_mapping_uuids" {
  description = "Event source mapping UUIDs of the alerts function by mapping key (hourly)."
  value       = module.alerts.lambda_event_source_mapping_uuids
}

output "statements_lambda_function_name" {
  description = "Name of the statements function (invoke it with {\"month\": \"YYYY-MM\"} to re-run a month)."
  value       = module.statements.lambda_function_name
}

output "statements_lambda_function_arn" {
  description = "ARN of the statements function."
  value       = module.statements.lambda_function_arn
}

output "statements_lambda_event_source_mapping_uuids" {
  description = "Event source mapping UUIDs of the statements function by mapping key (hourly)."
  value       = module.statements.lambda_event_source_mapping_uuids
}

output "hosted_ui_domain" {
  description = "Domain prefix of the Cognito hosted UI: <prefix>.auth.<region>.amazoncognito.com."
  value       = aws_cognito_user_pool_domain.hosted_ui.domain
}

output "page_url" {
  description = "The household page: <api_endpoint>/ (the operator page is <api_endpoint>/operator)."
  value       = local.page_url
}

output "sign_in_url" {
  description = "The hosted UI's sign-in URL (implicit grant, the ID token returned to the household page); the pages read it from /page-config."
  value       = local.sign_in_url
}
