//! The order of the chain: which configured source supplies the base credential, and which role
//! is assumed on top of it. No network here; the [`Plan`] says what to fetch.
//!
//! 1. `access_key` + `secret_key` (+ `security_token`) in the provider block;
//! 2. the key variables, one family at a time (`ALICLOUD_*`, `ALIBABA_CLOUD_*`, `ALIBABACLOUD_*`);
//! 3. OIDC from the environment (all three variables);
//! 4. `credentials_uri`;
//! 5. `ecs_role_name` (instance metadata);
//! 6. a profile of the aliyun CLI file, else a section of the official library's INI file.
//!
//! The `assume_role_with_oidc` block replaces the base (it needs no key), and `assume_role`
//! (or `ALICLOUD_ASSUME_ROLE_ARN`) is assumed on top of whatever the base is.

use std::path::PathBuf;

use super::env::{self, KeyFamily};
use super::plan::{Base, OidcRole, OidcToken, Plan, RoleToAssume};
use super::{
    ini, metadata, profile, sts, AssumeRoleSettings, CredentialError, CredentialSource,
    Credentials, ExplicitCredentials, OidcSettings, ResolveOptions,
};

/// Session name when nothing sets one; shows up in the account's ActionTrail.
pub(super) const DEFAULT_SESSION_NAME: &str = "terraform-provider-dbs";
/// Credential lifetime asked of STS when nothing says (the STS default too).
pub(super) const DEFAULT_DURATION_SECONDS: u64 = 3600;
/// What STS accepts for `DurationSeconds`.
const DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=43200;

pub(super) fn plan(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
) -> Result<Plan, CredentialError> {
    // Only checked when a role is assumed: a stale STS variable must not break plain keys.
    let sts_endpoint = || sts::endpoint(explicit, opts, None, None);
    let mut plan = match &explicit.assume_role_with_oidc {
        Some(block) => {
            // The block needs no key, but a half-set key elsewhere is still a mistake to report.
            written_keys(explicit, opts, &mut Vec::new())?;
            oidc_block(block, opts, &sts_endpoint)?
        }
        None => base(explicit, opts, &sts_endpoint)?,
    };
    if let Some(role) = assume_role(explicit, opts, &sts_endpoint)? {
        plan.source = CredentialSource::AssumedRole {
            role_arn: role.role_arn.clone(),
            base: Box::new(plan.source),
        };
        plan.roles.push(role);
    }
    Ok(plan)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `DurationSeconds` from a setting, checked against what STS accepts.
pub(super) fn duration(value: Option<i64>, setting: &str) -> Result<u64, CredentialError> {
    match value {
        None => Ok(DEFAULT_DURATION_SECONDS),
        Some(seconds) if DURATION_RANGE.contains(&seconds) => Ok(seconds as u64),
        Some(seconds) => Err(CredentialError::Invalid {
            setting: setting.to_owned(),
            reason: format!(
                "{seconds} seconds is outside what STS accepts ({} to {})",
                DURATION_RANGE.start(),
                DURATION_RANGE.end()
            ),
        }),
    }
}

fn keys(id: String, secret: String, token: Option<String>) -> Base {
    Base::Keys(Credentials {
        access_key_id: id,
        access_key_secret: secret,
        security_token: token,
    })
}

/// Steps 1 and 2: keys written down in the provider block or in one variable family. `Ok(None)`
/// when none is set (the places go to `looked_at`); a half-set block or family is an error.
fn written_keys(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    looked_at: &mut Vec<CredentialSource>,
) -> Result<Option<Plan>, CredentialError> {
    let plan = |base: Base, source: CredentialSource| Plan {
        base,
        roles: Vec::new(),
        source,
        region: None,
    };
    // 1. The provider block.
    let (id, secret, token) = (
        non_empty(&explicit.access_key),
        non_empty(&explicit.secret_key),
        non_empty(&explicit.security_token),
    );
    let setting = CredentialSource::Setting;
    match (id, secret, token) {
        (Some(id), Some(secret), token) => {
            return Ok(Some(plan(keys(id, secret, token), setting("access_key"))))
        }
        (None, None, None) => {
            looked_at.extend([setting("access_key"), setting("secret_key")]);
        }
        (id, secret, token) => {
            let found_in = [
                (id.is_some(), "access_key"),
                (secret.is_some(), "secret_key"),
                (token.is_some(), "security_token"),
            ]
            .into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, name)| setting(name))
            .collect();
            let (found, missing, needed) = match (id.is_some(), secret.is_some()) {
                (true, false) => (
                    "an access key id",
                    "its secret_key",
                    vec![setting("secret_key")],
                ),
                (false, true) => (
                    "an access key secret",
                    "its access_key",
                    vec![setting("access_key")],
                ),
                _ => (
                    "a security token",
                    "the access_key and secret_key it belongs to",
                    vec![setting("access_key"), setting("secret_key")],
                ),
            };
            return Err(CredentialError::Partial {
                found,
                found_in,
                missing: format!(
                    "{missing} (the provider block's credential is never completed from the environment)"
                ),
                looked_at: needed,
            });
        }
    }

    // 2. The key variables, one family at a time.
    for family in env::KEY_FAMILIES {
        let (id, secret, token) = (
            opts.var(family.id),
            opts.var(family.secret),
            opts.var(family.token),
        );
        match (id, secret, token) {
            (Some(id), Some(secret), token) => {
                return Ok(Some(plan(
                    keys(id, secret, token),
                    CredentialSource::Environment(family.id),
                )))
            }
            (None, None, None) => looked_at.extend([
                CredentialSource::Environment(family.id),
                CredentialSource::Environment(family.secret),
            ]),
            (id, secret, _) => {
                return Err(half_family(family, id.is_some(), secret.is_some(), opts))
            }
        }
    }
    Ok(None)
}

