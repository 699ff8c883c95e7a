//! ConfigureProvider and ValidateProviderConfig: from the `provider "dbs"`
//! block (plus environment and profile fallbacks) to a ready API client.

use std::time::Duration;

use crate::alibaba::credentials::{self, AssumeRoleSettings, CredentialProvider, OidcSettings};
use crate::alibaba::{
    resolve_endpoint, validate_override, ClientConfig, ClientError, DbsClient, ExplicitCredentials,
    ResolveOptions,
};
use crate::plugin::cty::Value;
use crate::plugin::{logging, AttributePath, Diagnostic, Diagnostics};
use crate::provider::args::{self, Arg};
use crate::provider::errors::no_trust_store;
use crate::provider::schema::{
    DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, MAX_MAX_CONCURRENCY,
    MAX_MAX_RETRIES, MAX_REQUEST_TIMEOUT, SESSION_EXPIRATION_RANGE,
};

/// String arguments of the provider block; an empty one is a mistake, not "unset".
const STRING_ARGUMENTS: [&str; 9] = [
    "region",
    "access_key",
    "secret_key",
    "security_token",
    "profile",
    "shared_credentials_file",
    "ecs_role_name",
    "credentials_uri",
    "sts_endpoint",
];
const ASSUME_ROLE_STRINGS: [&str; 4] = ["role_arn", "session_name", "policy", "external_id"];
const OIDC_STRINGS: [&str; 6] = [
    "oidc_provider_arn",
    "oidc_token_file",
    "oidc_token",
    "role_arn",
    "role_session_name",
    "policy",
];

/// Environment variables for the region, first set wins.
pub const REGION_VARIABLES: [&str; 2] = ["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"];
/// Environment variables for the endpoint override, first set wins.
pub const ENDPOINT_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_ENDPOINT_DBS", "DBS_ENDPOINT"];

fn bounded(config: &Value, name: &str, low: i64, high: i64) -> Result<Arg<i64>, Diagnostic> {
    let value = args::integer(config, name)?;
    if let Arg::Known(n) = value {
        if !(low..=high).contains(&n) {
            return Err(Diagnostic::error(
                format!("Invalid {name}"),
                format!("`{name}` must be between {low} and {high}, got {n}."),
            )
            .at(AttributePath::to(name)));
        }
    }
    Ok(value)
}

fn tuning(config: &Value) -> [Result<Arg<i64>, Diagnostic>; 3] {
    [
        bounded(config, "max_retries", 0, MAX_MAX_RETRIES),
        bounded(config, "request_timeout", 1, MAX_REQUEST_TIMEOUT),
        bounded(config, "max_concurrency", 1, MAX_MAX_CONCURRENCY),
    ]
}

/// Checks what can be checked without the environment; unknowns are skipped.
pub(crate) fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for result in tuning(config) {
        if let Err(d) = result {
            diags.push(d);
        }
    }
    match args::string(config, "endpoint") {
        // An empty override means "no override", as at ConfigureProvider.
        Ok(Arg::Known(endpoint)) if !endpoint.trim().is_empty() => {
            if let Err(e) = validate_override(endpoint.trim()) {
                diags.push(
                    Diagnostic::error("Invalid endpoint", e.to_string())
                        .at(AttributePath::to("endpoint")),
                );
            }
        }
        Ok(_) => {}
        Err(d) => diags.push(d),
    }
    for name in STRING_ARGUMENTS {
        if let Some(d) = empty_string(config, name, AttributePath::to(name)) {
            diags.push(d);
        }
    }
    for (block, strings) in [
        ("assume_role", &ASSUME_ROLE_STRINGS[..]),
        ("assume_role_with_oidc", &OIDC_STRINGS[..]),
    ] {
        let value = config.attr(block);
        if value.is_null() || value.is_unknown() {
            continue;
        }
        for name in strings {
            if let Some(d) = empty_string(value, name, AttributePath::to(block).attribute(*name)) {
                diags.push(d);
            }
        }
        if let Err(d) = session_expiration(value, block) {
            diags.push(d);
        }
        if let Ok(Arg::Known(policy)) = args::string(value, "policy") {
            if serde_json::from_str::<serde_json::Value>(&policy).is_err() {
                diags.push(
                    Diagnostic::error(
                        "Invalid policy",
                        "`policy` must be a RAM policy document in JSON.",
                    )
                    .at(AttributePath::to(block).attribute("policy")),
                );
            }
        }
    }
    let oidc = config.attr("assume_role_with_oidc");
    if !oidc.is_null() && !oidc.is_unknown() {
        let set = |name| args::string(oidc, name).is_ok_and(|a| a.is_set());
        if set("oidc_token") && set("oidc_token_file") {
            diags.push(
                Diagnostic::error(
                    "Conflicting OIDC token settings",
                    "Set `oidc_token` or `oidc_token_file`, not both.",
                )
                .at(AttributePath::to("assume_role_with_oidc").attribute("oidc_token")),
            );
        }
    }
    diags
}

