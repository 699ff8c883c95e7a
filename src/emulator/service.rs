//! One request, start to finish: count it, decode it, route it, wait the latency, pick a fault,
//! answer it, log it. Knows nothing of sockets; [`super::server`] turns its [`Outcome`] into
//! bytes.
//!
//! The credential services (STS, the metadata service, the credentials URI) are answered at
//! once, without latency, faults or rate limits, which exist to exercise DBS paging: a chain
//! under test should fail because of what it was told, not by chance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::auth::{self, Gate, V3Request};
use super::auth_v3;
use super::calls::{self, Calls, CredentialCall, CredentialService};
use super::credentials_uri;
use super::faults::{self, FaultKind, Faults};
use super::filter::{Filter, InvalidFilter, Task};
use super::hostile::{self, Hostile, HostileReply};
use super::metadata::{self, Metadata};
use super::paging;
use super::params::Params;
use super::rate_limit::RateLimit;
use super::reply::{self, BusinessError, GatewayError, Reply};
use super::route::{self, Signing, Target};
use super::sts::{Sts, StsCall};

/// A stalled request is released after this long even if nobody shuts the emulator down, so a
/// long-running emulator does not collect forgotten connections forever. Far beyond any sane
/// client timeout.
const MAX_STALL: Duration = Duration::from_secs(600);

/// The parts of an HTTP request the emulator looks at.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    /// A form-encoded body, if the request had one.
    pub(crate) form: Option<String>,
    /// The `Host` header, echoed as `HostId` in gateway errors.
    pub(crate) host: Option<String>,
    /// Every header, names lower-case, in arrival order (V3 signs them).
    pub(crate) headers: Vec<(String, String)>,
    /// The raw body (V3 signs its hash).
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// A bodiless request to `path` with `headers`, for the services' unit tests.
    #[cfg(test)]
    pub(crate) fn test(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            query: None,
            form: None,
            host: None,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        }
    }

    /// The first value of header `name` (lower-case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How to deliver an answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send the whole reply.
    Send(Reply),
    /// Send the headers (with the full `Content-Length`) and part of the body, then drop the
    /// connection.
    Cut(Reply),
    /// Drop the connection without an answer (a stalled request when the emulator stops).
    Drop,
    /// What a hostile endpoint answers ([`Hostile`]).
    Hostile(HostileReply),
}

/// State shared by every request.
#[derive(Debug)]
pub(crate) struct Service {
    tasks: Vec<Task>,
    gate: Gate,
    sts: Sts,
    metadata: Metadata,
    calls: Calls,
    faults: RwLock<Faults>,
    requests: AtomicU64,
    /// Requests being handled now, and the most there ever were at once.
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    /// `Throttling.User` answers served, by the rate limit and by the throttle fault together.
    throttled: AtomicU64,
    rate_limit: RateLimit,
    /// Page numbers asked for so far (the `retry-after` hostile mode answers each once).
    pages_seen: std::sync::Mutex<std::collections::HashSet<String>>,
    /// How many faults of each kind were served, to rotate their variants.
    fault_counts: [AtomicU64; 5],
    shutdown: CancellationToken,
}

impl Service {
    pub(crate) fn new(
        tasks: Vec<Task>,
        gate: Gate,
        sts: Sts,
        metadata: Metadata,
        faults: Faults,
        shutdown: CancellationToken,
    ) -> Self {
        Service {
            tasks,
            gate,
            sts,
            metadata,
            calls: Calls::default(),
            faults: RwLock::new(faults),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            rate_limit: RateLimit::default(),
            pages_seen: Default::default(),
            fault_counts: Default::default(),
            shutdown,
        }
    }

    pub(crate) fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub(crate) fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn throttled_count(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }

    pub(crate) fn credential_calls(&self) -> Vec<CredentialCall> {
        self.calls.credential_calls()
    }

