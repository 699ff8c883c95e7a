//! Where the access key comes from: explicit provider attributes, then the environment, then a
//! profile of the aliyun CLI config file (DESIGN section 3).
//!
//! Everything the chain reads is passed in through [`ResolveOptions`] (an environment snapshot,
//! the home directory, the STS and metadata endpoints), so every branch is testable without
//! touching the real environment or the network. When nothing is found, the error lists every
//! place that was looked at, because "no credentials" alone sends people guessing.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use super::signing;

/// Env names for the access key id, first set wins.
pub const ACCESS_KEY_ENV: [&str; 2] = ["ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"];
/// Env names for the access key secret, first set wins.
pub const SECRET_KEY_ENV: [&str; 2] = ["ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"];
/// Env names for the STS security token, first set wins.
pub const SECURITY_TOKEN_ENV: [&str; 2] =
    ["ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"];
/// Env names for the aliyun CLI profile name, first set wins.
pub const PROFILE_ENV: [&str; 2] = ["ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"];
/// Env names for the aliyun CLI config file path, first set wins.
pub const SHARED_CREDENTIALS_FILE_ENV: [&str; 2] = [
    "ALICLOUD_SHARED_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
];

/// Public STS endpoint used by `RamRoleArn` profiles unless overridden.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// ECS instance metadata service used by `EcsRamRole` profiles unless overridden.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// STS API version of `AssumeRole`.
const STS_VERSION: &str = "2015-04-01";
/// Session name when the profile does not set one; shows up in the account's ActionTrail.
const DEFAULT_SESSION_NAME: &str = "terraform-provider-dbs";
/// Credential lifetime asked of STS when the profile does not say (the STS default too).
const DEFAULT_DURATION_SECONDS: u64 = 3600;
const METADATA_CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// Static secrets resolved from the chain. `Debug` redacts the secret and the token.
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

/// What the user wrote in the provider block (all optional). Empty strings count as unset.
#[derive(Default, Clone)]
pub struct ExplicitCredentials {
    /// `access_key` attribute.
    pub access_key: Option<String>,
    /// `secret_key` attribute.
    pub secret_key: Option<String>,
    /// `security_token` attribute.
    pub security_token: Option<String>,
    /// `profile` attribute.
    pub profile: Option<String>,
    /// `shared_credentials_file` attribute.
    pub shared_credentials_file: Option<PathBuf>,
}

impl fmt::Debug for ExplicitCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExplicitCredentials")
            .field("access_key", &self.access_key)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("profile", &self.profile)
            .field("shared_credentials_file", &self.shared_credentials_file)
            .finish()
    }
}

/// Where to look besides the explicit values; injectable for tests.
#[derive(Clone)]
pub struct ResolveOptions {
    /// Snapshot of the environment (tests pass their own).
    pub env: HashMap<String, String>,
    /// Home directory, for `~/.aliyun/config.json`.
    pub home_dir: Option<PathBuf>,
    /// Base URL of STS for `RamRoleArn` profiles; [`DEFAULT_STS_ENDPOINT`] when `None`.
    pub sts_endpoint: Option<String>,
    /// Base URL of the metadata service for `EcsRamRole`; [`DEFAULT_METADATA_ENDPOINT`] when `None`.
    pub metadata_endpoint: Option<String>,
    /// Timeout of each STS or metadata HTTP call.
    pub http_timeout: Duration,
}

