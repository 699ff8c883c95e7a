//! The aliyun CLI config file (`~/.aliyun/config.json`): which file, which profile, and what its
//! mode turns into.
//!
//! A file or profile the user named explicitly must work, so problems with it are errors; the
//! default file merely not existing is one more place that came up empty.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::remote::{self, AssumeRoleRequest};
use super::{
    CredentialError, CredentialSource, Credentials, ExplicitCredentials, ResolveOptions,
    PROFILE_ENV, SHARED_CREDENTIALS_FILE_ENV,
};

/// Session name when the profile does not set one; shows up in the account's ActionTrail.
const DEFAULT_SESSION_NAME: &str = "terraform-provider-dbs";
/// Credential lifetime asked of STS when the profile does not say (the STS default too).
const DEFAULT_DURATION_SECONDS: u64 = 3600;

/// Resolves from the profile file; `looked_at` lists the places already tried, for the error.
pub(super) async fn resolve(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    mut looked_at: Vec<CredentialSource>,
) -> Result<(Credentials, CredentialSource), CredentialError> {
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
                crate::alibaba::models::describe_json_error(&e, text.as_bytes())
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
        "RamRoleArn" => remote::assume_role(ctx.assume_role_request()?, opts).await?,
        "EcsRamRole" => remote::ecs_ram_role(&profile.ram_role_name, opts).await?,
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

impl ProfileCtx<'_> {
    fn assume_role_request(&self) -> Result<AssumeRoleRequest, CredentialError> {
        let profile = self.profile;
        let session_name = if profile.ram_session_name.is_empty() {
            DEFAULT_SESSION_NAME.to_owned()
        } else {
            profile.ram_session_name.clone()
        };
        let duration_seconds = profile
            .expired_seconds
            .as_ref()
            .and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .filter(|d| *d > 0)
            .unwrap_or(DEFAULT_DURATION_SECONDS);
        Ok(AssumeRoleRequest {
            access_key_id: self.required(&profile.access_key_id, "access_key_id")?,
            access_key_secret: self.required(&profile.access_key_secret, "access_key_secret")?,
            role_arn: self.required(&profile.ram_role_arn, "ram_role_arn")?,
            session_name,
            duration_seconds,
        })
    }
}
