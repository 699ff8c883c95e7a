//! The `provider "dbs"` block (documented in `docs/index.md`).

use crate::alibaba::client;
use crate::plugin::cty::CtyType;
use crate::plugin::{Attribute, NestedBlock, Schema};

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

/// Seconds STS accepts for a session.
pub const SESSION_EXPIRATION_RANGE: std::ops::RangeInclusive<i64> = 900..=43200;

pub(crate) fn schema() -> Schema {
    use CtyType::{Number, String};
    Schema::new(
        "The `dbs` provider reads Alibaba Cloud Database Backup Service (DBS) data. Credentials \
         and region follow the alicloud provider's conventions: the provider block, then the \
         key variables, OIDC, a credentials URI, the instance role and a profile of the aliyun \
         CLI configuration file, with `assume_role` on top (see the Credentials section).",
        vec![
            Attribute::optional("region", String).description(
                "Region of the DBS API, e.g. `cn-hangzhou`. Falls back to `ALICLOUD_REGION`, then \
                 `ALIBABA_CLOUD_REGION`, then the profile's `region_id`. Required after \
                 fallbacks; it picks the endpoint.",
            ),
            Attribute::optional("access_key", String)
                .sensitive()
                .description(
                    "AccessKey ID. With `secret_key` (and `security_token`) it is the first \
                     source of the chain; a key pair is never completed from elsewhere. \
                     Otherwise the variable families `ALICLOUD_ACCESS_KEY`, \
                     `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABACLOUD_ACCESS_KEY_ID` are read, \
                     one family at a time.",
                ),
            Attribute::optional("secret_key", String)
                .sensitive()
                .description(
                    "AccessKey secret, with `access_key`. Variables: `ALICLOUD_SECRET_KEY`, \
                     `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABACLOUD_ACCESS_KEY_SECRET`.",
                ),
            Attribute::optional("security_token", String)
                .sensitive()
                .description(
                    "STS security token, sent as `SecurityToken`; only ever sent with the keys of \
                     its own source (`ALICLOUD_SECURITY_TOKEN`, `ALIBABA_CLOUD_SECURITY_TOKEN`, \
                     `ALIBABACLOUD_SECURITY_TOKEN` go with their family's keys).",
                ),
            Attribute::optional("profile", String).description(
                "Profile of the aliyun CLI configuration file (modes `AK`, `StsToken`, \
                 `RamRoleArn`, `ChainableRamRoleArn`, `EcsRamRole`, `OIDC`, `CredentialsURI`, \
                 `External`), or a section of the official library's INI file when no CLI \
                 profile is configured. Falls back to `ALICLOUD_PROFILE`, then \
                 `ALIBABA_CLOUD_PROFILE`, then the file's `current` profile. \
                 `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` skips the CLI file.",
            ),
            Attribute::optional("shared_credentials_file", String).description(
                "Path of the aliyun CLI configuration file (JSON). Falls back to \
                 `ALICLOUD_SHARED_CREDENTIALS_FILE`, then `ALIBABA_CLOUD_CREDENTIALS_FILE` when \
                 that holds JSON; default `~/.aliyun/config.json`. An INI \
                 `ALIBABA_CLOUD_CREDENTIALS_FILE` (default `~/.alibabacloud/credentials.ini`) is \
                 read only when no CLI profile is configured.",
            ),
            Attribute::optional("ecs_role_name", String).description(
                "RAM role of this ECS instance, read from instance metadata (hardened mode \
                 first: a session token, then plain GETs unless \
                 `ALIBABA_CLOUD_IMDSV1_DISABLED=true`). Falls back to `ALICLOUD_ECS_ROLE_NAME`, \
                 then `ALIBABA_CLOUD_ECS_METADATA`. Instance metadata is never asked unless this \
                 or a profile says so; `DBS_ECS_METADATA_ENDPOINT` overrides its address.",
            ),
            Attribute::optional("credentials_uri", String).description(
                "A URL that answers temporary credentials as JSON (`Code`, `AccessKeyId`, \
                 `AccessKeySecret`, `SecurityToken`, `Expiration`). Falls back to \
                 `ALICLOUD_CREDENTIALS_URI`, then `ALIBABA_CLOUD_CREDENTIALS_URI`.",
            ),
            Attribute::optional("sts_endpoint", String).description(
                "STS host (HTTPS) or URL (`http://` only for loopback) for `assume_role`, \
                 `assume_role_with_oidc` and role profiles. Falls back to \
                 `ALICLOUD_STS_ENDPOINT`, then `ALIBABA_CLOUD_STS_ENDPOINT`; else a profile's \
                 `sts_region` or `ALIBABA_CLOUD_STS_REGION` gives `sts.<region>.aliyuncs.com` \
                 (`sts-vpc.` with `enable_vpc` or `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`); \
                 default `sts.aliyuncs.com`.",
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
    .with_block(NestedBlock::single(
        "assume_role",
        "Assume a RAM role (STS `AssumeRole`) with whatever credential the chain found, and use \
         the role's temporary credentials, renewed before they expire. Without the block, \
         `ALICLOUD_ASSUME_ROLE_ARN` (or `ALIBABA_CLOUD_ROLE_ARN` when no OIDC variable is set) \
         assumes that role with the defaults below.",
        vec![
            Attribute::optional("role_arn", String).description(
                "ARN of the role, e.g. `acs:ram::123456789012:role/dbs-reader`. Falls back to \
                 `ALICLOUD_ASSUME_ROLE_ARN`, then `ALIBABA_CLOUD_ROLE_ARN`.",
            ),
            Attribute::optional("session_name", String).description(
                "Session name shown in ActionTrail. Default `terraform-provider-dbs`.",
            ),
            Attribute::optional("policy", String).description(
                "A RAM policy (JSON) that narrows the session's rights below the role's.",
            ),
            Attribute::optional("session_expiration", Number).description(
                "Lifetime of the session in seconds, 900 to 43200 (and at most the role's \
                 maximum). Default 3600.",
            ),
            Attribute::optional("external_id", String)
                .description("External ID the role's trust policy requires, if any."),
        ],
    ))
    .with_block(NestedBlock::single(
        "assume_role_with_oidc",
        "Assume a RAM role with an OIDC token (STS `AssumeRoleWithOIDC`, as RRSA on ACK and \
         OIDC-federated CI do). It needs no access key, so it replaces the rest of the chain; \
         `assume_role` still applies on top. Each attribute falls back to the variable RRSA \
         sets.",
        vec![
            Attribute::optional("oidc_provider_arn", String).description(
                "ARN of the OIDC identity provider. Falls back to \
                 `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.",
            ),
            Attribute::optional("oidc_token_file", String).description(
                "File holding the OIDC token, read again at every renewal (it rotates). Falls \
                 back to `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.",
            ),
            Attribute::optional("oidc_token", String)
                .sensitive()
                .description("The OIDC token itself, instead of `oidc_token_file`."),
            Attribute::optional("role_arn", String)
                .description("ARN of the role. Falls back to `ALIBABA_CLOUD_ROLE_ARN`."),
            Attribute::optional("role_session_name", String).description(
                "Session name. Falls back to `ALIBABA_CLOUD_ROLE_SESSION_NAME`; default \
                 `terraform-provider-dbs`.",
            ),
            Attribute::optional("policy", String)
                .description("A RAM policy (JSON) that narrows the session's rights."),
            Attribute::optional("session_expiration", Number)
                .description("Lifetime of the session in seconds, 900 to 43200. Default 3600."),
        ],
    ))
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
        let oidc = s
            .block
            .blocks
            .iter()
            .find(|b| b.type_name == "assume_role_with_oidc")
            .unwrap();
        for a in &oidc.block.attributes {
            assert_eq!(a.sensitive, a.name == "oidc_token", "{}", a.name);
        }
    }

    /// What `TF_LOG_SDK_PROTO_DATA_DIR` may write: never a provider block
    /// (it holds credentials), every `dbs_restore_tasks` config.
    #[test]
    fn only_data_source_values_may_be_written_as_protocol_data() {
        assert!(super::schema().has_sensitive());
        assert!(!crate::provider::restore_tasks::schema::schema().has_sensitive());
    }
}
