//! What a reference receiver reports about each request: shared by the axum
//! and actix-web adapters, so both answer and report identically.

use serde::Serialize;

use crate::event::WebhookEvent;
use crate::provider::ProviderId;

/// What happened to one request, as reported to the
/// `on_outcome` observer of the reference receivers (`hookseal-axum`, `hookseal-actix`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The request was authentic and its event was answered `200`.
    Accepted(EventSummary),
    /// The request was refused.
    Rejected {
        /// The provider whose route it came to, if it was one of the five.
        provider: Option<ProviderId>,
        /// The status it was answered with (`401`, `400`, `413`, `408` or `404`).
        status: u16,
        /// Why, in words (a rejection's `Display`: never a secret; request text truncated).
        reason: String,
    },
}

/// A verified event, summarized: the receiver's `200` answer is its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EventSummary {
    /// The provider that sent it.
    #[serde(serialize_with = "provider_name")]
    pub provider: ProviderId,
    /// The wire event name, such as `lead.captured`.
    pub event: String,
    /// Whether it is the provider's test event.
    pub test: bool,
    /// The key to deduplicate redeliveries on.
    pub idempotency_key: String,
    /// The event as the provider's wire JSON, rendered from the typed event
    /// (not part of the `200` answer).
    #[serde(skip)]
    pub json: Vec<u8>,
}

impl EventSummary {
    /// Summarizes a verified event of `provider`.
    #[must_use]
    pub fn new(provider: ProviderId, event: &impl WebhookEvent) -> Self {
        Self {
            provider,
            event: event.name().to_owned(),
            test: event.is_test(),
            idempotency_key: event.idempotency_key().into_owned(),
            json: event.to_json(),
        }
    }
}

fn provider_name<S: serde::Serializer>(provider: &ProviderId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(provider.name())
}
