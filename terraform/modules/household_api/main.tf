data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  tags = merge({ "wattcast:module" = "household_api" }, var.tags)

  # One route per operation of services/portal/openapi.yaml, route key => operationId
  # (tests/unit/test_terraform.py checks both maps against the document). Behind the JWT authorizer:
  routes = {
    "GET /households/{household_id}/summary"            = "getSummary"
    "GET /households/{household_id}/hours"              = "getHours"
    "GET /households/{household_id}/month/{month}"      = "getMonth"
    "GET /households/{household_id}/settings"           = "getSettings"
    "PUT /households/{household_id}/settings"           = "putSettings"
    "GET /households/{household_id}/alerts"             = "getAlerts"
    "GET /households/{household_id}/statements/{month}" = "getStatement"
    "GET /tariffs"                                      = "getTariffs"
    "GET /fleet/households"                             = "getFleetHouseholds"
    "GET /fleet/pipeline"                               = "getFleetPipeline"
  }
  # The operations with `security: []`: the pages and what they load before anyone signs in (static
  # files and the hosted UI's address). Their data calls go to the routes above, with a token.
  public_routes = {
    "GET /"            = "getHouseholdPage"
    "GET /operator"    = "getOperatorPage"
    "GET /app/{file}"  = "getPageAsset"
    "GET /page-config" = "getPageConfig"
  }

  # The Cognito custom attribute behind the claim: custom:household_id -> household_id.
  household_attribute = trimprefix(var.portal_household_claim, "custom:")
  issuer_url          = "https://${aws_cognito_user_pool.user_pool.endpoint}"

  read_table_arns = [
    var.dynamodb_table_arns.hourly, var.dynamodb_table_arns.forecasts, var.dynamodb_table_arns.households,
    var.dynamodb_table_arns.settings, var.dynamodb_table_arns.alerts,
  ]
  # The API also reads each household's drift mark for the operator's fleet.
  api_read_table_arns = [
    var.dynamodb_table_arns.hourly, var.dynamodb_table_arns.forecasts, var.dynamodb_table_arns.households,
    var.dynamodb_table_arns.settings, var.dynamodb_table_arns.alerts, var.dynamodb_table_arns.accuracy,
  ]
  # A statement is the month's answer: hours, forecasts (day rollups, projections), settings (tariff,
  # budget); households for a re-run's list of every household.
  statement_table_arns = [
    var.dynamodb_table_arns.hourly, var.dynamodb_table_arns.forecasts, var.dynamodb_table_arns.households,
    var.dynamodb_table_arns.settings,
  ]
  statements = { bucket_arn = var.data_bucket_arn, prefix = var.statements_prefix }

  # Cognito's hosted UI for the pages: the implicit grant returns the ID token to the page in the
  # address's fragment (services/portal/web/common.js takes it from there).
  hosted_ui_domain = coalesce(var.hosted_ui_domain_prefix, "${substr(lower(replace(var.user_pool_name, "_", "-")), 0, 50)}-${data.aws_caller_identity.current.account_id}")
  page_url         = "${aws_apigatewayv2_api.api.api_endpoint}/"
  operator_url     = "${aws_apigatewayv2_api.api.api_endpoint}/operator"
  sign_in_url = join("", [
    "https://${aws_cognito_user_pool_domain.hosted_ui.domain}.auth.${data.aws_region.current.name}.amazoncognito.com/login",
    "?client_id=${aws_cognito_user_pool_client.user_pool_client.id}&response_type=token&scope=openid",
    "&redirect_uri=${urlencode(local.page_url)}",
  ])
  sweep_minutes = floor(var.silent_sweep_interval_seconds / 60)
}

# ---------------------------------------------------------------- Cognito: households and operators

