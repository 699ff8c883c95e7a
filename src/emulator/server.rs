//! The running emulator: a socket, an axum router with a single catch-all handler, and a
//! shutdown that cannot hang.
//!
//! Everything goes through axum, including the "reset mid-body" fault: the response declares the
//! full `Content-Length`, its body stream yields the first half, pauses once so hyper flushes it,
//! then fails, and hyper closes a connection whose body stream failed. The client has seen the
//! headers and part of the body and then a dropped connection, which is the fault we want,
//! without a second, hand-written HTTP path.
//!
//! Shutdown cancels one token. Stalled and sleeping requests watch it and give up at once, so the
//! graceful shutdown of the remaining connections finishes promptly; a bounded wait after that
//! guards against anything else keeping it open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::auth::Gate;
use super::calls::CredentialCall;
use super::config::EmulatorConfig;
use super::error::EmulatorError;
use super::faults::Faults;
use super::hostile::{HostileReply, Stream};
use super::identities::Identities;
use super::metadata::Metadata;
use super::reply::{self, Reply};
use super::service::{Outcome, Request, Service};
use super::sts::Sts;
use crate::alibaba::Credentials;

/// How long [`Emulator::shutdown`] waits for connections to close before abandoning them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause between the part of a cut body that is sent and the drop, so the part gets flushed.
const CUT_PAUSE: Duration = Duration::from_millis(20);

/// A running emulator. Dropping it stops it too, but only [`Emulator::shutdown`] waits for that.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    service: Arc<Service>,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Loads the tasks, binds the socket and starts serving in the background.
    ///
    /// Returns once the socket is listening, so [`Emulator::url`] can be used at once.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let tasks = config.tasks.load()?;
        let listen_error = |source| EmulatorError::Listen {
            addr: config.listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(listen_error)?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let shutdown = CancellationToken::new();
        let gate = Gate::new(Identities::new(Credentials {
            access_key_id: config.access_key_id,
            access_key_secret: config.access_key_secret,
            security_token: config.security_token,
        }));
        let sts = Sts {
            roles: config.roles,
            oidc_provider_arn: config.oidc_provider_arn,
            oidc_token: config.oidc_token,
            max_lifetime: time::Duration::try_from(config.credential_lifetime)
                .unwrap_or(time::Duration::MAX),
        };
        let metadata = Metadata::new(config.imds, config.instance_role);
        let service = Arc::new(Service::new(
            tasks,
            gate,
            sts,
            metadata,
            config.faults,
            shutdown.clone(),
        ));
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&service));
        // Small answers must not wait for delayed ACKs (about 40 ms a round trip otherwise).
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                log::warn!("cannot set TCP_NODELAY: {error}");
            }
        });
        let signal = shutdown.clone().cancelled_owned();
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(signal)
                .await
            {
                log::error!("emulator stopped serving: {error}");
            }
        });
        Ok(Emulator {
            addr,
            service,
            shutdown,
            server: Some(server),
        })
    }

    /// The base URL to send requests to, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every HTTP request received so far, whatever became of it (faults and refusals included).
    pub fn request_count(&self) -> u64 {
        self.service.request_count()
    }

    /// The most requests that were ever being handled at once.
    pub fn max_in_flight(&self) -> u64 {
        self.service.max_in_flight()
    }

    /// `Throttling.User` answers served so far (rate limit and throttle fault together).
    pub fn throttled_count(&self) -> u64 {
        self.service.throttled_count()
    }

    /// Every call to STS, the metadata service and the credentials URI so far, oldest first
    /// (the most recent 10,000), refusals included.
    pub fn credential_calls(&self) -> Vec<CredentialCall> {
        self.service.credential_calls()
    }

    /// DBS requests the gateway admitted, by the access key id that signed them: a test of
    /// credential refresh can see that more than one temporary key was used.
    pub fn dbs_requests_by_key(&self) -> std::collections::BTreeMap<String, u64> {
        self.service.dbs_requests_by_key()
    }

    /// Replaces the faults; requests that arrive afterwards see the new ones.
    pub fn set_faults(&self, faults: Faults) {
        self.service.set_faults(faults);
    }

    /// Stops accepting, releases stalled requests, and waits (boundedly) for connections to close.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
            {
                log::warn!(
                    "emulator connections did not close within {SHUTDOWN_GRACE:?}; abandoning them"
                );
                server.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The single handler: every method, every path.
async fn handle(
    State(service): State<Arc<Service>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let form = (method == Method::POST && !body.is_empty() && is_form(&headers))
        .then(|| String::from_utf8_lossy(&body).into_owned());
    let request = Request {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        form,
        host: headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned),
        headers: headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect(),
        body: body.to_vec(),
    };
    match service.handle(request).await {
        Outcome::Send(reply) => respond(reply, false),
        Outcome::Cut(reply) => respond(reply, true),
        Outcome::Drop => dropped(),
        Outcome::Hostile(reply) => respond_hostile(reply),
    }
}

