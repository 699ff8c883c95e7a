//! Flow control like the real gateway's: each access key may send `qps` requests per second
//! (a token bucket holding one second's worth), and requests past it are answered
//! `Throttling.User`. Unlike a fixed throttle share, sending less really does help, which is what
//! a client's adaptive limiter needs to be tested against.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Token buckets by access key.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimit {
    /// Whether a request of `access_key` may pass at `now` under `qps` (0 or less: no limit).
    pub(crate) fn admit(&self, access_key: &str, qps: f64, now: Instant) -> bool {
        if qps <= 0.0 || qps.is_nan() {
            return true;
        }
        let capacity = qps.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(access_key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * qps).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_second_of_burst_then_the_rate() {
        let limit = RateLimit::default();
        let t0 = Instant::now();
        let passed = (0..15).filter(|_| limit.admit("k", 10.0, t0)).count();
        assert_eq!(passed, 10);
        assert!(!limit.admit("k", 10.0, t0 + Duration::from_millis(50)));
        assert!(limit.admit("k", 10.0, t0 + Duration::from_millis(100)));
        // Another access key has its own bucket; no limit admits everything.
        assert!(limit.admit("other", 10.0, t0));
        assert!((0..100).all(|_| limit.admit("k", 0.0, t0)));
    }
}
