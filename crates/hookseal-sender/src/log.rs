//! The delivery log: what happened to a delivery, attempt by attempt.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

/// How a delivery, or one attempt of it, ended (Zapito's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The receiver answered `2xx`.
    Sent,
    /// No `2xx`: an error status, a timeout or a connection error.
    Failed,
    /// Not sent at all: the webhook is inactive or not subscribed to the event.
    /// Only a whole delivery is skipped, never a single attempt.
    Skipped,
}

impl Outcome {
    /// `sent`, `failed` or `skipped`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a delivery was skipped without any request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// The webhook is switched off.
    #[error("webhook is inactive")]
    Inactive,
    /// The webhook does not subscribe to this event.
    #[error("webhook is not subscribed to `{event}`")]
    NotSubscribed {
        /// The event's name.
        event: String,
    },
}

/// Why an attempt got no usable response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// No complete response within the policy's timeout.
    #[error("timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The connection could not be made (refused, unreachable, TLS failure, …).
    #[error("connection failed: {0}")]
    Connect(String),
    /// The connection failed while sending the request or reading the
    /// response head (reset, closed early, invalid HTTP, …).
    #[error("request failed: {0}")]
    Transport(String),
    /// The status arrived, then reading the response body failed; the
    /// attempt's outcome follows the status.
    #[error("reading the response body failed: {0}")]
    ResponseBody(String),
}

impl AttemptError {
    /// Whether a retry may cure it (everything but a body-read failure,
    /// which follows a status).
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        !matches!(self, Self::ResponseBody(_))
    }
}

/// One HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt, 2 for the first retry, …
    pub number: u32,
    /// When the request was started.
    pub started_at: DateTime<Utc>,
    /// [`Outcome::Sent`] or [`Outcome::Failed`].
    pub outcome: Outcome,
    /// The response status, if a response arrived.
    pub status: Option<u16>,
    /// From sending the request to the response head (or to the failure).
    pub latency: Duration,
    /// The start of the response body, at most the sender's
    /// [`response_body_limit`](crate::Sender::response_body_limit).
    pub response_body: Bytes,
    /// Whether the response body was longer than what was kept.
    pub response_truncated: bool,
    /// What went wrong when there is no (complete) response.
    pub error: Option<AttemptError>,
    /// The response's `Retry-After`, if it had a readable one.
    pub retry_after: Option<Duration>,
    /// The wait before the next attempt, if there is one.
    pub next_delay: Option<Duration>,
}

impl Attempt {
    /// The response body as text (lossy UTF-8), for logs.
    #[must_use]
    pub fn response_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.response_body)
    }
}

/// The record of one delivery: its outcome and every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryLog {
    /// The webhook's name, for deliveries made through a [`WebhookConfig`](crate::WebhookConfig).
    pub webhook: Option<String>,
    /// Where it went (or would have gone).
    pub url: Url,
    /// The event name.
    pub event: String,
    /// How the delivery ended: the last attempt's outcome, or
    /// [`Outcome::Skipped`].
    pub outcome: Outcome,
    /// Why it was skipped, when it was.
    pub skip_reason: Option<SkipReason>,
    /// Every attempt, in order (none when skipped).
    pub attempts: Vec<Attempt>,
}

impl DeliveryLog {
    pub(crate) fn skipped(webhook: Option<String>, url: Url, event: String, reason: SkipReason) -> Self {
        Self { webhook, url, event, outcome: Outcome::Skipped, skip_reason: Some(reason), attempts: Vec::new() }
    }

    /// Whether the receiver accepted it.
    #[must_use]
    pub fn is_sent(&self) -> bool {
        self.outcome == Outcome::Sent
    }

    /// The last attempt, if any was made.
    #[must_use]
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The last response status, if any response arrived.
    #[must_use]
    pub fn last_status(&self) -> Option<u16> {
        self.attempts.iter().rev().find_map(|a| a.status)
    }
}

// ---------------------------------------------------------------- Display and Serialize
//
// Neither shows a credential: the URL is redacted again here (it already is
// when the sender records it, but the field is public), and the log holds no
// headers and no secret. Attempt errors never carry the URL (the sender strips it).

/// The most characters of a response body shown by the alternate `Display`.
const DISPLAY_RESPONSE_CHARS: usize = 120;