    pub(crate) fn dbs_requests_by_key(&self) -> std::collections::BTreeMap<String, u64> {
        self.calls.dbs_requests_by_key()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Handles one request.
    pub(crate) async fn handle(&self, request: Request) -> Outcome {
        let number = self.requests.fetch_add(1, Ordering::SeqCst);
        let in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(in_flight, Ordering::SeqCst);
        // Released on drop: a client that hangs up drops this future mid-way.
        struct Leaving<'a>(&'a AtomicU64);
        impl Drop for Leaving<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _leaving = Leaving(&self.in_flight);
        self.handle_counted(request, number, in_flight).await
    }

    async fn handle_counted(&self, request: Request, number: u64, in_flight: u64) -> Outcome {
        let faults = self.faults();
        let request_id = reply::request_id(faults.seed, number);
        let params = decode(&request);
        let target = route::target(&request, params.as_ref().ok());
        if target != Target::Dbs {
            let reply = self.credential_service(target, &request, &params, &request_id);
            let action = match route::action(&request, params.as_ref().ok()) {
                Some(action) if target == Target::Sts => format!(" Action={}", clipped(&action)),
                _ => String::new(),
            };
            log::info!(
                "#{number} in_flight={in_flight} {} {}{action} -> {}",
                request.method,
                clipped(&request.path),
                reply.summary
            );
            return Outcome::Send(reply);
        }

        if !faults.latency.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(faults.latency) => {}
                () = self.shutdown.cancelled() => return Outcome::Drop,
            }
        }

        let fault = faults::choose(&faults, number);
        let label = format!(
            "#{number} in_flight={in_flight} {} Action={} PageNum={}",
            request.method,
            clipped(&route::action(&request, params.as_ref().ok()).unwrap_or_else(|| "-".into())),
            shown(&params, "PageNum"),
        );
        let access_key = caller(&request, &params);
        if !self.rate_limit.admit(
            &access_key,
            faults.rate_limit_qps,
            std::time::Instant::now(),
        ) {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            let reply = self.gateway(&GatewayError::throttled(), &request, &request_id);
            log::info!(
                "{label} -> {} [rate limit: {} per second]",
                reply.summary,
                faults.rate_limit_qps
            );
            return Outcome::Send(reply);
        }
        let ignore_filters = faults.hostile.is_some_and(Hostile::ignores_filters);
        let genuine = || {
            self.answer(
                &request,
                &params,
                &request_id,
                faults.one_based_paging,
                ignore_filters,
            )
        };
        if let Some(mode) = faults.hostile {
            let reply = genuine();
            if let (Ok(params), 200) = (&params, reply.status.as_u16()) {
                if let Some(hostile) = self.hostile(mode, params, &reply, &request_id) {
                    log::info!(
                        "{label} -> {} {} [hostile: {mode}]",
                        hostile.status,
                        hostile.summary
                    );
                    return Outcome::Hostile(hostile);
                }
            }
            log::info!("{label} -> {}", reply.summary);
            return Outcome::Send(reply);
        }
        let Some(kind) = fault else {
            let reply = genuine();
            log::info!("{label} -> {}", reply.summary);
            return Outcome::Send(reply);
        };
        let turn = self.fault_counts[kind.index()].fetch_add(1, Ordering::SeqCst);
        let outcome = match kind {
            FaultKind::Throttle => {
                self.throttled.fetch_add(1, Ordering::SeqCst);
                Outcome::Send(self.gateway(&GatewayError::throttled(), &request, &request_id))
            }
            FaultKind::ServerError => {
                let error = if turn.is_multiple_of(2) {
                    GatewayError::service_unavailable()
                } else {
                    GatewayError::internal_error()
                };
                Outcome::Send(self.gateway(&error, &request, &request_id))
            }
            FaultKind::Malformed => Outcome::Send(match turn % 3 {
                0 => genuine().truncated(),
                1 => Reply::html_bad_gateway(),
                _ => Reply::invalid_json(&request_id),
            }),
            FaultKind::Stall => {
                // Logged now: the request may stay stalled for a long time.
                log::info!("{label} -> no answer [fault: stall]");
                tokio::select! {
                    () = tokio::time::sleep(MAX_STALL) => {}
                    () = self.shutdown.cancelled() => {}
                }
                return Outcome::Drop;
            }
            FaultKind::Reset => Outcome::Cut(genuine()),
        };
        let summary = match &outcome {
            Outcome::Send(reply) => reply.summary.clone(),
            Outcome::Cut(reply) => format!("{} cut mid-body", reply.summary),
            Outcome::Drop => "no answer".to_owned(),
            Outcome::Hostile(reply) => reply.summary.clone(),
        };
        log::info!("{label} -> {summary} [fault: {}]", kind.name());
        outcome
    }

    /// The answer a hostile endpoint gives instead of `genuine`, if it differs.
    fn hostile(
        &self,
        mode: Hostile,
        params: &Params,
        genuine: &Reply,
        request_id: &str,
    ) -> Option<HostileReply> {
        let page_num = params.get("PageNum").unwrap_or("0").to_owned();
        let seen_before = !self
            .pages_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(page_num.clone());
        hostile::answer(
            mode,
            hostile::Context {
                genuine: serde_json::from_slice(&genuine.body).unwrap_or_default(),
                request_id,
                signature: params.get("Signature").unwrap_or(""),
                security_token: params.get("SecurityToken").unwrap_or(""),
                page_num: page_num.parse().unwrap_or(0),
                seen_before,
            },
        )
    }

    /// The answer a well-behaved server gives (with every filter ignored, for the hostile mode
    /// that does so).
    fn answer(
        &self,
        request: &Request,
        params: &Result<Params, GatewayError>,
        request_id: &str,
        one_based: bool,
        ignore_filters: bool,
    ) -> Reply {
        if request.method != "GET" && request.method != "POST" {
            return self.gateway(&GatewayError::unsupported_method(), request, request_id);
        }
        if request.path != "/" {
            return self.gateway(&GatewayError::action_not_found(), request, request_id);
        }
        let params = match params {
            Ok(params) => params,
            Err(error) => return self.gateway(error, request, request_id),
        };
        let now = OffsetDateTime::now_utc();
        let admitted = match route::signing(request, Some(params)) {
            Signing::V1 => self.gate.admit(&request.method, params, now),
            Signing::V3 => self.admit_v3(request, params, now),
        };
        match admitted {
            Ok(access_key_id) => self.calls.dbs_request(&access_key_id),
            Err(error) => return self.gateway(&error, request, request_id),
        }
        let page_request = match paging::page_request(
            params.non_empty("PageNum"),
            params.non_empty("PageSize"),
            one_based,
        ) {
            Ok(page_request) => page_request,
            Err(invalid) => {
                return Reply::business(
                    &BusinessError::invalid_value(invalid.parameter),
                    request_id,
                )
            }
        };
        let given = |name: &str| params.non_empty(name).filter(|_| !ignore_filters);
        let filter = match Filter::new(
            given("BackupPlanId"),
            given("RestoreTaskId"),
            given("StartTimestamp"),
            given("EndTimestamp"),
        ) {
            Ok(filter) => filter,
            Err(InvalidFilter::Conflict) => {
                return Reply::business(&BusinessError::conflicting_filters(), request_id)
            }
            Err(InvalidFilter::NotANumber(name)) => {
                return Reply::business(&BusinessError::invalid_value(name), request_id)
            }
        };
        let matching: Vec<&Task> = self.tasks.iter().filter(|t| filter.matches(t)).collect();
        let page = paging::page(matching.len(), page_request, one_based);
        let served = matching.get(page.range.clone()).unwrap_or_default();
        Reply::page(page_request, &page, served, matching.len(), request_id)
    }

    /// A V3 DBS request: authenticated first, so that whatever is wrong with its signature is
    /// what the client hears, then routed.
    fn admit_v3(
        &self,
        request: &Request,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<String, GatewayError> {
        let query = query_params(request);
        let access_key_id = self
            .gate
            .authenticate_v3(&v3_request(request, &query), params, now)?;
        match route::action(request, Some(params)).as_deref() {
            None => return Err(GatewayError::missing("Action")),
            Some(auth::ACTION) => {}
            Some(_) => return Err(GatewayError::action_not_found()),
        }
        match route::version(request, Some(params)).as_deref() {
            None => Err(GatewayError::missing("Version")),
            Some(auth::VERSION) => Ok(access_key_id),
            Some(_) => Err(GatewayError::invalid_version()),
        }
    }

    /// Answers STS, the metadata service or the credentials URI, and records the call.
    fn credential_service(
        &self,
        target: Target,
        request: &Request,
        params: &Result<Params, GatewayError>,
        request_id: &str,
    ) -> Reply {
        let now = OffsetDateTime::now_utc();
        let identities = self.gate.identities();
        let lifetime = self.sts.max_lifetime;
        let mut recorded = params
            .as_ref()
            .map(calls::recorded_params)
            .unwrap_or_default();
        let (service, action, reply, signed_by, metadata_token) = match target {
            Target::Metadata => {
                if let Some(ttl) = request.header(metadata::TTL_HEADER) {
                    recorded.insert(metadata::TTL_HEADER.to_owned(), ttl.to_owned());
                }
                let answer = self.metadata.answer(request, identities, lifetime, now);
                (
                    CredentialService::Metadata,
                    None,
                    answer.reply,
                    None,
                    answer.token,
                )
            }
            Target::CredentialsUri => {
                let reply = credentials_uri::answer(&request.method, identities, lifetime, now);
                (CredentialService::CredentialsUri, None, reply, None, false)
            }
            Target::Sts | Target::Dbs => {
                let action = route::action(request, params.as_ref().ok());
                let (reply, signed_by) = self.sts_answer(request, params, request_id, now);
                (CredentialService::Sts, action, reply, signed_by, false)
            }
        };
        self.calls.record(CredentialCall {
            service,
            method: request.method.clone(),
            path: request.path.clone(),
            action,
            params: recorded,
            signed_by,
            metadata_token,
            status: reply.status.as_u16(),
        });
        reply
    }

    /// An STS answer, and who signed the request when it was signed and verified.
    fn sts_answer(
        &self,
        request: &Request,
        params: &Result<Params, GatewayError>,
        request_id: &str,
        now: OffsetDateTime,
    ) -> (Reply, Option<String>) {
        let host = request.host.as_deref().unwrap_or("sts.aliyuncs.com");
        let refuse = |error: &GatewayError| Reply::gateway_for("Sts", error, request_id, host);
        if request.method != "GET" && request.method != "POST" {
            return (refuse(&GatewayError::unsupported_method()), None);
        }
        let params = match params {
            Ok(params) => params,
            Err(error) => return (refuse(error), None),
        };
        let granted = |result: Result<serde_json::Value, GatewayError>| match result {
            Ok(body) => {
                let key = body["Credentials"]["AccessKeyId"].as_str().unwrap_or("-");
                let summary = format!("200 credentials {key}");
                Reply::json(axum::http::StatusCode::OK, request_id, &body, summary)
            }
            Err(error) => refuse(&error),
        };
        let call = StsCall {
            params,
            identities: self.gate.identities(),
            now,
            request_id,
        };
        match route::action(request, Some(params)).as_deref() {
            Some("AssumeRoleWithOIDC") => (granted(self.sts.assume_role_with_oidc(&call)), None),
            Some("AssumeRole") => {
                let signer = match route::signing(request, Some(params)) {
                    Signing::V1 => self.gate.authenticate_v1(&request.method, params, now),
                    Signing::V3 => {
                        let query = query_params(request);
                        self.gate
                            .authenticate_v3(&v3_request(request, &query), params, now)
                    }
                };
                match signer {
                    Ok(key) => (granted(self.sts.assume_role(&call)), Some(key)),
                    Err(error) => (refuse(&error), None),
                }
            }
            None => (refuse(&GatewayError::missing("Action")), None),
            Some(_) => (refuse(&GatewayError::action_not_found()), None),
        }
    }

    fn gateway(&self, error: &GatewayError, request: &Request, request_id: &str) -> Reply {
        let host = request
            .host
            .as_deref()
            .unwrap_or("dbs-api.cn-hangzhou.aliyuncs.com");
        Reply::gateway(error, request_id, host)
    }
}

