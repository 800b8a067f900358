//! Retry policies: how many attempts, how long each may take, how long to wait between them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hookseal_core::ProviderId;

/// The timeout every provider gives a receiver: 5 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait before a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backoff {
    /// Retry at once.
    Immediate,
    /// Wait the same time before every retry.
    Fixed(Duration),
    /// Wait `initial`, then twice as long before each later retry, never more
    /// than `max`. With `jitter`, each wait is drawn uniformly from its upper
    /// half (`[d/2, d]`), so that many senders do not retry in lockstep.
    Exponential {
        /// The wait before the first retry.
        initial: Duration,
        /// The longest wait.
        max: Duration,
        /// Whether to randomise each wait.
        jitter: bool,
    },
}

/// When to retry a delivery, and how.
///
/// A retry resends the identical bytes and headers (signature and timestamp
/// headers included). Only failures that a retry can cure are retried:
///
/// * no response: a connection error (refused, reset, closed early) or a timeout;
/// * a response with status `5xx` or `429 Too Many Requests`.
///
/// Any `2xx` is success. Any other status (`3xx`, since redirects are never
/// followed; `4xx` but `429`) is a final failure: the receiver understood the
/// request and refused it, and sending it again would be refused again.
///
/// The built-in providers' documented policies are
/// [`for_provider`](Self::for_provider); [`exponential`](Self::exponential)
/// is a general-purpose policy for your own webhooks.
///
/// ```
/// use std::time::Duration;
/// use hookseal_core::ProviderId;
/// use hookseal_sender::RetryPolicy;
///
/// let zapito = RetryPolicy::for_provider(ProviderId::Zapito);
/// assert_eq!(zapito.max_attempts(), 2);
/// assert_eq!(zapito.delay_before_retry(1, None), Duration::from_secs(30));
///
/// // In tests: the same shape, without the 30-second wait.
/// let quick = zapito.with_fixed_delay(Duration::from_millis(10)).with_timeout(Duration::from_millis(200));
/// assert_eq!(quick.delay_before_retry(1, None), Duration::from_millis(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    timeout: Duration,
    backoff: Backoff,
    retry_after_cap: Option<Duration>,
}

impl Default for RetryPolicy {
    /// [`RetryPolicy::exponential`].
    fn default() -> Self {
        Self::exponential()
    }
}

impl RetryPolicy {
    /// One attempt, no retry, 5 s timeout: Tuco and ConnectGain.
    #[must_use]
    pub const fn no_retries() -> Self {
        Self { max_attempts: 1, timeout: DEFAULT_TIMEOUT, backoff: Backoff::Immediate, retry_after_cap: None }
    }

    /// The provider's documented policy, each with a 5 s timeout:
    ///
    /// | provider | attempts | wait before the retry |
    /// |---|---|---|
    /// | tocc | 2 | none ("one immediate retry") |
    /// | Toran | 2 | none (documented as "retried once"; **Decision:** at once) |
    /// | Zapito | 2 | 30 s |
    /// | Tuco | 1 | — |
    /// | ConnectGain | 1 | — |
    ///
    /// None of them honours `Retry-After`.
    #[must_use]
    pub const fn for_provider(provider: ProviderId) -> Self {
        match provider {
            ProviderId::Tocc | ProviderId::Toran => Self::no_retries().with_max_attempts(2),
            ProviderId::Zapito => Self::no_retries().with_max_attempts(2).with_fixed_delay(Duration::from_secs(30)),
            _ => Self::no_retries(),
        }
    }

    /// A general-purpose policy for your own webhooks: up to 5 attempts,
    /// exponential backoff from 1 s to 60 s with jitter, a 5 s timeout per
    /// attempt, and `Retry-After` honoured up to 60 s.
    #[must_use]
    pub const fn exponential() -> Self {
        Self {
            max_attempts: 5,
            timeout: DEFAULT_TIMEOUT,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(60),
                jitter: true,
            },
            retry_after_cap: Some(Duration::from_secs(60)),
        }
    }

    /// Sets the number of attempts, the first included (at least 1).
    #[must_use]
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// Sets how long one attempt may take, from sending the request to the
    /// end of the response body.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the backoff.
    #[must_use]
    pub const fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Waits `delay` before every retry.
    #[must_use]
    pub const fn with_fixed_delay(self, delay: Duration) -> Self {
        self.with_backoff(Backoff::Fixed(delay))
    }

    /// Honours a response's `Retry-After` (seconds or HTTP date), waiting at
    /// most `cap`; the header's wait then replaces the backoff's.
    #[must_use]
    pub const fn honor_retry_after(mut self, cap: Duration) -> Self {
        self.retry_after_cap = Some(cap);
        self
    }

    /// Ignores `Retry-After`.
    #[must_use]
    pub const fn ignore_retry_after(mut self) -> Self {
        self.retry_after_cap = None;
        self
    }

    /// The number of attempts, the first included.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long one attempt may take.
    #[must_use]
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The backoff.
    #[must_use]
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The longest `Retry-After` honoured, or `None` if it is ignored.
    #[must_use]
    pub const fn retry_after_cap(&self) -> Option<Duration> {
        self.retry_after_cap
    }

    /// How long to wait before retry number `retry` (1 for the second
    /// attempt), given the `Retry-After` the failed attempt's response asked
    /// for, if any.
    #[must_use]
    pub fn delay_before_retry(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let (Some(cap), Some(asked)) = (self.retry_after_cap, retry_after) {
            return asked.min(cap);
        }
        match self.backoff {
            Backoff::Immediate => Duration::ZERO,
            Backoff::Fixed(delay) => delay,
            Backoff::Exponential { initial, max, jitter } => {
                let doublings = retry.saturating_sub(1).min(31);
                let delay = initial.saturating_mul(1u32 << doublings).min(max);
                if jitter { jittered(delay) } else { delay }
            }
        }
    }
}