impl Default for ResolveOptions {
    /// An empty environment and no home directory: only explicit values count.
    fn default() -> Self {
        ResolveOptions {
            env: HashMap::new(),
            home_dir: None,
            sts_endpoint: None,
            metadata_endpoint: None,
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
            .field("sts_endpoint", &self.sts_endpoint)
            .field("metadata_endpoint", &self.metadata_endpoint)
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

    /// The first non-empty value among `names`, with the name it came from.
    fn first_env(&self, names: &[&'static str]) -> Option<(String, &'static str)> {
        names.iter().find_map(|name| {
            self.env
                .get(*name)
                .filter(|v| !v.is_empty())
                .map(|v| (v.clone(), *name))
        })
    }
}

/// One place the chain looked at; also tells where resolved credentials came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// A provider block attribute, e.g. `access_key`.
    Attribute(&'static str),
    /// An environment variable.
    Environment(&'static str),
    /// A profile of the aliyun CLI config file (`mode` when the profile was found).
    Profile {
        /// The config file.
        path: PathBuf,
        /// The profile name.
        profile: String,
        /// The profile's mode, when the profile was read.
        mode: Option<String>,
    },
    /// The config file, when it could not be read (`reason` says why).
    ProfileFile {
        /// The config file.
        path: PathBuf,
        /// E.g. "file not found".
        reason: String,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Attribute(name) => write!(f, "provider attribute `{name}`"),
            CredentialSource::Environment(name) => write!(f, "environment variable {name}"),
            CredentialSource::Profile {
                path,
                profile,
                mode: Some(mode),
            } => write!(f, "profile {profile:?} (mode {mode}) in {}", path.display()),
            CredentialSource::Profile { path, profile, .. } => {
                write!(f, "profile {profile:?} in {}", path.display())
            }
            CredentialSource::ProfileFile { path, reason } => {
                write!(f, "aliyun CLI config file {} ({reason})", path.display())
            }
        }
    }
}

/// Why no credentials could be resolved. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Nothing anywhere.
    #[error("no Alibaba Cloud credentials found; looked at: {}", list(looked_at))]
    Missing {
        /// Every place, in the order of the chain.
        looked_at: Vec<CredentialSource>,
    },
    /// Half a key pair (or a token without keys): using it, or silently ignoring it, would both
    /// surprise the user.
    #[error("incomplete credentials: {found} is set ({}), but no {missing} was found; looked for it in: {}",
        list(found_in), list(looked_at))]
    Partial {
        /// What was found, e.g. "an access key id".
        found: &'static str,
        /// Where it was found.
        found_in: Vec<CredentialSource>,
        /// What is missing, e.g. "access key secret".
        missing: &'static str,
        /// Where the missing part was looked for.
        looked_at: Vec<CredentialSource>,
    },
    /// The config file exists (or was named explicitly) but cannot be used.
    #[error("cannot use the aliyun CLI config file {}: {reason}", path.display())]
    ProfileFile {
        /// The config file.
        path: PathBuf,
        /// What is wrong; never file content.
        reason: String,
    },
    /// The named profile is not in the file.
    #[error("profile {profile:?} is not in {} (profiles there: {})", path.display(),
        if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    ProfileNotFound {
        /// The config file.
        path: PathBuf,
        /// The profile looked for.
        profile: String,
        /// The profile names that are there.
        available: Vec<String>,
    },
    /// A mode this provider does not implement.
    #[error("profile {profile:?} in {} uses mode {mode:?}, which is not supported; use AK, StsToken, RamRoleArn or EcsRamRole", path.display())]
    UnsupportedMode {
        /// The config file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// Its mode.
        mode: String,
    },
    /// The profile lacks a field its mode needs.
    #[error("profile {profile:?} (mode {mode}) in {} has no {field}", path.display())]
    IncompleteProfile {
        /// The config file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// Its mode.
        mode: String,
        /// The missing field, as spelled in the file.
        field: &'static str,
    },
    /// STS `AssumeRole` failed.
    #[error("STS AssumeRole of {role_arn} at {endpoint} failed: {detail}")]
    AssumeRole {
        /// The role.
        role_arn: String,
        /// The STS base URL.
        endpoint: String,
        /// The API error (code, message, RequestId) or transport failure.
        detail: String,
    },
    /// The ECS metadata service failed.
    #[error("ECS instance metadata service at {endpoint} failed: {detail}")]
    Metadata {
        /// The metadata base URL.
        endpoint: String,
        /// What went wrong.
        detail: String,
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

/// Resolves credentials. Precedence: explicit attribute > environment > profile file.
///
/// Async because `RamRoleArn` and `EcsRamRole` profiles make HTTP calls.
pub async fn resolve_credentials(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<Credentials, CredentialError> {
    resolve_credentials_with_source(explicit, opts)
        .await
        .map(|(creds, _)| creds)
}

/// Like [`resolve_credentials`], also telling where the access key id came from (for a log line).
pub async fn resolve_credentials_with_source(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<(Credentials, CredentialSource), CredentialError> {
    let mut looked_at = Vec::new();
    let access_key = pick(
        explicit.access_key.as_deref(),
        "access_key",
        &ACCESS_KEY_ENV,
        opts,
    );
    let secret_key = pick(
        explicit.secret_key.as_deref(),
        "secret_key",
        &SECRET_KEY_ENV,
        opts,
    );
    let token = pick(
        explicit.security_token.as_deref(),
        "security_token",
        &SECURITY_TOKEN_ENV,
        opts,
    );
    let places = |attr: &'static str, envs: &[&'static str]| -> Vec<CredentialSource> {
        std::iter::once(CredentialSource::Attribute(attr))
            .chain(envs.iter().map(|e| CredentialSource::Environment(e)))
            .collect()
    };

    match (access_key, secret_key, token) {
        (Some((id, id_from)), Some((secret, _)), token) => {
            let creds = Credentials {
                access_key_id: id,
                access_key_secret: secret,
                security_token: token.map(|(t, _)| t),
            };
            return Ok((creds, id_from));
        }
        (Some((_, from)), None, _) => {
            return Err(CredentialError::Partial {
                found: "an access key id",
                found_in: vec![from],
                missing: "access key secret",
                looked_at: places("secret_key", &SECRET_KEY_ENV),
            })
        }
        (None, Some((_, from)), _) => {
            return Err(CredentialError::Partial {
                found: "an access key secret",
                found_in: vec![from],
                missing: "access key id",
                looked_at: places("access_key", &ACCESS_KEY_ENV),
            })
        }
        (None, None, Some((_, from))) => {
            let mut looked = places("access_key", &ACCESS_KEY_ENV);
            looked.extend(places("secret_key", &SECRET_KEY_ENV));
            return Err(CredentialError::Partial {
                found: "a security token",
                found_in: vec![from],
                missing: "access key id and secret",
                looked_at: looked,
            });
        }
        (None, None, None) => {
            looked_at.extend(places("access_key", &ACCESS_KEY_ENV));
            looked_at.extend(places("secret_key", &SECRET_KEY_ENV));
        }
    }

    // Profile file: explicitly chosen file or profile name means a problem with it is an error;
    // the default file merely not existing is just one more place that came up empty.
    let chosen_file = explicit
        .shared_credentials_file
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            opts.first_env(&SHARED_CREDENTIALS_FILE_ENV)
                .map(|(v, _)| PathBuf::from(v))
        });
    let chosen_profile = explicit
        .profile
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| opts.first_env(&PROFILE_ENV).map(|(v, _)| v));
    let explicit_choice = chosen_file.is_some() || chosen_profile.is_some();
    let path = match chosen_file.or_else(|| {
        opts.home_dir
            .as_ref()
            .map(|h| h.join(".aliyun").join("config.json"))
    }) {
        Some(path) => path,
        None => {
            looked_at.push(CredentialSource::ProfileFile {
                path: PathBuf::from("~/.aliyun/config.json"),
                reason: "no home directory is known".to_owned(),
            });
            return Err(CredentialError::Missing { looked_at });
        }
    };

    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit_choice => {
            looked_at.push(CredentialSource::ProfileFile {
                path,
                reason: "file not found".to_owned(),
            });
            return Err(CredentialError::Missing { looked_at });
        }
        Err(e) => {
            return Err(CredentialError::ProfileFile {
                path,
                reason: e.to_string(),
            })
        }
    };
    let config: CliConfig =
        serde_json::from_str(&text).map_err(|e| CredentialError::ProfileFile {
            path: path.clone(),
            reason: format!(
                "not a valid aliyun CLI config ({})",
                super::models::describe_json_error(&e)
            ),
        })?;
    let name = chosen_profile
        .or_else(|| config.current.clone().filter(|c| !c.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    let Some(profile) = config.profiles.iter().find(|p| p.name == name) else {
        return Err(CredentialError::ProfileNotFound {
            path,
            profile: name,
            available: config.profiles.iter().map(|p| p.name.clone()).collect(),
        });
    };
    let mode = if profile.mode.is_empty() {
        "AK".to_owned()
    } else {
        profile.mode.clone()
    };
    let source = CredentialSource::Profile {
        path: path.clone(),
        profile: name.clone(),
        mode: Some(mode.clone()),
    };
    let ctx = ProfileCtx {
        path: &path,
        name: &name,
        mode: &mode,
        profile,
    };
    let creds = match mode.as_str() {
        "AK" => Credentials {
            access_key_id: ctx.required(&profile.access_key_id, "access_key_id")?,
            access_key_secret: ctx.required(&profile.access_key_secret, "access_key_secret")?,
            security_token: None,
        },
        "StsToken" => Credentials {
            access_key_id: ctx.required(&profile.access_key_id, "access_key_id")?,
            access_key_secret: ctx.required(&profile.access_key_secret, "access_key_secret")?,
            security_token: Some(ctx.required(&profile.sts_token, "sts_token")?),
        },
        "RamRoleArn" => assume_role(&ctx, opts).await?,
        "EcsRamRole" => ecs_ram_role(profile, opts).await?,
        _ => {
            return Err(CredentialError::UnsupportedMode {
                path,
                profile: name,
                mode,
            })
        }
    };
    Ok((creds, source))
}

/// An explicit attribute, else the first set env variable of `envs`.
fn pick(
    explicit: Option<&str>,
    attribute: &'static str,
    envs: &[&'static str],
    opts: &ResolveOptions,
) -> Option<(String, CredentialSource)> {
    if let Some(value) = explicit.filter(|v| !v.is_empty()) {
        return Some((value.to_owned(), CredentialSource::Attribute(attribute)));
    }
    opts.first_env(envs)
        .map(|(value, name)| (value, CredentialSource::Environment(name)))
}

/// The parts of `~/.aliyun/config.json` this provider reads; everything else is ignored.
#[derive(Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize)]
struct CliProfile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    ram_role_name: String,
    #[serde(default)]
    ram_role_arn: String,
    #[serde(default)]
    ram_session_name: String,
    #[serde(default)]
    expired_seconds: Option<Value>,
}

struct ProfileCtx<'a> {
    path: &'a Path,
    name: &'a str,
    mode: &'a str,
    profile: &'a CliProfile,
}

