# Region and credentials come from var.region or the usual AWS environment (AWS_REGION, AWS_PROFILE).
provider "aws" {
  region = var.region
}
