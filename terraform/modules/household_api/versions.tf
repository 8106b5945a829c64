terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.83" # aws_cognito_user_pool.user_pool_tier
    }
  }
}
