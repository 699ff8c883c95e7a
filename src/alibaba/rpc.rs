//! One signed RPC call of the DBS API, any action: the attempt, and the retry loop around it.
//!
//! Every attempt is signed afresh (new nonce, new timestamp, the credential current at that
//! moment), because the server rejects a reused nonce and a stale timestamp, and temporary
//! credentials renew while a long read goes on. Failures are classified once, here, into
//! [`ClientError`]; whether to try again is decided by [`ApiError::kind`] plus transport failures
//! that a new connection can fix. Backoff is exponential with full jitter, so many throttled
//! pages do not come back in lockstep. Nothing here knows any particular action: a listing reads
//! its pages through `DbsClient::send`, and anything else can use [`DbsClient::call`].

use std::time::Instant;

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::body::{self, BodyError};
use super::client::{ClientError, DbsClient, Progress, TransportKind};
use super::error::{parse_retry_after, ApiError};
use super::json_error::describe_json_error;
use super::lenient::value_to_string;
use super::server_text::{self, Secrets};
use super::signed_form::sign_form;

/// API version of DBS every action of this client is declared with.
pub const DBS_API_VERSION: &str = "2019-03-06";
/// Header in which Alibaba gateways repeat the RequestId (useful when the body is unreadable).
const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// One RPC action with its own parameters; the common parameters (version, key, nonce,
/// timestamp, signature) are added per attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcCall {
    /// `Action`, e.g. `DescribeRestoreTaskList`.
    pub action: String,
    /// `Version`, e.g. [`DBS_API_VERSION`].
    pub version: String,
    /// The action's parameters, in the order given (the signature sorts them).
    pub params: Vec<(String, String)>,
    /// Names the read this call serves in log lines (not sent).
    pub label: Option<String>,
    /// Which page of a listing this is, for log lines (not sent: the listing puts the page
    /// number in `params`).
    pub page: Option<i64>,
    /// When the call must be over, retries and waits included (not sent); for
    /// [`DbsClient::call`] only, since a listing bounds all its pages together.
    pub deadline: Option<Instant>,
}

impl RpcCall {
    /// A call of `action` in `version` with `params`, no label, page or deadline.
    pub fn new(
        action: impl Into<String>,
        version: impl Into<String>,
        params: Vec<(String, String)>,
    ) -> Self {
        RpcCall {
            action: action.into(),
            version: version.into(),
            params,
            label: None,
            page: None,
            deadline: None,
        }
    }
}

/// A successful answer, read.
#[derive(Debug)]
pub(crate) struct Answer<T> {
    /// What the reader made of the body.
    pub(crate) value: T,
    /// The body's `RequestId`, else the header's, cleaned.
    pub(crate) request_id: Option<String>,
    /// Size of the body.
    pub(crate) bytes: usize,
}

/// Runs `work` until it ends, `cancel` fires or `deadline` passes, whichever is first; `progress`
/// says how far a listing got by the deadline.
pub(crate) async fn within<T>(
    cancel: &CancellationToken,
    deadline: Option<Instant>,
    started: Instant,
    progress: impl FnOnce() -> Option<Progress>,
    work: impl std::future::Future<Output = Result<T, ClientError>>,
) -> Result<T, ClientError> {
    let deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(ClientError::Cancelled),
        () = deadline => Err(ClientError::DeadlineExceeded {
            elapsed: started.elapsed(),
            progress: progress(),
        }),
        result = work => result,
    }
}

impl DbsClient {
    /// Sends `call` with the client's retries, budget and bounds, and returns the answer's JSON
    /// object: any success by the strict rule of [`ApiError::from_object`], else a typed error.
    /// Cancelling the token makes it return [`ClientError::Cancelled`] promptly.
    pub async fn call(
        &self,
        call: &RpcCall,
        cancel: &CancellationToken,
    ) -> Result<Map<String, Value>, ClientError> {
        if cancel.is_cancelled() {
            return Err(ClientError::Cancelled);
        }
        let started = Instant::now();
        let work = self.send(call, &Ok);
        let answer = within(cancel, call.deadline, started, || None, work).await?;
        Ok(answer.value)
    }

