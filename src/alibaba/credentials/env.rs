//! The environment variables the chain reads, in the order it reads them.
//!
//! Names follow the alicloud provider first and Alibaba's official credentials library second,
//! because that is the order in which users' pipelines already set them.

/// One family of key variables. An id, its secret and its token are only ever taken from the
/// same family, so a stale token of one tool never rides on the keys of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFamily {
    /// The access key id variable.
    pub id: &'static str,
    /// The access key secret variable.
    pub secret: &'static str,
    /// The STS token variable.
    pub token: &'static str,
}

/// The key families, first configured wins.
pub const KEY_FAMILIES: [KeyFamily; 3] = [
    KeyFamily {
        id: "ALICLOUD_ACCESS_KEY",
        secret: "ALICLOUD_SECRET_KEY",
        token: "ALICLOUD_SECURITY_TOKEN",
    },
    KeyFamily {
        id: "ALIBABA_CLOUD_ACCESS_KEY_ID",
        secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABA_CLOUD_SECURITY_TOKEN",
    },
    KeyFamily {
        id: "ALIBABACLOUD_ACCESS_KEY_ID",
        secret: "ALIBABACLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABACLOUD_SECURITY_TOKEN",
    },
];

/// The aliyun CLI profile name.
pub const PROFILE: [&str; 2] = ["ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"];
/// The aliyun CLI (JSON) config file.
pub const SHARED_CREDENTIALS_FILE: [&str; 1] = ["ALICLOUD_SHARED_CREDENTIALS_FILE"];
/// The official library's credentials file: INI to it, JSON to the alicloud provider; read as
/// whichever it turns out to be.
pub const CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// `true` skips the aliyun CLI profile.
pub const CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// The instance RAM role to read from instance metadata.
pub const ECS_ROLE_NAME: [&str; 2] = ["ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA"];
/// `true` forbids the plain-GET fallback when the metadata token cannot be had.
pub const IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// Base URL of instance metadata (ours: for tests and unusual networks).
pub const METADATA_ENDPOINT: &str = "DBS_ECS_METADATA_ENDPOINT";
/// A URL answering temporary credentials.
pub const CREDENTIALS_URI: [&str; 2] =
    ["ALICLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_CREDENTIALS_URI"];
/// The role for `assume_role` when the block is absent (only when no OIDC variable is set, since
/// `ALIBABA_CLOUD_ROLE_ARN` then belongs to OIDC).
pub const ASSUME_ROLE_ARN: [&str; 2] = ["ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"];
/// OIDC (RRSA on ACK sets these three).
pub const OIDC_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// The OIDC provider.
pub const OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// The file holding the OIDC token (re-read at every refresh: the kubelet rotates it).
pub const OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// Session name for OIDC and assumed roles.
pub const ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// STS endpoint override.
pub const STS_ENDPOINT: [&str; 2] = ["ALICLOUD_STS_ENDPOINT", "ALIBABA_CLOUD_STS_ENDPOINT"];
/// STS region: `sts.<region>.aliyuncs.com`.
pub const STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
/// `true`: `sts-vpc.<region>.aliyuncs.com`.
pub const VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
