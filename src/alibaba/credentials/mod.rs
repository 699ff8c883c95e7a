//! Where the signing key comes from: the provider block, the environment, OIDC, a credentials
//! URI, the instance role, a profile of the aliyun CLI file (or the official library's INI file),
//! and then an assumed role on top (the order the README's Credentials section gives).
//!
//! Resolution happens in two steps. [`plan`] decides, without any network call, which source
//! supplies the credential and what has to be done to get it (a [`Plan`]); half-set sources and
//! bad settings fail here, naming the missing piece. [`CredentialProvider`] then carries out the
//! plan and does it again before temporary credentials expire, so a long read never signs with
//! an expired token.
//!
//! Everything the chain reads is passed in through [`ResolveOptions`] (an environment snapshot,
//! the home directory), so every branch is testable without touching the real environment; every
//! remote endpoint can be pointed at loopback through that environment.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

mod chain;
pub mod env;
mod external;
mod http;
mod ini;
mod metadata;
mod plan;
mod profile;
mod refresh;
mod sts;
mod uri;

pub(crate) use http::new_nonce;
pub use metadata::DEFAULT_METADATA_ENDPOINT;
pub use plan::{Base, Plan, RoleToAssume};
pub use refresh::{CredentialProvider, REFRESH_MARGIN};
pub use sts::DEFAULT_STS_HOST;

/// Static secrets to sign with. `Debug` redacts the secret and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// Access key secret; signs requests and is never sent.
    pub access_key_secret: String,
    /// STS token, sent as `SecurityToken`.
    pub security_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The `assume_role` block.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct AssumeRoleSettings {
    /// `role_arn`; falls back to `ALICLOUD_ASSUME_ROLE_ARN` / `ALIBABA_CLOUD_ROLE_ARN`.
    pub role_arn: Option<String>,
    /// `session_name`.
    pub session_name: Option<String>,
    /// `policy`: a JSON policy that narrows the session's rights.
    pub policy: Option<String>,
    /// `session_expiration`, seconds (900..43200).
    pub session_expiration: Option<i64>,
    /// `external_id`.
    pub external_id: Option<String>,
}

/// The `assume_role_with_oidc` block.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// `oidc_provider_arn`; falls back to `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.
    pub oidc_provider_arn: Option<String>,
    /// `oidc_token_file`; falls back to `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
    pub oidc_token_file: Option<PathBuf>,
    /// `oidc_token`, the token itself.
    pub oidc_token: Option<String>,
    /// `role_arn`; falls back to `ALIBABA_CLOUD_ROLE_ARN`.
    pub role_arn: Option<String>,
    /// `role_session_name`; falls back to `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
    pub role_session_name: Option<String>,
    /// `policy`.
    pub policy: Option<String>,
    /// `session_expiration`, seconds (900..43200).
    pub session_expiration: Option<i64>,
}

/// What the user wrote in the provider block (all optional). Empty strings count as unset.
#[derive(Default, Clone)]
pub struct ExplicitCredentials {
    /// `access_key`.
    pub access_key: Option<String>,
    /// `secret_key`.
    pub secret_key: Option<String>,
    /// `security_token`.
    pub security_token: Option<String>,
    /// `profile`.
    pub profile: Option<String>,
    /// `shared_credentials_file`.
    pub shared_credentials_file: Option<PathBuf>,
    /// `ecs_role_name`.
    pub ecs_role_name: Option<String>,
    /// `credentials_uri`.
    pub credentials_uri: Option<String>,
    /// `sts_endpoint`: a bare host (HTTPS) or a URL.
    pub sts_endpoint: Option<String>,
    /// The `assume_role` block.
    pub assume_role: Option<AssumeRoleSettings>,
    /// The `assume_role_with_oidc` block.
    pub assume_role_with_oidc: Option<OidcSettings>,
}

fn redacted(value: &Option<String>) -> Option<&'static str> {
    value.as_ref().map(|_| "<redacted>")
}

impl fmt::Debug for ExplicitCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExplicitCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("security_token", &redacted(&self.security_token))
            .field("profile", &self.profile)
            .field("shared_credentials_file", &self.shared_credentials_file)
            .field("ecs_role_name", &self.ecs_role_name)
            .field(
                "credentials_uri",
                &self.credentials_uri.as_ref().map(|u| http::shown_url(u)),
            )
            .field("sts_endpoint", &self.sts_endpoint)
            .field(
                "assume_role",
                &self.assume_role.as_ref().map(|r| &r.role_arn),
            )
            .field(
                "assume_role_with_oidc",
                &self.assume_role_with_oidc.as_ref().map(|r| &r.role_arn),
            )
            .finish()
    }
}