    /// `call` with retries; `read` turns a successful answer's object into what the caller wants
    /// (its error is reported as a malformed answer). Cancellation and deadlines are the
    /// caller's: see [`within`].
    pub(crate) async fn send<T, R>(
        &self,
        call: &RpcCall,
        read: &R,
    ) -> Result<Answer<T>, ClientError>
    where
        R: Fn(Map<String, Value>) -> Result<T, String> + Sync,
    {
        let max_attempts = self.inner.config.max_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            match self.attempt(call, read, attempt).await {
                Ok(answer) => return Ok(answer),
                Err(e) if e.retryable() && attempt < max_attempts => {
                    // A server's Retry-After (already capped) wins over a shorter backoff.
                    let asked = match &e {
                        ClientError::Api(api) => api.retry_after,
                        _ => None,
                    };
                    let delay = self
                        .inner
                        .backoff
                        .delay(attempt)
                        .max(asked.unwrap_or_default());
                    log::debug!(
                        "read={} {}{}: attempt {attempt} failed ({}); retrying in {} ms",
                        call.label.as_deref().unwrap_or("-"),
                        call.action,
                        call.page.map_or_else(String::new, |n| format!(" page {n}")),
                        e,
                        delay.as_millis()
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e.with_attempts(attempt)),
            }
        }
    }

    /// One signed attempt: fresh nonce and timestamp, POST form body (keeps the signature out of
    /// URLs and therefore out of proxy and error logs).
    async fn attempt<T, R>(
        &self,
        call: &RpcCall,
        read: &R,
        attempt: u32,
    ) -> Result<Answer<T>, ClientError>
    where
        R: Fn(Map<String, Value>) -> Result<T, String> + Sync,
    {
        let config = &self.inner.config;
        // Credentials before the budget: a renewal must not hold a slot other requests could use.
        config.credentials.current().await?;
        // The shared budget first: the nonce and timestamp must be fresh when the request leaves.
        let permit = self.inner.limiter.acquire().await;
        // Asked again: the wait for a slot may have outlasted the renewal margin. Cached, this
        // costs a lock; only a credential that ran low meanwhile is renewed here.
        let credentials = config.credentials.current().await?;
        let mut params = Vec::with_capacity(call.params.len() + 10);
        params.push(("Action".to_owned(), call.action.clone()));
        params.extend(call.params.iter().cloned());
        let form = sign_form(params, &call.version, Some(&config.region), &credentials);
        let body = form.body();
        // What must never come back in anything we show, whatever the server quotes.
        let secrets = form.secrets;

        let started = Instant::now();
        let log_attempt = |status: Option<u16>, request_id: Option<&str>| {
            log::debug!(
                "read={} action={} page={} attempt={attempt} latency_ms={} request_id={} http_status={} limit=[{}]",
                call.label.as_deref().unwrap_or("-"),
                call.action,
                call.page.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                started.elapsed().as_millis(),
                request_id.unwrap_or("-"),
                status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                self.inner.limiter.describe()
            );
        };
        let response = match self
            .inner
            .http
            .post(format!("{}/", config.endpoint))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) => {
                log_attempt(None, None);
                return Err(transport_error(e, None));
            }
        };
        let status = response.status().as_u16();
        let header_request_id = response
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(|v| server_text::clean(v, &secrets));
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| reqwest::Url::parse(v).ok())
                .and_then(|u| u.host_str().map(|h| server_text::clean(h, &secrets)));
            permit.succeeded();
            log_attempt(Some(status), header_request_id.as_deref());
            return Err(ClientError::Malformed {
                request_id: header_request_id,
                http_status: status,
                detail: format!(
                    "the endpoint answered with a redirect{}, which the provider never follows \
                     (it would resend signed requests elsewhere); check `endpoint` and any proxy",
                    location.map_or_else(String::new, |h| format!(" to {h}"))
                ),
                attempts: 1,
            });
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc()));
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let (bytes, large_body) = match body::read_body(response, &self.inner.large_bodies).await {
            Ok(read) => read,
            Err(e) if status == 429 => {
                // Too many requests, whatever became of the body.
                drop(e);
                permit.throttled(retry_after);
                log_attempt(Some(status), header_request_id.as_deref());
                let mut api = ApiError::too_many_requests(header_request_id);
                api.retry_after = retry_after;
                return Err(ClientError::Api(api));
            }
            Err(BodyError::Transport(e)) => {
                log_attempt(Some(status), header_request_id.as_deref());
                return Err(transport_error(e, header_request_id));
            }
            Err(other) => {
                log_attempt(Some(status), header_request_id.as_deref());
                return Err(ClientError::Malformed {
                    request_id: header_request_id,
                    http_status: status,
                    detail: other.describe(),
                    attempts: 1,
                });
            }
        };
        let mut result = interpret(
            status,
            &content_type,
            &bytes,
            header_request_id.clone(),
            &Expect {
                secrets: &secrets,
                action: &call.action,
            },
            read,
        );
        drop(bytes);
        drop(large_body);
        match &mut result {
            Err(ClientError::Api(api)) if api.is_throttling() => {
                api.retry_after = retry_after;
                permit.throttled(retry_after);
            }
            // Any other answer, errors included, means the server kept up.
            _ => permit.succeeded(),
        }
        drop(permit);
        let request_id = match &result {
            Ok(answer) => answer.request_id.clone(),
            Err(e) => e.request_id().map(str::to_owned),
        };
        log_attempt(Some(status), request_id.as_deref());
        result
    }
}

