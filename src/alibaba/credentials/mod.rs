//! Where the access key comes from: explicit provider attributes, then the environment, then a
//! profile of the aliyun CLI config file (the order the README's Credentials section gives).
//!
//! Everything the chain reads is passed in through [`ResolveOptions`] (an environment snapshot,
//! the home directory, the STS and metadata endpoints), so every branch is testable without
//! touching the real environment or the network. When nothing is found, the error lists every
//! place that was looked at, because "no credentials" alone sends people guessing.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

mod profile;
mod remote;

pub(crate) use remote::new_nonce;
pub use remote::{DEFAULT_METADATA_ENDPOINT, DEFAULT_STS_ENDPOINT};

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
    profile::resolve(explicit, opts, looked_at).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
}
