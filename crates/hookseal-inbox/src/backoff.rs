//! Retry delays: exponential backoff with full jitter and a cap.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// How long to wait before retrying a failed event.
///
/// The delay before retry `n` (after the `n`-th failed attempt) is drawn
/// uniformly from `0 ..= min(cap, base × 2^(n-1))` ("full jitter"), so that
/// events failing together do not retry together. The random source is
/// seedable for tests with [`Backoff::seeded`].
///
/// ```
/// use hookseal_inbox::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60)).seeded(7);
/// assert_eq!(backoff.ceiling(1), Duration::from_secs(1));
/// assert_eq!(backoff.ceiling(3), Duration::from_secs(4));
/// assert_eq!(backoff.ceiling(30), Duration::from_secs(60));
/// assert!(backoff.delay(3) <= Duration::from_secs(4));
/// ```
#[derive(Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    rng: Arc<Mutex<StdRng>>,
}

/// The default first ceiling: 1 s.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The default cap: 15 min.
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(15 * 60);

impl Backoff {
    /// Backoff starting at `base` and never above `cap`, jittered from the OS's entropy.
    #[must_use]
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap, rng: Arc::new(Mutex::new(StdRng::from_os_rng())) }
    }

    /// The same backoff with a deterministic random source (for tests).
    #[must_use]
    pub fn seeded(mut self, seed: u64) -> Self {
        self.rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        self
    }

    /// The largest delay after failed attempt `attempt` (1-based): `min(cap, base × 2^(attempt-1))`.
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(63);
        let factor = 1u64 << doublings;
        let nanos = self.base.as_nanos().saturating_mul(u128::from(factor));
        let cap = self.cap.as_nanos();
        Duration::from_nanos(u64::try_from(nanos.min(cap)).unwrap_or(u64::MAX))
    }

    /// A delay drawn uniformly from `0 ..= ceiling(attempt)`.
    #[must_use]
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_nanos()).unwrap_or(u64::MAX);
        let mut rng = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Duration::from_nanos(rng.random_range(0..=ceiling))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP)
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backoff").field("base", &self.base).field("cap", &self.cap).finish_non_exhaustive()
    }
}
