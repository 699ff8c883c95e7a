//! The `provider "dbs"` block (documented in `docs/index.md`).

use crate::alibaba::client;
use crate::plugin::cty::CtyType;
use crate::plugin::{Attribute, Schema};

/// Defaults applied when the block leaves them out: the API client's own,
/// so the schema's descriptions and the client cannot disagree.
pub const DEFAULT_MAX_RETRIES: i64 = client::DEFAULT_MAX_RETRIES as i64;
/// Seconds per HTTP attempt.
pub const DEFAULT_REQUEST_TIMEOUT: i64 = client::DEFAULT_REQUEST_TIMEOUT.as_secs() as i64;
/// Requests in flight at once, for all data sources together.
pub const DEFAULT_MAX_CONCURRENCY: i64 = client::DEFAULT_MAX_CONCURRENCY as i64;
/// Upper bounds that keep a typo from hammering the API or hanging a run.
pub const MAX_MAX_RETRIES: i64 = 20;
/// Seconds.
pub const MAX_REQUEST_TIMEOUT: i64 = 600;
/// Pages in flight.
pub const MAX_MAX_CONCURRENCY: i64 = 32;

pub(crate) fn schema() -> Schema {
    use CtyType::{Number, String};
    Schema::new(
        "The `dbs` provider reads Alibaba Cloud Database Backup Service (DBS) data. Credentials \
         and region follow the alicloud provider's conventions: explicit arguments first, then \
         environment variables, then a profile of the aliyun CLI configuration file.",
        vec![
            Attribute::optional("region", String).description(
                "Region of the DBS API, e.g. `cn-hangzhou`. Falls back to `ALICLOUD_REGION`, then \
                 `ALIBABA_CLOUD_REGION`. Required after fallbacks; it picks the endpoint.",
            ),
            Attribute::optional("access_key", String)
                .sensitive()
                .description(
                    "AccessKey ID. Falls back to `ALICLOUD_ACCESS_KEY`, then \
                 `ALIBABA_CLOUD_ACCESS_KEY_ID`, then the profile.",
                ),
            Attribute::optional("secret_key", String)
                .sensitive()
                .description(
                    "AccessKey secret. Falls back to `ALICLOUD_SECRET_KEY`, then \
                 `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, then the profile.",
                ),
            Attribute::optional("security_token", String)
                .sensitive()
                .description(
                    "STS security token, sent as `SecurityToken`. Falls back to \
                 `ALICLOUD_SECURITY_TOKEN`, then `ALIBABA_CLOUD_SECURITY_TOKEN`.",
                ),
            Attribute::optional("profile", String).description(
                "Profile of the aliyun CLI configuration file to use (modes `AK`, `StsToken`, \
                 `RamRoleArn`, `EcsRamRole`). Falls back to `ALICLOUD_PROFILE`, then \
                 `ALIBABA_CLOUD_PROFILE`, then the file's `current` profile.",
            ),
            Attribute::optional("shared_credentials_file", String).description(
                "Path of the aliyun CLI configuration file. Falls back to \
                 `ALICLOUD_SHARED_CREDENTIALS_FILE`, then `ALIBABA_CLOUD_CREDENTIALS_FILE`; \
                 default `~/.aliyun/config.json`.",
            ),
            Attribute::optional("endpoint", String).description(
                "URL of the DBS API, overriding the region's endpoint (for example a local \
                 emulator). Falls back to `ALIBABA_CLOUD_ENDPOINT_DBS`, then `DBS_ENDPOINT`. \
                 `http://` is accepted only for loopback hosts.",
            ),
            Attribute::optional("max_retries", Number).description(
                "How many times a retryable failure (throttling, 5xx, timeouts, resets) is \
                 retried per request, with exponential backoff and jitter. Default 5, at most 20.",
            ),
            Attribute::optional("request_timeout", Number)
                .description("Timeout of each HTTP attempt, in seconds. Default 30, at most 600."),
            Attribute::optional("max_concurrency", Number).description(format!(
                "Most API requests in flight at once for this provider, all its data sources \
                 together (Terraform reads several at once, see `-parallelism`); 1 sends one \
                 request at a time. The provider sends fewer, and paces them, while the API \
                 throttles, then grows back to this. Default {DEFAULT_MAX_CONCURRENCY}, at most \
                 {MAX_MAX_CONCURRENCY}."
            )),
        ],
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_attribute_is_described_and_secrets_are_sensitive() {
        let s = super::schema();
        assert!(s.undescribed_attributes().is_empty());
        for a in &s.block.attributes {
            let secret = matches!(
                a.name.as_str(),
                "access_key" | "secret_key" | "security_token"
            );
            assert_eq!(a.sensitive, secret, "{}", a.name);
        }
    }
}