fn empty_string(config: &Value, name: &str, at: AttributePath) -> Option<Diagnostic> {
    match args::string(config, name) {
        Ok(Arg::Known(s)) if s.trim().is_empty() => Some(
            Diagnostic::error(
                format!("Empty {name}"),
                format!("`{name}` is set to an empty string; remove it to use the fallbacks."),
            )
            .at(at),
        ),
        Ok(_) => None,
        Err(d) => Some(d.at(at)),
    }
}

/// `session_expiration` of a role block, checked against what STS accepts.
fn session_expiration(block: &Value, block_name: &str) -> Result<Option<i64>, Diagnostic> {
    let at = AttributePath::to(block_name).attribute("session_expiration");
    match args::integer(block, "session_expiration").map_err(|d| d.at(at.clone()))? {
        Arg::Known(n) if !SESSION_EXPIRATION_RANGE.contains(&n) => Err(Diagnostic::error(
            "Invalid session_expiration",
            format!(
                "`session_expiration` must be between {} and {} seconds, got {n}.",
                SESSION_EXPIRATION_RANGE.start(),
                SESSION_EXPIRATION_RANGE.end()
            ),
        )
        .at(at)),
        other => Ok(other.known()),
    }
}

/// The credential settings of the provider block.
fn explicit_credentials(config: &Value) -> Result<ExplicitCredentials, Diagnostic> {
    let nested = |block: &Value, block_name: &str, name: &str| {
        args::string(block, name)
            .map(Arg::known)
            .map_err(|d| d.at(AttributePath::to(block_name).attribute(name)))
    };
    let assume_role = match config.attr("assume_role") {
        v if v.is_null() || v.is_unknown() => None,
        block => Some(AssumeRoleSettings {
            role_arn: nested(block, "assume_role", "role_arn")?,
            session_name: nested(block, "assume_role", "session_name")?,
            policy: nested(block, "assume_role", "policy")?,
            session_expiration: session_expiration(block, "assume_role")?,
            external_id: nested(block, "assume_role", "external_id")?,
        }),
    };
    let assume_role_with_oidc = match config.attr("assume_role_with_oidc") {
        v if v.is_null() || v.is_unknown() => None,
        block => {
            let get = |name| nested(block, "assume_role_with_oidc", name);
            Some(OidcSettings {
                oidc_provider_arn: get("oidc_provider_arn")?,
                oidc_token_file: get("oidc_token_file")?.map(Into::into),
                oidc_token: get("oidc_token")?,
                role_arn: get("role_arn")?,
                role_session_name: get("role_session_name")?,
                policy: get("policy")?,
                session_expiration: session_expiration(block, "assume_role_with_oidc")?,
            })
        }
    };
    Ok(ExplicitCredentials {
        access_key: known_string(config, "access_key")?,
        secret_key: known_string(config, "secret_key")?,
        security_token: known_string(config, "security_token")?,
        profile: known_string(config, "profile")?,
        shared_credentials_file: known_string(config, "shared_credentials_file")?.map(Into::into),
        ecs_role_name: known_string(config, "ecs_role_name")?,
        credentials_uri: known_string(config, "credentials_uri")?,
        sts_endpoint: known_string(config, "sts_endpoint")?,
        assume_role,
        assume_role_with_oidc,
    })
}

