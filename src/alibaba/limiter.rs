//! One request budget for every read a client serves.
//!
//! Terraform reads up to ten data sources at once in one provider process, and Alibaba Cloud
//! throttles per account, so the budget belongs to the client (one per provider process), not to
//! a read. Every HTTP attempt, retries included, takes a [`Permit`] first. Two things bound it:
//!
//! - a window of requests in flight, at most `max_in_flight`: it halves when the API throttles
//!   and grows back by about one request per round trip of successes (AIMD, as TCP does);
//! - from the first throttle on, a pacing rate (a token bucket of one token, so requests are
//!   spread evenly): it drops to 70 % of what was being sent when the API throttles, then grows
//!   back along a cubic curve that flattens near the rate that was throttled and only then probes
//!   beyond it. This is the client-side rate limiter of the AWS SDKs' "adaptive" retry mode
//!   (CUBIC, β = 0.7, C = 0.4); it is what keeps even one request at a time from being too fast.
//!
//! A throttle only cuts the budget when the throttled request was sent after the last cut: the
//! other answers to a burst that was already in flight say nothing new, and cutting for each of
//! them would collapse the rate. A `Retry-After` pauses every request of the client until it has
//! passed, since the server asked the account, not one request, to wait.
//!
//! The arithmetic is a pure state machine ([`Budget`]) driven with explicit times, so unit tests
//! check it without sleeping; [`AdaptiveLimiter`] wraps it for async callers.

use std::collections::VecDeque;
use std::fmt;
use std::pin::pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Share of the sending rate kept after a throttle.
const BETA: f64 = 0.7;
/// CUBIC's scaling constant: how fast the rate grows back (requests/s per s³).
const CUBIC_C: f64 = 0.4;
/// The pacing rate never drops below this (requests per second).
const MIN_RATE: f64 = 0.5;
/// The sending rate is measured over this much recent time.
const MEASURE_SPAN: Duration = Duration::from_secs(1);

/// Why an attempt may not start yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wait {
    /// The window is full: wait for a request to finish.
    ForSlot,
    /// Paced (or paused by `Retry-After`): try again after this long.
    For(Duration),
}

/// The budget's state; every method takes the current time.
#[derive(Debug)]
pub(crate) struct Budget {
    max_in_flight: usize,
    in_flight: usize,
    window: f64,
    pacing: Option<Pacing>,
    paused_until: Option<Instant>,
    last_cut: Option<Instant>,
    sent: VecDeque<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Pacing {
    /// Requests per second now allowed.
    rate: f64,
    /// The rate that was throttled last (CUBIC's W_max).
    rate_at_cut: f64,
    /// At most one.
    tokens: f64,
    refilled: Instant,
}

impl Budget {
    pub(crate) fn new(max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        Budget {
            max_in_flight,
            in_flight: 0,
            window: max_in_flight as f64,
            pacing: None,
            paused_until: None,
            last_cut: None,
            sent: VecDeque::new(),
        }
    }