/// A uniform draw from `[delay/2, delay]`.
fn jittered(delay: Duration) -> Duration {
    let random = crate::fresh::random_u64();
    let half = delay / 2;
    let span = u64::try_from((delay - half).as_nanos()).unwrap_or(u64::MAX);
    let offset = if span == 0 { 0 } else { random % (span + 1) };
    half + Duration::from_nanos(offset)
}

/// Reads a `Retry-After` value: delay-seconds, or an HTTP date (IMF-fixdate
/// or another RFC 2822 form) taken relative to `now` (a date in the past
/// means "now"). `None` if it is neither.
///
/// ```
/// use std::time::Duration;
/// use hookseal_sender::parse_retry_after;
/// let now = "2026-05-01T12:00:00Z".parse()?;
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(parse_retry_after("Fri, 01 May 2026 12:00:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[must_use]
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values; the policy caps them anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some(at.signed_duration_since(now).to_std().unwrap_or(Duration::ZERO))
}

/// A future that completes after a delay, boxed so [`Sleeper`] is object safe.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Waits between attempts. The default is [`TokioSleeper`]; tests inject one
/// that records the delays asked for and returns at once.
pub trait Sleeper: Send + Sync + 'static {
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// Sleeps with `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl fmt::Debug for dyn Sleeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleeper")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_policies_match_the_contract() {
        let attempts: Vec<(ProviderId, u32)> =
            ProviderId::ALL.iter().map(|p| (*p, RetryPolicy::for_provider(*p).max_attempts())).collect();
        assert_eq!(
            attempts,
            [
                (ProviderId::Tocc, 2),
                (ProviderId::Toran, 2),
                (ProviderId::Zapito, 2),
                (ProviderId::Tuco, 1),
                (ProviderId::ConnectGain, 1)
            ]
        );
        for provider in ProviderId::ALL {
            let policy = RetryPolicy::for_provider(provider);
            assert_eq!(policy.timeout(), Duration::from_secs(5));
            assert_eq!(policy.retry_after_cap(), None, "{provider} does not honour Retry-After");
        }
        assert_eq!(RetryPolicy::for_provider(ProviderId::Tocc).delay_before_retry(1, None), Duration::ZERO);
        assert_eq!(
            RetryPolicy::for_provider(ProviderId::Zapito).delay_before_retry(1, Some(Duration::from_secs(1))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn exponential_doubles_up_to_the_max_within_jitter_bounds() {
        let exact = RetryPolicy::exponential().with_backoff(Backoff::Exponential {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            jitter: false,
        });
        let delays: Vec<u128> = (1..=6).map(|n| exact.delay_before_retry(n, None).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(exact.delay_before_retry(u32::MAX, None), Duration::from_millis(1000));

        let jittery = RetryPolicy::exponential();
        let draws: Vec<Duration> = (0..64).map(|_| jittery.delay_before_retry(3, None)).collect();
        assert!(draws.iter().all(|d| *d >= Duration::from_secs(2) && *d <= Duration::from_secs(4)), "{draws:?}");
        assert!(draws.iter().any(|d| *d != draws[0]), "jitter varies");
    }

    #[test]
    fn retry_after_replaces_the_backoff_up_to_the_cap() {
        let policy = RetryPolicy::exponential().honor_retry_after(Duration::from_secs(10));
        assert_eq!(policy.delay_before_retry(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(policy.delay_before_retry(1, Some(Duration::from_secs(3600))), Duration::from_secs(10));
        let ignoring = policy.ignore_retry_after().with_fixed_delay(Duration::from_millis(5));
        assert_eq!(ignoring.delay_before_retry(1, Some(Duration::from_secs(3))), Duration::from_millis(5));
    }

    #[test]
    fn retry_after_parsing() {
        let now: DateTime<Utc> = "2026-05-01T12:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
    }

    #[test]
    fn zero_attempts_means_one() {
        assert_eq!(RetryPolicy::no_retries().with_max_attempts(0).max_attempts(), 1);
    }
}
