//! The DBS API client: one signed HTTP attempt, and the retry loop around it.
//!
//! Every attempt is signed afresh (new nonce, new timestamp), because the server rejects a reused
//! nonce and a stale timestamp. Failures are classified once, here, into [`ClientError`]; whether
//! to try again is decided by the explicit retryable set of [`ApiError::retryable`] plus transport
//! failures that a new connection can fix. Backoff is exponential with full jitter, so many
//! throttled pages do not come back in lockstep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::body::{self, BodyError};
use super::credentials::{new_nonce, CredentialError, CredentialProvider};
use super::endpoint::resolve_endpoint;
use super::error::{is_retryable_status, parse_retry_after, ApiError};
use super::limiter::AdaptiveLimiter;
use super::models::{describe_json_error, page_from_object, Page, RestoreTask, RestoreTaskQuery};
use super::server_text::{self, Secrets};
use super::{paging, signing, trust_store};

/// API version of DBS this client speaks.
pub const DBS_API_VERSION: &str = "2019-03-06";
/// The one action this client calls.
pub const ACTION_DESCRIBE_RESTORE_TASK_LIST: &str = "DescribeRestoreTaskList";
/// Largest `PageSize` the API accepts; also what a query with `page_size: 0` gets.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Header in which Alibaba gateways repeat the RequestId (useful when the body is unreadable).
const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// Retries of a retryable failure per request, unless configured otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Timeout of one attempt, unless configured otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests in flight at once for the whole client (every listing together), unless configured
/// otherwise; the ceiling of the adaptive budget ([`super::limiter`]).
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// Everything the client needs; built by the provider from its configuration.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Full base URL, e.g. `https://dbs-api.cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Sent as `RegionId`.
    pub region: String,
    /// Where signing credentials come from; renewed before they expire (`Debug` shows only
    /// the source). `Credentials` converts into fixed keys.
    pub credentials: CredentialProvider,
    /// Retries of retryable failures per request (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Timeout of each attempt, connect to last byte.
    pub request_timeout: Duration,
    /// Requests in flight at once, for every listing of this client together; 1 means
    /// sequential. The adaptive budget never exceeds it.
    pub max_concurrency: usize,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl ClientConfig {
    /// A configuration with the defaults above.
    pub fn new(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        credentials: impl Into<CredentialProvider>,
    ) -> Self {
        ClientConfig {
            endpoint: endpoint.into(),
            region: region.into(),
            credentials: credentials.into(),
            max_retries: DEFAULT_MAX_RETRIES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            user_agent: default_user_agent(),
        }
    }
}

/// `terraform-provider-dbs/<version>`.
pub fn default_user_agent() -> String {
    concat!("terraform-provider-dbs/", env!("CARGO_PKG_VERSION")).to_owned()
}

/// What kind of transport failure happened; decides whether a retry can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// The TCP/TLS connection could not be set up.
    Connect,
    /// The attempt exceeded `request_timeout`.
    Timeout,
    /// The connection broke mid-request or mid-body.
    Reset,
    /// TLS refused the peer (certificate problems): retrying cannot help.
    Tls,
    /// Anything else.
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Reset => "connection reset",
            TransportKind::Tls => "TLS failure",
            TransportKind::Other => "transport error",
        })
    }
}