resource "aws_cognito_user_pool" "user_pool" {
  name                     = var.user_pool_name
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = var.mfa_configuration
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  user_pool_tier           = var.advanced_security_mode == "OFF" ? null : "PLUS" # threat protection is a Plus feature
  tags                     = local.tags

  username_configuration {
    case_sensitive = false
  }

  # Operators create the users (a household's id is theirs to set); nobody signs up.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = var.temporary_password_validity_days
  }

  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa_configuration == "OFF" ? [] : [1]
    content {
      enabled = true
    }
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  dynamic "user_pool_add_ons" {
    for_each = var.advanced_security_mode == "OFF" ? [] : [var.advanced_security_mode]
    content {
      advanced_security_mode = user_pool_add_ons.value
    }
  }

  # ID tokens carry it as custom:household_id. Operators have none. Only administrators set it: the app
  # client below may read it but not write it, so a household cannot point its token at another one.
  schema {
    name                     = local.household_attribute
    attribute_data_type      = "String"
    mutable                  = true
    required                 = false
    developer_only_attribute = false

    string_attribute_constraints {
      min_length = 1
      max_length = 64
    }
  }
}

resource "aws_cognito_user_group" "operators" {
  name         = var.portal_operator_group
  user_pool_id = aws_cognito_user_pool.user_pool.id
  description  = "Wattcast operators: their tokens read every household"
  precedence   = 0
}

# The hosted UI's domain, https://<prefix>.auth.<region>.amazoncognito.com (the classic hosted UI:
# no managed login branding is created).
resource "aws_cognito_user_pool_domain" "hosted_ui" {
  domain       = local.hosted_ui_domain
  user_pool_id = aws_cognito_user_pool.user_pool.id
}

# A public client (no secret): a client signs in with SRP, the pages through the hosted UI (implicit
# grant: the ID token comes back to the page), and each sends the ID token as its bearer token.
resource "aws_cognito_user_pool_client" "user_pool_client" {
  name                          = var.api_name
  user_pool_id                  = aws_cognito_user_pool.user_pool.id
  generate_secret               = false
  explicit_auth_flows           = var.explicit_auth_flows
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  id_token_validity             = var.id_token_validity_minutes
  access_token_validity         = var.access_token_validity_minutes
  refresh_token_validity        = var.refresh_token_validity_days
  read_attributes               = ["email", "email_verified", var.portal_household_claim]
  write_attributes              = ["email"]

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }

  # The hosted UI. The implicit grant issues no refresh token: a page signs in again when its ID token
  # expires (id_token_validity_minutes). openid makes Cognito add the attributes the client may read
  # (custom:household_id among them) to the ID token.
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["implicit"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = distinct(concat([local.page_url, local.operator_url], var.extra_callback_urls))
}

# ---------------------------------------------------------------- the three functions (one image)

module "portal" {
  source = "../lambda_image_function"

  function_name                  = var.portal_function
  description                    = "The household API (services/portal/openapi.yaml) behind API Gateway and Cognito"
  image_uri                      = var.image_uri
  image_command                  = [var.portal_handler]
  architecture                   = var.architecture
  memory_size                    = var.portal_memory_size
  timeout                        = var.portal_function_timeout_seconds
  reserved_concurrent_executions = var.portal_reserved_concurrency
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn

  environment = {
    WATTCAST_HOURLY_TABLE            = var.hourly_table
    WATTCAST_FORECASTS_TABLE         = var.forecasts_table
    WATTCAST_HOUSEHOLDS_TABLE        = var.households_table
    WATTCAST_SETTINGS_TABLE          = var.settings_table
    WATTCAST_ALERTS_TABLE            = var.alerts_table
    WATTCAST_ACCURACY_TABLE          = var.accuracy_table
    WATTCAST_PORTAL_HOUSEHOLD_CLAIM  = var.portal_household_claim
    WATTCAST_PORTAL_OPERATOR_GROUP   = var.portal_operator_group
    WATTCAST_PORTAL_MAX_RANGE_HOURS  = var.portal_max_range_hours
    WATTCAST_PORTAL_SIGN_IN_URL      = local.sign_in_url
    WATTCAST_DATA_BUCKET             = var.data_bucket
    WATTCAST_STATEMENTS_PREFIX       = var.statements_prefix
    WATTCAST_STATEMENT_LINK_SECONDS  = var.statement_link_seconds
    WATTCAST_DEAD_LETTER_QUEUE       = var.dead_letter_queue
    WATTCAST_STREAM_FAILURES_QUEUE   = var.stream_failures_queue
    WATTCAST_INGEST_FUNCTION         = var.ingest_function
    WATTCAST_PREPROCESS_FUNCTION     = var.preprocess_function
    WATTCAST_ALERTS_FUNCTION         = var.alerts_function
    WATTCAST_STATEMENTS_FUNCTION     = var.statements_function
    WATTCAST_PIPELINE_WINDOW_MINUTES = var.pipeline_window_minutes
    WATTCAST_METRICS_NAMESPACE       = var.metrics_namespace
  }