    /// Starts an attempt now, or says what to wait for.
    pub(crate) fn try_start(&mut self, now: Instant) -> Result<(), Wait> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err(Wait::For(until - now));
            }
            self.paused_until = None;
        }
        if self.in_flight >= self.allowed_in_flight() {
            return Err(Wait::ForSlot);
        }
        if let Some(p) = &mut self.pacing {
            let elapsed = now.saturating_duration_since(p.refilled).as_secs_f64();
            p.tokens = (p.tokens + elapsed * p.rate).min(1.0);
            p.refilled = now;
            if p.tokens < 1.0 {
                return Err(Wait::For(Duration::from_secs_f64(
                    (1.0 - p.tokens) / p.rate,
                )));
            }
            p.tokens -= 1.0;
        }
        self.in_flight += 1;
        self.sent.push_back(now);
        self.forget_old_sends(now);
        Ok(())
    }

    /// An attempt is over, whatever its outcome.
    pub(crate) fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The API answered an attempt normally (an error that is not throttling counts too: the
    /// server kept up).
    pub(crate) fn succeeded(&mut self, now: Instant) {
        self.window = (self.window + 1.0 / self.window).min(self.max_in_flight as f64);
        let measured = self.measured_rate(now);
        if let (Some(p), Some(cut)) = (&mut self.pacing, self.last_cut) {
            let t = now.saturating_duration_since(cut).as_secs_f64();
            let k = (p.rate_at_cut * (1.0 - BETA) / CUBIC_C).cbrt();
            let cubic = CUBIC_C * (t - k).powi(3) + p.rate_at_cut;
            // Never run far ahead of what is actually being sent (the AWS SDKs cap at twice the
            // measured sending rate too), so a quiet spell cannot grow a rate nobody tested.
            p.rate = cubic.min(2.0 * measured.max(MIN_RATE)).max(MIN_RATE);
        }
    }

    /// The API throttled an attempt sent at `sent_at`; `retry_after` is what it asked for.
    pub(crate) fn throttled(
        &mut self,
        sent_at: Instant,
        now: Instant,
        retry_after: Option<Duration>,
    ) {
        if let Some(wait) = retry_after.filter(|d| !d.is_zero()) {
            let until = now + wait;
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
        if self.last_cut.is_some_and(|cut| sent_at < cut) {
            return;
        }
        let measured = self.measured_rate(now);
        let before = self
            .pacing
            .map_or(measured, |p| p.rate.min(measured.max(MIN_RATE)));
        let before = before.max(MIN_RATE);
        self.pacing = Some(Pacing {
            rate: (before * BETA).max(MIN_RATE),
            rate_at_cut: before,
            tokens: 0.0,
            refilled: now,
        });
        self.window = (self.window / 2.0).max(1.0);
        self.last_cut = Some(now);
    }

    fn allowed_in_flight(&self) -> usize {
        (self.window.floor() as usize).clamp(1, self.max_in_flight)
    }

    fn forget_old_sends(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > MEASURE_SPAN)
        {
            self.sent.pop_front();
        }
    }

    /// Requests sent per second lately.
    fn measured_rate(&mut self, now: Instant) -> f64 {
        self.forget_old_sends(now);
        self.sent.len() as f64 / MEASURE_SPAN.as_secs_f64()
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "in_flight={}/{} max={}",
            self.in_flight,
            self.allowed_in_flight(),
            self.max_in_flight
        )?;
        match &self.pacing {
            Some(p) => write!(f, " rate={:.1}/s", p.rate),
            None => f.write_str(" rate=unpaced"),
        }
    }
}

/// The shared budget, for async callers.
#[derive(Debug)]
pub struct AdaptiveLimiter {
    budget: Mutex<Budget>,
    changed: Notify,
}

impl AdaptiveLimiter {
    /// A budget of at most `max_in_flight` requests at once, unpaced until the API throttles.
    pub fn new(max_in_flight: usize) -> Self {
        AdaptiveLimiter {
            budget: Mutex::new(Budget::new(max_in_flight)),
            changed: Notify::new(),
        }
    }

    fn budget(&self) -> std::sync::MutexGuard<'_, Budget> {
        // The state is plain numbers, always consistent between statements: a panic elsewhere
        // while holding the lock cannot leave it half-updated.
        self.budget.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until an attempt may start. Dropping the future (cancellation) gives nothing up.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let mut notified = pin!(self.changed.notified());
            notified.as_mut().enable();
            let wait = {
                let now = Instant::now();
                match self.budget().try_start(now) {
                    Ok(()) => {
                        return Permit {
                            limiter: self,
                            sent_at: now,
                        }
                    }
                    Err(wait) => wait,
                }
            };
            match wait {
                Wait::ForSlot => notified.await,
                Wait::For(delay) => {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = notified => {}
                    }
                }
            }
        }
    }

    /// The budget as a log line fragment.
    pub fn describe(&self) -> String {
        self.budget().to_string()
    }
}

/// Leave to send one attempt; say how it went, then drop it.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a AdaptiveLimiter,
    sent_at: Instant,
}