impl ProfileCtx<'_> {
    fn required(&self, value: &str, field: &'static str) -> Result<String, CredentialError> {
        if value.is_empty() {
            Err(CredentialError::IncompleteProfile {
                path: self.path.to_owned(),
                profile: self.name.to_owned(),
                mode: self.mode.to_owned(),
                field,
            })
        } else {
            Ok(value.to_owned())
        }
    }
}

fn http_client(opts: &ResolveOptions, base: &str) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(opts.http_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "terraform-provider-dbs/",
            env!("CARGO_PKG_VERSION")
        ));
    if is_local(base) {
        // A proxy cannot reach our loopback or link-local endpoints anyway.
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| e.to_string())
}

/// Loopback (tests) and the metadata service's own address never go via a proxy.
fn is_local(base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.octets() == [100, 100, 100, 200],
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// `RamRoleArn`: sign an STS `AssumeRole` call with the profile's keys.
async fn assume_role(
    ctx: &ProfileCtx<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, CredentialError> {
    let profile = ctx.profile;
    let access_key_id = ctx.required(&profile.access_key_id, "access_key_id")?;
    let access_key_secret = ctx.required(&profile.access_key_secret, "access_key_secret")?;
    let role_arn = ctx.required(&profile.ram_role_arn, "ram_role_arn")?;
    let session_name = if profile.ram_session_name.is_empty() {
        DEFAULT_SESSION_NAME.to_owned()
    } else {
        profile.ram_session_name.clone()
    };
    let duration = profile
        .expired_seconds
        .as_ref()
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|d| *d > 0)
        .unwrap_or(DEFAULT_DURATION_SECONDS);
    let endpoint = opts
        .sts_endpoint
        .clone()
        .unwrap_or_else(|| DEFAULT_STS_ENDPOINT.to_owned());
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let fail = |detail: String| CredentialError::AssumeRole {
        role_arn: role_arn.clone(),
        endpoint: endpoint.clone(),
        detail,
    };

    let nonce = new_nonce();
    let mut params = vec![
        ("Action".to_owned(), "AssumeRole".to_owned()),
        ("RoleArn".to_owned(), role_arn.clone()),
        ("RoleSessionName".to_owned(), session_name),
        ("DurationSeconds".to_owned(), duration.to_string()),
    ];
    params.extend(signing::common_parameters(&signing::CommonParams {
        version: STS_VERSION,
        access_key_id: &access_key_id,
        security_token: None,
        region_id: None,
        nonce: &nonce,
        timestamp: time::OffsetDateTime::now_utc(),
    }));
    let body = signing::encode_pairs(&signing::signed_parameters(
        "POST",
        params,
        &access_key_secret,
    ));
    let client = http_client(opts, &endpoint).map_err(&fail)?;
    let response = client
        .post(format!("{endpoint}/"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| fail(transport_detail(e)))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| fail(transport_detail(e)))?;
    if let Some(api) = ApiError::from_response(status, &bytes) {
        return Err(fail(api.to_string()));
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(fail(format!(
            "HTTP {status} with a body that is not a JSON object"
        )));
    };
    let creds = obj.get("Credentials").and_then(Value::as_object);
    let field = |name: &str| {
        creds
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
    ) {
        (Some(id), Some(secret), Some(token)) => {
            log::debug!("assumed role {role_arn} via {endpoint}");
            Ok(Credentials {
                access_key_id: id,
                access_key_secret: secret,
                security_token: Some(token),
            })
        }
        _ => Err(fail(format!(
            "HTTP {status}: the answer lacks Credentials.AccessKeyId, AccessKeySecret or SecurityToken (RequestId {})",
            obj.get("RequestId").and_then(Value::as_str).unwrap_or("unknown")
        ))),
    }
}

/// `EcsRamRole`: ask the instance metadata service, discovering the role name when the profile
/// does not set one.
async fn ecs_ram_role(
    profile: &CliProfile,
    opts: &ResolveOptions,
) -> Result<Credentials, CredentialError> {
    let endpoint = opts
        .metadata_endpoint
        .clone()
        .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_owned());
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let fail = |detail: String| CredentialError::Metadata {
        endpoint: endpoint.clone(),
        detail,
    };
    let client = http_client(opts, &endpoint).map_err(&fail)?;
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{endpoint}{path}");
        async move {
            let response = client.get(&url).send().await.map_err(transport_detail)?;
            let status = response.status();
            let text = response.text().await.map_err(transport_detail)?;
            if status.is_success() {
                Ok(text)
            } else {
                Err(format!("GET {path} answered HTTP {}", status.as_u16()))
            }
        }
    };

    let role = if profile.ram_role_name.is_empty() {
        let listing = get(METADATA_CREDENTIALS_PATH.to_owned())
            .await
            .map_err(&fail)?;
        match listing.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(role) => role.to_owned(),
            None => return Err(fail("no RAM role is attached to this instance".to_owned())),
        }
    } else {
        profile.ram_role_name.clone()
    };
    let path = format!(
        "{METADATA_CREDENTIALS_PATH}{}",
        signing::percent_encode(&role)
    );
    let text = get(path.clone()).await.map_err(&fail)?;
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&text) else {
        return Err(fail(format!("GET {path} did not answer a JSON object")));
    };
    if let Some(code) = obj.get("Code").and_then(Value::as_str) {
        if code != "Success" {
            return Err(fail(format!("GET {path} answered Code {code:?}")));
        }
    }
    let field = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
    ) {
        (Some(id), Some(secret), Some(token)) => {
            log::debug!("got credentials of RAM role {role} from {endpoint}");
            Ok(Credentials {
                access_key_id: id,
                access_key_secret: secret,
                security_token: Some(token),
            })
        }
        _ => Err(fail(format!(
            "GET {path} lacks AccessKeyId, AccessKeySecret or SecurityToken"
        ))),
    }
}

