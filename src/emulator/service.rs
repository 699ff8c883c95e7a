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
use super::paging;
use super::params::Params;
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
}

/// State shared by every request.
#[derive(Debug)]
pub(crate) struct Service {
    tasks: Vec<Task>,
    gate: Gate,
    faults: RwLock<Faults>,
    requests: AtomicU64,
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
            fault_counts: Default::default(),
            shutdown,
        }
    }

    pub(crate) fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
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
        let genuine = || self.answer(&request, &params, &request_id, faults.one_based_paging);
        let (outcome, note) = match fault {
            None => (Outcome::Send(genuine()), String::new()),
            Some(kind) => {
                let turn = self.fault_counts[kind.index()].fetch_add(1, Ordering::SeqCst);
                let note = format!(" [fault: {}]", kind.name());
                let outcome = match kind {
                    FaultKind::Throttle => Outcome::Send(self.gateway(
                        &GatewayError::throttled(),
                        &request,
                        &request_id,
                    )),
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
                        tokio::select! {
                            () = tokio::time::sleep(MAX_STALL) => {}
                            () = self.shutdown.cancelled() => {}
                        }
                        Outcome::Drop
                    }
                    FaultKind::Reset => Outcome::Cut(genuine()),
                };
                (outcome, note)
            }
        };
        log::info!(
            "#{number} {} Action={} PageNum={} -> {}{note}",
            request.method,
            params
                .as_ref()
                .ok()
                .and_then(|p| p.get("Action"))
                .unwrap_or("-"),
            params
                .as_ref()
                .ok()
                .and_then(|p| p.get("PageNum"))
                .unwrap_or("-"),
            match &outcome {
                Outcome::Send(reply) => reply.summary.clone(),
                Outcome::Cut(reply) => format!("{} (cut mid-body)", reply.summary),
                Outcome::Drop => "no answer".to_owned(),
            },
        );
        outcome
    }

    /// The answer a well-behaved server gives.
    fn answer(
        &self,
        request: &Request,
        params: &Result<Params, GatewayError>,
        request_id: &str,
        one_based: bool,
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
        let filter = match Filter::new(
            params.non_empty("BackupPlanId"),
            params.non_empty("RestoreTaskId"),
            params.non_empty("StartTimestamp"),
            params.non_empty("EndTimestamp"),
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
