terraform {
  required_providers {
    dbs = {
      source = "example/dbs"
    }
  }
}

# Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID /
# ALIBABA_CLOUD_ACCESS_KEY_SECRET), or from a profile of ~/.aliyun/config.json.
provider "dbs" {
  region = "cn-hangzhou"

  # Optional tuning; these are the defaults.
  max_retries     = 5
  request_timeout = 30
  max_concurrency = 4
}
