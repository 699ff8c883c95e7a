//! The official credentials library's INI file (`~/.alibabacloud/credentials.ini`, or
//! `ALIBABA_CLOUD_CREDENTIALS_FILE` when that is INI). Read only when no aliyun CLI profile is
//! configured: where both could serve, the alicloud provider's reading (the JSON profile) wins.
//!
//! Sections are profiles; `type` is `access_key`, `ecs_ram_role`, `ram_role_arn` or
//! `oidc_role_arn`, with the official library's key names. `enable = false` turns a section off.

use std::collections::HashMap;
use std::path::PathBuf;

use super::chain::{self, DEFAULT_SESSION_NAME};
use super::plan::{Base, OidcRole, OidcToken, Plan, RoleToAssume};
use super::profile::{chosen_name, holds_json, read_file};
use super::{
    env, sts, CredentialError, CredentialSource, Credentials, ExplicitCredentials, ResolveOptions,
};

/// Plans from the INI file, or `Ok(None)` when there is none to read.
pub(super) fn plan(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    looked_at: &mut Vec<CredentialSource>,
) -> Result<Option<Plan>, CredentialError> {
    let named = opts
        .var(env::CREDENTIALS_FILE)
        .map(PathBuf::from)
        .filter(|p| !holds_json(p));
    let explicit_file = named.is_some();
    let Some(path) = named.or_else(|| {
        opts.home_dir
            .as_ref()
            .map(|h| h.join(".alibabacloud").join("credentials.ini"))
    }) else {
        return Ok(None);
    };
    let Some(text) = read_file(&path, explicit_file, looked_at)? else {
        return Ok(None);
    };
    let sections = parse(&text).map_err(|line| CredentialError::ProfileFile {
        path: path.clone(),
        reason: format!("line {line} is neither a [section], a key = value pair nor a comment"),
    })?;
    let name = chosen_name(explicit)(opts).unwrap_or_else(|| "default".to_owned());
    let Some(section) = sections.iter().find(|(n, _)| *n == name).map(|(_, s)| s) else {
        return Err(CredentialError::ProfileNotFound {
            path,
            profile: name,
            available: sections.into_iter().map(|(n, _)| n).collect(),
        });
    };
    if section
        .get("enable")
        .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    {
        looked_at.push(CredentialSource::ProfileFile {
            path,
            reason: format!("section [{name}] has enable = false"),
        });
        return Ok(None);
    }
    let kind = section.get("type").cloned().unwrap_or_default();
    let required = |key: &'static str| -> Result<String, CredentialError> {
        section
            .get(key)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| CredentialError::IncompleteProfile {
                path: path.clone(),
                profile: name.clone(),
                mode: kind.clone(),
                field: key,
            })
    };
    let optional = |key: &str| section.get(key).filter(|v| !v.is_empty()).cloned();
    let session_name =
        optional("role_session_name").unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
    let keys = || -> Result<Base, CredentialError> {
        Ok(Base::Keys(Credentials {
            access_key_id: required("access_key_id")?,
            access_key_secret: required("access_key_secret")?,
            security_token: None,
        }))
    };
    let sts_endpoint = || sts::endpoint(explicit, opts, None, None);
    let (base, roles) =
        match kind.as_str() {
            "access_key" => (keys()?, Vec::new()),
            "ecs_ram_role" => (
                chain::instance_role(optional("role_name"), opts),
                Vec::new(),
            ),
            "ram_role_arn" => (
                keys()?,
                vec![RoleToAssume {
                    role_arn: required("role_arn")?,
                    session_name,
                    policy: optional("policy"),
                    external_id: None,
                    duration_seconds: chain::DEFAULT_DURATION_SECONDS,
                    sts_endpoint: sts_endpoint()?,
                }],
            ),
            "oidc_role_arn" => (
                Base::Oidc(OidcRole {
                    role_arn: required("role_arn")?,
                    provider_arn: required("oidc_provider_arn")?,
                    token: OidcToken::File(PathBuf::from(required("oidc_token_file_path")?)),
                    session_name,
                    policy: optional("policy"),
                    duration_seconds: chain::DEFAULT_DURATION_SECONDS,
                    sts_endpoint: sts_endpoint()?,
                }),
                Vec::new(),
            ),
            other => return Err(CredentialError::UnsupportedMode {
                path,
                profile: name,
                mode: other.to_owned(),
                hint:
                    "supported types are access_key, ecs_ram_role, ram_role_arn and oidc_role_arn"
                        .to_owned(),
            }),
        };
    Ok(Some(Plan {
        base,
        roles,
        source: CredentialSource::IniProfile {
            path,
            profile: name,
            kind,
        },
        region: None,
    }))
}

type Section = HashMap<String, String>;

/// Sections in file order; a value's ` #` comment is cut off, as the official library does.
/// `Err` carries the 1-based number of the first line that makes no sense.
fn parse(text: &str) -> Result<Vec<(String, Section)>, usize> {
    let mut sections: Vec<(String, Section)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_owned(), Section::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=').or_else(|| line.split_once(':')) else {
            return Err(number + 1);
        };
        let Some((_, section)) = sections.last_mut() else {
            return Err(number + 1);
        };
        let value = value.split('#').next().unwrap_or_default().trim();
        section.insert(key.trim().to_ascii_lowercase(), value.to_owned());
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_keys_and_comments() {
        let text = "# header\n[default]\ntype = access_key   # static keys\naccess_key_id = id\n\n; other\n[prod]\nType: ram_role_arn\n";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].1["type"], "access_key");
        assert_eq!(sections[0].1["access_key_id"], "id");
        assert_eq!(sections[1].1["type"], "ram_role_arn");
        assert_eq!(parse("key = before any section"), Err(1));
        assert_eq!(parse("[a]\nnot a pair"), Err(2));
    }
}