/// Where to look besides the explicit values; injectable for tests.
#[derive(Clone)]
pub struct ResolveOptions {
    /// Snapshot of the environment (tests pass their own).
    pub env: HashMap<String, String>,
    /// Home directory, for `~/.aliyun/config.json` and `~/.alibabacloud/credentials.ini`.
    pub home_dir: Option<PathBuf>,
    /// Timeout of each STS, metadata or credentials URI call, and of an external process.
    pub http_timeout: Duration,
}

impl Default for ResolveOptions {
    /// An empty environment and no home directory: only explicit values count.
    fn default() -> Self {
        ResolveOptions {
            env: HashMap::new(),
            home_dir: None,
            http_timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for ResolveOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment holds secrets; show only how big it is.
        f.debug_struct("ResolveOptions")
            .field("env", &format_args!("<{} variables>", self.env.len()))
            .field("home_dir", &self.home_dir)
            .field("http_timeout", &self.http_timeout)
            .finish()
    }
}

impl ResolveOptions {
    /// Snapshot of this process's environment (variables that are not UTF-8 are skipped) and the
    /// home directory from `HOME` (or `USERPROFILE` on Windows).
    pub fn from_process_env() -> Self {
        let env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let home_dir = ["HOME", "USERPROFILE"]
            .iter()
            .find_map(|k| env.get(*k).filter(|v| !v.is_empty()))
            .map(PathBuf::from);
        ResolveOptions {
            env,
            home_dir,
            ..ResolveOptions::default()
        }
    }

    /// Options with just these variables, for unit tests.
    #[cfg(test)]
    pub(crate) fn with_env(env: &[(&str, &str)]) -> Self {
        ResolveOptions {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..ResolveOptions::default()
        }
    }

    /// The value of `name` when set and not blank.
    fn var(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_owned())
    }

