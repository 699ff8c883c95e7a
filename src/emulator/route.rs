//! Which emulated service a request is for, and how it is signed, from its shape alone: one
//! port serves them all, as one `ALIBABA_CLOUD_*` endpoint override per service can point at it.
//!
//! Paths decide first (the metadata service and the credentials URI have their own); on `/`
//! the API version does, because STS and DBS are both RPC-style and differ only in
//! `Action`/`Version`. V3 requests carry those in `x-acs-action`/`x-acs-version` headers, v1
//! requests as parameters; the headers win, as on the real gateway.

use super::params::Params;
use super::service::Request;

/// The STS API version.
pub(crate) const STS_VERSION: &str = "2015-04-01";
/// Everything under this path is the instance metadata service.
pub(crate) const METADATA_PREFIX: &str = "/latest/";
/// The credentials URI (`ALIBABA_CLOUD_CREDENTIALS_URI`).
pub(crate) const CREDENTIALS_PATH: &str = "/credentials";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Dbs,
    Sts,
    Metadata,
    CredentialsUri,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signing {
    /// Parameters `Signature`, `AccessKeyId`, ... (or none at all).
    V1,
    /// `Authorization: ACS3-...` and `x-acs-*` headers.
    V3,
}

pub(crate) fn target(request: &Request, params: Option<&Params>) -> Target {
    if request.path.starts_with(METADATA_PREFIX) {
        return Target::Metadata;
    }
    if request.path == CREDENTIALS_PATH {
        return Target::CredentialsUri;
    }
    if request.path == "/" && version(request, params).as_deref() == Some(STS_VERSION) {
        return Target::Sts;
    }
    Target::Dbs
}

/// V3 when there is an `Authorization` header, or V3 headers without a v1 `Signature` (a V3
/// request that lost its signature must be refused as one, not asked for `Action`). The SDKs'
/// v1 mode sends `x-acs-action` too, beside its `Signature` parameter.
pub(crate) fn signing(request: &Request, params: Option<&Params>) -> Signing {
    let has_signature = params.is_some_and(|p| p.get("Signature").is_some());
    if request.header("authorization").is_some()
        || (request.header("x-acs-action").is_some() && !has_signature)
    {
        Signing::V3
    } else {
        Signing::V1
    }
}

pub(crate) fn action(request: &Request, params: Option<&Params>) -> Option<String> {
    header_or_param(request, params, "x-acs-action", "Action")
}

pub(crate) fn version(request: &Request, params: Option<&Params>) -> Option<String> {
    header_or_param(request, params, "x-acs-version", "Version")
}

fn header_or_param(
    request: &Request,
    params: Option<&Params>,
    header: &str,
    param: &str,
) -> Option<String> {
    request
        .header(header)
        .filter(|v| !v.is_empty())
        .or_else(|| params.and_then(|p| p.non_empty(param)))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, headers: &[(&str, &str)]) -> Request {
        Request::test("GET", path, headers)
    }

    fn params(text: &str) -> Params {
        let mut p = Params::default();
        p.extend_from(text).unwrap();
        p
    }

    #[test]
    fn paths_then_versions() {
        let none = Params::default();
        let sts = params("Action=AssumeRole&Version=2015-04-01");
        let dbs = params("Action=DescribeRestoreTaskList&Version=2019-03-06");
        assert_eq!(
            target(&request("/latest/api/token", &[]), None),
            Target::Metadata
        );
        assert_eq!(
            target(&request("/credentials", &[]), Some(&sts)),
            Target::CredentialsUri
        );
        assert_eq!(target(&request("/", &[]), Some(&sts)), Target::Sts);
        assert_eq!(target(&request("/", &[]), Some(&dbs)), Target::Dbs);
        assert_eq!(target(&request("/", &[]), Some(&none)), Target::Dbs);
        assert_eq!(target(&request("/", &[]), None), Target::Dbs);
        let v3_sts = request(
            "/",
            &[
                ("x-acs-action", "AssumeRole"),
                ("x-acs-version", STS_VERSION),
            ],
        );
        assert_eq!(target(&v3_sts, Some(&dbs)), Target::Sts, "headers win");
        assert_eq!(target(&request("/other", &[]), Some(&sts)), Target::Dbs);
    }

    #[test]
    fn signing_styles() {
        let signed = params("Signature=x");
        let none = Params::default();
        assert_eq!(signing(&request("/", &[]), Some(&signed)), Signing::V1);
        assert_eq!(signing(&request("/", &[]), Some(&none)), Signing::V1);
        let sdk_v1 = request("/", &[("x-acs-action", "DescribeRestoreTaskList")]);
        assert_eq!(signing(&sdk_v1, Some(&signed)), Signing::V1);
        assert_eq!(signing(&sdk_v1, Some(&none)), Signing::V3);
        let v3 = request("/", &[("authorization", "ACS3-HMAC-SHA256 x")]);
        assert_eq!(signing(&v3, Some(&signed)), Signing::V3);
        assert_eq!(
            action(&sdk_v1, Some(&params("Action=Other"))).as_deref(),
            Some("DescribeRestoreTaskList")
        );
        assert_eq!(
            action(&request("/", &[]), Some(&params("Action=Other"))).as_deref(),
            Some("Other")
        );
    }
}
