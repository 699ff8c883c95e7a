//! Remembers the `SignatureNonce`s of accepted requests for as long as a replay could succeed.
//!
//! A replayed request is only dangerous while its timestamp is inside the 15-minute window; after
//! that the timestamp check rejects it anyway. So a nonce is kept for one window after it was
//! seen and then forgotten, which bounds memory by the request rate instead of the uptime.

use std::collections::{HashSet, VecDeque};

use time::{Duration, OffsetDateTime};

/// Seen nonces, oldest first.
#[derive(Debug)]
pub(crate) struct NonceCache {
    window: Duration,
    seen: HashSet<String>,
    order: VecDeque<(OffsetDateTime, String)>,
}

impl NonceCache {
    pub(crate) fn new(window: Duration) -> Self {
        NonceCache {
            window,
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `nonce` at `now`; false if it was already used within the window.
    pub(crate) fn insert(&mut self, nonce: &str, now: OffsetDateTime) -> bool {
        while let Some((at, old)) = self.order.front() {
            if now - *at <= self.window {
                break;
            }
            self.seen.remove(old);
            self.order.pop_front();
        }
        if !self.seen.insert(nonce.to_owned()) {
            return false;
        }
        self.order.push_back((now, nonce.to_owned()));
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rejects_reuse_within_the_window() {
        let t0 = datetime!(2024-01-01 0:00 UTC);
        let mut cache = NonceCache::new(Duration::minutes(15));
        assert!(cache.insert("a", t0));
        assert!(cache.insert("b", t0));
        assert!(!cache.insert("a", t0 + Duration::minutes(14)));
    }

    #[test]
    fn forgets_after_the_window() {
        let t0 = datetime!(2024-01-01 0:00 UTC);
        let mut cache = NonceCache::new(Duration::minutes(15));
        assert!(cache.insert("a", t0));
        assert!(cache.insert("b", t0 + Duration::minutes(10)));
        assert!(cache.insert("c", t0 + Duration::minutes(16)));
        assert_eq!(cache.len(), 2, "a expired, b kept");
        assert!(cache.insert("a", t0 + Duration::minutes(16)));
        assert!(!cache.insert("b", t0 + Duration::minutes(16)));
    }
}
