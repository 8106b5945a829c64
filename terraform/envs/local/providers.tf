# LocalStack (free edition) on its edge port. `tflocal` writes an equivalent override; plain
# `terraform` uses these endpoints directly. The keys are LocalStack's fixed dummies, not secrets.
provider "aws" {
  region     = var.localstack_region
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    cloudwatch = var.localstack_endpoint
    dynamodb   = var.localstack_endpoint
    iam        = var.localstack_endpoint
    kinesis    = var.localstack_endpoint
    kms        = var.localstack_endpoint
    s3         = var.localstack_endpoint
    sns        = var.localstack_endpoint
    sqs        = var.localstack_endpoint
    ssm        = var.localstack_endpoint
    sts        = var.localstack_endpoint
  }
}
