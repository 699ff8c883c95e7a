//! ConfigureProvider and ValidateProviderConfig: from the `provider "dbs"`
//! block (plus environment and profile fallbacks) to a ready API client.

use std::time::Duration;

use crate::alibaba::{
    resolve_credentials, resolve_endpoint, validate_override, ClientConfig, ClientError, DbsClient,
    ExplicitCredentials, ResolveOptions,
};
use crate::plugin::cty::Value;
use crate::plugin::{logging, AttributePath, Diagnostic, Diagnostics};
use crate::provider::args::{self, Arg};
use crate::provider::errors::client_error_diagnostic;
use crate::provider::schema::{
    DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, MAX_MAX_CONCURRENCY,
    MAX_MAX_RETRIES, MAX_REQUEST_TIMEOUT,
};

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
            .at(AttributePath::root(name)));
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
                        .at(AttributePath::root("endpoint")),
                );
            }
        }
        Ok(_) => {}
        Err(d) => diags.push(d),
    }
    for name in [
        "region",
        "access_key",
        "secret_key",
        "security_token",
        "profile",
    ] {
        if let Ok(Arg::Known(s)) = args::string(config, name) {
            if s.trim().is_empty() {
                diags.push(
                    Diagnostic::error(
                        format!("Empty {name}"),
                        format!(
                            "`{name}` is set to an empty string; remove it to use the fallbacks."
                        ),
                    )
                    .at(AttributePath::root(name)),
                );
            }
        }
    }
    diags
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
    let region = match known_string(config, "region").map_err(one)? {
        Some(r) => r,
        None => first_env(&REGION_VARIABLES).ok_or_else(|| {
            one(Diagnostic::error(
                "Missing region",
                format!(
                    "Set `region` in the provider block, or one of the environment variables {}.",
                    REGION_VARIABLES.join(", ")
                ),
            )
            .at(AttributePath::root("region")))
        })?,
    };
    let endpoint_override = match known_string(config, "endpoint").map_err(one)? {
        Some(e) => Some(e),
        None => first_env(&ENDPOINT_VARIABLES),
    };
    let endpoint = resolve_endpoint(&region, endpoint_override.as_deref()).map_err(|e| {
        one(Diagnostic::error("Invalid endpoint", e.to_string())
            .at(AttributePath::root("endpoint")))
    })?;

    let explicit = ExplicitCredentials {
        access_key: known_string(config, "access_key").map_err(one)?,
        secret_key: known_string(config, "secret_key").map_err(one)?,
        security_token: known_string(config, "security_token").map_err(one)?,
        profile: known_string(config, "profile").map_err(one)?,
        shared_credentials_file: known_string(config, "shared_credentials_file")
            .map_err(one)?
            .map(Into::into),
    };
    for secret in [&explicit.secret_key, &explicit.security_token]
        .into_iter()
        .flatten()
    {
        logging::redact(secret);
    }
    let options = ResolveOptions::from_process_env();
    let credentials = resolve_credentials(&explicit, &options)
        .await
        .map_err(|e| {
            one(Diagnostic::error(
                "No usable Alibaba Cloud credentials",
                e.to_string(),
            ))
        })?;
    logging::redact(&credentials.access_key_secret);
    if let Some(token) = &credentials.security_token {
        logging::redact(token);
    }

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
        ClientError::NoCaCertificates(_) => one(client_error_diagnostic(&e)),
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
