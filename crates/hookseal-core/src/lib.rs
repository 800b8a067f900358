//! Verify and type the signed webhooks of tocc.contact, Toran, Zapito, Tuco
//! and ConnectGain, without any web framework.
//!
//! A [`Verifier`] takes the request's headers (anything implementing
//! [`Headers`]) and its **raw body bytes**, checks the HMAC-SHA256 signature
//! in constant time, and parses the body into the provider's typed event,
//! which you `match` on. Every rejection is an [`Error`] with an HTTP
//! [`status`](Error::status): `401` for any signature problem, `400` for an
//! authentic but unusable body, `413` for a body over the limit.
//!
//! ```
//! use hookseal_core::{Secret, Signer, Tuco, Verifier, WebhookEvent, Provider, tuco};
//!
//! let secret = Secret::new("tuco-webhook-secret")?;
//! let body = br#"{"event":"message.reply","timestamp":"2026-04-15T12:00:00Z","workspaceId":"org_abc123",
//!                 "data":{"messageId":"msg_xyz789","message":"Yes, I'm interested!"}}"#;
//! // What Tuco would send (the sender and the tests use the same signer):
//! let signature = Signer::new(&secret, Tuco::SCHEME.format()).sign(body);
//!
//! let verifier = Verifier::<Tuco>::new(secret);
//! let headers = [("x-tuco-signature", signature.as_str())];
//! let event = verifier.verify_event(&headers, body)?;
//! match &event {
//!     tuco::Event::MessageReply(reply) => assert_eq!(reply.data.message.as_deref(), Some("Yes, I'm interested!")),
//!     other => panic!("unexpected {}", other.name()),
//! }
//! assert_eq!(event.idempotency_key(), "msg_xyz789:message.reply");
//!
//! // One changed byte, and it is refused with 401:
//! let mut forged = body.to_vec();
//! forged[60] ^= 1;
//! assert_eq!(verifier.verify_event(&headers, &forged).unwrap_err().status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Unknown event names are never an error: they parse into each provider's
//! `Unknown` variant, which keeps the raw JSON.
//!
//! ## Any other signed sender
//!
//! Every provider is one [`Scheme`]: which bytes are signed, how the MAC is
//! written and laid out, how the secret is read, and where the event name,
//! idempotency key and timestamp come from. Three are ready,
//! [`Scheme::STANDARD_WEBHOOKS`], [`Scheme::GITHUB`] and [`Scheme::STRIPE`]
//! (also as the providers [`StandardWebhooks`], [`GitHub`], [`Stripe`]), and
//! header names may come from configuration at run time ([`Scheme::set_header`]).
//!
//! ```
//! use hookseal_core::{GitHub, Message, Scheme, Secret, Signer, Verifier, WebhookEvent};
//!
//! let secret = Secret::new("It's a Secret to Everybody")?;
//! let body = br#"{"zen":"Design for failure."}"#;
//! let signature = Signer::for_scheme(&secret, Scheme::GITHUB)?.signature(body, &Message::default());
//! let headers = [
//!     ("X-Hub-Signature-256", signature.as_str()),
//!     ("X-GitHub-Event", "ping"),
//!     ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
//! ];
//! let event = Verifier::<GitHub>::new(secret).verify_event(&headers, body)?;
//! assert_eq!(event.name(), "ping");
//! assert_eq!(event.idempotency_key(), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Another sender of HMAC-SHA256 webhooks can be verified with [`Custom`]
//! (raw JSON events), or given a provider type of its own with your own
//! typed events: see the guide [`own_provider`].

mod base64;
pub mod connectgain;
pub mod custom;
pub mod env;
mod error;
mod event;
mod extra;
mod headers;
pub mod metrics;
pub mod own_provider;
mod provider;
pub mod report;
pub mod samples;
mod secret;
mod signature;
pub mod tocc;
pub mod toran;
pub mod tuco;
mod verifier;
pub mod zapito;

pub use error::{BodyError, BodyErrorKind, Error, SignatureFault};
pub use event::{UnknownEvent, WebhookEvent};
pub use extra::{Extra, Text, TextKind};
pub use headers::{HeaderName, Headers, InvalidHeaderName, MAX_CONFIGURED_NAMES};
pub use provider::{
    ConnectGain, Custom, GitHub, Provider, ProviderId, RequestFacts, StandardWebhooks, Stripe, Tocc, Toran, Tuco,
    UnknownProvider, Zapito,
};
pub use secret::{EmptySecret, InvalidSecret, KeyMatch, MIN_WHSEC_BYTES, Secret};
pub use signature::{
    DEFAULT_TOLERANCE, HeaderRole, Message, Scheme, SchemeId, SecretEncoding, SignatureFormat, SignedContent, Signer,
    UnknownScheme,
};
pub use verifier::{DEFAULT_BODY_LIMIT, NoSecrets, Verified, Verifier};

/// Re-exported so the timestamps in events can be named without adding `chrono`.
pub use chrono;
