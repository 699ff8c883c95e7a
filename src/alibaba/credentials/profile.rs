//! The aliyun CLI config file (`~/.aliyun/config.json`): which file, which profile, and what its
//! mode turns into.
//!
//! A file or profile the user named explicitly must work, so problems with it are errors; the
//! default file merely not existing is one more place that came up empty.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::chain::{self, DEFAULT_SESSION_NAME};
use super::plan::{Base, OidcRole, OidcToken, Plan, RoleToAssume};
use super::{
    env, sts, CredentialError, CredentialSource, Credentials, ExplicitCredentials, ResolveOptions,
};

/// How deep `ChainableRamRoleArn` profiles may chain (the aliyun CLI allows a handful too).
const MAX_CHAIN: usize = 8;

/// The profile name asked for: `profile`, else its variables.
pub(super) fn chosen_name(
    explicit: &ExplicitCredentials,
) -> impl Fn(&ResolveOptions) -> Option<String> + '_ {
    move |opts| {
        explicit
            .profile
            .clone()
            .filter(|p| !p.trim().is_empty())
            .or_else(|| opts.first_env(&env::PROFILE).map(|(v, _)| v))
    }
}

/// Whether `path` holds JSON (the alicloud reading of `ALIBABA_CLOUD_CREDENTIALS_FILE`) rather
/// than INI (the official library's).
pub(super) fn holds_json(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| bytes.iter().copied().find(|b| !b.is_ascii_whitespace()))
        == Some(b'{')
}

/// A credentials file's text. A file nobody named that does not exist is one more place that came
/// up empty (`Ok(None)`); one the user named must be readable.
pub(super) fn read_file(
    path: &Path,
    named: bool,
    looked_at: &mut Vec<CredentialSource>,
) -> Result<Option<String>, CredentialError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            looked_at.push(CredentialSource::ProfileFile {
                path: path.to_owned(),
                reason: "file not found".to_owned(),
            });
            Ok(None)
        }
        Err(e) => Err(CredentialError::ProfileFile {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// Plans from the JSON profile, or `Ok(None)` when no JSON profile is configured.
pub(super) fn plan(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    looked_at: &mut Vec<CredentialSource>,
) -> Result<Option<Plan>, CredentialError> {
    let default_path = opts
        .home_dir
        .as_ref()
        .map(|h| h.join(".aliyun").join("config.json"));
    if opts.flag(env::CLI_PROFILE_DISABLED) {
        looked_at.push(CredentialSource::ProfileFile {
            path: default_path.unwrap_or_else(|| PathBuf::from("~/.aliyun/config.json")),
            reason: format!("skipped: {}=true", env::CLI_PROFILE_DISABLED),
        });
        return Ok(None);
    }
    let named_file = explicit
        .shared_credentials_file
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            opts.first_env(&env::SHARED_CREDENTIALS_FILE)
                .map(|(v, _)| PathBuf::from(v))
        })
        .or_else(|| {
            opts.var(env::CREDENTIALS_FILE)
                .map(PathBuf::from)
                .filter(|p| holds_json(p))
        });
    let explicit_file = named_file.is_some();
    let Some(path) = named_file.or(default_path) else {
        looked_at.push(CredentialSource::ProfileFile {
            path: PathBuf::from("~/.aliyun/config.json"),
            reason: "no home directory is known".to_owned(),
        });
        return Ok(None);
    };
    let Some(text) = read_file(&path, explicit_file, looked_at)? else {
        return Ok(None);
    };
    let config: CliConfig =
        serde_json::from_str(&text).map_err(|e| CredentialError::ProfileFile {
            path: path.clone(),
            reason: format!(
                "not a valid aliyun CLI config ({})",
                crate::alibaba::json_error::describe_json_error(&e, text.as_bytes())
            ),
        })?;
    let name = chosen_name(explicit)(opts)
        .or_else(|| config.current.clone().filter(|c| !c.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    let file = CliFile {
        path: &path,
        config: &config,
        explicit,
        opts,
    };
    file.plan(&name, 0).map(Some)
}

/// The parts of `~/.aliyun/config.json` this provider reads; everything else is ignored.
#[derive(Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CliProfile {
    name: String,
    mode: String,
    access_key_id: String,
    access_key_secret: String,
    sts_token: String,
    ram_role_name: String,
    ram_role_arn: String,
    ram_session_name: String,
    role_session_name: String,
    expired_seconds: Option<Value>,
    policy: String,
    external_id: String,
    sts_region: String,
    enable_vpc: Option<Value>,
    source_profile: String,
    oidc_provider_arn: String,
    oidc_token_file: String,
    credentials_uri: String,
    process_command: String,
    region_id: String,
}

struct CliFile<'a> {
    path: &'a Path,
    config: &'a CliConfig,
    explicit: &'a ExplicitCredentials,
    opts: &'a ResolveOptions,
}

