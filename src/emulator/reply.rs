//! What the emulator sends back, in the two error shapes of the real API and its page shape.
//!
//! Gateway errors (signature, credentials, throttling, routing) come as non-2xx
//! `{RequestId, HostId, Code, Message, Recommend}`; DBS business errors as
//! `{Success:false, ErrCode, ErrMessage, RequestId, HttpStatusCode}`. Messages follow the real
//! ones, except that the real `SignatureDoesNotMatch` message quotes the server's string-to-sign
//! and the emulator deliberately never does.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::filter::Task;
use super::paging::{Page, PageRequest};
use super::rng;

/// Header in which Alibaba's gateway repeats the request id.
pub(crate) const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// A gateway-level refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GatewayError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl GatewayError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GatewayError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn missing(parameter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MissingParameter",
            format!(
                "The input parameter \"{parameter}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    pub(crate) fn unsupported_method() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "UnsupportedHTTPMethod",
            "This http method is not supported; use GET or POST.",
        )
    }

    pub(crate) fn action_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    pub(crate) fn invalid_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        )
    }

    pub(crate) fn incomplete_signature(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards. {detail}"),
        )
    }

    pub(crate) fn timestamp_format() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    }

    pub(crate) fn timestamp_expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    pub(crate) fn access_key_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    pub(crate) fn missing_security_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MissingSecurityToken",
            "SecurityToken is mandatory for this action.",
        )
    }

    pub(crate) fn security_token_mismatch() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    }

    pub(crate) fn security_token_expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        )
    }

    /// STS: the role is not one the caller may assume (unknown, or its trust policy's
    /// `ExternalId` condition is not met).
    pub(crate) fn no_permission_role() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "NoPermission",
            "No permission perform sts:AssumeRole on this Role. Maybe you should check the role's trust policy, or the role does not exist.",
        )
    }

    pub(crate) fn invalid_duration() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter.DurationSeconds",
            "The Min/Max value of DurationSeconds is 15min/12hr.",
        )
    }

    pub(crate) fn policy_grammar() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter.PolicyGrammar",
            "The parameter Policy has not passed grammar check.",
        )
    }

    pub(crate) fn role_session_name() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed.",
        )
    }

    pub(crate) fn oidc_provider_not_found() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFail.NoPermission",
            "No such OIDC Provider registered.",
        )
    }

    pub(crate) fn oidc_token_invalid(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFail.OIDCToken.Invalid",
            message,
        )
    }

    pub(crate) fn signature_mismatch() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        )
    }

    pub(crate) fn nonce_used() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    pub(crate) fn throttled() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    pub(crate) fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    pub(crate) fn internal_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }
}

/// A DBS business error (`Success: false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BusinessError {
    /// The HTTP status and the body's `HttpStatusCode`, which DBS does not always keep equal.
    pub(crate) http_status: StatusCode,
    pub(crate) body_status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl BusinessError {
    /// A parameter outside the API's rules: HTTP 400, as DBS answers bad paging values.
    pub(crate) fn invalid_value(parameter: &str) -> Self {
        BusinessError {
            http_status: StatusCode::BAD_REQUEST,
            body_status: 400,
            code: "InvalidParameter",
            message: format!("The specified parameter {parameter} value is not valid."),
        }
    }

    /// Both `BackupPlanId` and `RestoreTaskId`: answered with HTTP 200 and `Success: false`,
    /// so clients are kept honest about checking `Success` on 2xx answers too.
    pub(crate) fn conflicting_filters() -> Self {
        BusinessError {
            http_status: StatusCode::OK,
            body_status: 400,
            code: "InvalidParameter",
            message: "Specify either BackupPlanId or RestoreTaskId, not both.".to_owned(),
        }
    }
}

/// An answer ready to send (before any fault mangles it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    /// Sent as `x-acs-request-id`; `None` for answers a real gateway would not tag.
    pub(crate) request_id: Option<String>,
    /// One line for the request log.
    pub(crate) summary: String,
}

pub(crate) const JSON: &str = "application/json;charset=utf-8";
/// Content type of the metadata service's text answers.
pub(crate) const TEXT: &str = "text/plain";

impl Reply {
    pub(crate) fn json(
        status: StatusCode,
        request_id: &str,
        body: &Value,
        summary: String,
    ) -> Reply {
        Reply {
            status,
            content_type: JSON,
            body: body.to_string().into_bytes(),
            request_id: Some(request_id.to_owned()),
            summary,
        }
    }

    pub(crate) fn gateway(error: &GatewayError, request_id: &str, host: &str) -> Reply {
        Reply::gateway_for("Dbs", error, request_id, host)
    }

    /// A gateway error of `product` (`Dbs`, `Sts`), which only shows in the `Recommend` link.
    pub(crate) fn gateway_for(
        product: &str,
        error: &GatewayError,
        request_id: &str,
        host: &str,
    ) -> Reply {
        let body = json!({
            "RequestId": request_id,
            "HostId": host,
            "Code": error.code,
            "Message": error.message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product={product}", error.code),
        });
        let summary = format!("{} {}", error.status.as_u16(), error.code);
        Reply::json(error.status, request_id, &body, summary)
    }

    pub(crate) fn business(error: &BusinessError, request_id: &str) -> Reply {
        let body = json!({
            "RequestId": request_id,
            "Success": false,
            "HttpStatusCode": error.body_status,
            "ErrCode": error.code,
            "ErrMessage": error.message,
        });
        let summary = format!(
            "{} Success=false {}",
            error.http_status.as_u16(),
            error.code
        );
        Reply::json(error.http_status, request_id, &body, summary)
    }

