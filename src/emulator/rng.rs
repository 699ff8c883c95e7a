//! A tiny deterministic generator (SplitMix64) for fault choice, ids and generated tasks.
//!
//! Reproducibility is the whole point: a failing test must fail the same way on the next run and
//! on another machine. `rand`'s `StdRng` explicitly does not promise a stable stream across
//! versions, so the emulator carries its own 20-line generator whose output is fixed forever.

/// SplitMix64: one 64-bit state word, full period, good enough statistics for test data.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

/// Weyl increment of SplitMix64 (the golden ratio in 64-bit fixed point).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`, built from the top 53 bits so every value is exactly representable.
    pub(crate) fn next_f64(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform in `0..n` (`n` must be non-zero). The modulo bias is below 2^-40 for the small `n`
    /// used here, which is irrelevant for test data.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let index = usize::try_from(self.below(len)).unwrap_or(0);
        &items[index.min(items.len().saturating_sub(1))]
    }
}

/// The SplitMix64 finalizer: a bijection on `u64` with strong avalanche, also used on its own to
/// turn `(seed, counter)` into an independent-looking draw without keeping state.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Maps 64 random bits to `[0, 1)`.
pub(crate) fn unit(bits: u64) -> f64 {
    // 2^-53: the spacing of doubles in [0.5, 1).
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A stateless draw for event number `n` of stream `stream` under `seed`.
pub(crate) fn draw(seed: u64, stream: u64, n: u64) -> u64 {
    mix(seed ^ mix(stream.wrapping_mul(GAMMA) ^ mix(n.wrapping_add(GAMMA))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn known_first_output_is_stable() {
        // First output of SplitMix64 seeded with 0, as published with the reference C code.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn unit_stays_in_range() {
        assert_eq!(unit(0), 0.0);
        assert!(unit(u64::MAX) < 1.0);
        let mut rng = SplitMix64::new(7);
        for _ in 0..1000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn draws_differ_by_counter_and_stream() {
        assert_ne!(draw(1, 0, 0), draw(1, 0, 1));
        assert_ne!(draw(1, 0, 0), draw(1, 1, 0));
        assert_ne!(draw(1, 0, 0), draw(2, 0, 0));
        assert_eq!(draw(9, 3, 5), draw(9, 3, 5));
    }

    #[test]
    fn pick_and_below_stay_in_bounds() {
        let mut rng = SplitMix64::new(3);
        let items = [1, 2, 3];
        for _ in 0..100 {
            assert!(items.contains(rng.pick(&items)));
            assert!(rng.below(5) < 5);
        }
        assert_eq!(rng.below(0), 0);
    }
}