impl Permit<'_> {
    /// The server answered without throttling.
    pub fn succeeded(&self) {
        self.limiter.budget().succeeded(Instant::now());
    }

    /// The server throttled this attempt, possibly asking to wait `retry_after`.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        self.limiter
            .budget()
            .throttled(self.sent_at, Instant::now(), retry_after);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.budget().finish();
        self.limiter.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A budget of `max` with all its `max` requests sent at `t0` and none answered yet.
    fn full(max: usize, t0: Instant) -> Budget {
        let mut b = Budget::new(max);
        for _ in 0..max {
            b.try_start(t0).unwrap();
        }
        b
    }

    /// A budget of 8 that has sent ten requests, `gap` apart from `t0` on, each answered before
    /// the next.
    fn ten_sent(t0: Instant, gap: Duration) -> Budget {
        let mut b = Budget::new(8);
        for i in 0..10 {
            b.try_start(t0 + gap * i).unwrap();
            b.finish();
        }
        b
    }

    #[test]
    fn unpaced_until_throttled_and_never_past_the_ceiling() {
        let t0 = Instant::now();
        let mut b = full(3, t0);
        assert_eq!(b.try_start(t0), Err(Wait::ForSlot));
        b.finish();
        b.try_start(t0).unwrap();
        assert!(b.pacing.is_none());
        assert_eq!(b.to_string(), "in_flight=3/3 max=3 rate=unpaced");
    }

    #[test]
    fn a_throttle_halves_the_window_and_paces_at_seventy_percent_of_the_sending_rate() {
        let t0 = Instant::now();
        // Ten requests sent within the last second.
        let mut b = ten_sent(t0, ms(50));
        let now = t0 + ms(500);
        b.throttled(t0 + ms(450), now, None);
        assert_eq!(b.window, 4.0);
        let p = b.pacing.unwrap();
        assert!((p.rate_at_cut - 10.0).abs() < 1e-9, "{p:?}");
        assert!((p.rate - 7.0).abs() < 1e-9, "{p:?}");
        // The bucket starts empty: the next request waits 1/7 s.
        match b.try_start(now) {
            Err(Wait::For(d)) => assert!((d.as_secs_f64() - 1.0 / 7.0).abs() < 1e-6, "{d:?}"),
            other => panic!("{other:?}"),
        }
        assert!(b.try_start(now + ms(143)).is_ok());
    }

    #[test]
    fn answers_to_a_burst_sent_before_the_cut_do_not_cut_again() {
        let t0 = Instant::now();
        let mut b = full(8, t0);
        b.throttled(t0, t0 + ms(100), None);
        let after_first = b.pacing.unwrap().rate;
        for _ in 0..7 {
            b.throttled(t0, t0 + ms(100), None);
        }
        assert_eq!(b.pacing.unwrap().rate, after_first);
        assert_eq!(b.window, 4.0);
        // A request sent after the cut that is throttled again does cut.
        b.throttled(t0 + ms(200), t0 + ms(300), None);
        assert!(b.pacing.unwrap().rate < after_first);
        assert_eq!(b.window, 2.0);
    }

    #[test]
    fn the_rate_grows_back_along_a_cubic_and_probes_beyond_the_cut() {
        let t0 = Instant::now();
        let mut b = ten_sent(t0, ms(100));
        b.throttled(t0 + ms(900), t0 + ms(1000), None);
        let cut = t0 + ms(1000);
        // K = cbrt(10 * 0.3 / 0.4) = 1.957 s: back at 10/s then, beyond it later. Keep
        // sending at the paced rate so the 2x-measured cap does not bind.
        let rate_at = |b: &mut Budget, at: Duration| {
            let now = cut + at;
            for i in 0..10u32 {
                b.sent.push_back(now - at.min(ms(900)) / 10 * i);
            }
            b.succeeded(now);
            b.pacing.unwrap().rate
        };
        let early = rate_at(&mut b, ms(100));
        let plateau = rate_at(&mut b, ms(1957));
        let probing = rate_at(&mut b, ms(4000));
        assert!(early > 7.0 && early < 8.0, "{early}");
        assert!((plateau - 10.0).abs() < 0.01, "{plateau}");
        assert!(probing > 13.0, "{probing}");
    }

    #[test]
    fn the_window_grows_back_by_about_one_per_window_of_successes() {
        let t0 = Instant::now();
        let mut b = Budget::new(8);
        b.window = 2.0;
        b.succeeded(t0);
        b.succeeded(t0);
        assert!(b.window > 2.8 && b.window < 3.0, "{}", b.window);
        for _ in 0..100 {
            b.succeeded(t0);
        }
        assert_eq!(b.window, 8.0);
    }

    #[test]
    fn retry_after_pauses_every_request() {
        let t0 = Instant::now();
        let mut b = Budget::new(8);
        b.try_start(t0).unwrap();
        b.throttled(t0, t0 + ms(10), Some(Duration::from_secs(2)));
        b.finish();
        match b.try_start(t0 + ms(1010)) {
            Err(Wait::For(d)) => assert_eq!(d, ms(1000)),
            other => panic!("{other:?}"),
        }
        assert!(b.try_start(t0 + ms(2010) + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let t0 = Instant::now();
        let mut b = Budget::new(1);
        for i in 0..20 {
            let at = t0 + Duration::from_secs(i * 10);
            b.throttled(at, at, None);
        }
        assert_eq!(b.pacing.unwrap().rate, MIN_RATE);
        assert_eq!(b.window, 1.0);
    }

    #[tokio::test]
    async fn permits_block_at_the_ceiling_and_wake_on_release() {
        let limiter = AdaptiveLimiter::new(1);
        let first = limiter.acquire().await;
        let second = limiter.acquire();
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(ms(50), second.as_mut()).await.is_err(),
            "a second permit beyond the ceiling"
        );
        drop(first);
        tokio::time::timeout(ms(1000), second)
            .await
            .expect("released permit wakes the waiter");
    }
}
