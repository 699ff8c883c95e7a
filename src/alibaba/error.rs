//! Errors the Alibaba Cloud API itself reports, in either of its two shapes, and what kind of
//! problem each one is.
//!
//! Gateway-level failures (signature, throttling, unavailable service) come back as a non-2xx
//! status with `{RequestId, HostId, Code, Message}`. DBS business errors come back as
//! `{Success: false, ErrCode, ErrMessage, RequestId}`, sometimes with HTTP 200. Both become one
//! [`ApiError`] so callers only have to look in one place.
//!
//! Codes are classified here and nowhere else ([`ApiError::kind`]): the retry loop, the request
//! budget and the provider's advice all read the same [`ApiErrorKind`], so a code cannot be
//! "permanent" to one of them and "worth retrying" to another.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

/// An error answer from the API: code, message, RequestId and HTTP status, as the server sent them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// `Code` or `ErrCode`, e.g. `Throttling.User` or `InvalidParameter`.
    pub code: String,
    /// `Message` or `ErrMessage` (empty when the server sent none).
    pub message: String,
    /// `RequestId`, the handle Alibaba support asks for.
    pub request_id: Option<String>,
    /// `HostId` of gateway errors.
    pub host_id: Option<String>,
    /// HTTP status of the response.
    pub http_status: u16,
    /// How many attempts were made before this answer was accepted as final (1 = not retried).
    pub attempts: u32,
    /// How long the server asked to wait (`Retry-After`), when it did.
    pub retry_after: Option<Duration>,
}

/// What an API error is about, whatever the exact code. Decided from the code first, since
/// gateways send permanent codes with 5xx statuses too, and from the HTTP status only when the
/// code says nothing known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiErrorKind {
    /// The server asks us to send less: a `Throttling*` code or HTTP 429.
    Throttling,
    /// The request was not accepted as ours: the signature, the access key or the security
    /// token.
    Authentication,
    /// The caller is known but not allowed (RAM policies).
    Permission,
    /// The request itself is wrong: a parameter, the action, the signed timestamp (a clock).
    InvalidParameter,
    /// The service failed or is unavailable: its codes, or any HTTP 5xx.
    ServerError,
    /// Anything else (a business error, say): final, but nothing to advise in general.
    Other,
}

impl ApiErrorKind {
    /// Whether a later attempt of the same request may succeed. No retry fixes a key, a
    /// permission or a parameter.
    pub fn retryable(self) -> bool {
        matches!(self, ApiErrorKind::Throttling | ApiErrorKind::ServerError)
    }

    /// The kind of `code` answered with `http_status`.
    pub fn classify(code: &str, http_status: u16) -> ApiErrorKind {
        // Code parts, checked in this order: the permanent kinds first, so that a gateway's
        // `SignatureDoesNotMatch` with a 500 is not retried.
        const CODES: [(ApiErrorKind, &[&str]); 5] = [
            (
                ApiErrorKind::Authentication,
                &["Signature", "AccessKey", "SecurityToken"],
            ),
            (ApiErrorKind::Permission, &["Forbidden", "NoPermission"]),
            (
                ApiErrorKind::InvalidParameter,
                &[
                    "InvalidTimeStamp",
                    "InvalidParameter",
                    "MissingParameter",
                    "InvalidAction",
                ],
            ),
            (ApiErrorKind::Throttling, &["Throttling"]),
            (
                ApiErrorKind::ServerError,
                &["ServiceUnavailable", "InternalError"],
            ),
        ];
        let listed = CODES
            .iter()
            .find(|(_, parts)| parts.iter().any(|part| code.contains(part)));
        if let Some((kind, _)) = listed {
            return *kind;
        }
        match http_status {
            429 => ApiErrorKind::Throttling,
            500..=599 => ApiErrorKind::ServerError,
            _ => ApiErrorKind::Other,
        }
    }
}

