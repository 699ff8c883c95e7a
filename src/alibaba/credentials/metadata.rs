//! The instance RAM role from ECS instance metadata, hardened mode (IMDSv2) first: a `PUT` for a
//! session token, then the GETs carrying it. When no token can be had (an older metadata server),
//! the GETs go without it, unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true` forbids that.
//!
//! Only ever called when the configuration asks for the instance role: probing the metadata
//! address on a laptop or in CI would hang on an unroutable address.

use super::http;
use super::plan::Issued;
use super::{CredentialError, ResolveOptions};
use crate::alibaba::server_text::Secrets;

/// Instance metadata, unless `DBS_ECS_METADATA_ENDPOINT` says otherwise.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// The token only has to outlive the two GETs that follow it.
const TOKEN_TTL_SECONDS: u32 = 60;

/// Reads the role's credentials; discovers the role when `role` is `None`.
pub(super) async fn fetch(
    endpoint: &str,
    role: Option<&str>,
    imdsv1_allowed: bool,
    opts: &ResolveOptions,
) -> Result<Issued, CredentialError> {
    let endpoint = endpoint.trim_end_matches('/');
    let fail = |detail: String| CredentialError::Metadata {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let client = http::client(opts, endpoint).map_err(&fail)?;
    let token = match session_token(&client, endpoint).await {
        Ok(token) => Some(token),
        Err(why) if imdsv1_allowed => {
            log::debug!("no IMDSv2 token from {endpoint} ({why}); falling back to plain GETs");
            None
        }
        Err(why) => {
            return Err(fail(format!(
                "{why}, and ALIBABA_CLOUD_IMDSV1_DISABLED=true forbids plain GETs"
            )))
        }
    };
    let secrets = Secrets::new(token.as_deref());
    let get = |path: String| {
        let mut request = client.get(format!("{endpoint}{path}"));
        if let Some(token) = &token {
            request = request.header(TOKEN_HEADER, token);
        }
        async move {
            let response = request.send().await.map_err(http::transport_detail)?;
            let (status, body) = http::read(response).await?;
            if (200..300).contains(&status) {
                Ok(String::from_utf8_lossy(&body).into_owned())
            } else {
                Err(format!("GET {path} answered HTTP {status}"))
            }
        }
    };
    let role = match role {
        Some(role) => role.to_owned(),
        None => {
            let listing = get(CREDENTIALS_PATH.to_owned()).await.map_err(&fail)?;
            match listing.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(role) => role.to_owned(),
                None => return Err(fail("no RAM role is attached to this instance".to_owned())),
            }
        }
    };
    let path = format!(
        "{CREDENTIALS_PATH}{}",
        crate::alibaba::signing::percent_encode(&role)
    );
    let text = get(path.clone()).await.map_err(&fail)?;
    let obj = http::object(200, text.as_bytes())
        .map_err(|_| fail(format!("GET {path} did not answer a JSON object")))?;
    if let Some(code) = obj.get("Code").and_then(serde_json::Value::as_str) {
        if code != "Success" {
            let code = crate::alibaba::server_text::clean(code, &secrets);
            return Err(fail(format!("GET {path} answered Code {code:?}")));
        }
    }
    let issued = http::temporary_credentials(&obj)
        .map_err(|field| fail(format!("GET {path} lacks a usable {field}")))?;
    if issued.expiration.is_none() {
        return Err(fail(format!("GET {path} lacks Expiration")));
    }
    log::debug!(
        "credentials of RAM role {role} from {endpoint} ({})",
        if token.is_some() {
            "IMDSv2"
        } else {
            "plain GETs"
        }
    );
    Ok(issued)
}

async fn session_token(client: &reqwest::Client, endpoint: &str) -> Result<String, String> {
    let response = client
        .put(format!("{endpoint}{TOKEN_PATH}"))
        .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
        .send()
        .await
        .map_err(|e| format!("PUT {TOKEN_PATH}: {}", http::transport_detail(e)))?;
    let (status, body) = http::read(response).await?;
    let token = String::from_utf8_lossy(&body).trim().to_owned();
    if !(200..300).contains(&status) {
        return Err(format!("PUT {TOKEN_PATH} answered HTTP {status}"));
    }
    if token.is_empty() || token.contains(char::is_control) {
        return Err(format!("PUT {TOKEN_PATH} answered no usable token"));
    }
    Ok(token)
}