/// Why a listing failed. `Display` is a sentence naming code, message and RequestId where known;
/// it never contains a secret.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error (either shape).
    #[error("the DBS API answered with an error: {0}")]
    Api(ApiError),
    /// No usable answer came back.
    #[error("talking to the DBS API failed ({kind}): {detail}{}{}", request_id_suffix(request_id.as_deref()), attempts_suffix(*attempts))]
    Transport {
        /// What failed.
        kind: TransportKind,
        /// Human detail, without URLs or secrets.
        detail: String,
        /// RequestId, when the headers arrived before the failure.
        request_id: Option<String>,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer arrived but cannot be read.
    #[error("the DBS API sent an unreadable answer (HTTP {http_status}): {detail}{}{}", request_id_suffix(request_id.as_deref()), attempts_suffix(*attempts))]
    Malformed {
        /// RequestId from the headers or whatever part of the body could be read.
        request_id: Option<String>,
        /// HTTP status.
        http_status: u16,
        /// What was wrong; never the body itself.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Fewer distinct tasks than `TotalElements` announced: refusing to return a partial list.
    #[error("the DBS API announced {expected} restore tasks but only {got} distinct ones could be read ({detail}); refusing to return a partial list")]
    Incomplete {
        /// `TotalElements` of the first page.
        expected: u64,
        /// Distinct tasks read.
        got: u64,
        /// Where the read stopped.
        detail: String,
    },
    /// The listing would pass one of the bounds every read keeps (jobs, pages, bytes).
    #[error("the restore job list passes the bound on {bound}: {detail}")]
    Unbounded {
        /// `jobs`, `pages` or `bytes`.
        bound: &'static str,
        /// What the server announced or sent.
        detail: String,
    },
    /// The result set changed while it was being paged through, twice in a row.
    #[error("the restore task list kept changing while it was being read ({detail}); try again")]
    Inconsistent {
        /// Which totals disagreed.
        detail: String,
    },
    /// The listing's deadline passed first.
    #[error("the read ran out of time after {:.1} s with {pages} pages and {jobs} restore jobs read", elapsed.as_secs_f64())]
    DeadlineExceeded {
        /// Time since the listing started.
        elapsed: Duration,
        /// Pages read by then.
        pages: u64,
        /// Jobs on those pages.
        jobs: u64,
    },
    /// The caller cancelled (Ctrl-C / StopProvider).
    #[error("the read was cancelled")]
    Cancelled,
    /// The client configuration is unusable.
    #[error("invalid DBS client configuration: {0}")]
    InvalidConfig(String),
    /// No credential to sign with (a renewal failed and the last one expired).
    #[error("cannot renew the Alibaba Cloud credentials: {0}")]
    Credentials(#[from] CredentialError),
    /// HTTPS cannot be verified: no CA certificates on this machine.
    #[error(transparent)]
    NoCaCertificates(#[from] trust_store::NoCaCertificates),
    /// The query is unusable.
    #[error("invalid restore task query: {0}")]
    InvalidQuery(String),
}

fn request_id_suffix(id: Option<&str>) -> String {
    id.map(|id| format!(" (RequestId {id})"))
        .unwrap_or_default()
}

fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!("; gave up after {attempts} attempts")
    } else {
        String::new()
    }
}

impl ClientError {
    /// Whether another attempt of the same request may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            ClientError::Api(api) => api.retryable(),
            ClientError::Transport { kind, .. } => {
                matches!(
                    kind,
                    TransportKind::Connect | TransportKind::Timeout | TransportKind::Reset
                )
            }
            ClientError::Malformed { http_status, .. } => is_retryable_status(*http_status),
            _ => false,
        }
    }

    /// The RequestId, where one is known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ClientError::Api(api) => api.request_id.as_deref(),
            ClientError::Transport { request_id, .. }
            | ClientError::Malformed { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            ClientError::Api(api) => api.attempts = n,
            ClientError::Transport { attempts, .. } | ClientError::Malformed { attempts, .. } => {
                *attempts = n
            }
            _ => {}
        }
        self
    }
}

/// Backoff bounds: the delay before retry `n` is uniform in `[0, min(cap, base * 2^(n-1))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Upper bound of the first delay.
    pub base: Duration,
    /// Largest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// Full-jitter delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1).min(30)));
        let ceiling = exp.min(self.cap);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

/// The DBS client. Cheap to clone; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct DbsClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    backoff: Backoff,
    /// Shared by every listing of this client (and its clones): one budget per process.
    limiter: Arc<AdaptiveLimiter>,
    /// The one slot for a body past [`body::LARGE_BODY_BYTES`].
    large_bodies: Arc<tokio::sync::Semaphore>,
}

