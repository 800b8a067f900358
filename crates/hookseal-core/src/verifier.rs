//! The verifier: raw bytes and headers in, an authentic typed event out.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;

use crate::error::{BodyError, Error, truncate};
use crate::event::{WebhookEvent, parse_json};
use crate::headers::{Headers, single, trim_ows};
use crate::provider::{ConnectGain, Provider};
use crate::secret::{KeyMatch, Keys, Secret};
use crate::signature::Scheme;

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The error for a verifier built without any secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a verifier needs at least one secret")]
pub struct NoSecrets;

/// Verifies a provider's webhooks and turns them into typed events.
///
/// Build one at start-up and share it (it is cheap to clone): each secret is
/// keyed once, so no request re-hashes it.
///
/// The checks, in order: the body is within the limit; exactly one signature
/// header, well formed, matching the HMAC-SHA256 of the **raw body** under
/// one of the secrets (compared in constant time); the body parses into the
/// provider's event; the event header, if sent, names the same event as the
/// signed body; and, if a replay window is set, the signed timestamp is
/// within it.
///
/// ```
/// use hookseal_core::{Secret, Signer, Toran, Verifier, WebhookEvent, toran};
///
/// let secret = Secret::new("s3cret")?;
/// let body = br#"{"event":"lead.test","lead_id":"6b1f","widget_id":"w1","name":"Test Lead",
///   "email":"test@example.com","phone":null,"score":null,"tier":"hot",
///   "source":"toran-dashboard-test","timestamp":"2026-05-04T10:15:30Z","metadata":{"test":true}}"#;
/// let signature = Signer::new(&secret, Toran::SCHEME.format()).sign(body);
///
/// let verifier = Verifier::<Toran>::new(secret);
/// let headers = [("X-Toran-Signature", signature.as_str()), ("X-Toran-Event", "lead.test")];
/// match verifier.verify_event(&headers, body)? {
///     toran::Event::LeadTest(lead) => assert_eq!(lead.name.as_deref(), Some("Test Lead")),
///     other => panic!("unexpected {}", other.name()),
/// }
/// # use hookseal_core::Provider;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<P: Provider> {
    keys: Keys,
    scheme: Scheme,
    replay_window: Option<TimeDelta>,
    body_limit: usize,
    accept_unsigned: bool,
    provider: PhantomData<fn() -> P>,
}

/// A verified event and the secret that verified it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verified<E> {
    /// The typed event.
    pub event: E,
    /// Which secret matched.
    pub key: KeyMatch,
}

