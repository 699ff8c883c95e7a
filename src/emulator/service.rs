//! One request, start to finish: count it, decode it, wait the latency, pick a fault, answer it,
//! log it. Knows nothing of sockets; [`super::server`] turns its [`Outcome`] into bytes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::auth::Gate;
use super::faults::{self, FaultKind, Faults};
use super::filter::{Filter, InvalidFilter, Task};
use super::hostile::{self, Hostile, HostileReply};
use super::paging;
use super::params::Params;
use super::rate_limit::RateLimit;
use super::reply::{self, BusinessError, GatewayError, Reply};

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
        faults: Faults,
        shutdown: CancellationToken,
    ) -> Self {
        Service {
            tasks,
            gate,
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
            shown(&params, "Action"),
            shown(&params, "PageNum"),
        );
        let access_key = params
            .as_ref()
            .ok()
            .and_then(|p| p.get("AccessKeyId"))
            .unwrap_or("-");
        if !self
            .rate_limit
            .admit(access_key, faults.rate_limit_qps, std::time::Instant::now())
        {
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
        if let Err(error) = self
            .gate
            .admit(&request.method, params, OffsetDateTime::now_utc())
        {
            return self.gateway(&error, request, request_id);
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
    let value = params
        .as_ref()
        .ok()
        .and_then(|p| p.get(name))
        .unwrap_or("-");
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