impl CliFile<'_> {
    fn plan(&self, name: &str, depth: usize) -> Result<Plan, CredentialError> {
        let Some(profile) = self.config.profiles.iter().find(|p| p.name == name) else {
            return Err(CredentialError::ProfileNotFound {
                path: self.path.to_owned(),
                profile: name.to_owned(),
                available: self
                    .config
                    .profiles
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
            });
        };
        let mode = if profile.mode.is_empty() {
            "AK"
        } else {
            profile.mode.as_str()
        };
        let at = Field {
            path: self.path,
            name,
            mode,
        };
        let source = CredentialSource::Profile {
            path: self.path.to_owned(),
            profile: name.to_owned(),
            mode: Some(mode.to_owned()),
        };
        let plan = |base: Base, roles: Vec<RoleToAssume>| Plan {
            base,
            roles,
            source: source.clone(),
            region: Some(profile.region_id.clone()).filter(|r| !r.is_empty()),
        };
        let keys = |token: Option<String>| -> Result<Base, CredentialError> {
            Ok(Base::Keys(Credentials {
                access_key_id: at.required(&profile.access_key_id, "access_key_id")?,
                access_key_secret: at.required(&profile.access_key_secret, "access_key_secret")?,
                security_token: token,
            }))
        };
        Ok(match mode {
            "AK" => plan(keys(None)?, Vec::new()),
            "StsToken" => plan(keys(Some(at.required(&profile.sts_token, "sts_token")?))?, Vec::new()),
            "RamRoleArn" => plan(keys(None)?, vec![self.role(profile, &at)?]),
            "ChainableRamRoleArn" => {
                let source_name = at.required(&profile.source_profile, "source_profile")?;
                if depth >= MAX_CHAIN || source_name == name {
                    return Err(CredentialError::Invalid {
                        setting: format!("profile {name:?} in {}", self.path.display()),
                        reason: format!(
                            "source_profile chains more than {MAX_CHAIN} profiles deep or back to itself"
                        ),
                    });
                }
                let mut inner = self.plan(&source_name, depth + 1)?;
                inner.roles.push(self.role(profile, &at)?);
                Plan {
                    source,
                    region: Some(profile.region_id.clone())
                        .filter(|r| !r.is_empty())
                        .or(inner.region),
                    ..inner
                }
            }
            "EcsRamRole" => plan(
                chain::instance_role(Some(profile.ram_role_name.clone()).filter(|r| !r.is_empty()), self.opts),
                Vec::new(),
            ),
            "OIDC" => plan(
                Base::Oidc(OidcRole {
                    role_arn: at.required(&profile.ram_role_arn, "ram_role_arn")?,
                    provider_arn: at.required(&profile.oidc_provider_arn, "oidc_provider_arn")?,
                    token: OidcToken::File(PathBuf::from(
                        at.required(&profile.oidc_token_file, "oidc_token_file")?,
                    )),
                    session_name: session_name(profile),
                    policy: Some(profile.policy.clone()).filter(|p| !p.is_empty()),
                    duration_seconds: self.duration(profile, name)?,
                    sts_endpoint: self.sts_endpoint(profile)?,
                }),
                Vec::new(),
            ),
            "CredentialsURI" => plan(
                Base::CredentialsUri(at.required(&profile.credentials_uri, "credentials_uri")?),
                Vec::new(),
            ),
            "External" => plan(
                Base::External {
                    profile: name.to_owned(),
                    command: at.required(&profile.process_command, "process_command")?,
                },
                Vec::new(),
            ),
            "CloudSSO" | "OAuth" => {
                return Err(CredentialError::UnsupportedMode {
                    path: self.path.to_owned(),
                    profile: name.to_owned(),
                    mode: mode.to_owned(),
                    hint: "it needs an interactive browser login, which Terraform runs cannot do; \
                           in a pipeline use an OIDC (RRSA), EcsRamRole, RamRoleArn or External \
                           profile, or the provider's assume_role / assume_role_with_oidc blocks; \
                           on a workstation, export the session with `aliyun configure export`-style \
                           StsToken keys or an External profile that runs the aliyun CLI"
                        .to_owned(),
                })
            }
            other => {
                return Err(CredentialError::UnsupportedMode {
                    path: self.path.to_owned(),
                    profile: name.to_owned(),
                    mode: other.to_owned(),
                    hint: "supported modes are AK, StsToken, RamRoleArn, ChainableRamRoleArn, \
                           EcsRamRole, OIDC, CredentialsURI and External"
                        .to_owned(),
                })
            }
        })
    }

    fn role(&self, profile: &CliProfile, at: &Field<'_>) -> Result<RoleToAssume, CredentialError> {
        Ok(RoleToAssume {
            role_arn: at.required(&profile.ram_role_arn, "ram_role_arn")?,
            session_name: session_name(profile),
            policy: Some(profile.policy.clone()).filter(|p| !p.is_empty()),
            external_id: Some(profile.external_id.clone()).filter(|p| !p.is_empty()),
            duration_seconds: self.duration(profile, at.name)?,
            sts_endpoint: self.sts_endpoint(profile)?,
        })
    }

    fn duration(&self, profile: &CliProfile, name: &str) -> Result<u64, CredentialError> {
        let setting = format!("expired_seconds of profile {name:?}");
        let seconds = match &profile.expired_seconds {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(|| invalid_number(&setting))?),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().parse().map_err(|_| invalid_number(&setting))?),
            Some(_) => return Err(invalid_number(&setting)),
        };
        // The CLI writes 0 for "not set".
        chain::duration(seconds.filter(|s| *s != 0), &setting)
    }

    fn sts_endpoint(&self, profile: &CliProfile) -> Result<String, CredentialError> {
        let vpc = match &profile.enable_vpc {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if !s.is_empty() => Some(s.eq_ignore_ascii_case("true")),
            _ => None,
        };
        sts::endpoint(self.explicit, self.opts, Some(&profile.sts_region), vpc)
    }
}

fn invalid_number(setting: &str) -> CredentialError {
    CredentialError::Invalid {
        setting: setting.to_owned(),
        reason: "not a whole number of seconds".to_owned(),
    }
}

fn session_name(profile: &CliProfile) -> String {
    [&profile.ram_session_name, &profile.role_session_name]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned())
}

/// Names the profile when one of its fields is missing.
struct Field<'a> {
    path: &'a Path,
    name: &'a str,
    mode: &'a str,
}

impl Field<'_> {
    fn required(&self, value: &str, field: &'static str) -> Result<String, CredentialError> {
        if value.trim().is_empty() {
            Err(CredentialError::IncompleteProfile {
                path: self.path.to_owned(),
                profile: self.name.to_owned(),
                mode: self.mode.to_owned(),
                field,
            })
        } else {
            Ok(value.trim().to_owned())
        }
    }
}
