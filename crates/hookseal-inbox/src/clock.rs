//! Where the inbox reads the time: every lease, backoff and retention decision
//! takes `now` from a [`Clock`], so tests move time instead of sleeping.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock ([`Utc::now`]), the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests.
///
/// Clones share the same time.
///
/// ```
/// use hookseal_inbox::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new("2026-12-01T10:00:00Z".parse()?);
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now().to_rfc3339(), "2026-12-01T10:00:30+00:00");
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    #[must_use]
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += to_delta(by);
    }

    /// Sets the clock to `at` (which may be earlier).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// A `Duration` as a `TimeDelta`, saturating at about 292 000 years.
pub(crate) fn to_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// Microseconds since the Unix epoch: how the SQL backends store times.
pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`to_micros`] (out-of-range values clamp to the epoch).
pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// `at + by`, saturating.
pub(crate) fn add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(to_delta(by)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at - by`, saturating.
pub(crate) fn sub(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(to_delta(by)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