impl DbsClient {
    /// Validates the configuration and builds the HTTP client (rustls, no redirects, no proxy for
    /// loopback endpoints).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let endpoint = resolve_endpoint(&config.region, Some(&config.endpoint))
            .map_err(|e| ClientError::InvalidConfig(e.to_string()))?;
        if config.endpoint.trim().is_empty() {
            return Err(ClientError::InvalidConfig("endpoint is empty".to_owned()));
        }
        if config.region.trim().is_empty() {
            return Err(ClientError::InvalidConfig("region is empty".to_owned()));
        }
        if config
            .credentials
            .fixed_keys()
            .is_some_and(|keys| keys.access_key_id.is_empty() || keys.access_key_secret.is_empty())
        {
            return Err(ClientError::InvalidConfig(
                "the access key id and secret must not be empty".to_owned(),
            ));
        }
        if config.max_concurrency == 0 {
            return Err(ClientError::InvalidConfig(
                "max_concurrency must be at least 1".to_owned(),
            ));
        }
        if config.request_timeout.is_zero() {
            return Err(ClientError::InvalidConfig(
                "request_timeout must be positive".to_owned(),
            ));
        }
        let loopback = endpoint.starts_with("http://");
        let mut builder = trust_store::client_builder(!loopback)?
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.request_timeout)
            .timeout(config.request_timeout);
        if loopback {
            builder = builder.no_proxy();
        } else {
            builder = builder.https_only(true);
        }
        let http = builder.build().map_err(|e| {
            ClientError::InvalidConfig(format!("cannot build the HTTP client: {e}"))
        })?;
        Ok(DbsClient {
            inner: Arc::new(Inner {
                http,
                limiter: Arc::new(AdaptiveLimiter::new(config.max_concurrency)),
                large_bodies: Arc::new(tokio::sync::Semaphore::new(1)),
                config: ClientConfig { endpoint, ..config },
                backoff: Backoff::default(),
            }),
        })
    }

    /// Replaces the backoff bounds (tests and benchmarks use short ones).
    pub fn with_backoff(self, backoff: Backoff) -> Self {
        let inner = Inner {
            http: self.inner.http.clone(),
            config: self.inner.config.clone(),
            backoff,
            limiter: self.inner.limiter.clone(),
            large_bodies: self.inner.large_bodies.clone(),
        };
        DbsClient {
            inner: Arc::new(inner),
        }
    }

    /// The configuration in use (endpoint normalized).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Every task matching the query, exactly once, in API order. Cancelling the token makes it
    /// return [`ClientError::Cancelled`] promptly: in-flight requests are dropped.
    pub async fn list_restore_tasks(
        &self,
        query: &RestoreTaskQuery,
        cancel: &CancellationToken,
    ) -> Result<Vec<RestoreTask>, ClientError> {
        if cancel.is_cancelled() {
            return Err(ClientError::Cancelled);
        }
        let page_size = match query.page_size {
            0 => MAX_PAGE_SIZE,
            n @ 1..=MAX_PAGE_SIZE => n,
            n => {
                return Err(ClientError::InvalidQuery(format!(
                    "page_size {n} is outside 1..={MAX_PAGE_SIZE}"
                )))
            }
        };
        let params = query_params(query);
        let label = query.label.as_deref().unwrap_or("-");
        let started = Instant::now();
        // Progress, for a deadline's error to say how far the read got.
        let pages = AtomicU64::new(0);
        let jobs = AtomicU64::new(0);
        let fetch = |page_num: i64| {
            let page = self.fetch_page(&params, label, page_num, page_size);
            let (pages, jobs) = (&pages, &jobs);
            async move {
                let page = page.await?;
                pages.fetch_add(1, Ordering::Relaxed);
                jobs.fetch_add(page.tasks.len() as u64, Ordering::Relaxed);
                Ok(page)
            }
        };
        let work = paging::list_all(fetch, page_size, self.inner.config.max_concurrency);
        let deadline = async {
            match query.deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let tasks = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(ClientError::Cancelled),
            () = deadline => Err(ClientError::DeadlineExceeded {
                elapsed: started.elapsed(),
                pages: pages.load(Ordering::Relaxed),
                jobs: jobs.load(Ordering::Relaxed),
            }),
            result = work => result,
        }?;
        // The server-side filters once more: a server that ignores one must not widen the result.
        let fetched = tasks.len();
        let kept: Vec<RestoreTask> = tasks.into_iter().filter(|t| query.matches(t)).collect();
        if kept.len() < fetched {
            log::warn!(
                "read={label} the API returned {} restore jobs outside the query (it ignored a filter); they were dropped",
                fetched - kept.len()
            );
        }
        Ok(kept)
    }

    /// One page with retries.
    async fn fetch_page(
        &self,
        params: &[(String, String)],
        label: &str,
        page_num: i64,
        page_size: u32,
    ) -> Result<Page, ClientError> {
        let max_attempts = self.inner.config.max_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            match self
                .attempt(params, label, page_num, page_size, attempt)
                .await
            {
                Ok(page) => return Ok(page),
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
                        "read={label} {ACTION_DESCRIBE_RESTORE_TASK_LIST} page {page_num}: attempt {attempt} failed ({}); retrying in {} ms",
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
    async fn attempt(
        &self,
        params: &[(String, String)],
        label: &str,
        page_num: i64,
        page_size: u32,
        attempt: u32,
    ) -> Result<Page, ClientError> {
        let config = &self.inner.config;
        // Credentials before the budget: a renewal must not hold a slot other requests could use.
        let credentials = config.credentials.current().await?;
        // The shared budget first: the nonce and timestamp must be fresh when the request leaves.
        let permit = self.inner.limiter.acquire().await;
        let nonce = new_nonce();
        let mut all = params.to_vec();
        all.push(("PageNum".to_owned(), page_num.to_string()));
        all.push(("PageSize".to_owned(), page_size.to_string()));
        all.extend(signing::common_parameters(&signing::CommonParams {
            version: DBS_API_VERSION,
            access_key_id: &credentials.access_key_id,
            security_token: credentials.security_token.as_deref(),
            region_id: Some(&config.region),
            nonce: &nonce,
            timestamp: time::OffsetDateTime::now_utc(),
        }));
        let signed = signing::signed_parameters("POST", all, &credentials.access_key_secret);
        // What must never come back in anything we show, whatever the server quotes.
        let secrets = Secrets::new(
            signed
                .iter()
                .filter(|(k, _)| k == "Signature")
                .map(|(_, v)| v.as_str())
                .chain([credentials.access_key_secret.as_str()])
                .chain(credentials.security_token.as_deref()),
        );
        let body = signing::encode_pairs(&signed);

        let started = Instant::now();
        let log_attempt = |status: Option<u16>, request_id: Option<&str>| {
            log::debug!(
                "read={label} action={ACTION_DESCRIBE_RESTORE_TASK_LIST} page={page_num} attempt={attempt} latency_ms={} request_id={} http_status={} limit=[{}]",
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
                page_size,
            },
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
            Ok(page) => page.request_id.clone().or(header_request_id),
            Err(e) => e.request_id().map(str::to_owned),
        };
        log_attempt(Some(status), request_id.as_deref());
        result
    }
}

/// The action's own parameters (paging and common parameters are added per attempt).
fn query_params(query: &RestoreTaskQuery) -> Vec<(String, String)> {
    let mut params = vec![(
        "Action".to_owned(),
        ACTION_DESCRIBE_RESTORE_TASK_LIST.to_owned(),
    )];
    if let Some(plan) = query.backup_plan_id.as_ref().filter(|p| !p.is_empty()) {
        params.push(("BackupPlanId".to_owned(), plan.clone()));
    }
    let ids: Vec<&str> = query
        .restore_task_ids
        .iter()
        .map(String::as_str)
        .filter(|id| !id.is_empty())
        .collect();
    if !ids.is_empty() {
        params.push(("RestoreTaskId".to_owned(), ids.join(",")));
    }
    if let Some(start) = query.start_timestamp {
        params.push(("StartTimestamp".to_owned(), start.to_string()));
    }
    if let Some(end) = query.end_timestamp {
        params.push(("EndTimestamp".to_owned(), end.to_string()));
    }
    params
}

/// What an answer is checked against: the secrets to mask in its text and the page size asked.
struct Expect<'a> {
    secrets: &'a Secrets,
    page_size: u32,
}