fn first_env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

fn known_string(config: &Value, name: &str) -> Result<Option<String>, Diagnostic> {
    Ok(args::string(config, name)?.known())
}

/// Builds the client, or explains (naming every place looked at) why not.
pub(crate) async fn configure(config: &Value) -> Result<DbsClient, Diagnostics> {
    let diags = validate(config);
    if diags.has_errors() {
        return Err(diags);
    }
    let one = |d: Diagnostic| Diagnostics::from(d);
    let no_credentials = |e: credentials::CredentialError| {
        one(Diagnostic::error(
            "No usable Alibaba Cloud credentials",
            e.to_string(),
        ))
    };

    let explicit = explicit_credentials(config).map_err(one)?;
    for secret in [&explicit.secret_key, &explicit.security_token]
        .into_iter()
        .chain(
            explicit
                .assume_role_with_oidc
                .as_ref()
                .map(|o| &o.oidc_token),
        )
        .flatten()
    {
        logging::redact(secret);
    }
    let options = ResolveOptions::from_process_env();
    let plan = credentials::plan(&explicit, &options).map_err(no_credentials)?;

    let region = match known_string(config, "region").map_err(one)? {
        Some(r) => r,
        None => first_env(&REGION_VARIABLES)
            .or_else(|| plan.region.clone())
            .ok_or_else(|| {
                one(Diagnostic::error(
                    "Missing region",
                    format!(
                        "Set `region` in the provider block, one of the environment variables {}, \
                         or `region_id` in the aliyun CLI profile.",
                        REGION_VARIABLES.join(", ")
                    ),
                )
                .at(AttributePath::to("region")))
            })?,
    };
    let endpoint_override = match known_string(config, "endpoint").map_err(one)? {
        Some(e) => Some(e),
        None => first_env(&ENDPOINT_VARIABLES),
    };
    let endpoint = resolve_endpoint(&region, endpoint_override.as_deref()).map_err(|e| {
        one(Diagnostic::error("Invalid endpoint", e.to_string()).at(AttributePath::to("endpoint")))
    })?;

    let source = plan.source.clone();
    let credentials = CredentialProvider::new(plan, options).with_secret_hook(logging::redact);
    // Fetched once now, so a credential that cannot be had fails here, not in the first read.
    credentials.current().await.map_err(no_credentials)?;
    log::info!("Alibaba Cloud credentials from {source}");

    let [retries, timeout, concurrency] = tuning(config);
    let pick = |r: Result<Arg<i64>, Diagnostic>, default: i64| {
        r.ok().and_then(Arg::known).unwrap_or(default)
    };
    let client_config = ClientConfig {
        endpoint,
        region,
        credentials,
        max_retries: pick(retries, DEFAULT_MAX_RETRIES) as u32,
        request_timeout: Duration::from_secs(pick(timeout, DEFAULT_REQUEST_TIMEOUT) as u64),
        max_concurrency: pick(concurrency, DEFAULT_MAX_CONCURRENCY) as usize,
        user_agent: crate::alibaba::client::default_user_agent(),
    };
    DbsClient::new(client_config).map_err(|e| match e {
        ClientError::NoCaCertificates(_) => one(no_trust_store(&e)),
        _ => one(Diagnostic::error(
            "Cannot create the DBS client",
            e.to_string(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .map(|d| {
                d.attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn static_validation() {
        let ok = Value::object([("max_retries", Value::Number(0.into()))]);
        assert!(validate(&ok).is_empty());
        let bad = Value::object([
            ("max_retries", Value::Number(21.into())),
            ("request_timeout", Value::Number(0.into())),
            ("max_concurrency", Value::Unknown),
            ("endpoint", Value::String("http://dbs.example.com".into())),
            ("secret_key", Value::String("".into())),
        ]);
        assert_eq!(
            paths(&validate(&bad)),
            vec!["max_retries", "request_timeout", "endpoint", "secret_key"]
        );
        let loopback = Value::object([("endpoint", Value::String("http://127.0.0.1:8080".into()))]);
        assert!(validate(&loopback).is_empty());
    }
}