/// A parameter's value for the request log: escaped so a client cannot forge log lines, and
/// clipped so it cannot flood them.
fn shown(params: &Result<Params, GatewayError>, name: &str) -> String {
    clipped(
        params
            .as_ref()
            .ok()
            .and_then(|p| p.get(name))
            .unwrap_or("-"),
    )
}

/// Client-supplied text for the log, escaped and clipped.
fn clipped(value: &str) -> String {
    let mut text: String = value
        .chars()
        .take(64)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().nth(64).is_some() {
        text.push('…');
    }
    text
}

/// Who a request claims to come from (for the rate limit, before any check): the v1
/// `AccessKeyId`, or the `Credential` of a V3 `Authorization` header.
fn caller(request: &Request, params: &Result<Params, GatewayError>) -> String {
    if let Some(authorization) = request.header("authorization") {
        if let Ok(parsed) = auth_v3::parse_authorization(authorization) {
            return parsed.access_key_id;
        }
    }
    params
        .as_ref()
        .ok()
        .and_then(|p| p.get("AccessKeyId"))
        .unwrap_or("-")
        .to_owned()
}

/// The query string's parameters alone (V3 signs them apart from the body). Undecodable text
/// was already refused by [`decode`], so an error here cannot happen and yields nothing.
fn query_params(request: &Request) -> Params {
    let mut params = Params::default();
    if let Some(query) = &request.query {
        let _ = params.extend_from(query);
    }
    params
}

