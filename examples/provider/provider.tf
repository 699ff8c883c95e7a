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
  # The region picks the API host. cn-hangzhou, cn-qingdao, cn-beijing,
  # cn-shanghai, cn-shenzhen, cn-zhangjiakou, cn-hongkong, us-west-1,
  # us-east-1 and the three finance regions are served by
  # dbs-api.cn-hangzhou.aliyuncs.com, any other region R by
  # dbs-api.R.aliyuncs.com; `endpoint` overrides it.
  region = "cn-hangzhou"

  # Optional tuning; these are the defaults.
  max_retries     = 5
  request_timeout = 30
  max_concurrency = 4
}