/// Turns a complete HTTP answer into a page or a typed error. Every string taken from the answer
/// is cleaned ([`server_text::clean`]) before it goes anywhere.
fn interpret(
    status: u16,
    content_type: &str,
    body: &[u8],
    header_request_id: Option<String>,
    expect: &Expect<'_>,
) -> Result<Page, ClientError> {
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
            "the answer holds more than {} JSON values, far more than a page of {} jobs can; \
             it was not parsed",
            body::MAX_JSON_VALUES,
            expect.page_size
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
            let mut page = page_from_object(&obj, expect.page_size as usize)
                .map_err(|e| malformed(clean(&e.to_string())))?;
            page.request_id = page.request_id.as_deref().map(clean).or(header_request_id);
            page.bytes = body.len();
            Ok(page)
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
    use crate::alibaba::Credentials;
    use std::collections::HashSet;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: None,
        }
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        for retry in 1..40 {
            let ceiling = Duration::from_millis((100u64 << (retry - 1).min(20)).min(1000));
            for _ in 0..20 {
                assert!(b.delay(retry) <= ceiling, "retry {retry}");
            }
        }
        // Full jitter: delays vary (200 samples all equal would be a broken generator).
        let samples: HashSet<Duration> = (0..200).map(|_| b.delay(5)).collect();
        assert!(samples.len() > 1);
    }

    #[test]
    fn query_params_map_every_filter() {
        let q = RestoreTaskQuery {
            backup_plan_id: Some("plan".into()),
            restore_task_ids: vec!["a".into(), String::new(), "b".into()],
            start_timestamp: Some(1),
            end_timestamp: Some(2),
            page_size: 50,
            label: Some("not sent".into()),
            deadline: None,
        };
        assert_eq!(
            query_params(&q),
            [
                ("Action", "DescribeRestoreTaskList"),
                ("BackupPlanId", "plan"),
                ("RestoreTaskId", "a,b"),
                ("StartTimestamp", "1"),
                ("EndTimestamp", "2"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(query_params(&RestoreTaskQuery::default()).len(), 1);
    }

    static NO_SECRETS: std::sync::LazyLock<Secrets> = std::sync::LazyLock::new(Secrets::default);

    fn expect() -> Expect<'static> {
        Expect {
            secrets: &NO_SECRETS,
            page_size: 100,
        }
    }

    #[test]
    fn interpret_reads_pages_and_both_error_shapes() {
        let page = interpret(
            200,
            "application/json",
            br#"{"RequestId":"R","PageNum":0,"TotalElements":1,"Items":{"RestoreTaskDetail":[{"RestoreTaskId":"t"}]}}"#,
            None,
            &expect(),
        )
        .unwrap();
        assert_eq!(page.tasks.len(), 1);
        match interpret(
            400,
            "",
            br#"{"Code":"Throttling.User","Message":"m"}"#,
            Some("H".into()),
            &expect(),
        ) {
            Err(ClientError::Api(api)) => {
                assert_eq!(api.code, "Throttling.User");
                // The header's RequestId fills in when the body has none.
                assert_eq!(api.request_id.as_deref(), Some("H"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(
                200,
                "",
                br#"{"Success":false,"ErrCode":"InvalidParameter","RequestId":"R"}"#,
                None,
                &expect()
            ),
            Err(ClientError::Api(ApiError {
                http_status: 200,
                ..
            }))
        ));
    }

    #[test]
    fn interpret_turns_garbage_into_malformed_with_whatever_request_id_exists() {
        match interpret(
            502,
            "text/html",
            b"<html><body>502 Bad Gateway</body></html>",
            Some("H".into()),
            &expect(),
        ) {
            Err(e @ ClientError::Malformed { .. }) => {
                assert_eq!(e.request_id(), Some("H"));
                assert!(e.retryable());
                assert!(e.to_string().contains("text/html"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        match interpret(
            200,
            "application/json",
            br#"{"RequestId":"R-7","Items":{"Restore"#,
            None,
            &expect(),
        ) {
            Err(e @ ClientError::Malformed { .. }) => {
                assert_eq!(e.request_id(), Some("R-7"));
                assert!(!e.retryable());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(200, "", b"", None, &expect()),
            Err(ClientError::Malformed {
                request_id: None,
                ..
            })
        ));
        assert!(matches!(
            interpret(200, "", b"[]", None, &expect()),
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
    fn error_display_names_code_message_request_id_and_attempts() {
        let e = ClientError::Api(ApiError {
            code: "Throttling.User".into(),
            message: "slow down".into(),
            request_id: Some("R-1".into()),
            host_id: None,
            http_status: 400,
            attempts: 1,
            retry_after: None,
        })
        .with_attempts(6);
        let text = e.to_string();
        for part in [
            "Throttling.User",
            "slow down",
            "R-1",
            "HTTP 400",
            "6 attempts",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
        let e = ClientError::Transport {
            kind: TransportKind::Timeout,
            detail: "operation timed out".into(),
            request_id: None,
            attempts: 1,
        }
        .with_attempts(3);
        assert!(e.retryable());
        assert!(e.to_string().contains("timed out") && e.to_string().contains("3 attempts"));
        for kind in [TransportKind::Tls, TransportKind::Other] {
            let e = ClientError::Transport {
                kind,
                detail: String::new(),
                request_id: None,
                attempts: 1,
            };
            assert!(!e.retryable());
        }
    }

    #[test]
    fn configuration_is_validated() {
        let ok = ClientConfig::new("http://127.0.0.1:1", "cn-hangzhou", creds());
        assert_eq!(
            ok.user_agent,
            format!("terraform-provider-dbs/{}", env!("CARGO_PKG_VERSION"))
        );
        assert!(DbsClient::new(ok.clone()).is_ok());
        let bad = [
            ClientConfig {
                endpoint: "http://dbs.example.test".into(),
                ..ok.clone()
            },
            ClientConfig {
                endpoint: " ".into(),
                ..ok.clone()
            },
            ClientConfig {
                region: String::new(),
                ..ok.clone()
            },
            ClientConfig {
                max_concurrency: 0,
                ..ok.clone()
            },
            ClientConfig {
                request_timeout: Duration::ZERO,
                ..ok.clone()
            },
            ClientConfig {
                credentials: Credentials {
                    access_key_secret: String::new(),
                    ..creds()
                }
                .into(),
                ..ok.clone()
            },
        ];
        for config in bad {
            assert!(matches!(
                DbsClient::new(config),
                Err(ClientError::InvalidConfig(_))
            ));
        }
        let client = DbsClient::new(ClientConfig {
            endpoint: "http://127.0.0.1:1/".into(),
            ..ok
        })
        .unwrap();
        assert_eq!(client.config().endpoint, "http://127.0.0.1:1");
        assert!(!format!("{client:?}").contains("secret\""));
    }

    #[tokio::test]
    async fn page_size_is_checked_and_cancellation_is_immediate() {
        let client = DbsClient::new(ClientConfig::new(
            "http://127.0.0.1:1",
            "cn-hangzhou",
            creds(),
        ))
        .unwrap();
        let token = CancellationToken::new();
        let q = RestoreTaskQuery {
            page_size: 101,
            ..RestoreTaskQuery::default()
        };
        assert!(matches!(
            client.list_restore_tasks(&q, &token).await,
            Err(ClientError::InvalidQuery(_))
        ));
        token.cancel();
        assert!(matches!(
            client
                .list_restore_tasks(&RestoreTaskQuery::default(), &token)
                .await,
            Err(ClientError::Cancelled)
        ));
    }
}
