//! Looking at the inbox: listing events, their request headers, their attempt
//! history, and how many arrived per minute. What a gateway and a dashboard read.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::record::State;

/// The default page size of [`ListQuery`]: 50 events.
pub const DEFAULT_PAGE: u32 = 50;
/// The largest page [`Store::list`](crate::Store::list) returns: 500 events (a larger `limit` is cut to this).
pub const MAX_PAGE: u32 = 500;
/// The longest error text kept per attempt (and per search string): 1 KiB, cut on a character boundary.
pub const MAX_ERROR_LEN: usize = 1024;
/// The most request-header bytes kept per event (names and values): 8 KiB; headers past it are dropped.
pub const MAX_HEADERS_BYTES: usize = 8 * 1024;
/// The most headers kept per event: 64.
pub const MAX_HEADERS: usize = 64;
/// The longest window [`Store::rate`](crate::Store::rate) counts over: 24 hours of minutes.
pub const MAX_RATE_MINUTES: u32 = 24 * 60;

/// Headers never stored: they carry credentials, not information about the event.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];

/// Which events [`Store::list`](crate::Store::list) returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListQuery {
    /// Only this provider's.
    pub provider: Option<String>,
    /// Only events in this state.
    pub state: Option<State>,
    /// Only this event name (exact).
    pub event_name: Option<String>,
    /// Only events whose idempotency key contains this text (case-sensitive, taken literally).
    pub key_contains: Option<String>,
    /// Keyset cursor: only events with an id below this one (the previous page's [`Page::next`]).
    pub before_id: Option<i64>,
    /// At most this many (1 to [`MAX_PAGE`]; default [`DEFAULT_PAGE`]).
    pub limit: u32,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self::new()
    }
}

impl ListQuery {
    /// Every event, the newest [`DEFAULT_PAGE`].
    #[must_use]
    pub fn new() -> Self {
        Self { provider: None, state: None, event_name: None, key_contains: None, before_id: None, limit: DEFAULT_PAGE }
    }

    /// Only `provider`'s events.
    #[must_use]
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Only events in `state`.
    #[must_use]
    pub fn state(mut self, state: State) -> Self {
        self.state = Some(state);
        self
    }

    /// Only events named `name`.
    #[must_use]
    pub fn event_name(mut self, name: impl Into<String>) -> Self {
        self.event_name = Some(name.into());
        self
    }

    /// Only events whose key contains `text` (an empty text matches every key).
    #[must_use]
    pub fn key_contains(mut self, text: impl Into<String>) -> Self {
        let text = bounded(text.into(), MAX_ERROR_LEN);
        self.key_contains = (!text.is_empty()).then_some(text);
        self
    }

    /// The page after the one whose [`Page::next`] is `cursor`.
    #[must_use]
    pub fn before(mut self, cursor: i64) -> Self {
        self.before_id = Some(cursor);
        self
    }

    /// At most `limit` events (clamped to 1..=[`MAX_PAGE`]).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The page size actually used: `limit` clamped to 1..=[`MAX_PAGE`].
    #[must_use]
    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE)
    }
}

/// One event in a listing: everything but its body and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventSummary {
    /// The row id.
    pub id: i64,
    /// The provider's short name.
    pub provider: String,
    /// The event's wire name.
    pub event_name: String,
    /// The dedupe key.
    pub idempotency_key: String,
    /// Where it is in its life.
    pub state: State,
    /// How many times a worker has claimed it.
    pub attempts: u32,
    /// How many times it was received.
    pub times_seen: i64,
    /// When it was first received.
    pub received_at: DateTime<Utc>,
    /// When the latest recorded attempt started (`None`: never tried, or tried by a worker that keeps no history).
    pub last_tried_at: Option<DateTime<Utc>>,
    /// When it became done or dead.
    pub finished_at: Option<DateTime<Utc>>,
    /// The last failure, or the parse error of a dead-lettered body.
    pub last_error: Option<String>,
    /// The body's length in bytes.
    pub body_len: u64,
}

/// A page of [`EventSummary`]s, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Page {
    /// The events.
    pub events: Vec<EventSummary>,
    /// The cursor for the next (older) page, for [`ListQuery::before`]; `None` on the last page.
    pub next: Option<i64>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// It succeeded: the event is done.
    Done,
    /// It failed; the event will be tried again.
    Retry,
    /// It failed for the last time: the event is dead.
    Dead,
    /// It finished after its claim was lost (its lease expired and another worker took the event): it changed nothing.
    Fenced,
}

impl AttemptOutcome {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry => "retry",
            Self::Dead => "dead",
            Self::Fenced => "fenced",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "done" => Self::Done,
            "retry" => Self::Retry,
            "dead" => Self::Dead,
            "fenced" => Self::Fenced,
            _ => return None,
        })
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attempt at an event, as recorded in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The event's id.
    pub event_id: i64,
    /// Which attempt (1 for the first; counting restarts after a replay).
    pub attempt: u32,
    /// When the worker claimed it.
    pub started_at: DateTime<Utc>,
    /// When the outcome was settled.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The failure, at most [`MAX_ERROR_LEN`] bytes.
    pub error: Option<String>,
}

