//! Guide: your own provider type, with your own typed events.
//!
//! [`Custom`](crate::Custom) verifies any HMAC-SHA256 sender and keeps its
//! events as raw JSON. When you receive one sender's webhooks for good, give
//! it a marker type of its own instead: `Verifier<Acme>`, the adapters'
//! `Webhook<Acme>` extractors and your handlers then carry *your* typed
//! event, with everything the built-in providers get (constant-time
//! signature check over the raw bytes, event-header check, replay window,
//! body limit, one `400` per unusable body).
//!
//! It takes two impls:
//!
//! 1. [`Provider`](crate::Provider) for a marker type: a short `NAME`, the
//!    [`Scheme`](crate::Scheme) (which header carries the signature and in
//!    which [`SignatureFormat`](crate::SignatureFormat), and which header
//!    names the event, if any), and the `Event` type.
//! 2. [`WebhookEvent`](crate::WebhookEvent) for that event type:
//!    `from_json` parses an authentic body, and `name`, `is_test`,
//!    `idempotency_key`, `occurred_at` describe the event. Parse with
//!    [`BodyError::parse_json`](crate::BodyError::parse_json) (it reports the
//!    JSON path of a bad value), refuse values your schema does not allow
//!    with [`BodyError::schema`](crate::BodyError::schema), and `?` turns a
//!    plain `serde_json::Error` into a `BodyError` too. `Serialize` is the
//!    wire JSON (`to_json`), so derive it with the same field names.
//!
//! Keep unknown event types rather than failing on them (a catch-all
//! variant, as the built-in events' `Unknown`): senders add events, and an
//! authentic request should not be refused because this build is older.
//!
//! ```
//! use std::borrow::Cow;
//! use std::time::Duration;
//!
//! use hookseal_core::chrono::{DateTime, Utc};
//! use hookseal_core::{
//!     BodyError, Error, Provider, Scheme, Secret, SignatureFormat, Signer, Verifier, WebhookEvent,
//! };
//! use serde::{Deserialize, Serialize};
//!
//! /// Acme Payments' webhooks.
//! #[derive(Debug, Clone, Copy)]
//! pub struct Acme;
//!
//! impl Provider for Acme {
//!     const NAME: &'static str = "acme";
//!     const SCHEME: Scheme =
//!         Scheme::new("Acme-Signature", SignatureFormat::Sha256Prefixed).with_event_header("Acme-Event");
//!     type Event = AcmeEvent;
//! }
//!
//! /// One Acme event: `{"id", "type", "created_at", "data"}`.
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
//! pub struct AcmeEvent {
//!     pub id: String,
//!     #[serde(rename = "type")]
//!     pub kind: String,
//!     pub created_at: DateTime<Utc>,
//!     #[serde(default)]
//!     pub livemode: bool,
//!     pub data: Payment,
//! }
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
//! pub struct Payment {
//!     pub amount_cents: i64,
//!     pub currency: String,
//! }
//!
//! impl WebhookEvent for AcmeEvent {
//!     fn from_json(body: &str) -> Result<Self, BodyError> {
//!         let event: Self = BodyError::parse_json(body)?;
//!         if event.data.amount_cents < 0 {
//!             return Err(BodyError::schema("data.amount_cents", "must not be negative"));
//!         }
//!         Ok(event)
//!     }
//!     fn name(&self) -> &str {
//!         &self.kind
//!     }
//!     fn is_test(&self) -> bool {
//!         !self.livemode
//!     }
//!     fn idempotency_key(&self) -> Cow<'_, str> {
//!         Cow::Borrowed(&self.id)
//!     }
//!     fn occurred_at(&self) -> Option<DateTime<Utc>> {
//!         Some(self.created_at)
//!     }
//! }
//!
//! // What Acme sends:
//! let secret = Secret::new("acme-signing-secret")?;
//! let signer = Signer::new(&secret, Acme::SCHEME.format());
//! let created_at = Utc::now().to_rfc3339();
//! let body = format!(
//!     r#"{{"id":"evt_1","type":"payment.succeeded","created_at":"{created_at}","livemode":true,
//!          "data":{{"amount_cents":1299,"currency":"EUR"}}}}"#
//! );
//! let signature = signer.sign(body.as_bytes());
//! let headers = [("Acme-Signature", signature.as_str()), ("Acme-Event", "payment.succeeded")];
//!
//! // What your receiver does (the adapters' `Webhook<Acme>` does the same):
//! let verifier = Verifier::<Acme>::new(secret).replay_window(Duration::from_secs(300));
//! let event = verifier.verify_event(&headers, body.as_bytes())?;
//! assert_eq!((event.name(), event.data.amount_cents), ("payment.succeeded", 1299));
//! assert_eq!(event.idempotency_key(), "evt_1");
//!
//! // A signature problem is a 401, your own schema rule a 400 naming the path:
//! assert_eq!(verifier.verify_event(&headers, body.replace("1299", "9999").as_bytes()).unwrap_err().status(), 401);
//! let negative = body.replace("1299", "-5");
//! let signature = signer.sign(negative.as_bytes());
//! let headers = [("Acme-Signature", signature.as_str())];
//! match verifier.verify_event(&headers, negative.as_bytes()) {
//!     Err(err @ Error::InvalidBody(_)) => {
//!         assert_eq!(err.status(), 400);
//!         assert_eq!(err.to_string(), "unusable body: must not be negative at `data.amount_cents`");
//!     }
//!     other => panic!("expected a 400, got {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In the adapters, register a `Verifier<Acme>` as for any provider
//! (router state for axum, `app_data` for actix) and extract
//! `Webhook<Acme>`. To send such webhooks (or to test your receiver with
//! `hookseal-sender`), build deliveries for `Acme::SCHEME`: the sender signs
//! any [`Scheme`](crate::Scheme) and fills the event header from the body's
//! `event` or `type` field.