  dynamodb_read_table_arns  = local.api_read_table_arns
  dynamodb_scan_table_arns  = [var.dynamodb_table_arns.households] # the fleet list (GET /fleet/households)
  dynamodb_write_table_arns = [var.dynamodb_table_arns.settings, var.dynamodb_table_arns.alerts]
  # Statement links are presigned with this role's credentials: it must be able to read them itself.
  s3_read_prefixes        = [local.statements]
  sqs_read_queue_arns     = [var.dead_letter_queue_arn, var.stream_failures_queue_arn] # GET /fleet/pipeline
  cloudwatch_read_metrics = true                                                       # the mappings' IteratorAge
  tags                    = var.tags
}

module "alerts" {
  source = "../lambda_image_function"

  function_name                  = var.alerts_function
  description                    = "Household alerts: budget crossings and unusual use per closed hour, silent meters on a schedule"
  image_uri                      = var.image_uri
  image_command                  = [var.alerts_handler]
  architecture                   = var.architecture
  memory_size                    = var.alerts_memory_size
  timeout                        = var.alerts_function_timeout_seconds
  reserved_concurrent_executions = var.alerts_reserved_concurrency
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn

  environment = {
    WATTCAST_HOURLY_TABLE      = var.hourly_table
    WATTCAST_FORECASTS_TABLE   = var.forecasts_table
    WATTCAST_HOUSEHOLDS_TABLE  = var.households_table
    WATTCAST_SETTINGS_TABLE    = var.settings_table
    WATTCAST_ALERTS_TABLE      = var.alerts_table
    WATTCAST_ALERTS_TOPIC_ARN  = aws_sns_topic.alerts.arn
    WATTCAST_METRICS_NAMESPACE = var.metrics_namespace
  }

  # The hourly stream's second consumer, with the failure semantics of scripts/local/mappings.py.
  event_source_mappings = {
    hourly = {
      event_source_arn                   = var.hourly_stream_arn
      batch_size                         = var.alerts_batch_size
      maximum_batching_window_in_seconds = var.alerts_batching_window_seconds
      parallelization_factor             = var.alerts_parallelization_factor
      starting_position                  = var.starting_position
      report_batch_item_failures         = true
      bisect_batch_on_function_error     = true
      maximum_retry_attempts             = var.alerts_maximum_retry_attempts
      maximum_record_age_in_seconds      = var.alerts_maximum_record_age_seconds
      on_failure_destination_arn         = var.stream_failures_queue_arn
    }
  }

  dynamodb_read_table_arns  = local.read_table_arns
  dynamodb_scan_table_arns  = [var.dynamodb_table_arns.households] # the silent-meter sweep
  dynamodb_write_table_arns = [var.dynamodb_table_arns.alerts]
  sns_publish_topic_arns    = [aws_sns_topic.alerts.arn]
  tags                      = var.tags
}

module "statements" {
  source = "../lambda_image_function"

  function_name                  = var.statements_function
  description                    = "Monthly statements (HTML and PDF in S3) for each household whose month closed"
  image_uri                      = var.image_uri
  image_command                  = [var.statements_handler]
  architecture                   = var.architecture
  memory_size                    = var.statements_memory_size
  timeout                        = var.statements_function_timeout_seconds
  reserved_concurrent_executions = var.statements_reserved_concurrency
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn

  environment = {
    WATTCAST_HOURLY_TABLE      = var.hourly_table
    WATTCAST_FORECASTS_TABLE   = var.forecasts_table
    WATTCAST_HOUSEHOLDS_TABLE  = var.households_table
    WATTCAST_SETTINGS_TABLE    = var.settings_table
    WATTCAST_DATA_BUCKET       = var.data_bucket
    WATTCAST_STATEMENTS_PREFIX = var.statements_prefix
    WATTCAST_METRICS_NAMESPACE = var.metrics_namespace
  }

