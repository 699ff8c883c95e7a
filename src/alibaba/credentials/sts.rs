//! STS: `AssumeRole` (signed with the credential before it) and `AssumeRoleWithOIDC` (not signed:
//! the OIDC token is the proof), and which STS host to call.
//!
//! Both are sent as POST forms, so neither the signature nor the OIDC token ends up in a URL that
//! a proxy or an error message could log.

use super::http;
use super::plan::{Issued, OidcRole, OidcToken, RoleToAssume};
use super::{env, CredentialError, Credentials, ExplicitCredentials, ResolveOptions};
use crate::alibaba::server_text::Secrets;
use crate::alibaba::signed_form::sign_form;
use crate::alibaba::signing;

/// The public STS host, used when nothing says otherwise.
pub const DEFAULT_STS_HOST: &str = "sts.aliyuncs.com";
/// STS API version.
const STS_VERSION: &str = "2015-04-01";

/// Where STS is: `sts_endpoint` (or its variables), else the region (the profile's `sts_region`
/// and `enable_vpc`, else `ALIBABA_CLOUD_STS_REGION` and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`),
/// else the public host. Returns a base URL.
pub(super) fn endpoint(
    explicit: &ExplicitCredentials,
    opts: &ResolveOptions,
    profile_region: Option<&str>,
    profile_vpc: Option<bool>,
) -> Result<String, CredentialError> {
    let configured = explicit
        .sts_endpoint
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| (s.to_owned(), "sts_endpoint".to_owned()))
        .or_else(|| {
            opts.first_env(&env::STS_ENDPOINT)
                .map(|(v, name)| (v, name.to_owned()))
        });
    if let Some((value, setting)) = configured {
        return endpoint_url(&value).map_err(|reason| CredentialError::Invalid { setting, reason });
    }
    let region = profile_region
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(|| opts.var(env::STS_REGION));
    let vpc = profile_vpc.unwrap_or_else(|| opts.flag(env::VPC_ENDPOINT_ENABLED));
    if let Some(bad) = region.as_deref().filter(|r| {
        !r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) {
        return Err(CredentialError::Invalid {
            setting: "sts_region".to_owned(),
            reason: format!("{bad:?} is not a region id (lower-case letters, digits and '-')"),
        });
    }
    Ok(match region {
        Some(region) => {
            let prefix = if vpc { "sts-vpc" } else { "sts" };
            format!("https://{prefix}.{region}.aliyuncs.com")
        }
        None => format!("https://{DEFAULT_STS_HOST}"),
    })
}

/// A bare host means HTTPS; a URL must pass the DBS endpoint's rules (`http://` only for
/// loopback), since the same secrets travel to it.
fn endpoint_url(value: &str) -> Result<String, String> {
    let url = if value.contains("://") {
        value.to_owned()
    } else {
        if value.contains(['/', '@', '?', '#']) || value.contains(char::is_whitespace) {
            return Err(format!("{value:?} is neither a host name nor a URL"));
        }
        format!("https://{value}")
    };
    crate::alibaba::endpoint::validate_override(&url)
        .map(|url| url.trim_end_matches('/').to_owned())
        .map_err(|e| e.to_string())
}

/// `AssumeRole` with `signer`.
pub(super) async fn assume_role(
    signer: &Credentials,
    role: &RoleToAssume,
    opts: &ResolveOptions,
) -> Result<Issued, CredentialError> {
    let mut params = vec![
        ("Action".to_owned(), "AssumeRole".to_owned()),
        ("RoleArn".to_owned(), role.role_arn.clone()),
        ("RoleSessionName".to_owned(), role.session_name.clone()),
        (
            "DurationSeconds".to_owned(),
            role.duration_seconds.to_string(),
        ),
    ];
    if let Some(policy) = &role.policy {
        params.push(("Policy".to_owned(), policy.clone()));
    }
    if let Some(external_id) = &role.external_id {
        params.push(("ExternalId".to_owned(), external_id.clone()));
    }
    let form = sign_form(params, STS_VERSION, None, signer);
    call(
        "AssumeRole",
        &role.role_arn,
        &role.sts_endpoint,
        form.body(),
        &form.secrets,
        opts,
    )
    .await
}

