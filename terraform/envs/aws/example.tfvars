# Copy to terraform.tfvars (git-ignored values of your own) and adjust. Every name left out keeps the
# default of services/core/settings.py; a name you change must reach the services too (the functions
# get it as WATTCAST_*, the CLI from `terraform output service_environment`).

region = "eu-west-1"

# S3 bucket names are global: make yours unique.
data_bucket = "wattcast-data-123456789012-eu-west-1"

tags = {
  owner       = "platform-team"
  cost-centre = "wattcast"
}

# Step 1: leave image_tags out, apply (creates storage, repositories, streams), push the images.
# Step 2: set the tags you pushed and apply again (functions, mappings, endpoint, household API,
# production accuracy, the retraining flow).
image_tags = {
  ingest     = "0.1.0"
  preprocess = "0.1.0"
  forecaster = "0.1.0"
  portal     = "0.1.0"
  accuracy   = "0.1.0"
  trainer    = "0.1.0"
}

# Alarms go to the operations topic (terraform output monitoring_sns_topic_arn: subscribe to it).
# Left out, a threshold keeps the monitoring module's default.
monitoring = {
  iterator_age_alarm = { threshold_seconds = 600 }
  custom_metric_alarm_overrides = {
    ReadingsAccepted = { evaluation_periods = 6, datapoints_to_alarm = 6 } # 30 minutes of silence
  }
}

# COST: every retraining run bills its training instances while the jobs run.
retraining = {
  schedule_expression = "cron(0 3 ? * SUN *)"
  schedule_timezone   = "Europe/Paris"
  instance_type       = "ml.m5.xlarge"
  max_runtime_seconds = 14400
}

streams = {
  mode            = "ON_DEMAND"
  retention_hours = 24
}

functions = {
  ingest_memory_size     = 1024
  preprocess_memory_size = 1024
  log_retention_days     = 365
}

# The household API (created with image_tags.portal). ALLOW_ADMIN_USER_PASSWORD_AUTH lets an
# administrator get a token with the AWS CLI (README); the pages sign in through the hosted UI, whose
# domain prefix must be unique in the region (left out: <user_pool_name>-<account id>). Pages behind a
# custom domain need it among the callback URLs; another origin calling the API needs CORS.
household_api = {
  explicit_auth_flows     = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"]
  hosted_ui_domain_prefix = "wattcast-example-households"
  extra_callback_urls     = ["https://portal.example.com/", "https://portal.example.com/operator"]
  cors_allowed_origins    = ["https://portal.example.com"]
}

# COST: ml.m5.large bills per instance-hour from creation until destroy, even with no traffic.
forecaster = {
  instance_type  = "ml.m5.large"
  instance_count = 1
  autoscaling = {
    min_capacity                    = 1
    max_capacity                    = 2
    target_invocations_per_instance = 100
  }
}

# A throw-away stack: let `terraform destroy` remove tables, a non-empty bucket and repositories.
deletion_protection = true

# Per-household Prophet on EMR Serverless, weekly from the raw archive. Apply with enabled = true
# first, push docker/spark.Dockerfile's image to spark_training_ecr_repository_url, then set image_tag.
# COST: the vCPU, memory and disk of the job's workers while it runs, at most maximum_capacity.
spark_training = {
  enabled             = false
  release_label       = "emr-7.5.0"
  maximum_capacity    = { cpu = "16 vCPU", memory = "64 GB", disk = "320 GB" }
  input               = "raw-archive"
  schedule_expression = "cron(0 2 ? * SUN *)"
}