fn base(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    sts_endpoint: &dyn Fn() -> Result<String, CredentialError>,
) -> Result<Plan, CredentialError> {
    let plan = |base: Base, source: CredentialSource| Plan {
        base,
        roles: Vec::new(),
        source,
        region: None,
    };
    let mut looked_at = Vec::new();
    let setting = CredentialSource::Setting;

    // 1 and 2.
    if let Some(keys) = written_keys(explicit, opts, &mut looked_at)? {
        return Ok(keys);
    }

    // 3. OIDC from the environment.
    if let Some(oidc) = env_oidc(opts, sts_endpoint)? {
        return Ok(oidc);
    }
    looked_at.extend([
        CredentialSource::Environment(env::OIDC_PROVIDER_ARN),
        CredentialSource::Environment(env::OIDC_TOKEN_FILE),
    ]);

    // 4. A credentials URI.
    let uri = non_empty(&explicit.credentials_uri)
        .map(|u| (u, setting("credentials_uri")))
        .or_else(|| {
            opts.first_env(&env::CREDENTIALS_URI)
                .map(|(u, name)| (u, CredentialSource::Environment(name)))
        });
    if let Some((url, from)) = uri {
        match reqwest::Url::parse(&url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                let shown = super::http::shown_url(&url);
                return Ok(plan(
                    Base::CredentialsUri(url),
                    CredentialSource::CredentialsUri(shown),
                ));
            }
            _ => {
                return Err(CredentialError::Invalid {
                    setting: from.to_string(),
                    reason: "not an http:// or https:// URL".to_owned(),
                })
            }
        }
    }
    looked_at.extend([
        setting("credentials_uri"),
        CredentialSource::Environment(env::CREDENTIALS_URI[0]),
        CredentialSource::Environment(env::CREDENTIALS_URI[1]),
    ]);

    // 5. The instance role.
    let role = non_empty(&explicit.ecs_role_name)
        .or_else(|| opts.first_env(&env::ECS_ROLE_NAME).map(|(r, _)| r));
    if let Some(role) = role {
        return Ok(plan(
            instance_role(Some(role.clone()), opts),
            CredentialSource::EcsRole(role),
        ));
    }
    looked_at.extend([
        setting("ecs_role_name"),
        CredentialSource::Environment(env::ECS_ROLE_NAME[0]),
        CredentialSource::Environment(env::ECS_ROLE_NAME[1]),
    ]);

    // 6. Profiles: the aliyun CLI's JSON file wins over the official library's INI file.
    if let Some(plan) = profile::plan(explicit, opts, &mut looked_at)? {
        return Ok(plan);
    }
    if let Some(plan) = ini::plan(explicit, opts, &mut looked_at)? {
        return Ok(plan);
    }
    Err(CredentialError::Missing { looked_at })
}