impl<P: Provider> Verifier<P> {
    /// A verifier with one secret.
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        Self::build(Keys::new([secret]))
    }

    /// A verifier accepting any of several secrets: during a rotation, give
    /// the new and the old. [`KeyMatch`] tells which one matched.
    ///
    /// # Errors
    ///
    /// [`NoSecrets`] if the list is empty.
    pub fn with_secrets(secrets: impl IntoIterator<Item = Secret>) -> Result<Self, NoSecrets> {
        let keys = Keys::new(secrets);
        if keys.is_empty() {
            return Err(NoSecrets);
        }
        Ok(Self::build(keys))
    }

    fn build(keys: Keys) -> Self {
        Self {
            keys,
            scheme: P::SCHEME,
            replay_window: None,
            body_limit: DEFAULT_BODY_LIMIT,
            accept_unsigned: false,
            provider: PhantomData,
        }
    }

    /// Refuses events whose signed timestamp is more than `tolerance` away
    /// from now, in either direction. Off by default.
    #[must_use]
    pub fn replay_window(mut self, tolerance: Duration) -> Self {
        let secs = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
        self.replay_window = Some(TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX));
        self
    }

    /// Sets the largest body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]).
    ///
    /// Adapters read it to refuse a larger body before buffering it.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Reads the signature (and event name) from other headers, for senders
    /// that are not among the five, with the [`Custom`](crate::Custom) provider.
    #[must_use]
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// The scheme this verifier reads.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The largest body accepted, in bytes.
    #[must_use]
    pub fn max_body(&self) -> usize {
        self.body_limit
    }

    /// Checks the signature over the raw `body`, and nothing else.
    ///
    /// Allocates nothing. Use it when the body is parsed later (after a
    /// queue, say), or parsed into your own type.
    ///
    /// # Errors
    ///
    /// [`Error::BodyTooLarge`], or any signature error (status 401).
    pub fn verify(&self, headers: &impl Headers, body: &[u8]) -> Result<KeyMatch, Error> {
        if body.len() > self.body_limit {
            return Err(Error::BodyTooLarge { limit: self.body_limit });
        }
        let header = self.scheme.signature_header();
        let value = match single(headers, header) {
            Ok(Some(value)) => value,
            Ok(None) if self.accept_unsigned => return Ok(KeyMatch::Unsigned),
            Ok(None) => return Err(Error::MissingSignature { header }),
            Err(count) => return Err(Error::DuplicateSignature { header, count }),
        };
        let tag = self.scheme.format().decode(value).map_err(|fault| Error::MalformedSignature { header, fault })?;
        self.keys.find(body, &tag).map(KeyMatch::Secret).ok_or(Error::SignatureMismatch)
    }

    /// Verifies the request and returns its typed event, checking the replay
    /// window (if set) against the system clock.
    ///
    /// # Errors
    ///
    /// Any [`Error`]; [`Error::status`] gives its HTTP status.
    pub fn verify_event(&self, headers: &impl Headers, body: &[u8]) -> Result<P::Event, Error> {
        // The clock is read only when there is a replay window to check.
        self.open_with(headers, body, Utc::now).map(|verified| verified.event)
    }

    /// Like [`verify_event`](Self::verify_event), with the clock given: for
    /// tests, and for re-checking a stored request at the time it arrived.
    ///
    /// # Errors
    ///
    /// Any [`Error`]; [`Error::status`] gives its HTTP status.
    pub fn verify_event_at(&self, headers: &impl Headers, body: &[u8], now: DateTime<Utc>) -> Result<P::Event, Error> {
        self.open_with(headers, body, || now).map(|verified| verified.event)
    }

    /// Like [`verify_event_at`](Self::verify_event_at), also telling which secret matched.
    ///
    /// # Errors
    ///
    /// Any [`Error`]; [`Error::status`] gives its HTTP status.
    pub fn open_at(
        &self,
        headers: &impl Headers,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Verified<P::Event>, Error> {
        self.open_with(headers, body, || now)
    }

    /// What the three `*_event*`/`open*` entry points do: verify, parse, check
    /// the event header and the replay window (`now` is called only for it).
    fn open_with(
        &self,
        headers: &impl Headers,
        body: &[u8],
        now: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Verified<P::Event>, Error> {
        let key = self.verify(headers, body)?;
        let event = P::Event::from_slice(body)?;
        self.check_event_header(headers, &event)?;
        self.check_timestamp(event.occurred_at(), now)?;
        Ok(Verified { event, key })
    }

    /// Verifies the request and parses the body into your own type instead of
    /// the provider's event. The event header and replay window are not
    /// checked: hookseal does not know where your type keeps them.
    ///
    /// # Errors
    ///
    /// A signature error (401), or [`Error::InvalidBody`] (400).
    pub fn verify_json<T: DeserializeOwned>(&self, headers: &impl Headers, body: &[u8]) -> Result<T, Error> {
        self.verify(headers, body)?;
        let text = std::str::from_utf8(body).map_err(BodyError::utf8)?;
        Ok(parse_json(text)?)
    }

    fn check_event_header(&self, headers: &impl Headers, event: &P::Event) -> Result<(), Error> {
        let Some(header) = self.scheme.event_header() else {
            return Ok(());
        };
        let in_body = event.name();
        match headers.values(header).map(trim_ows).find(|value| *value != in_body.as_bytes()) {
            None => Ok(()),
            Some(in_header) => Err(Error::EventMismatch {
                header,
                in_header: truncate(String::from_utf8_lossy(in_header).into_owned()),
                in_body: truncate(in_body.to_owned()),
            }),
        }
    }

    fn check_timestamp(
        &self,
        occurred_at: Option<DateTime<Utc>>,
        now: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(tolerance) = self.replay_window else {
            return Ok(());
        };
        let at = occurred_at.ok_or(Error::MissingTimestamp)?;
        // Both ends are valid `DateTime`s, whose difference always fits a `TimeDelta`.
        let age = now().signed_duration_since(at);
        let tolerance_secs = tolerance.num_seconds();
        if age > tolerance {
            Err(Error::TimestampTooOld { age_secs: age.num_seconds(), tolerance_secs })
        } else if -age > tolerance {
            Err(Error::TimestampTooNew { ahead_secs: (-age).num_seconds(), tolerance_secs })
        } else {
            Ok(())
        }
    }
}

impl Verifier<ConnectGain> {
    /// **Insecure.** Also accepts ConnectGain requests that carry no signature
    /// at all (ConnectGain signs only when the webhook has a secret). Anyone
    /// who knows the URL can then forge events: use it only behind another
    /// authentication layer. A request that does carry a signature is still
    /// verified, and the result says [`KeyMatch::Unsigned`] when none was sent.
    #[must_use]
    pub fn accept_unsigned_insecure(mut self) -> Self {
        self.accept_unsigned = true;
        self
    }
}

impl<P: Provider> Clone for Verifier<P> {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            scheme: self.scheme,
            replay_window: self.replay_window,
            body_limit: self.body_limit,
            accept_unsigned: self.accept_unsigned,
            provider: PhantomData,
        }
    }
}

impl<P: Provider> fmt::Debug for Verifier<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("provider", &P::NAME)
            .field("secrets", &self.keys)
            .field("scheme", &self.scheme)
            .field("replay_window", &self.replay_window)
            .field("body_limit", &self.body_limit)
            .field("accept_unsigned", &self.accept_unsigned)
            .finish()
    }
}