    /// The first set value among `names`, with the name it came from.
    fn first_env(&self, names: &[&'static str]) -> Option<(String, &'static str)> {
        names
            .iter()
            .find_map(|name| self.var(name).map(|v| (v, *name)))
    }

    /// Whether `name` is set to `true` (any case).
    fn flag(&self, name: &str) -> bool {
        self.var(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// One place the chain looked at; also tells where resolved credentials came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// A setting the caller passed in [`ExplicitCredentials`], by its field name (the provider
    /// block's argument of the same name), e.g. `access_key`.
    Setting(&'static str),
    /// An environment variable.
    Environment(&'static str),
    /// OIDC (`AssumeRoleWithOIDC`), from the block or the environment.
    Oidc {
        /// The role.
        role_arn: String,
        /// Where the settings came from, e.g. "environment".
        from: &'static str,
    },
    /// A credentials URI (shown without its query, which may hold a token).
    CredentialsUri(String),
    /// The instance RAM role, read from instance metadata.
    EcsRole(String),
    /// A profile of the aliyun CLI config file (`mode` when the profile was found).
    Profile {
        /// The config file.
        path: PathBuf,
        /// The profile name.
        profile: String,
        /// The profile's mode, when the profile was read.
        mode: Option<String>,
    },
    /// A section of the official library's INI credentials file.
    IniProfile {
        /// The file.
        path: PathBuf,
        /// The section.
        profile: String,
        /// Its `type`.
        kind: String,
    },
    /// A file that could not serve (`reason` says why).
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// E.g. "file not found".
        reason: String,
    },
    /// A role assumed (`assume_role`) with the credential of `base`.
    AssumedRole {
        /// The role.
        role_arn: String,
        /// Whose credential signed the `AssumeRole` call.
        base: Box<CredentialSource>,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Setting(name) => write!(f, "setting `{name}`"),
            CredentialSource::Environment(name) => write!(f, "environment variable {name}"),
            CredentialSource::Oidc { role_arn, from } => {
                write!(f, "OIDC role {role_arn} ({from})")
            }
            CredentialSource::CredentialsUri(url) => write!(f, "credentials URI {url}"),
            CredentialSource::EcsRole(role) => write!(f, "ECS instance RAM role {role:?}"),
            CredentialSource::Profile {
                path,
                profile,
                mode: Some(mode),
            } => write!(f, "profile {profile:?} (mode {mode}) in {}", path.display()),
            CredentialSource::Profile { path, profile, .. } => {
                write!(f, "profile {profile:?} in {}", path.display())
            }
            CredentialSource::IniProfile {
                path,
                profile,
                kind,
            } => write!(f, "section [{profile}] (type {kind}) of {}", path.display()),
            CredentialSource::ProfileFile { path, reason } => {
                write!(f, "{} ({reason})", path.display())
            }
            CredentialSource::AssumedRole { role_arn, base } => {
                write!(f, "role {role_arn} assumed with {base}")
            }
        }
    }
}

/// Why no credentials could be had. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Nothing anywhere.
    #[error("no Alibaba Cloud credentials found; looked at: {}", list(looked_at))]
    Missing {
        /// Every place, in the order of the chain.
        looked_at: Vec<CredentialSource>,
    },
    /// A source that is only half set: using it, or silently skipping it, would both surprise.
    #[error("incomplete credentials: {found} is set ({}), but {missing} is not{}",
        list(found_in), if looked_at.is_empty() { String::new() } else { format!("; set {}", list(looked_at)) })]
    Partial {
        /// What was found, e.g. "an access key id".
        found: &'static str,
        /// Where it was found.
        found_in: Vec<CredentialSource>,
        /// What is missing, e.g. "its access key secret".
        missing: String,
        /// Where the missing part belongs.
        looked_at: Vec<CredentialSource>,
    },
    /// A setting that cannot work, e.g. a session expiration out of range.
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// The setting, e.g. "assume_role.session_expiration".
        setting: String,
        /// Why.
        reason: String,
    },
    /// The config file exists (or was named explicitly) but cannot be used.
    #[error("cannot use the credentials file {}: {reason}", path.display())]
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// What is wrong; never file content.
        reason: String,
    },
    /// The named profile is not in the file.
    #[error("profile {profile:?} is not in {} (profiles there: {})", path.display(),
        if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    ProfileNotFound {
        /// The file.
        path: PathBuf,
        /// The profile looked for.
        profile: String,
        /// The profile names that are there.
        available: Vec<String>,
    },
    /// A mode this provider cannot use.
    #[error("profile {profile:?} in {} uses mode {mode:?}: {hint}", path.display())]
    UnsupportedMode {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// Its mode.
        mode: String,
        /// What to do instead.
        hint: String,
    },
    /// The profile lacks a field its mode needs.
    #[error("profile {profile:?} (mode {mode}) in {} has no {field}", path.display())]
    IncompleteProfile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// Its mode.
        mode: String,
        /// The missing field, as spelled in the file.
        field: &'static str,
    },
    /// STS (`AssumeRole` or `AssumeRoleWithOIDC`) failed.
    #[error("STS {action} of {role_arn} at {endpoint} failed: {detail}")]
    Sts {
        /// `AssumeRole` or `AssumeRoleWithOIDC`.
        action: &'static str,
        /// The role.
        role_arn: String,
        /// The STS base URL.
        endpoint: String,
        /// The API error (code, message, RequestId) or transport failure.
        detail: String,
    },
    /// Instance metadata failed.
    #[error("ECS instance metadata at {endpoint} failed: {detail}")]
    Metadata {
        /// The metadata base URL.
        endpoint: String,
        /// What went wrong.
        detail: String,
    },
    /// The credentials URI failed.
    #[error("credentials URI {url} failed: {detail}")]
    CredentialsUri {
        /// The URL without its query.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The `External` profile's command failed.
    #[error("the credential process {program:?} of profile {profile:?} failed: {detail}")]
    External {
        /// The profile.
        profile: String,
        /// The program (first word of `process_command`; its arguments may hold secrets).
        program: String,
        /// What went wrong; never its output.
        detail: String,
    },
    /// The OIDC token file cannot be read.
    #[error("cannot read the OIDC token file {}: {reason}", path.display())]
    OidcTokenFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn list(places: &[CredentialSource]) -> String {
    if places.is_empty() {
        return "nothing".to_owned();
    }
    places
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides which source supplies the credential and what getting it takes; no network.
pub fn plan(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<Plan, CredentialError> {
    chain::plan(explicit, opts)
}

/// Resolves credentials once (plan, then carry it out).
pub async fn resolve_credentials(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<Credentials, CredentialError> {
    resolve_credentials_with_source(explicit, opts)
        .await
        .map(|(creds, _)| creds)
}

/// Like [`resolve_credentials`], also telling where the credential came from (for a log line).
pub async fn resolve_credentials_with_source(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<(Credentials, CredentialSource), CredentialError> {
    let plan = plan(explicit, opts)?;
    let source = plan.source.clone();
    let provider = CredentialProvider::new(plan, opts.clone());
    Ok((provider.current().await?, source))
}