    pub(crate) fn page(
        request: PageRequest,
        page: &Page,
        tasks: &[&Task],
        total: usize,
        request_id: &str,
    ) -> Reply {
        let body = json!({
            "RequestId": request_id,
            "Success": true,
            "HttpStatusCode": 200,
            "PageNum": request.page_num,
            "PageSize": request.page_size,
            "TotalPages": page.total_pages,
            "TotalElements": total,
            "Items": { "RestoreTaskDetail": tasks },
        });
        let summary = format!(
            "200 page {} of {} ({} of {} tasks)",
            request.page_num,
            page.total_pages,
            tasks.len(),
            total
        );
        Reply::json(StatusCode::OK, request_id, &body, summary)
    }

    /// An answer of the instance metadata service or a credentials URI: no request id, since
    /// neither is the API gateway.
    pub(crate) fn plain(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
        summary: String,
    ) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            request_id: None,
            summary,
        }
    }

    /// The first half of this answer's body (at least one byte shorter than the whole), for a
    /// body that ends mid-JSON.
    pub(crate) fn truncated(mut self) -> Reply {
        let keep = cut_point(self.body.len());
        self.body.truncate(keep);
        self.summary = format!("{} (truncated to {keep} bytes)", self.summary);
        self
    }

    /// What a load balancer answers when the backend is gone: Tengine's HTML 502, untagged.
    pub(crate) fn html_bad_gateway() -> Reply {
        let body = "<!DOCTYPE html>\r\n<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                    <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n\
                    </body>\r\n</html>\r\n";
        Reply {
            status: StatusCode::BAD_GATEWAY,
            content_type: "text/html",
            body: body.as_bytes().to_vec(),
            request_id: None,
            summary: "502 HTML page".to_owned(),
        }
    }

    /// A complete 200 body that is not JSON (a `NaN` and a stray comma), still carrying its
    /// RequestId where a careful client could find it.
    pub(crate) fn invalid_json(request_id: &str) -> Reply {
        let body = format!(
            "{{\"RequestId\":\"{request_id}\",\"Success\":true,\"HttpStatusCode\":200,\
             \"TotalElements\":NaN,\"Items\":{{\"RestoreTaskDetail\":[,]}}}}"
        );
        Reply {
            status: StatusCode::OK,
            content_type: JSON,
            body: body.into_bytes(),
            request_id: Some(request_id.to_owned()),
            summary: "200 invalid JSON".to_owned(),
        }
    }
}

/// Where a body is cut: half way, but never the whole body (and zero only for an empty body).
pub(crate) fn cut_point(len: usize) -> usize {
    (len / 2).min(len.saturating_sub(1))
}

/// Stream id that keeps request ids independent of fault draws.
const REQUEST_ID_STREAM: u64 = 0x1D;

/// A RequestId in the API's style (an upper-case UUID), unique per request number and seed.
pub(crate) fn request_id(seed: u64, request: u64) -> String {
    let hi = rng::draw(seed, REQUEST_ID_STREAM, request);
    let lo = rng::mix(hi ^ request);
    format!(
        "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0x0FFF,
        (lo >> 48) & 0x3FFF | 0x8000,
        lo & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn gateway_shape() {
        let r = Reply::gateway(&GatewayError::signature_mismatch(), "RID", "h:1");
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let v = parsed(&r);
        assert_eq!(v["Code"], "SignatureDoesNotMatch");
        assert_eq!(v["RequestId"], "RID");
        assert_eq!(v["HostId"], "h:1");
        assert!(v["Message"].as_str().unwrap().contains("signature"));
        assert_eq!(r.request_id.as_deref(), Some("RID"));
    }

    #[test]
    fn business_shape() {
        let r = Reply::business(&BusinessError::invalid_value("PageSize"), "RID");
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let v = parsed(&r);
        assert_eq!(v["Success"], false);
        assert_eq!(v["ErrCode"], "InvalidParameter");
        assert_eq!(v["HttpStatusCode"], 400);
        assert!(v["ErrMessage"].as_str().unwrap().contains("PageSize"));
        let r = Reply::business(&BusinessError::conflicting_filters(), "RID");
        assert_eq!(r.status, StatusCode::OK);
    }

    #[test]
    fn truncation_never_keeps_everything() {
        assert_eq!(cut_point(0), 0);
        assert_eq!(cut_point(1), 0);
        assert_eq!(cut_point(2), 1);
        assert_eq!(cut_point(101), 50);
        let r = Reply::gateway(&GatewayError::throttled(), "RID", "h").truncated();
        assert!(serde_json::from_slice::<Value>(&r.body).is_err());
        assert!(String::from_utf8_lossy(&r.body).contains("RID"));
    }

    #[test]
    fn garbage_is_garbage() {
        assert!(serde_json::from_slice::<Value>(&Reply::invalid_json("R").body).is_err());
        assert!(serde_json::from_slice::<Value>(&Reply::html_bad_gateway().body).is_err());
    }

    #[test]
    fn request_ids_look_real_and_differ() {
        let a = request_id(1, 0);
        let b = request_id(1, 1);
        assert_ne!(a, b);
        assert_eq!(a, request_id(1, 0));
        let shape = regex::Regex::new(
            r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$",
        )
        .unwrap();
        assert!(shape.is_match(&a), "{a}");
    }
}