/// What an answer is checked against: the secrets to mask in its text and the action asked.
struct Expect<'a> {
    secrets: &'a Secrets,
    action: &'a str,
}

/// Turns a complete HTTP answer into what `read` makes of it, or a typed error. Every string
/// taken from the answer is cleaned ([`server_text::clean`]) before it goes anywhere.
fn interpret<T, R>(
    status: u16,
    content_type: &str,
    body: &[u8],
    header_request_id: Option<String>,
    expect: &Expect<'_>,
    read: &R,
) -> Result<Answer<T>, ClientError>
where
    R: Fn(Map<String, Value>) -> Result<T, String>,
{
    let clean = |text: &str| server_text::clean(text, expect.secrets);
    let malformed = |detail: String| ClientError::Malformed {
        request_id: header_request_id
            .clone()
            .or_else(|| scan_request_id(body).map(|id| clean(&id))),
        http_status: status,
        detail,
        attempts: 1,
    };
    if body::census(body) == Err(body::CensusError::TooMany) {
        return Err(malformed(format!(
            "the answer holds more than {} JSON values, far more than any {} answer; \
             it was not parsed",
            body::MAX_JSON_VALUES,
            expect.action
        )));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => {
            if let Some(mut api) = ApiError::from_object(status, &obj) {
                api.code = clean(&api.code);
                api.message = clean(&api.message);
                api.request_id = api.request_id.as_deref().map(clean).or(header_request_id);
                api.host_id = api.host_id.as_deref().map(clean);
                return Err(ClientError::Api(api));
            }
            let request_id = obj
                .get("RequestId")
                .and_then(value_to_string)
                .map(|id| clean(&id))
                .or_else(|| header_request_id.clone());
            let value = read(obj).map_err(|detail| malformed(clean(&detail)))?;
            Ok(Answer {
                value,
                request_id,
                bytes: body.len(),
            })
        }
        // A 429 says "too many requests" whatever its body: throttling, not garbage.
        Ok(_) | Err(_) if status == 429 => Err(ClientError::Api(ApiError::too_many_requests(
            header_request_id.or_else(|| scan_request_id(body).map(|id| clean(&id))),
        ))),
        Ok(_) => Err(malformed("the body is JSON but not an object".to_owned())),
        Err(e) => {
            let what = if body.is_empty() {
                "an empty body".to_owned()
            } else if content_type.is_empty() {
                format!(
                    "a body that is not valid JSON ({})",
                    describe_json_error(&e, body)
                )
            } else {
                format!(
                    "a {} body that is not valid JSON ({})",
                    clean(content_type),
                    describe_json_error(&e, body)
                )
            };
            Err(malformed(what))
        }
    }
}

/// Finds `"RequestId":"..."` in a body that is not valid JSON (truncated, say), so the user still
/// gets the id that support will ask for.
fn scan_request_id(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let after_key = &text[text.find("\"RequestId\"")? + "\"RequestId\"".len()..];
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = after_colon.strip_prefix('"')?;
    let end = value.find('"')?;
    let id = &value[..end];
    let plausible = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| id.to_owned())
}

/// Classifies a reqwest failure; the message never includes the URL.
fn transport_error(e: reqwest::Error, request_id: Option<String>) -> ClientError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if has_tls_error(&e) {
        TransportKind::Tls
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_decode() || e.is_request() || has_reset(&e) {
        TransportKind::Reset
    } else {
        TransportKind::Other
    };
    // reqwest's own message is terse ("error sending request"); the causes say what happened.
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    ClientError::Transport {
        kind,
        detail: parts.join(": "),
        request_id,
        attempts: 1,
    }
}

fn has_tls_error(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        source = err.source();
    }
    false
}

