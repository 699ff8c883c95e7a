//! A credentials URI: a local agent or sidecar that answers temporary credentials as JSON
//! (`Code: "Success"`, the three keys and `Expiration`), the way the official library reads it.

use super::http;
use super::plan::Issued;
use super::{CredentialError, ResolveOptions};
use crate::alibaba::server_text::Secrets;

pub(super) async fn fetch(url: &str, opts: &ResolveOptions) -> Result<Issued, CredentialError> {
    let fail = |detail: String| CredentialError::CredentialsUri {
        url: http::shown_url(url),
        detail,
    };
    let client = http::client(opts, url).map_err(&fail)?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(http::transport_detail(e)))?;
    let (status, body) = http::read(response).await.map_err(&fail)?;
    if !(200..300).contains(&status) {
        return Err(fail(format!("HTTP {status}")));
    }
    let obj = http::object(status, &body).map_err(&fail)?;
    match obj.get("Code").and_then(serde_json::Value::as_str) {
        Some("Success") => {}
        other => {
            let shown = other.map(|c| crate::alibaba::server_text::clean(c, &Secrets::new([])));
            return Err(fail(format!(
                "the answer's Code is {shown:?}, not \"Success\""
            )));
        }
    }
    let issued = http::temporary_credentials(&obj)
        .map_err(|field| fail(format!("the answer lacks a usable {field}")))?;
    if issued.expiration.is_none() {
        return Err(fail("the answer lacks Expiration".to_owned()));
    }
    Ok(issued)
}