/// Instance metadata for `role` (discovered when `None`), with the environment's IMDS settings.
pub(super) fn instance_role(role: Option<String>, opts: &ResolveOptions) -> Base {
    Base::InstanceRole {
        role,
        imdsv1_allowed: !opts.flag(env::IMDSV1_DISABLED),
        endpoint: opts
            .var(env::METADATA_ENDPOINT)
            .unwrap_or_else(|| metadata::DEFAULT_METADATA_ENDPOINT.to_owned()),
    }
}

/// A key family with only some of its variables set.
fn half_family(
    family: KeyFamily,
    has_id: bool,
    has_secret: bool,
    opts: &ResolveOptions,
) -> CredentialError {
    let (found, found_in, missing_var, what) = match (has_id, has_secret) {
        (true, false) => ("an access key id", family.id, family.secret, "secret"),
        (false, true) => ("an access key secret", family.secret, family.id, "id"),
        _ => ("a security token", family.token, family.id, "id and secret"),
    };
    let elsewhere: Vec<&str> = env::KEY_FAMILIES
        .iter()
        .filter(|f| f.id != family.id)
        .flat_map(|f| [f.id, f.secret])
        .filter(|name| opts.var(name).is_some())
        .collect();
    let note = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(
            " ({} is set, but a key is never put together from two variable families)",
            elsewhere.join(", ")
        )
    };
    let mut looked_at = vec![CredentialSource::Environment(missing_var)];
    if !has_id && !has_secret {
        looked_at.push(CredentialSource::Environment(family.secret));
    }
    CredentialError::Partial {
        found,
        found_in: vec![CredentialSource::Environment(found_in)],
        missing: format!("its access key {what}{note}"),
        looked_at,
    }
}

/// OIDC when any of its own variables is set (`ALIBABA_CLOUD_ROLE_ARN` alone is `assume_role`'s).
fn env_oidc(
    opts: &ResolveOptions,
    sts_endpoint: &dyn Fn() -> Result<String, CredentialError>,
) -> Result<Option<Plan>, CredentialError> {
    let provider_arn = opts.var(env::OIDC_PROVIDER_ARN);
    let token_file = opts.var(env::OIDC_TOKEN_FILE);
    if provider_arn.is_none() && token_file.is_none() {
        return Ok(None);
    }
    let role_arn = opts.var(env::OIDC_ROLE_ARN);
    let (Some(provider_arn), Some(token_file), Some(role_arn)) =
        (provider_arn.clone(), token_file.clone(), role_arn.clone())
    else {
        let all = [
            (role_arn.is_some(), env::OIDC_ROLE_ARN),
            (provider_arn.is_some(), env::OIDC_PROVIDER_ARN),
            (token_file.is_some(), env::OIDC_TOKEN_FILE),
        ];
        return Err(CredentialError::Partial {
            found: "OIDC",
            found_in: all
                .iter()
                .filter(|(set, _)| *set)
                .map(|(_, n)| CredentialSource::Environment(n))
                .collect(),
            missing: "the rest of its three variables".to_owned(),
            looked_at: all
                .iter()
                .filter(|(set, _)| !*set)
                .map(|(_, n)| CredentialSource::Environment(n))
                .collect(),
        });
    };
    let role = OidcRole {
        role_arn: role_arn.clone(),
        provider_arn,
        token: OidcToken::File(PathBuf::from(token_file)),
        session_name: opts
            .var(env::ROLE_SESSION_NAME)
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        policy: None,
        duration_seconds: DEFAULT_DURATION_SECONDS,
        sts_endpoint: sts_endpoint()?,
    };
    Ok(Some(Plan {
        base: Base::Oidc(role),
        roles: Vec::new(),
        source: CredentialSource::Oidc {
            role_arn,
            from: "environment",
        },
        region: None,
    }))
}

