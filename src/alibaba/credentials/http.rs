//! What every credential endpoint (STS, instance metadata, a credentials URI) shares: an HTTP
//! client that honours the proxy variables, a bounded body, and failure text that names the
//! API code and RequestId without quoting anything secret back.

use serde_json::Value;
use time::OffsetDateTime;

use super::plan::Issued;
use super::{Credentials, ResolveOptions};
use crate::alibaba::error::ApiError;
use crate::alibaba::server_text::{self, Secrets};

/// Credential answers are a few hundred bytes; anything past this is not one.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A client for `base`: HTTPS verified against the trust store, no redirects (a redirect would
/// resend a signed request elsewhere), the proxy variables honoured except for local addresses.
pub(super) fn client(opts: &ResolveOptions, base: &str) -> Result<reqwest::Client, String> {
    let mut builder = crate::alibaba::trust_store::client_builder(!base.starts_with("http://"))
        .map_err(|e| e.to_string())?
        .timeout(opts.http_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(crate::alibaba::client::default_user_agent());
    if is_local(base) {
        // A proxy cannot reach loopback or the metadata address anyway.
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| e.to_string())
}

/// Loopback (tests) and the metadata service's own address never go via a proxy.
pub(super) fn is_local(base: &str) -> bool {
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

/// A URL as it may be shown: scheme, host, port and path, never its query or user info.
pub(super) fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "<not a URL>".to_owned(),
    }
}

/// Status and body of an answer, the body cut off at [`MAX_BODY_BYTES`].
pub(super) async fn read(response: reqwest::Response) -> Result<(u16, Vec<u8>), String> {
    let status = response.status().as_u16();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_detail)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!(
                "HTTP {status} with a body over {MAX_BODY_BYTES} bytes, which is no credential answer"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// The API error in an answer (code, message, RequestId), cleaned of anything in `secrets`.
pub(super) fn api_error(status: u16, body: &[u8], secrets: &Secrets) -> Option<String> {
    let mut api = ApiError::from_response(status, body)?;
    let clean = |text: &str| server_text::clean(text, secrets);
    api.code = clean(&api.code);
    api.message = clean(&api.message);
    api.request_id = api.request_id.as_deref().map(clean);
    api.host_id = api.host_id.as_deref().map(clean);
    Some(api.to_string())
}

/// The JSON object of a successful answer.
pub(super) fn object(status: u16, body: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        _ => Err(format!(
            "HTTP {status} with a body that is not a JSON object"
        )),
    }
}

/// `AccessKeyId`, `AccessKeySecret`, `SecurityToken` and `Expiration`, as STS, instance metadata
/// and credentials URIs all spell them. The three keys must be there; `Expiration` must parse
/// when present, because a credential we cannot date is one we cannot refresh in time.
pub(super) fn temporary_credentials(
    obj: &serde_json::Map<String, Value>,
) -> Result<Issued, &'static str> {
    let field = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let credentials = Credentials {
        access_key_id: field("AccessKeyId").ok_or("AccessKeyId")?,
        access_key_secret: field("AccessKeySecret").ok_or("AccessKeySecret")?,
        security_token: Some(field("SecurityToken").ok_or("SecurityToken")?),
    };
    let expiration = match field("Expiration") {
        None => None,
        Some(text) => Some(parse_expiration(&text).ok_or("Expiration (not a UTC timestamp)")?),
    };
    Ok(Issued {
        credentials,
        expiration,
    })
}

/// `2026-12-01T10:00:00Z` as every credential endpoint writes it; RFC 3339 in general too.
pub(super) fn parse_expiration(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()
}

/// A transport failure in words, without the URL (whose query could carry a token).
pub(super) fn transport_detail(e: reqwest::Error) -> String {
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

    #[test]
    fn shown_urls_drop_query_and_user_info() {
        assert_eq!(
            shown_url("http://user:pw@127.0.0.1:9/creds?token=s3cr3t#x"),
            "http://127.0.0.1:9/creds"
        );
        assert_eq!(shown_url("::"), "<not a URL>");
    }

    #[test]
    fn temporary_credentials_need_all_three_keys_and_a_readable_expiration() {
        let obj = |v: serde_json::Value| v.as_object().unwrap().clone();
        let ok = obj(
            serde_json::json!({"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}),
        );
        let issued = temporary_credentials(&ok).unwrap();
        assert_eq!(issued.credentials.security_token.as_deref(), Some("t"));
        assert_eq!(issued.expiration.unwrap().year(), 2030);
        let missing = obj(serde_json::json!({"AccessKeyId":"STS.a","AccessKeySecret":"s"}));
        assert_eq!(
            temporary_credentials(&missing).unwrap_err(),
            "SecurityToken"
        );
        let bad_date = obj(
            serde_json::json!({"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"soon"}),
        );
        assert!(temporary_credentials(&bad_date)
            .unwrap_err()
            .starts_with("Expiration"));
    }
}