/// `AssumeRoleWithOIDC`, reading the token file afresh.
pub(super) async fn assume_role_with_oidc(
    role: &OidcRole,
    opts: &ResolveOptions,
) -> Result<Issued, CredentialError> {
    let token = match &role.token {
        OidcToken::Inline(token) => token.clone(),
        OidcToken::File(path) => {
            let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                CredentialError::OidcTokenFile {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
            let token = text.trim().to_owned();
            if token.is_empty() {
                return Err(CredentialError::OidcTokenFile {
                    path: path.clone(),
                    reason: "the file is empty".to_owned(),
                });
            }
            token
        }
    };
    let mut params = vec![
        ("Action".to_owned(), "AssumeRoleWithOIDC".to_owned()),
        ("Format".to_owned(), "JSON".to_owned()),
        ("Version".to_owned(), STS_VERSION.to_owned()),
        (
            "Timestamp".to_owned(),
            signing::format_timestamp(time::OffsetDateTime::now_utc()),
        ),
        ("RoleArn".to_owned(), role.role_arn.clone()),
        ("OIDCProviderArn".to_owned(), role.provider_arn.clone()),
        ("OIDCToken".to_owned(), token.clone()),
        ("RoleSessionName".to_owned(), role.session_name.clone()),
        (
            "DurationSeconds".to_owned(),
            role.duration_seconds.to_string(),
        ),
    ];
    if let Some(policy) = &role.policy {
        params.push(("Policy".to_owned(), policy.clone()));
    }
    let secrets = Secrets::new([token.as_str()]);
    call(
        "AssumeRoleWithOIDC",
        &role.role_arn,
        &role.sts_endpoint,
        signing::encode_pairs(&params),
        &secrets,
        opts,
    )
    .await
}

async fn call(
    action: &'static str,
    role_arn: &str,
    endpoint: &str,
    form_body: String,
    secrets: &Secrets,
    opts: &ResolveOptions,
) -> Result<Issued, CredentialError> {
    let fail = |detail: String| CredentialError::Sts {
        action,
        role_arn: role_arn.to_owned(),
        endpoint: endpoint.to_owned(),
        detail,
    };
    let client = http::client(opts, endpoint).map_err(&fail)?;
    let response = client
        .post(format!("{endpoint}/"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form_body)
        .send()
        .await
        .map_err(|e| fail(http::transport_detail(e)))?;
    let (status, body) = http::read(response).await.map_err(&fail)?;
    if let Some(api) = http::api_error(status, &body, secrets) {
        return Err(fail(api));
    }
    let obj = http::object(status, &body).map_err(&fail)?;
    let request_id = obj
        .get("RequestId")
        .and_then(serde_json::Value::as_str)
        .map(|id| crate::alibaba::server_text::clean(id, secrets))
        .unwrap_or_else(|| "unknown".to_owned());
    let credentials = obj
        .get("Credentials")
        .and_then(serde_json::Value::as_object)
        .ok_or("Credentials")
        .and_then(http::temporary_credentials)
        .map_err(|field| {
            fail(format!(
                "HTTP {status}: the answer lacks a usable Credentials.{field} (RequestId {request_id})"
            ))
        })?;
    if credentials.expiration.is_none() {
        // Without it the credential would be cached forever and fail at its real expiry.
        return Err(fail(format!(
            "HTTP {status}: the answer lacks Credentials.Expiration (RequestId {request_id})"
        )));
    }
    log::debug!("STS {action} of {role_arn} via {endpoint} succeeded (RequestId {request_id})");
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(env: &[(&str, &str)]) -> ResolveOptions {
        ResolveOptions::with_env(env)
    }

    #[test]
    fn sts_endpoint_selection() {
        let none = ExplicitCredentials::default();
        let pick = |e: &ExplicitCredentials, o: &ResolveOptions, r: Option<&str>, v| {
            endpoint(e, o, r, v).unwrap()
        };
        assert_eq!(
            pick(&none, &opts(&[]), None, None),
            "https://sts.aliyuncs.com"
        );
        let region = opts(&[("ALIBABA_CLOUD_STS_REGION", "cn-beijing")]);
        assert_eq!(
            pick(&none, &region, None, None),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        let vpc = opts(&[
            ("ALIBABA_CLOUD_STS_REGION", "cn-beijing"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        assert_eq!(
            pick(&none, &vpc, None, None),
            "https://sts-vpc.cn-beijing.aliyuncs.com"
        );
        // The profile's own region and VPC choice beat the environment's.
        assert_eq!(
            pick(&none, &vpc, Some("ap-southeast-1"), Some(false)),
            "https://sts.ap-southeast-1.aliyuncs.com"
        );
        // A VPC choice without a region has no VPC host to go to.
        let vpc_only = opts(&[("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")]);
        assert_eq!(
            pick(&none, &vpc_only, None, None),
            "https://sts.aliyuncs.com"
        );
        // sts_endpoint beats every region, as a host or a URL; its variables come next.
        let host = ExplicitCredentials {
            sts_endpoint: Some("sts.cn-shanghai.aliyuncs.com".into()),
            ..ExplicitCredentials::default()
        };
        assert_eq!(
            pick(&host, &vpc, Some("x"), Some(true)),
            "https://sts.cn-shanghai.aliyuncs.com"
        );
        for var in env::STS_ENDPOINT {
            let o = opts(&[(var, "http://127.0.0.1:9/")]);
            assert_eq!(
                pick(&none, &o, Some("x"), None),
                "http://127.0.0.1:9",
                "{var}"
            );
        }
    }

    #[test]
    fn sts_endpoint_over_plain_http_must_be_loopback() {
        let e = ExplicitCredentials {
            sts_endpoint: Some("http://sts.example.com".into()),
            ..ExplicitCredentials::default()
        };
        let err = endpoint(&e, &opts(&[]), None, None).unwrap_err();
        assert!(
            matches!(&err, CredentialError::Invalid { setting, .. } if setting == "sts_endpoint"),
            "{err}"
        );
        assert!(err.to_string().contains("loopback"), "{err}");
        let e = ExplicitCredentials {
            sts_endpoint: Some("sts example".into()),
            ..ExplicitCredentials::default()
        };
        assert!(endpoint(&e, &opts(&[]), None, None).is_err());
    }

    #[test]
    fn a_region_or_host_cannot_redirect_sts_elsewhere() {
        let none = ExplicitCredentials::default();
        for region in ["x.evil.com#", "cn-hangzhou@evil.com/", "CN-HANGZHOU"] {
            let o = opts(&[("ALIBABA_CLOUD_STS_REGION", region)]);
            assert!(endpoint(&none, &o, None, None).is_err(), "{region}");
            assert!(
                endpoint(&none, &opts(&[]), Some(region), None).is_err(),
                "{region}"
            );
        }
        for host in ["a@evil.com", "sts.aliyuncs.com?x=1", "sts.aliyuncs.com#x"] {
            let e = ExplicitCredentials {
                sts_endpoint: Some(host.into()),
                ..ExplicitCredentials::default()
            };
            assert!(endpoint(&e, &opts(&[]), None, None).is_err(), "{host}");
        }
    }
}