fn v3_request<'a>(request: &'a Request, query: &'a Params) -> V3Request<'a> {
    V3Request {
        method: &request.method,
        path: &request.path,
        query,
        headers: &request.headers,
        body: &request.body,
    }
}

/// Query string first, then the form body, as the real gateway merges them.
fn decode(request: &Request) -> Result<Params, GatewayError> {
    let mut params = Params::default();
    for text in [&request.query, &request.form].into_iter().flatten() {
        params.extend_from(text).map_err(|e| {
            GatewayError::invalid_parameter(format!("Malformed request: {}.", e.reason))
        })?;
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: Option<&str>, form: Option<&str>) -> Request {
        Request {
            method: "POST".into(),
            path: "/".into(),
            query: query.map(str::to_owned),
            form: form.map(str::to_owned),
            host: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn query_and_form_are_merged_query_first() {
        let params = decode(&request(Some("Action=A&x=1"), Some("x=2&PageNum=3"))).unwrap();
        assert_eq!(params.get("Action"), Some("A"));
        assert_eq!(params.get("x"), Some("1"));
        assert_eq!(params.get("PageNum"), Some("3"));
    }

    #[test]
    fn undecodable_parameters_are_a_gateway_error() {
        let error = decode(&request(None, Some("Action=%zz"))).unwrap_err();
        assert_eq!(error.code, "InvalidParameter");
    }

    #[test]
    fn logged_values_are_escaped_and_clipped() {
        let params = decode(&request(Some("Action=a%0Ab&PageNum=1"), None));
        assert_eq!(shown(&params, "Action"), "a\\nb");
        assert_eq!(shown(&params, "PageNum"), "1");
        assert_eq!(shown(&params, "Missing"), "-");
        let long = decode(&request(Some(&format!("Action={}", "x".repeat(100))), None));
        assert_eq!(shown(&long, "Action").chars().count(), 65);
    }
}