fn has_reset(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    static NO_SECRETS: std::sync::LazyLock<Secrets> = std::sync::LazyLock::new(Secrets::default);

    fn expect() -> Expect<'static> {
        Expect {
            secrets: &NO_SECRETS,
            action: "DescribeSomething",
        }
    }

    /// `interpret` with a reader that keeps the object.
    fn object(
        status: u16,
        content_type: &str,
        body: &[u8],
        header_request_id: Option<String>,
    ) -> Result<Answer<Map<String, Value>>, ClientError> {
        interpret(
            status,
            content_type,
            body,
            header_request_id,
            &expect(),
            &|obj| Ok(obj),
        )
    }

    #[test]
    fn interpret_reads_objects_and_both_error_shapes() {
        let answer = object(
            200,
            "application/json",
            br#"{"RequestId":"R","Items":{"Anything":[1]}}"#,
            Some("H".into()),
        )
        .unwrap();
        assert_eq!(answer.value.len(), 2);
        // The body's RequestId wins over the header's.
        assert_eq!(answer.request_id.as_deref(), Some("R"));
        assert_eq!(answer.bytes, 42);
        match object(
            400,
            "",
            br#"{"Code":"Throttling.User","Message":"m"}"#,
            Some("H".into()),
        ) {
            Err(ClientError::Api(api)) => {
                assert_eq!(api.code, "Throttling.User");
                // The header's RequestId fills in when the body has none.
                assert_eq!(api.request_id.as_deref(), Some("H"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            object(
                200,
                "",
                br#"{"Success":false,"ErrCode":"InvalidParameter","RequestId":"R"}"#,
                None
            ),
            Err(ClientError::Api(ApiError {
                http_status: 200,
                ..
            }))
        ));
    }

    #[test]
    fn interpret_turns_garbage_into_malformed_with_whatever_request_id_exists() {
        match object(
            502,
            "text/html",
            b"<html><body>502 Bad Gateway</body></html>",
            Some("H".into()),
        ) {
            Err(e @ ClientError::Malformed { .. }) => {
                assert_eq!(e.request_id(), Some("H"));
                assert!(e.retryable());
                assert!(e.to_string().contains("text/html"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        match object(
            200,
            "application/json",
            br#"{"RequestId":"R-7","Items":{"Restore"#,
            None,
        ) {
            Err(e @ ClientError::Malformed { .. }) => {
                assert_eq!(e.request_id(), Some("R-7"));
                assert!(!e.retryable());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            object(200, "", b"", None),
            Err(ClientError::Malformed {
                request_id: None,
                ..
            })
        ));
        assert!(matches!(
            object(200, "", b"[]", None),
            Err(ClientError::Malformed { .. })
        ));
    }

    #[test]
    fn request_id_scan_is_careful() {
        assert_eq!(
            scan_request_id(br#"{"RequestId" : "AB-12","#),
            Some("AB-12".into())
        );
        assert_eq!(scan_request_id(br#"{"RequestId":"AB"#), None);
        assert_eq!(scan_request_id(br#"{"RequestId":"<script>"}"#), None);
        assert_eq!(scan_request_id(b"nothing"), None);
    }

    #[test]
    fn a_reader_refusing_an_answer_makes_it_malformed_and_cleaned() {
        let secrets = Secrets::new(["s3cr3t-signature"]);
        let expect = Expect {
            secrets: &secrets,
            action: "DescribeSomething",
        };
        let refuse = |_: Map<String, Value>| -> Result<(), String> {
            Err("field `X` quotes s3cr3t-signature".to_owned())
        };
        match interpret(200, "", br#"{"RequestId":"R-1"}"#, None, &expect, &refuse) {
            Err(e @ ClientError::Malformed { .. }) => {
                assert_eq!(e.request_id(), Some("R-1"));
                assert!(!e.retryable());
                let text = e.to_string();
                assert!(text.contains("field `X`"), "{text}");
                assert!(!text.contains("s3cr3t-signature"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        // Errors are errors before any reader sees them.
        assert!(matches!(
            interpret(
                200,
                "",
                br#"{"Success":false,"ErrCode":"X"}"#,
                None,
                &expect,
                &refuse
            ),
            Err(ClientError::Api(_))
        ));
    }

    #[test]
    fn too_many_json_values_are_refused_unparsed() {
        let body = format!("[{}0]", "0,".repeat(body::MAX_JSON_VALUES));
        match object(200, "", body.as_bytes(), None) {
            Err(ClientError::Malformed { detail, .. }) => {
                assert!(detail.contains("more than 200000 JSON values"), "{detail}");
                assert!(detail.contains("DescribeSomething"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_call_is_cancelled_at_once_and_bounded_by_its_deadline() {
        let client = DbsClient::new(crate::alibaba::ClientConfig::new(
            "http://127.0.0.1:1",
            "cn-hangzhou",
            crate::alibaba::Credentials {
                access_key_id: "id".into(),
                access_key_secret: "secret".into(),
                security_token: None,
            },
        ))
        .unwrap();
        let token = CancellationToken::new();
        let call = RpcCall {
            deadline: Some(Instant::now()),
            ..RpcCall::new("DescribeSomething", DBS_API_VERSION, Vec::new())
        };
        match client.call(&call, &token).await {
            Err(e @ ClientError::DeadlineExceeded { progress: None, .. }) => {
                assert!(!e.to_string().contains("pages"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        token.cancel();
        assert!(matches!(
            client.call(&call, &token).await,
            Err(ClientError::Cancelled)
        ));
    }
}