impl ApiError {
    /// What this error is about; see [`ApiErrorKind::classify`].
    pub fn kind(&self) -> ApiErrorKind {
        ApiErrorKind::classify(&self.code, self.http_status)
    }

    /// Whether a later attempt may succeed: throttling and server errors only.
    pub fn retryable(&self) -> bool {
        self.kind().retryable()
    }

    /// Whether the server is asking us to send less. The request budget shrinks on these, and
    /// only on these.
    pub fn is_throttling(&self) -> bool {
        self.kind() == ApiErrorKind::Throttling
    }

    /// An answer as first received: not retried yet, no `Retry-After`, no `HostId`.
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: Option<String>,
        http_status: u16,
    ) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            request_id,
            host_id: None,
            http_status,
            attempts: 1,
            retry_after: None,
        }
    }

    /// A `429 Too Many Requests` whose body is no error object (empty, HTML, text).
    pub fn too_many_requests(request_id: Option<String>) -> ApiError {
        ApiError::new(
            "Throttling",
            "HTTP 429 Too Many Requests, without an error body",
            request_id,
            429,
        )
    }

    /// Reads an error answer out of a response, in either shape. Returns `None` when the body is a
    /// successful answer or is not a JSON object at all (the caller reports the latter as
    /// malformed).
    pub fn from_response(http_status: u16, body: &[u8]) -> Option<ApiError> {
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        Self::from_object(http_status, &obj)
    }

    /// Same as [`ApiError::from_response`] for an already parsed JSON object.
    pub fn from_object(http_status: u16, obj: &Map<String, Value>) -> Option<ApiError> {
        let request_id = text(obj, "RequestId");
        let host_id = text(obj, "HostId");
        // The success rule: a 2xx is a success when `Success` is true, or when there is no
        // `Success` and no error code. `Success: 0`, `"no"` or `null`, or a code without
        // `Success: true`, are errors: reading them as an empty page would say "0 jobs".
        let success = obj.get("Success");
        let success_true = matches!(success, Some(Value::Bool(true)))
            || matches!(success, Some(Value::String(s)) if s.eq_ignore_ascii_case("true"));
        let success_false = success.is_some() && !success_true;
        // Some Alibaba APIs write a success as `Code: "200"` (or "Success"); that is no error.
        let is_error_code = |key: &str| {
            text(obj, key).is_some_and(|c| {
                !["200", "success", "ok"].contains(&c.to_ascii_lowercase().as_str())
            })
        };
        let has_code = is_error_code("Code") || is_error_code("ErrCode");
        let is_2xx = (200..300).contains(&http_status);

        if is_2xx && (success_true || (success.is_none() && !has_code)) {
            return None;
        }
        // Each shape names its own fields; prefer the one the body announces with `Success`.
        let gateway = (text(obj, "Code"), text(obj, "Message"));
        let dbs = (text(obj, "ErrCode"), text(obj, "ErrMessage"));
        let (first, second) = if success_false {
            (dbs, gateway)
        } else {
            (gateway, dbs)
        };
        let (code, message) = if first.0.is_some() {
            first
        } else if second.0.is_some() {
            second
        } else if is_2xx && first.1.is_none() && second.1.is_none() {
            // A 200 whose `Success` is not true, without a code: name what it said.
            let said = success.map(Value::to_string).unwrap_or_default();
            (
                Some("UnsuccessfulAnswer".to_owned()),
                Some(format!(
                    "HTTP {http_status} with `Success: {}` and no error code",
                    said.chars().take(40).collect::<String>()
                )),
            )
        } else {
            // An error without a code still is an error; say so rather than inventing success.
            (None, first.1.or(second.1))
        };
        Some(ApiError {
            host_id,
            ..ApiError::new(
                code.unwrap_or_else(|| "Unknown".to_owned()),
                // The gateway may quote its string-to-sign, tokens included.
                super::signing::redact_server_text(&message.unwrap_or_default()),
                request_id,
                http_status,
            )
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        write!(
            f,
            " (RequestId {}, HTTP {})",
            self.request_id.as_deref().unwrap_or("unknown"),
            self.http_status
        )?;
        if self.attempts > 1 {
            write!(f, "; gave up after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The longest `Retry-After` honoured; a server asking for more is asking for too much of an
/// interactive `terraform plan`, and the read's own deadline bounds the wait anyway.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A `Retry-After` value, in seconds or as an HTTP date, relative to `now`, capped at
/// [`MAX_RETRY_AFTER`]. Unreadable values are ignored (the backoff applies instead).
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        let at = time::PrimitiveDateTime::parse(value, &format)
            .ok()?
            .assume_utc();
        let seconds = (at - now).as_seconds_f64();
        Duration::from_secs_f64(seconds.clamp(0.0, MAX_RETRY_AFTER.as_secs_f64()))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// HTTP statuses worth another attempt: any 5xx, and 429 Too Many Requests.
pub fn is_retryable_status(http_status: u16) -> bool {
    http_status == 429 || (500..600).contains(&http_status)
}

/// A string field, also accepting a number (some gateways send numeric ids).
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> ApiError {
        ApiError::new(code, "", None, status)
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_is_capped() {
        let now = time::macros::datetime!(2015-10-21 07:27:58 UTC);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn only_a_true_success_or_no_success_and_no_code_is_a_success() {
        let ok = |body: &str| ApiError::from_response(200, body.as_bytes()).is_none();
        assert!(ok(r#"{"Success":true,"Items":{}}"#));
        assert!(ok(r#"{"Success":"true"}"#));
        assert!(ok(r#"{"Items":{}}"#));
        assert!(!ok(r#"{"Success":0,"Items":{}}"#));
        assert!(!ok(r#"{"Success":null}"#));
        assert!(!ok(r#"{"ErrCode":"InternalError","ErrMessage":"x"}"#));
        assert!(!ok(r#"{"Code":"Forbidden.RAM","Message":"no"}"#));
        let zero = ApiError::from_response(200, br#"{"Success":0}"#).unwrap();
        assert_eq!(zero.code, "UnsuccessfulAnswer");
        assert!(zero.message.contains("`Success: 0`"), "{}", zero.message);
        assert!(!zero.retryable());
    }

    #[test]
    fn a_429_is_throttling() {
        assert!(ApiError::too_many_requests(None).is_throttling());
        assert!(ApiError::too_many_requests(None).retryable());
        assert!(api("Throttling.User", 400).is_throttling());
        assert!(!api("ServiceUnavailable", 503).is_throttling());
    }

    #[test]
    fn gateway_shape_is_read() {
        let body = br#"{"RequestId":"R-1","HostId":"dbs-api.cn-hangzhou.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#;
        let e = ApiError::from_response(400, body).unwrap();
        assert_eq!(e.code, "Throttling.User");
        assert_eq!(e.message, "Request was denied due to user flow control.");
        assert_eq!(e.request_id.as_deref(), Some("R-1"));
        assert_eq!(
            e.host_id.as_deref(),
            Some("dbs-api.cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(e.http_status, 400);
    }

    #[test]
    fn dbs_shape_is_read_even_with_http_200() {
        let body = br#"{"Success":false,"ErrCode":"InvalidParameter","ErrMessage":"PageSize is invalid","RequestId":"R-2","HttpStatusCode":400}"#;
        let e = ApiError::from_response(200, body).unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("InvalidParameter", "PageSize is invalid", Some("R-2"))
        );
        assert_eq!(
            ApiError::from_response(200, br#"{"Success":"false","ErrCode":"X"}"#).map(|e| e.code),
            Some("X".to_owned())
        );
    }

    #[test]
    fn success_is_not_an_error() {
        assert_eq!(
            ApiError::from_response(200, br#"{"Success":true,"RequestId":"R","Items":{}}"#),
            None
        );
        // A 2xx body whose Code says success (as some Alibaba APIs write it) is a success.
        assert_eq!(
            ApiError::from_response(200, br#"{"Code":"200","Items":{}}"#),
            None
        );
    }

    #[test]
    fn error_without_code_is_still_an_error() {
        let e = ApiError::from_response(503, br#"{"RequestId":"R-3"}"#).unwrap();
        assert_eq!(e.code, "Unknown");
        assert!(e.retryable());
        let e = ApiError::from_response(200, br#"{"Success":false,"ErrMessage":"boom"}"#).unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("Unknown", "boom"));
    }

    #[test]
    fn non_json_is_left_to_the_caller() {
        assert_eq!(
            ApiError::from_response(502, b"<html>Bad Gateway</html>"),
            None
        );
        assert_eq!(ApiError::from_response(502, b"[1,2]"), None);
        assert_eq!(ApiError::from_response(200, b"{\"RequestId\":\"R"), None);
    }

    #[test]
    fn retryable_set_is_explicit() {
        for (code, status) in [
            ("Throttling", 400),
            ("Throttling.User", 400),
            ("Throttling.Api", 503),
            ("ServiceUnavailable", 503),
            ("InternalError", 500),
            ("Anything", 500),
            ("Anything", 502),
            ("Anything", 429),
        ] {
            assert!(api(code, status).retryable(), "{code} {status}");
        }
        for (code, status) in [
            ("SignatureDoesNotMatch", 400),
            ("SignatureDoesNotMatch", 500),
            ("SignatureNonceUsed", 400),
            ("IncompleteSignature", 400),
            ("InvalidAccessKeyId.NotFound", 404),
            ("InvalidSecurityToken.Expired", 400),
            ("Forbidden.RAM", 403),
            ("InvalidTimeStamp.Expired", 400),
            ("InvalidParameter", 400),
            ("InvalidParameter", 503),
            ("MissingParameter", 400),
            ("InvalidAction.NotFound", 404),
            ("Anything", 400),
            ("Anything", 404),
        ] {
            assert!(!api(code, status).retryable(), "{code} {status}");
        }
    }

    #[test]
    fn one_classification_of_codes() {
        use ApiErrorKind::*;
        for (code, status, kind) in [
            ("Throttling.User", 400, Throttling),
            ("Throttling.Api", 503, Throttling),
            ("Anything", 429, Throttling),
            ("SignatureDoesNotMatch", 500, Authentication),
            ("IncompleteSignature", 400, Authentication),
            ("InvalidAccessKeyId.NotFound", 404, Authentication),
            ("InvalidSecurityToken.Expired", 400, Authentication),
            ("Forbidden.RAM", 403, Permission),
            ("NoPermission", 403, Permission),
            ("InvalidTimeStamp.Expired", 400, InvalidParameter),
            ("InvalidParameter", 503, InvalidParameter),
            ("MissingParameter", 400, InvalidParameter),
            ("InvalidAction.NotFound", 404, InvalidParameter),
            ("ServiceUnavailable", 503, ServerError),
            ("InternalError", 500, ServerError),
            ("Unknown", 502, ServerError),
            ("UnsuccessfulAnswer", 200, Other),
            ("Anything", 400, Other),
        ] {
            let e = api(code, status);
            assert_eq!(e.kind(), kind, "{code} {status}");
            assert_eq!(e.retryable(), matches!(kind, Throttling | ServerError));
            assert_eq!(e.is_throttling(), kind == Throttling);
        }
    }

    #[test]
    fn display_names_code_message_request_id_and_attempts() {
        let mut e = ApiError::from_response(
            400,
            br#"{"RequestId":"R-9","Code":"Throttling.User","Message":"slow down"}"#,
        )
        .unwrap();
        assert_eq!(
            e.to_string(),
            "Throttling.User: slow down (RequestId R-9, HTTP 400)"
        );
        e.attempts = 6;
        assert!(e.to_string().ends_with("; gave up after 6 attempts"));
    }
}