/// `text` on one line, its control and invisible formatting characters
/// escaped, at most `max` characters (then `…`).
fn one_line(text: &str, max: usize) -> String {
    let mut shown = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            shown.push('…');
            break;
        }
        let invisible = c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}');
        if invisible {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `attempt 2: failed 503 in 12 ms, retry in 1000 ms`, and the error in
/// parentheses when there is one (the format `hookseal send` prints).
///
/// The alternate form (`{:#}`) adds the start of the response body, on one
/// line with control characters escaped.
impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt {}: {} ", self.number, self.outcome)?;
        match self.status {
            Some(status) => write!(f, "{status}")?,
            None => f.write_str("no response")?,
        }
        write!(f, " in {} ms", millis(self.latency))?;
        if let Some(error) = &self.error {
            write!(f, " ({error})")?;
        }
        if let Some(delay) = self.next_delay {
            write!(f, ", retry in {} ms", millis(delay))?;
        }
        if f.alternate() && !self.response_body.is_empty() {
            let more = if self.response_truncated { "…" } else { "" };
            write!(f, ", response: {}{more}", one_line(self.response_text().trim(), DISPLAY_RESPONSE_CHARS))?;
        }
        Ok(())
    }
}

/// One line: `lead.new to https://hooks.example.com/tocc: sent after 2 attempt(s) (200)`,
/// with `webhook "crm": ` in front for a configured webhook, and the reason
/// for a skipped one. The URL shows no credentials.
///
/// The alternate form (`{:#}`) adds one indented line per attempt (in the
/// alternate form of [`Attempt`], with the start of its response body).
///
/// ```
/// # use hookseal_sender::DeliveryLog;
/// # fn show(log: &DeliveryLog) {
/// println!("{log}");   // the summary
/// println!("{log:#}"); // the summary and every attempt
/// # }
/// ```
impl fmt::Display for DeliveryLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(webhook) = &self.webhook {
            write!(f, "webhook \"{}\": ", one_line(webhook, 80))?;
        }
        write!(f, "{} to {}: {}", one_line(&self.event, 80), crate::redact::url(&self.url), self.outcome)?;
        match &self.skip_reason {
            Some(reason) if self.outcome == Outcome::Skipped => write!(f, " ({reason})")?,
            _ => {
                write!(f, " after {} attempt(s)", self.attempts.len())?;
                if let Some(status) = self.last_status() {
                    write!(f, " ({status})")?;
                }
            }
        }
        if f.alternate() {
            for attempt in &self.attempts {
                write!(f, "\n  {attempt:#}")?;
            }
        }
        Ok(())
    }
}

impl serde::Serialize for Outcome {
    /// `"sent"`, `"failed"` or `"skipped"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl serde::Serialize for SkipReason {
    /// `{"kind": "inactive" | "not_subscribed", "event"?: …, "message": …}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Inactive => map.serialize_entry("kind", "inactive")?,
            Self::NotSubscribed { event } => {
                map.serialize_entry("kind", "not_subscribed")?;
                map.serialize_entry("event", event)?;
            }
        }
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

impl serde::Serialize for AttemptError {
    /// `{"kind": "timeout" | "connect" | "transport" | "response_body", "message": …}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let kind = match self {
            Self::Timeout(_) => "timeout",
            Self::Connect(_) => "connect",
            Self::Transport(_) => "transport",
            Self::ResponseBody(_) => "response_body",
        };
        let mut state = serializer.serialize_struct("AttemptError", 2)?;
        state.serialize_field("kind", kind)?;
        state.serialize_field("message", &self.to_string())?;
        state.end()
    }
}

impl serde::Serialize for Attempt {
    /// Every field; durations in whole milliseconds (`latency_ms`,
    /// `retry_after_ms`, `next_delay_ms`), the start as RFC 3339, the
    /// response body as text (invalid UTF-8 replaced).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("Attempt", 10)?;
        state.serialize_field("number", &self.number)?;
        state.serialize_field("started_at", &self.started_at)?;
        state.serialize_field("outcome", &self.outcome)?;
        state.serialize_field("status", &self.status)?;
        state.serialize_field("latency_ms", &millis(self.latency))?;
        state.serialize_field("response_body", &self.response_text())?;
        state.serialize_field("response_truncated", &self.response_truncated)?;
        state.serialize_field("error", &self.error)?;
        state.serialize_field("retry_after_ms", &self.retry_after.map(millis))?;
        state.serialize_field("next_delay_ms", &self.next_delay.map(millis))?;
        state.end()
    }
}

impl serde::Serialize for DeliveryLog {
    /// `{"webhook", "url", "event", "outcome", "skip_reason", "attempts"}`;
    /// the URL without credentials.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("DeliveryLog", 6)?;
        state.serialize_field("webhook", &self.webhook)?;
        state.serialize_field("url", crate::redact::url(&self.url).as_str())?;
        state.serialize_field("event", &self.event)?;
        state.serialize_field("outcome", &self.outcome)?;
        state.serialize_field("skip_reason", &self.skip_reason)?;
        state.serialize_field("attempts", &self.attempts)?;
        state.end()
    }
}
