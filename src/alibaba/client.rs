//! The DBS API client: its configuration, its errors, and the state every call shares (the
//! connection pool, the request budget, the large-body slot).
//!
//! What a call does is in [`super::rpc`]; what a listing does, in [`super::listing`].

use std::sync::Arc;
use std::time::Duration;

use super::credentials::{CredentialError, CredentialProvider};
use super::endpoint::resolve_endpoint;
use super::error::{is_retryable_status, ApiError};
use super::limiter::AdaptiveLimiter;
use super::listing::Noun;
use super::trust_store;

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

/// Why a call or a listing failed. `Display` is a sentence naming code, message and RequestId where known;
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
    /// Fewer distinct items than `TotalElements` announced: refusing to return a partial list.
    #[error("the DBS API announced {expected} {} but only {got} distinct ones could be read ({detail}); refusing to return a partial list", noun.many)]
    Incomplete {
        /// `TotalElements` of the first page.
        expected: u64,
        /// Distinct items read.
        got: u64,
        /// Where the read stopped.
        detail: String,
        /// What the items are.
        noun: Noun,
    },
    /// The listing would pass one of the bounds every read keeps (items, pages, bytes).
    #[error("the {} list passes the bound on {bound}: {detail}", noun.one)]
    Unbounded {
        /// The items' short name (`jobs`), `pages` or `bytes`.
        bound: &'static str,
        /// What the server announced or sent.
        detail: String,
        /// What the items are.
        noun: Noun,
    },
    /// The result set changed while it was being paged through, twice in a row.
    #[error("the {} list kept changing while it was being read ({detail}); try again", noun.one)]
    Inconsistent {
        /// Which totals disagreed.
        detail: String,
        /// What the items are.
        noun: Noun,
    },
    /// The deadline passed first.
    #[error("the read ran out of time after {:.1} s{}", elapsed.as_secs_f64(), progress.map(|p| p.to_string()).unwrap_or_default())]
    DeadlineExceeded {
        /// Time since the call or listing started.
        elapsed: Duration,
        /// How far a listing got.
        progress: Option<Progress>,
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
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

/// How far a listing got, for a deadline's error: a read that timed out after 40 of 100 pages
/// wants a longer deadline, one that timed out on its first page wants a look at the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Pages read.
    pub pages: u64,
    /// Items on those pages.
    pub items: u64,
    /// What the items are.
    pub noun: Noun,
}

impl std::fmt::Display for Progress {
    /// The tail of the deadline's sentence.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            " with {} pages and {} {} read",
            self.pages, self.items, self.noun.many
        )
    }
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

    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
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
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    pub(super) config: ClientConfig,
    pub(super) backoff: Backoff,
    /// Shared by every call of this client (and its clones): one budget per process.
    pub(super) limiter: Arc<AdaptiveLimiter>,
    /// The one slot for a body past [`super::body::LARGE_BODY_BYTES`].
    pub(super) large_bodies: Arc<tokio::sync::Semaphore>,
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
    fn error_display_names_code_message_request_id_and_attempts() {
        let answer = ApiError::new("Throttling.User", "slow down", Some("R-1".into()), 400);
        let e = ClientError::Api(answer).with_attempts(6);
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
}
