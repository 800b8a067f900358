//! What the store keeps and hands out.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum State {
    /// Stored, waiting for a worker (possibly not before its `available_at`, after a failure).
    Ready,
    /// Claimed by a worker whose lease runs until `lease_until`.
    Running,
    /// Handled successfully; kept for the dedupe window, then purged.
    Done,
    /// Given up on: the last attempt failed, or the body did not parse. Kept until replayed.
    Dead,
}

impl State {
    /// The name stored in the `state` column.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ready" => Ok(Self::Ready),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "dead" => Ok(Self::Dead),
            other => Err(format!("unknown inbox state `{other}`")),
        }
    }
}

/// A verified request, ready to be stored.
///
/// Usually built by [`Inbox::accept`](crate::Inbox::accept) (or the adapters);
/// build it yourself to store requests verified elsewhere.
#[derive(Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The provider's short name (`toran`, …).
    pub provider: String,
    /// The event's wire name, such as `lead.captured` (for a body that did not
    /// parse: the unsigned event header's value, or empty).
    pub event_name: String,
    /// The dedupe key: the event's idempotency key (for a body that did not
    /// parse: `sha256:` and the hex SHA-256 of the body).
    pub idempotency_key: String,
    /// The raw body, exactly as received and verified.
    pub body: Vec<u8>,
    /// The provider's unsigned event header, as received (lossily decoded).
    pub event_header: Option<String>,
    /// The provider's unsigned timestamp header, as received (lossily decoded).
    pub timestamp_header: Option<String>,
    /// When the request was received.
    pub received_at: DateTime<Utc>,
    /// `Some(error)` stores the event dead-lettered with that error (a body
    /// the typed parse refused); `None` stores it ready for the workers.
    pub dead_letter: Option<String>,
    /// The request's headers, as kept by [`keep_headers`](crate::keep_headers)
    /// (no credentials, bounded); empty to keep none.
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for NewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewEvent")
            .field("provider", &self.provider)
            .field("event_name", &self.event_name)
            .field("idempotency_key", &self.idempotency_key)
            .field("body_len", &self.body.len())
            .field("received_at", &self.received_at)
            .field("dead_letter", &self.dead_letter)
            .finish_non_exhaustive()
    }
}

/// What storing one request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// The stored event's id.
    pub id: i64,
    /// `true` if this request created the row; `false` for a redelivery of a stored event.
    pub inserted: bool,
    /// How many times this event has been received, this request included.
    pub times_seen: i64,
}

/// An event as stored.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredEvent {
    /// The row id.
    pub id: i64,
    /// The provider's short name.
    pub provider: String,
    /// The event's wire name.
    pub event_name: String,
    /// The dedupe key.
    pub idempotency_key: String,
    /// The raw body, byte for byte as received.
    pub body: Vec<u8>,
    /// The unsigned event header, as received.
    pub event_header: Option<String>,
    /// The unsigned timestamp header, as received.
    pub timestamp_header: Option<String>,
    /// When it was first received.
    pub received_at: DateTime<Utc>,
    /// When it was last received.
    pub last_seen_at: DateTime<Utc>,
    /// How many times it was received.
    pub times_seen: i64,
    /// Where it is in its life.
    pub state: State,
    /// How many times a worker has claimed it.
    pub attempts: u32,
    /// Not to be claimed before this time.
    pub available_at: DateTime<Utc>,
    /// The fencing token of the latest claim.
    pub lease_token: i64,
    /// Until when the latest claim holds (for a running event).
    pub lease_until: Option<DateTime<Utc>>,
    /// The last failure, or the parse error of a dead-lettered body.
    pub last_error: Option<String>,
    /// When it became done or dead.
    pub finished_at: Option<DateTime<Utc>>,
    /// The request headers kept with it (see [`keep_headers`](crate::keep_headers)).
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for StoredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredEvent")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("event_name", &self.event_name)
            .field("idempotency_key", &self.idempotency_key)
            .field("body_len", &self.body.len())
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("times_seen", &self.times_seen)
            .field("lease_token", &self.lease_token)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// A claimed event: its row, and the fencing token that proves the claim.
///
/// Completion, failure and heartbeat take the token; once another worker has
/// reclaimed the event (its lease expired), the old token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The event, with `attempts` counting this claim.
    pub event: StoredEvent,
    /// The fencing token of this claim.
    pub token: i64,
}

/// How many events are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Waiting for a worker.
    pub ready: u64,
    /// Claimed (including expired leases not reclaimed yet).
    pub running: u64,
    /// Handled.
    pub done: u64,
    /// Dead-lettered.
    pub dead: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, state: State, n: u64) {
        match state {
            State::Ready => self.ready += n,
            State::Running => self.running += n,
            State::Done => self.done += n,
            State::Dead => self.dead += n,
        }
    }

    /// All events.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.ready + self.running + self.done + self.dead
    }
}

/// Which dead events [`Store::replay_dead`](crate::Store::replay_dead) puts back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayFilter {
    /// Only this provider's (`None`: every provider).
    pub provider: Option<String>,
    /// Only this event name (`None`: every event).
    pub event_name: Option<String>,
}

/// What a claim asks for.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// Only this provider's events.
    pub provider: String,
    /// The time of the claim.
    pub now: DateTime<Utc>,
    /// The lease: the claim holds until `now + lease`.
    pub lease: std::time::Duration,
    /// At most this many events.
    pub limit: u32,
    /// An expired lease whose event has had this many attempts is not
    /// reclaimed: the event is dead-lettered instead.
    pub max_attempts: u32,
}
