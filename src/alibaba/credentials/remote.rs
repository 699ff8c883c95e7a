//! The credential sources that make HTTP calls: STS `AssumeRole` for `RamRoleArn` profiles and
//! the ECS instance metadata service for `EcsRamRole` profiles. Both base URLs come from
//! [`ResolveOptions`] so tests point them at loopback servers.

use serde_json::Value;

use super::{CredentialError, Credentials, ResolveOptions};
use crate::alibaba::error::ApiError;
use crate::alibaba::signing;

/// Public STS endpoint used by `RamRoleArn` profiles unless overridden.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// ECS instance metadata service used by `EcsRamRole` profiles unless overridden.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// STS API version of `AssumeRole`.
const STS_VERSION: &str = "2015-04-01";
const METADATA_CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

fn http_client(opts: &ResolveOptions, base: &str) -> Result<reqwest::Client, String> {
    let mut builder = crate::alibaba::trust_store::client_builder(!base.starts_with("http://"))
        .map_err(|e| e.to_string())?
        .timeout(opts.http_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(crate::alibaba::client::default_user_agent());
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

/// What an STS `AssumeRole` call needs, taken from a `RamRoleArn` profile.
pub(super) struct AssumeRoleRequest {
    pub(super) access_key_id: String,
    pub(super) access_key_secret: String,
    pub(super) role_arn: String,
    pub(super) session_name: String,
    pub(super) duration_seconds: u64,
}

/// `RamRoleArn`: sign an STS `AssumeRole` call with the profile's keys.
pub(super) async fn assume_role(
    request: AssumeRoleRequest,
    opts: &ResolveOptions,
) -> Result<Credentials, CredentialError> {
    let AssumeRoleRequest {
        access_key_id,
        access_key_secret,
        role_arn,
        session_name,
        duration_seconds: duration,
    } = request;
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
    match obj
        .get("Credentials")
        .and_then(Value::as_object)
        .and_then(temporary_credentials)
    {
        Some(credentials) => {
            log::debug!("assumed role {role_arn} via {endpoint}");
            Ok(credentials)
        }
        None => Err(fail(format!(
            "HTTP {status}: the answer lacks Credentials.AccessKeyId, AccessKeySecret or SecurityToken (RequestId {})",
            obj.get("RequestId").and_then(Value::as_str).unwrap_or("unknown")
        ))),
    }
}

/// `EcsRamRole`: ask the instance metadata service, discovering the role name when the profile
/// does not set one.
pub(super) async fn ecs_ram_role(
    role_name: &str,
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

    let role = if role_name.is_empty() {
        let listing = get(METADATA_CREDENTIALS_PATH.to_owned())
            .await
            .map_err(&fail)?;
        match listing.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(role) => role.to_owned(),
            None => return Err(fail("no RAM role is attached to this instance".to_owned())),
        }
    } else {
        role_name.to_owned()
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
    match temporary_credentials(&obj) {
        Some(credentials) => {
            log::debug!("got credentials of RAM role {role} from {endpoint}");
            Ok(credentials)
        }
        None => Err(fail(format!(
            "GET {path} lacks AccessKeyId, AccessKeySecret or SecurityToken"
        ))),
    }
}

/// STS and the metadata service describe temporary credentials with the
/// same three fields; all three must be present and non-empty.
fn temporary_credentials(obj: &serde_json::Map<String, Value>) -> Option<Credentials> {
    let field = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Some(Credentials {
        access_key_id: field("AccessKeyId")?,
        access_key_secret: field("AccessKeySecret")?,
        security_token: Some(field("SecurityToken")?),
    })
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

    #[test]
    fn nonces_are_fresh() {
        let a = new_nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_nonce());
    }

    #[test]
    fn only_local_endpoints_skip_the_proxy() {
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:1",
            "http://100.100.100.200",
        ] {
            assert!(is_local(local), "{local}");
        }
        for remote in ["https://sts.aliyuncs.com", "http://100.64.0.1", "not a url"] {
            assert!(!is_local(remote), "{remote}");
        }
    }
}