/// What a worker decided about a claimed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Mark it done.
    Done,
    /// Ready again at this time.
    RetryAt(DateTime<Utc>),
    /// Dead-letter it.
    Dead,
}

/// The settlement of one attempt: [`Store::settle`](crate::Store::settle) applies the
/// verdict (fenced by `token`) and records the attempt in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settlement {
    /// The event's id.
    pub id: i64,
    /// The claim's fencing token.
    pub token: i64,
    /// Which attempt this was (the claimed event's `attempts`).
    pub attempt: u32,
    /// When the attempt started (the claim's time).
    pub started_at: DateTime<Utc>,
    /// Now.
    pub finished_at: DateTime<Utc>,
    /// What to do with the event.
    pub verdict: Verdict,
    /// Why it failed (for a retry or dead verdict); cut to [`MAX_ERROR_LEN`].
    pub error: Option<String>,
}

impl Settlement {
    /// A settlement of attempt `attempt` of event `id` under `token`.
    #[must_use]
    pub fn new(
        id: i64,
        token: i64,
        attempt: u32,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        verdict: Verdict,
        error: Option<String>,
    ) -> Self {
        Self { id, token, attempt, started_at, finished_at, verdict, error: error.map(|e| bounded(e, MAX_ERROR_LEN)) }
    }

    /// The outcome recorded when the verdict is applied (not fenced).
    #[must_use]
    pub fn outcome(&self) -> AttemptOutcome {
        match self.verdict {
            Verdict::Done => AttemptOutcome::Done,
            Verdict::RetryAt(_) => AttemptOutcome::Retry,
            Verdict::Dead => AttemptOutcome::Dead,
        }
    }
}

/// How many events of one provider were received in one minute.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RatePoint {
    /// The provider.
    pub provider: String,
    /// The minute's start.
    pub minute: DateTime<Utc>,
    /// Events first received in it.
    pub count: u64,
}

/// `text` cut to at most `max` bytes, on a character boundary.
#[must_use]
pub fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

/// The request headers to keep with an event: every header but the
/// credential-bearing ones (`Authorization`, `Proxy-Authorization`, `Cookie`,
/// `Set-Cookie`, `X-Api-Key`), names lowercased, values lossily decoded, at
/// most [`MAX_HEADERS`] of them and [`MAX_HEADERS_BYTES`] in all (the rest are dropped).
///
/// ```
/// let kept = hookseal_inbox::keep_headers([
///     ("X-Toran-Event", b"lead.captured".as_slice()),
///     ("Authorization", b"Bearer hunter2".as_slice()),
/// ]);
/// assert_eq!(kept, vec![("x-toran-event".to_owned(), "lead.captured".to_owned())]);
/// ```
#[must_use]
pub fn keep_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut bytes = 0usize;
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if SECRET_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value).into_owned();
        let size = name.len().saturating_add(value.len());
        if kept.len() >= MAX_HEADERS || bytes.saturating_add(size) > MAX_HEADERS_BYTES {
            break;
        }
        bytes += size;
        kept.push((name, value));
    }
    kept
}

/// Headers as stored: a JSON array of `[name, value]` pairs.
pub(crate) fn encode_headers(headers: &[(String, String)]) -> Option<String> {
    if headers.is_empty() {
        return None;
    }
    serde_json::to_string(headers).ok()
}

/// The inverse of [`encode_headers`]; unreadable text reads as no headers.
pub(crate) fn decode_headers(text: Option<&str>) -> Vec<(String, String)> {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
}

/// The start of `at`'s minute, in microseconds.
pub(crate) fn minute_of(us: i64) -> i64 {
    us - us.rem_euclid(60_000_000)
}

impl crate::Inbox {
    /// Events matching `query`, newest first, one page at a time (see [`Store::list`](crate::Store::list)).
    ///
    /// # Errors
    ///
    /// [`StoreError`](crate::StoreError) if the store failed.
    pub async fn list(&self, query: ListQuery) -> Result<Page, crate::StoreError> {
        self.store().list(query).await
    }

    /// Event `id`'s attempt history, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`](crate::StoreError) if the store failed.
    pub async fn attempts(&self, id: i64) -> Result<Vec<Attempt>, crate::StoreError> {
        self.store().attempts(id).await
    }

    /// Events received per minute per provider over the last `minutes` minutes
    /// (this one included, at most [`MAX_RATE_MINUTES`]), oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`](crate::StoreError) if the store failed.
    pub async fn rate(&self, minutes: u32) -> Result<Vec<RatePoint>, crate::StoreError> {
        let now = self.now();
        let back = std::time::Duration::from_secs(60 * u64::from(minutes.clamp(1, MAX_RATE_MINUTES) - 1));
        self.store().rate(crate::clock::sub(now, back), now).await
    }
}