/// A transport failure in words, without the URL's query (which could carry a signature).
fn transport_detail(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    let e = e.without_url();
    format!("{kind}: {e}")
}

/// A fresh random nonce (128 bits, hex) for one request.
pub(crate) fn new_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(env: &[(&str, &str)]) -> ResolveOptions {
        ResolveOptions {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..ResolveOptions::default()
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn resolve(
        explicit: &ExplicitCredentials,
        o: &ResolveOptions,
    ) -> Result<(Credentials, CredentialSource), CredentialError> {
        block_on(resolve_credentials_with_source(explicit, o))
    }

    fn keys(id: &str, secret: &str) -> ExplicitCredentials {
        ExplicitCredentials {
            access_key: Some(id.into()),
            secret_key: Some(secret.into()),
            ..ExplicitCredentials::default()
        }
    }

    #[test]
    fn explicit_attributes_win_over_env() {
        let o = opts(&[
            ("ALICLOUD_ACCESS_KEY", "env-id"),
            ("ALICLOUD_SECRET_KEY", "env-secret"),
            ("ALICLOUD_SECURITY_TOKEN", "env-token"),
        ]);
        let (c, from) = resolve(&keys("attr-id", "attr-secret"), &o).unwrap();
        assert_eq!(c.access_key_id, "attr-id");
        assert_eq!(c.access_key_secret, "attr-secret");
        // The token follows its own chain: attribute unset, so the env token applies.
        assert_eq!(c.security_token.as_deref(), Some("env-token"));
        assert_eq!(from, CredentialSource::Attribute("access_key"));
    }

    #[test]
    fn every_env_name_is_read_and_first_wins() {
        for (id_var, secret_var, token_var) in [
            (
                "ALICLOUD_ACCESS_KEY",
                "ALICLOUD_SECRET_KEY",
                "ALICLOUD_SECURITY_TOKEN",
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                "ALIBABA_CLOUD_SECURITY_TOKEN",
            ),
        ] {
            let o = opts(&[(id_var, "id"), (secret_var, "secret"), (token_var, "token")]);
            let (c, from) = resolve(&ExplicitCredentials::default(), &o).unwrap();
            assert_eq!(
                (
                    c.access_key_id.as_str(),
                    c.access_key_secret.as_str(),
                    c.security_token.as_deref()
                ),
                ("id", "secret", Some("token")),
                "{id_var}"
            );
            assert_eq!(from, CredentialSource::Environment(id_var));
        }
        let o = opts(&[
            ("ALICLOUD_ACCESS_KEY", "first"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "second"),
            ("ALICLOUD_SECRET_KEY", ""),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "second-secret"),
        ]);
        let c = block_on(resolve_credentials(&ExplicitCredentials::default(), &o)).unwrap();
        assert_eq!(c.access_key_id, "first");
        // An empty variable counts as unset.
        assert_eq!(c.access_key_secret, "second-secret");
        assert_eq!(c.security_token, None);
    }

    #[test]
    fn keys_may_mix_attribute_and_env() {
        let o = opts(&[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")]);
        let explicit = ExplicitCredentials {
            access_key: Some("attr-id".into()),
            ..ExplicitCredentials::default()
        };
        let c = block_on(resolve_credentials(&explicit, &o)).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.access_key_secret.as_str()),
            ("attr-id", "env-secret")
        );
    }

    #[test]
    fn nothing_anywhere_names_every_place() {
        let home = tempfile::tempdir().unwrap();
        let mut o = opts(&[]);
        o.home_dir = Some(home.path().to_owned());
        let err = resolve(&ExplicitCredentials::default(), &o).unwrap_err();
        let text = err.to_string();
        for place in [
            "`access_key`",
            "`secret_key`",
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALICLOUD_SECRET_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "config.json (file not found)",
        ] {
            assert!(text.contains(place), "{place} missing from: {text}");
        }
        assert!(matches!(err, CredentialError::Missing { .. }));
    }

    #[test]
    fn no_home_directory_is_said() {
        let err = resolve(&ExplicitCredentials::default(), &opts(&[])).unwrap_err();
        assert!(
            err.to_string().contains("no home directory is known"),
            "{err}"
        );
    }

    #[test]
    fn partial_keys_are_an_error_naming_the_missing_half() {
        let err = resolve(
            &ExplicitCredentials::default(),
            &opts(&[("ALICLOUD_ACCESS_KEY", "id")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no access key secret"), "{text}");
        assert!(
            text.contains("environment variable ALICLOUD_ACCESS_KEY"),
            "{text}"
        );
        assert!(
            text.contains("`secret_key`") && text.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            "{text}"
        );

        let explicit = ExplicitCredentials {
            secret_key: Some("s3cr3t-value".into()),
            ..ExplicitCredentials::default()
        };
        let err = resolve(&explicit, &opts(&[])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("no access key id") && text.contains("ALICLOUD_ACCESS_KEY"),
            "{text}"
        );
        assert!(!text.contains("s3cr3t-value"), "{text}");

        let err = resolve(
            &ExplicitCredentials::default(),
            &opts(&[("ALIBABA_CLOUD_SECURITY_TOKEN", "t0ken")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("a security token is set"), "{text}");
        assert!(!text.contains("t0ken"), "{text}");
    }

    fn write_config(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join(".aliyun").join("config.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, json).unwrap();
        path
    }

    const CONFIG: &str = r#"{
      "current": "ak",
      "profiles": [
        {"name": "ak", "mode": "AK", "access_key_id": "ak-id", "access_key_secret": "ak-secret", "region_id": "cn-hangzhou"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sts-secret", "sts_token": "sts-token"},
        {"name": "nomode", "access_key_id": "n-id", "access_key_secret": "n-secret"},
        {"name": "halfsts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sts-secret"},
        {"name": "rsa", "mode": "RsaKeyPair", "private_key": "x"}
      ],
      "meta_path": ""
    }"#;

    fn with_home() -> (tempfile::TempDir, ResolveOptions, PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let path = write_config(home.path(), CONFIG);
        let mut o = opts(&[]);
        o.home_dir = Some(home.path().to_owned());
        (home, o, path)
    }

    #[test]
    fn current_profile_of_the_default_file() {
        let (_home, o, path) = with_home();
        let (c, from) = resolve(&ExplicitCredentials::default(), &o).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.access_key_secret.as_str()),
            ("ak-id", "ak-secret")
        );
        assert_eq!(c.security_token, None);
        assert_eq!(
            from,
            CredentialSource::Profile {
                path,
                profile: "ak".into(),
                mode: Some("AK".into())
            }
        );
    }

    #[test]
    fn named_profile_from_attribute_or_env() {
        let (_home, mut o, _) = with_home();
        let explicit = ExplicitCredentials {
            profile: Some("sts".into()),
            ..ExplicitCredentials::default()
        };
        let c = block_on(resolve_credentials(&explicit, &o)).unwrap();
        assert_eq!(c.security_token.as_deref(), Some("sts-token"));
        for var in PROFILE_ENV {
            o.env = [(var.to_owned(), "nomode".to_owned())].into();
            let c = block_on(resolve_credentials(&ExplicitCredentials::default(), &o)).unwrap();
            // A profile without a mode is an AK profile, as in the aliyun CLI.
            assert_eq!(c.access_key_id, "n-id", "{var}");
        }
        // The attribute beats the env variable.
        o.env = [("ALICLOUD_PROFILE".to_owned(), "nomode".to_owned())].into();
        let c = block_on(resolve_credentials(&explicit, &o)).unwrap();
        assert_eq!(c.access_key_id, "STS.id");
    }

    #[test]
    fn env_keys_beat_the_profile_file() {
        let (_home, mut o, _) = with_home();
        o.env = [
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID".to_owned(),
                "env-id".to_owned(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET".to_owned(),
                "env-secret".to_owned(),
            ),
        ]
        .into();
        let c = block_on(resolve_credentials(&ExplicitCredentials::default(), &o)).unwrap();
        assert_eq!(c.access_key_id, "env-id");
    }

    #[test]
    fn file_from_attribute_or_env() {
        let elsewhere = tempfile::tempdir().unwrap();
        let path = elsewhere.path().join("creds.json");
        std::fs::write(&path, r#"{"profiles":[{"name":"default","mode":"AK","access_key_id":"f-id","access_key_secret":"f-secret"}]}"#).unwrap();
        // No `current`: the profile called "default" is used.
        let explicit = ExplicitCredentials {
            shared_credentials_file: Some(path.clone()),
            ..ExplicitCredentials::default()
        };
        let c = block_on(resolve_credentials(&explicit, &opts(&[]))).unwrap();
        assert_eq!(c.access_key_id, "f-id");
        for var in SHARED_CREDENTIALS_FILE_ENV {
            let o = opts(&[(var, path.to_str().unwrap())]);
            let c = block_on(resolve_credentials(&ExplicitCredentials::default(), &o)).unwrap();
            assert_eq!(c.access_key_id, "f-id", "{var}");
        }
    }

    #[test]
    fn explicitly_named_missing_file_is_an_error() {
        let explicit = ExplicitCredentials {
            shared_credentials_file: Some(PathBuf::from("/nonexistent/dbs/config.json")),
            ..ExplicitCredentials::default()
        };
        let err = resolve(&explicit, &opts(&[])).unwrap_err();
        assert!(matches!(err, CredentialError::ProfileFile { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/dbs/config.json"));
    }

    #[test]
    fn unknown_profile_lists_the_available_ones() {
        let (_home, o, _) = with_home();
        let explicit = ExplicitCredentials {
            profile: Some("nope".into()),
            ..ExplicitCredentials::default()
        };
        let err = resolve(&explicit, &o).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"nope\"") && text.contains("ak, sts, nomode"),
            "{text}"
        );
    }

    #[test]
    fn incomplete_and_unsupported_profiles() {
        let (_home, o, _) = with_home();
        let named = |name: &str| ExplicitCredentials {
            profile: Some(name.into()),
            ..ExplicitCredentials::default()
        };
        let err = resolve(&named("halfsts"), &o).unwrap_err();
        assert!(
            matches!(
                &err,
                CredentialError::IncompleteProfile {
                    field: "sts_token",
                    ..
                }
            ),
            "{err}"
        );
        let err = resolve(&named("rsa"), &o).unwrap_err();
        assert!(
            matches!(&err, CredentialError::UnsupportedMode { mode, .. } if mode == "RsaKeyPair"),
            "{err}"
        );
    }

    #[test]
    fn malformed_file_is_an_error_without_its_content() {
        let home = tempfile::tempdir().unwrap();
        write_config(
            home.path(),
            r#"{"profiles":[{"name":"x","access_key_secret":"leaky-secret""#,
        );
        let mut o = opts(&[]);
        o.home_dir = Some(home.path().to_owned());
        let err = resolve(&ExplicitCredentials::default(), &o).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, CredentialError::ProfileFile { .. }), "{text}");
        assert!(!text.contains("leaky-secret"), "{text}");
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let c = Credentials {
            access_key_id: "id".into(),
            access_key_secret: "the-secret".into(),
            security_token: Some("the-token".into()),
        };
        let e = ExplicitCredentials {
            secret_key: Some("the-secret".into()),
            security_token: Some("the-token".into()),
            ..ExplicitCredentials::default()
        };
        let o = opts(&[("ALICLOUD_SECRET_KEY", "the-secret")]);
        for text in [format!("{c:?}"), format!("{e:?}"), format!("{o:?}")] {
            assert!(
                !text.contains("the-secret") && !text.contains("the-token"),
                "{text}"
            );
        }
        assert!(format!("{c:?}").contains("\"id\""));
    }

    #[test]
    fn nonces_are_fresh() {
        let a = new_nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_nonce());
    }
}