/// A hostile answer: its own status and headers, and a body that may be huge or endless (made
/// as it is sent, so the emulator itself stays small).
fn respond_hostile(reply: HostileReply) -> Response<Body> {
    let mut builder =
        Response::builder().status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK));
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value);
    }
    let body = match reply.body {
        Ok(bytes) => {
            builder = builder.header(header::CONTENT_LENGTH, bytes.len());
            Body::from(bytes)
        }
        Err(Stream::Repeat {
            prefix,
            unit,
            count,
            suffix,
        }) => {
            let total = prefix.len() as u64 + unit.len() as u64 * count + suffix.len() as u64;
            builder = builder.header(header::CONTENT_LENGTH, total);
            let unit = Bytes::from(unit);
            let parts = std::iter::once(Bytes::from(prefix))
                .chain(std::iter::repeat_n(unit, count as usize))
                .chain(std::iter::once(Bytes::from(suffix)))
                .map(Ok::<_, std::io::Error>);
            Body::from_stream(futures_util::stream::iter(parts))
        }
        Err(Stream::Endless { prefix, unit }) => {
            let unit = Bytes::from(unit.repeat(1024));
            let parts = std::iter::once(Bytes::from(prefix))
                .chain(std::iter::repeat(unit))
                .map(Ok::<_, std::io::Error>);
            Body::from_stream(futures_util::stream::iter(parts))
        }
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut fallback = Response::new(Body::empty());
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// A body is read as form parameters unless it says it is something else.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn respond(reply: Reply, cut: bool) -> Response<Body> {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(header::CONTENT_TYPE, reply.content_type)
        .header(header::CONTENT_LENGTH, reply.body.len());
    if let Some(id) = &reply.request_id {
        builder = builder.header(reply::REQUEST_ID_HEADER, id);
    }
    let body = if cut {
        cut_body(reply.body)
    } else {
        Body::from(reply.body)
    };
    builder.body(body).unwrap_or_else(|_| {
        // Only reachable with an invalid header value, which the emulator never builds.
        let mut fallback = Response::new(Body::empty());
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// A body that delivers its first half, pauses, then fails (which makes hyper drop the connection).
fn cut_body(mut bytes: Vec<u8>) -> Body {
    enum Step {
        Part(Vec<u8>),
        Fail,
        Done,
    }
    bytes.truncate(reply::cut_point(bytes.len()));
    let stream = futures_util::stream::unfold(Step::Part(bytes), |step| async move {
        match step {
            Step::Part(part) => Some((Ok(Bytes::from(part)), Step::Fail)),
            Step::Fail => {
                tokio::time::sleep(CUT_PAUSE).await;
                let reset = std::io::Error::other("connection reset by the emulator");
                Some((Err(reset), Step::Done))
            }
            Step::Done => None,
        }
    });
    Body::from_stream(stream)
}

/// A response that fails before its first byte, so the connection closes without an answer.
fn dropped() -> Response<Body> {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("request dropped by the emulator"))
    });
    Response::new(Body::from_stream(stream))
}
