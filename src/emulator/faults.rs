//! Which fault, if any, a request gets.
//!
//! The choice is a pure function of the seed and the request's number, so a test that sees a
//! throttle on request 7 sees it on every run. The variants of a fault (503 or 500, which kind of
//! garbage) rotate with a per-kind counter instead of being drawn, so three malformed answers in a
//! row are guaranteed to show all three kinds of garbage.

use std::time::Duration;

use super::rng;

/// Faults to inject, changeable at run time through [`Emulator::set_faults`](super::Emulator::set_faults).
///
/// The rates are probabilities per request, checked in the order throttle, server error,
/// malformed, stall, reset; a request gets at most one fault. Rates outside `0..=1` (or NaN) are
/// clamped, and when they add up to more than 1 the later kinds get what is left.
///
/// Variants rotate per kind: server errors alternate `503 ServiceUnavailable` and
/// `500 InternalError` (in that order); malformed answers cycle through a truncated JSON page
/// (HTTP 200), an HTML `502 Bad Gateway` page, and a 200 whose body is not JSON at all.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Faults {
    /// Added before every answer, faults included, to make round trips count as on a real network.
    pub latency: Duration,
    /// Share of requests answered `Throttling.User`, with the gateway's real error shape.
    pub throttle_rate: f64,
    /// Share of requests answered `503 ServiceUnavailable` or `500 InternalError`.
    pub server_error_rate: f64,
    /// Share of requests answered with a body the client cannot parse.
    pub malformed_rate: f64,
    /// Share of requests never answered: the connection is held until the client gives up or the
    /// emulator shuts down. Exercises the client's request timeout.
    pub stall_rate: f64,
    /// Share of requests answered with headers and part of the body, then a dropped connection.
    pub reset_rate: f64,
    /// Serve `PageNum` 1 as the first page (0 is treated like 1) instead of the documented 0.
    /// The effective page number is echoed back, which is how a client can tell the base.
    pub one_based_paging: bool,
    /// Seeds the fault choice (and, unless configured otherwise, request ids).
    pub seed: u64,
    /// Requests per second each access key may send (a token bucket holding one second's
    /// worth); past it, `Throttling.User`, as the real gateway's flow control answers. 0: none.
    pub rate_limit_qps: f64,
    /// Answer every (authenticated) request the way this hostile endpoint would.
    pub hostile: Option<super::hostile::Hostile>,
}

/// The kinds of fault a request can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FaultKind {
    Throttle,
    ServerError,
    Malformed,
    Stall,
    Reset,
}

impl FaultKind {
    /// Every kind, in the order the rates are applied.
    pub(crate) const ALL: [FaultKind; 5] = [
        FaultKind::Throttle,
        FaultKind::ServerError,
        FaultKind::Malformed,
        FaultKind::Stall,
        FaultKind::Reset,
    ];

    /// Position in [`Self::ALL`], used to index per-kind counters.
    pub(crate) fn index(self) -> usize {
        match self {
            FaultKind::Throttle => 0,
            FaultKind::ServerError => 1,
            FaultKind::Malformed => 2,
            FaultKind::Stall => 3,
            FaultKind::Reset => 4,
        }
    }

    /// How the request log names the fault.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::ServerError => "server-error",
            FaultKind::Malformed => "malformed",
            FaultKind::Stall => "stall",
            FaultKind::Reset => "reset",
        }
    }
}

/// Stream id that keeps fault draws independent of the other uses of the seed.
const FAULT_STREAM: u64 = 0xFA17;

/// The fault for request number `request` (0 for the first request the emulator received).
pub(crate) fn choose(faults: &Faults, request: u64) -> Option<FaultKind> {
    let roll = rng::unit(rng::draw(faults.seed, FAULT_STREAM, request));
    let mut upper = 0.0;
    for kind in FaultKind::ALL {
        upper += clamp_rate(faults.rate(kind));
        if roll < upper {
            return Some(kind);
        }
    }
    None
}

impl Faults {
    fn rate(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::Throttle => self.throttle_rate,
            FaultKind::ServerError => self.server_error_rate,
            FaultKind::Malformed => self.malformed_rate,
            FaultKind::Stall => self.stall_rate,
            FaultKind::Reset => self.reset_rate,
        }
    }
}

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(faults: &Faults, n: u64) -> [u64; 5] {
        let mut seen = [0; 5];
        for request in 0..n {
            if let Some(kind) = choose(faults, request) {
                seen[kind.index()] += 1;
            }
        }
        seen
    }

    #[test]
    fn no_rates_no_faults() {
        assert_eq!(count(&Faults::default(), 10_000), [0; 5]);
    }

    #[test]
    fn rate_one_always_faults() {
        let faults = Faults {
            stall_rate: 1.0,
            ..Faults::default()
        };
        assert_eq!(count(&faults, 1000), [0, 0, 0, 1000, 0]);
    }

    #[test]
    fn rates_are_roughly_honoured() {
        let faults = Faults {
            throttle_rate: 0.3,
            server_error_rate: 0.1,
            seed: 11,
            ..Faults::default()
        };
        let seen = count(&faults, 10_000);
        assert!((2700..3300).contains(&seen[0]), "{seen:?}");
        assert!((800..1200).contains(&seen[1]), "{seen:?}");
        assert_eq!(seen[2..], [0, 0, 0]);
    }

    #[test]
    fn choice_is_reproducible_and_seed_dependent() {
        let a = Faults {
            throttle_rate: 0.5,
            seed: 1,
            ..Faults::default()
        };
        let b = Faults {
            seed: 2,
            ..a.clone()
        };
        let pattern = |f: &Faults| (0..64).map(|n| choose(f, n)).collect::<Vec<_>>();
        assert_eq!(pattern(&a), pattern(&a));
        assert_ne!(pattern(&a), pattern(&b));
    }

    #[test]
    fn oversubscribed_rates_starve_later_kinds() {
        let faults = Faults {
            throttle_rate: 0.8,
            server_error_rate: 0.8,
            reset_rate: 1.0,
            ..Faults::default()
        };
        let seen = count(&faults, 5000);
        assert_eq!(seen[0] + seen[1], 5000);
        assert_eq!(seen[4], 0);
    }

    #[test]
    fn odd_rates_are_clamped() {
        let faults = Faults {
            throttle_rate: f64::NAN,
            server_error_rate: -3.0,
            malformed_rate: 7.0,
            ..Faults::default()
        };
        assert_eq!(count(&faults, 100), [0, 0, 100, 0, 0]);
    }
}