/// The `assume_role_with_oidc` block; its settings fall back to the OIDC variables.
fn oidc_block(
    block: &OidcSettings,
    opts: &ResolveOptions,
    sts_endpoint: &dyn Fn() -> Result<String, CredentialError>,
) -> Result<Plan, CredentialError> {
    let missing = |what: &str, attribute: &'static str, variable: Option<&'static str>| {
        CredentialError::Partial {
            found: "an assume_role_with_oidc block",
            found_in: vec![CredentialSource::Setting("assume_role_with_oidc")],
            missing: format!("its {what}"),
            looked_at: std::iter::once(CredentialSource::Setting(attribute))
                .chain(variable.map(CredentialSource::Environment))
                .collect(),
        }
    };
    let required = |value: &Option<String>, what, attribute, variable| {
        non_empty(value)
            .or_else(|| opts.var(variable))
            .ok_or_else(|| missing(what, attribute, Some(variable)))
    };
    let role_arn = required(
        &block.role_arn,
        "role_arn",
        "assume_role_with_oidc.role_arn",
        env::OIDC_ROLE_ARN,
    )?;
    let provider_arn = required(
        &block.oidc_provider_arn,
        "oidc_provider_arn",
        "assume_role_with_oidc.oidc_provider_arn",
        env::OIDC_PROVIDER_ARN,
    )?;
    let token = match (non_empty(&block.oidc_token), &block.oidc_token_file) {
        (Some(token), None) => OidcToken::Inline(token),
        (None, Some(file)) if !file.as_os_str().is_empty() => OidcToken::File(file.clone()),
        (Some(_), Some(_)) => {
            return Err(CredentialError::Invalid {
                setting: "assume_role_with_oidc".to_owned(),
                reason: "set oidc_token or oidc_token_file, not both".to_owned(),
            })
        }
        _ => OidcToken::File(PathBuf::from(opts.var(env::OIDC_TOKEN_FILE).ok_or_else(
            || {
                missing(
                    "oidc_token or oidc_token_file",
                    "assume_role_with_oidc.oidc_token_file",
                    Some(env::OIDC_TOKEN_FILE),
                )
            },
        )?)),
    };
    let role = OidcRole {
        role_arn: role_arn.clone(),
        provider_arn,
        token,
        session_name: non_empty(&block.role_session_name)
            .or_else(|| opts.var(env::ROLE_SESSION_NAME))
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        policy: non_empty(&block.policy),
        duration_seconds: duration(
            block.session_expiration,
            "assume_role_with_oidc.session_expiration",
        )?,
        sts_endpoint: sts_endpoint()?,
    };
    Ok(Plan {
        base: Base::Oidc(role),
        roles: Vec::new(),
        source: CredentialSource::Oidc {
            role_arn,
            from: "provider block",
        },
        region: None,
    })
}

/// The `assume_role` block, or its role from the environment when no OIDC variable claims
/// `ALIBABA_CLOUD_ROLE_ARN`.
fn assume_role(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    sts_endpoint: &dyn Fn() -> Result<String, CredentialError>,
) -> Result<Option<RoleToAssume>, CredentialError> {
    let oidc_claims_role = explicit.assume_role_with_oidc.is_some()
        || opts.var(env::OIDC_PROVIDER_ARN).is_some()
        || opts.var(env::OIDC_TOKEN_FILE).is_some();
    let from_env = || {
        if oidc_claims_role {
            opts.var(env::ASSUME_ROLE_ARN[0])
        } else {
            opts.first_env(&env::ASSUME_ROLE_ARN).map(|(v, _)| v)
        }
    };
    let settings = match &explicit.assume_role {
        Some(block) => block.clone(),
        None => match from_env() {
            Some(role_arn) => AssumeRoleSettings {
                role_arn: Some(role_arn),
                ..AssumeRoleSettings::default()
            },
            None => return Ok(None),
        },
    };
    let role_arn = non_empty(&settings.role_arn)
        .or_else(from_env)
        .ok_or_else(|| CredentialError::Partial {
            found: "an assume_role block",
            found_in: vec![CredentialSource::Setting("assume_role")],
            missing: "its role_arn".to_owned(),
            looked_at: vec![
                CredentialSource::Setting("assume_role.role_arn"),
                CredentialSource::Environment(env::ASSUME_ROLE_ARN[0]),
                CredentialSource::Environment(env::ASSUME_ROLE_ARN[1]),
            ],
        })?;
    Ok(Some(RoleToAssume {
        role_arn,
        session_name: non_empty(&settings.session_name)
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        policy: non_empty(&settings.policy),
        external_id: non_empty(&settings.external_id),
        duration_seconds: duration(
            settings.session_expiration,
            "assume_role.session_expiration",
        )?,
        sts_endpoint: sts_endpoint()?,
    }))
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