  # The hourly stream's third consumer, with the failure semantics of scripts/local/mappings.py.
  event_source_mappings = {
    hourly = {
      event_source_arn                   = var.hourly_stream_arn
      batch_size                         = var.statements_batch_size
      maximum_batching_window_in_seconds = var.statements_batching_window_seconds
      parallelization_factor             = var.statements_parallelization_factor
      starting_position                  = var.starting_position
      report_batch_item_failures         = true
      bisect_batch_on_function_error     = true
      maximum_retry_attempts             = var.statements_maximum_retry_attempts
      maximum_record_age_in_seconds      = var.statements_maximum_record_age_seconds
      on_failure_destination_arn         = var.stream_failures_queue_arn
    }
  }

  dynamodb_read_table_arns = local.statement_table_arns
  dynamodb_scan_table_arns = [var.dynamodb_table_arns.households] # a direct re-run: every household
  s3_write_prefixes        = [local.statements]
  tags                     = var.tags
}

# ---------------------------------------------------------------- alerts: topic and sweep schedule

resource "aws_sns_topic" "alerts" {
  name              = var.alerts_topic
  kms_master_key_id = var.kms_key_arn
  tags              = local.tags
}

resource "aws_cloudwatch_event_rule" "silent_sweep" {
  name                = "${var.alerts_function}-silent-sweep"
  description         = "Runs the silent-meter sweep of ${var.alerts_function}"
  schedule_expression = local.sweep_minutes == 1 ? "rate(1 minute)" : "rate(${local.sweep_minutes} minutes)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "silent_sweep" {
  rule      = aws_cloudwatch_event_rule.silent_sweep.name
  target_id = "silent-meter-sweep"
  arn       = module.alerts.lambda_function_arn

  # A sweep older than the interval is superseded by the next one.
  retry_policy {
    maximum_event_age_in_seconds = min(var.silent_sweep_interval_seconds, 86400)
    maximum_retry_attempts       = 2
  }

  depends_on = [aws_lambda_permission.silent_sweep]
}

# Scheduled (asynchronous) invocations: Lambda retries a failed sweep twice, never past the next one.
resource "aws_lambda_function_event_invoke_config" "alerts" {
  function_name                = module.alerts.lambda_function_name
  maximum_event_age_in_seconds = min(var.silent_sweep_interval_seconds, 21600)
  maximum_retry_attempts       = 2
}

# ---------------------------------------------------------------- the HTTP API

resource "aws_apigatewayv2_api" "api" {
  name          = var.api_name
  description   = "Wattcast household API: services/portal/openapi.yaml, its data behind a Cognito JWT authorizer"
  protocol_type = "HTTP"
  tags          = local.tags

  dynamic "cors_configuration" {
    for_each = length(var.cors_allowed_origins) == 0 ? [] : [var.cors_allowed_origins]
    content {
      allow_origins = cors_configuration.value
      allow_methods = sort(distinct([for route in keys(merge(local.routes, local.public_routes)) : split(" ", route)[0]]))
      allow_headers = ["authorization", "content-type"]
      max_age       = 3600
    }
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.api.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = local.issuer_url
    audience = [aws_cognito_user_pool_client.user_pool_client.id] # ID tokens carry the client id as aud
  }
}

resource "aws_apigatewayv2_integration" "portal" {
  api_id                 = aws_apigatewayv2_api.api.id
  description            = "The portal function (${var.portal_function})"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = module.portal.lambda_function_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  api_id             = aws_apigatewayv2_api.api.id
  route_key          = each.key
  operation_name     = each.value
  target             = "integrations/${aws_apigatewayv2_integration.portal.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_route" "public" {
  #checkov:skip=CKV_AWS_309:These are the operations openapi.yaml marks security: [] (the two pages, their static files and the hosted UI's address): a browser loads them before it has a token. They read no household data; every data route stays behind the JWT authorizer.
  for_each = local.public_routes

  api_id             = aws_apigatewayv2_api.api.id
  route_key          = each.key
  operation_name     = each.value
  target             = "integrations/${aws_apigatewayv2_integration.portal.id}"
  authorization_type = "NONE"
}

# Who called what, how it ended and how long it took; never the Authorization header or a body.
resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.api_name}/access"
  retention_in_days = var.access_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.api.id
  name        = "$default"
  auto_deploy = true
  tags        = local.tags

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      latency            = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
    })
  }
}
