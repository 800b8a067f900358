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
