//! Events of a custom HMAC-SHA256 sender, kept as raw JSON.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{WebhookEvent, content_key, parse_json, timestamp};

/// A custom sender's event: the raw JSON object, with its `event` (or `type`)
/// and `timestamp` read when present. Its idempotency key is `id` when
/// present, else a SHA-256 of the JSON text (the body without surrounding
/// whitespace).
#[derive(Debug, Clone)]
pub struct Event {
    name: String,
    occurred_at: Option<DateTime<Utc>>,
    key: String,
    raw: Box<RawValue>,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
}

impl Event {
    /// The signed body, byte for byte.
    #[must_use]
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Parses the raw JSON into your own type.
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if it does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, BodyError> {
        parse_json(self.raw.get())
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl WebhookEvent for Event {
    fn from_json(body: &str) -> Result<Self, BodyError> {
        let probe: Probe<'_> = parse_json(body)?;
        let raw: Box<RawValue> = parse_json::<&RawValue>(body)?.to_owned();
        Ok(Self {
            name: probe.event.or(probe.kind).map(Cow::into_owned).unwrap_or_default(),
            occurred_at: probe.timestamp.and_then(|t| timestamp::parse(&t).ok()),
            key: probe.id.map_or_else(|| content_key(&raw), Cow::into_owned),
            raw,
        })
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn is_test(&self) -> bool {
        false
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }
}
