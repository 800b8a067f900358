//! The verifier: raw bytes and headers in, an authentic typed event out.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;

use crate::error::{BodyError, Error, truncate};
use crate::event::{WebhookEvent, parse_json};
use crate::headers::{Headers, single, trim_ows};
use crate::provider::{ConnectGain, Provider, RequestFacts};
use crate::secret::{KeyMatch, Keys, Secret};
use crate::signature::{
    DEFAULT_TOLERANCE, Scheme, SignatureFormat, SignedContent, parse_unix_seconds, stripe_timestamp,
};

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
    replay_window: Window,
    body_limit: usize,
    accept_unsigned: bool,
    provider: PhantomData<fn() -> P>,
}

/// The replay window: the scheme's default, or set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    /// [`DEFAULT_TOLERANCE`] for a scheme that signs a timestamp; off for one that does not.
    SchemeDefault,
    /// Set by [`Verifier::replay_window`].
    Set(TimeDelta),
}

/// The signed parts a scheme's signature covers besides the body.
struct Signed<'h> {
    id: &'h [u8],
    stamp: &'h [u8],
    at: DateTime<Utc>,
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
        Self::build(Keys::new([secret], P::SCHEME.secret_encoding()))
    }

    /// A verifier accepting any of several secrets: during a rotation, give
    /// the new and the old. [`KeyMatch`] tells which one matched.
    ///
    /// # Errors
    ///
    /// [`NoSecrets`] if the list is empty.
    pub fn with_secrets(secrets: impl IntoIterator<Item = Secret>) -> Result<Self, NoSecrets> {
        let keys = Keys::new(secrets, P::SCHEME.secret_encoding());
        if keys.is_empty() {
            return Err(NoSecrets);
        }
        Ok(Self::build(keys))
    }

    fn build(keys: Keys) -> Self {
        Self {
            keys,
            scheme: P::SCHEME,
            replay_window: Window::SchemeDefault,
            body_limit: DEFAULT_BODY_LIMIT,
            accept_unsigned: false,
            provider: PhantomData,
        }
    }

    /// Refuses events whose signed timestamp is more than `tolerance` away
    /// from now, in either direction; exactly `tolerance` away is accepted.
    /// The tolerance is kept to the nanosecond (`500 ms` means 500 ms), and
    /// one too large to represent means no limit.
    ///
    /// Off by default for the five providers (their timestamp is in the
    /// body); for a scheme that signs a timestamp (Standard Webhooks, Stripe)
    /// it is on by default with [`DEFAULT_TOLERANCE`] (300 s).
    #[must_use]
    pub fn replay_window(mut self, tolerance: Duration) -> Self {
        self.replay_window = Window::Set(TimeDelta::from_std(tolerance).unwrap_or(TimeDelta::MAX));
        self
    }

    /// The replay window in force, if any.
    #[must_use]
    pub fn tolerance(&self) -> Option<Duration> {
        match self.replay_window {
            Window::Set(delta) => Some(delta.to_std().unwrap_or(Duration::MAX)),
            Window::SchemeDefault if self.scheme.signs_timestamp() => Some(DEFAULT_TOLERANCE),
            Window::SchemeDefault => None,
        }
    }

    fn window(&self) -> Option<TimeDelta> {
        match self.replay_window {
            Window::Set(delta) => Some(delta),
            Window::SchemeDefault if self.scheme.signs_timestamp() => {
                Some(TimeDelta::from_std(DEFAULT_TOLERANCE).unwrap_or(TimeDelta::MAX))
            }
            Window::SchemeDefault => None,
        }
    }

    /// Sets the largest body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]).
    ///
    /// Adapters read it to refuse a larger body before buffering it.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Verifies with another scheme: for senders that are not among the five,
    /// with the [`Custom`](crate::Custom) provider (`Scheme::GITHUB`,
    /// `Scheme::STANDARD_WEBHOOKS`, `Scheme::STRIPE`, or your own). The
    /// secrets are keyed again if the scheme reads secrets differently.
    #[must_use]
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        if scheme.secret_encoding() != self.scheme.secret_encoding() {
            self.keys = self.keys.rekeyed(scheme.secret_encoding());
        }
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
    /// queue, say), or parsed into your own type. For a scheme that signs a
    /// timestamp, the replay window is checked too, against the system clock
    /// (read only then); [`verify_at`](Self::verify_at) takes the clock.
    ///
    /// # Errors
    ///
    /// [`Error::BodyTooLarge`], any signature error (status 401), or a
    /// replay-window error (400) for a scheme that signs a timestamp.
    pub fn verify(&self, headers: &impl Headers, body: &[u8]) -> Result<KeyMatch, Error> {
        self.verify_with(headers, body, &Utc::now).map(|(key, _)| key)
    }

    /// Like [`verify`](Self::verify), with the clock given.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    pub fn verify_at(&self, headers: &impl Headers, body: &[u8], now: DateTime<Utc>) -> Result<KeyMatch, Error> {
        self.verify_with(headers, body, &|| now).map(|(key, _)| key)
    }

    fn verify_with(
        &self,
        headers: &impl Headers,
        body: &[u8],
        now: &impl Fn() -> DateTime<Utc>,
    ) -> Result<(KeyMatch, Option<DateTime<Utc>>), Error> {
        if body.len() > self.body_limit {
            return Err(Error::BodyTooLarge { limit: self.body_limit });
        }
        let header = self.scheme.signature_header();
        let value = match single(headers, header) {
            Ok(Some(value)) => value,
            Ok(None) if self.accept_unsigned => return Ok((KeyMatch::Unsigned, None)),
            Ok(None) => return Err(Error::MissingSignature { header }),
            Err(count) => return Err(Error::DuplicateSignature { header, count }),
        };
        let format = self.scheme.format();
        if let (SignedContent::Body, SignatureFormat::Sha256Prefixed | SignatureFormat::BareHex) =
            (self.scheme.signed_content(), format)
        {
            // The five providers' path: one tag, one MAC per key, as before the scheme model.
            let tag = format.decode(value).map_err(|fault| Error::MalformedSignature { header, fault })?;
            return self.keys.find(body, &tag).map(|i| (KeyMatch::Secret(i), None)).ok_or(Error::SignatureMismatch);
        }
        let signed = self.signed_parts(headers, value)?;
        let key = self.match_candidates(header, format, value, &signed, body)?;
        if let Some(signed) = &signed {
            self.check_window(signed.at, now)?;
        }
        Ok((key, signed.map(|signed| signed.at)))
    }

    /// The id and timestamp the scheme signs besides the body (`None` if it signs the body alone).
    fn signed_parts<'h>(&self, headers: &'h impl Headers, value: &'h [u8]) -> Result<Option<Signed<'h>>, Error> {
        let scheme = &self.scheme;
        let content = scheme.signed_content();
        if content == SignedContent::Body {
            return Ok(None);
        }
        let required = |name: &'static str| match single(headers, name) {
            Ok(Some(value)) => Ok(trim_ows(value)),
            Ok(None) => Err(Error::MissingSignedHeader { header: name }),
            Err(count) => Err(Error::DuplicateSignature { header: name, count }),
        };
        let (stamp, stamp_header) = match scheme.timestamp_header() {
            Some(name) => (required(name)?, name),
            None => {
                let header = scheme.signature_header();
                (stripe_timestamp(value).map_err(|fault| Error::MalformedSignature { header, fault })?, header)
            }
        };
        let at = parse_unix_seconds(stamp).and_then(|secs| DateTime::from_timestamp(secs, 0)).ok_or(
            Error::MalformedSignature { header: stamp_header, fault: crate::SignatureFault::InvalidTimestamp },
        )?;
        let id = match (content, scheme.id_header()) {
            (SignedContent::IdTimestampBody, Some(name)) => {
                let id = required(name)?;
                if id.is_empty() {
                    return Err(Error::MalformedSignature { header: name, fault: crate::SignatureFault::Empty });
                }
                id
            }
            _ => b"",
        };
        Ok(Some(Signed { id, stamp, at }))
    }

    /// Tries every MAC the header offers against every key.
    fn match_candidates(
        &self,
        header: &'static str,
        format: SignatureFormat,
        value: &[u8],
        signed: &Option<Signed<'_>>,
        body: &[u8],
    ) -> Result<KeyMatch, Error> {
        // A header with no readable MAC is malformed: say why (the first fault).
        let mut readable = false;
        let mut fault = None;
        for candidate in format.candidates(value) {
            match candidate {
                Ok(_) => readable = true,
                Err(f) => {
                    fault.get_or_insert(f);
                }
            }
        }
        if !readable {
            let fault = fault.unwrap_or(crate::SignatureFault::Empty);
            return Err(Error::MalformedSignature { header, fault });
        }
        let tags = || format.candidates(value).filter_map(Result::ok);
        let found = match (self.scheme.signed_content(), signed) {
            (SignedContent::IdTimestampBody, Some(s)) => self.keys.find_any(&[s.id, b".", s.stamp, b".", body], tags),
            (SignedContent::TimestampBody, Some(s)) => self.keys.find_any(&[s.stamp, b".", body], tags),
            _ => self.keys.find_any(&[body], tags),
        };
        found.map(KeyMatch::Secret).ok_or(Error::SignatureMismatch)
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
        now: impl Fn() -> DateTime<Utc>,
    ) -> Result<Verified<P::Event>, Error> {
        let (key, signed_at) = self.verify_with(headers, body, &now)?;
        let scheme = &self.scheme;
        let event = if signed_at.is_none() && scheme.id_header().is_none() && !scheme.event_name_from_header() {
            P::event_from(body, &RequestFacts::default())?
        } else {
            let value = |name: Option<&'static str>| name.and_then(|name| headers.values(name).next()).map(trim_ows);
            let facts = RequestFacts {
                event_name: if scheme.event_name_from_header() { value(scheme.event_header()) } else { None },
                id: value(scheme.id_header()),
                timestamp: signed_at,
            };
            P::event_from(body, &facts)?
        };
        if !scheme.event_name_from_header() {
            self.check_event_header(headers, &event)?;
        }
        if signed_at.is_none() {
            // The body's timestamp (a signed header's was checked with the signature).
            if let Some(tolerance) = self.window() {
                let at = event.occurred_at().ok_or(Error::MissingTimestamp)?;
                Self::check_age(at, now(), tolerance)?;
            }
        }
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

    fn check_window(&self, at: DateTime<Utc>, now: &impl Fn() -> DateTime<Utc>) -> Result<(), Error> {
        match self.window() {
            Some(tolerance) => Self::check_age(at, now(), tolerance),
            None => Ok(()),
        }
    }

    /// `at` may be `tolerance` old or ahead, both ends included.
    fn check_age(at: DateTime<Utc>, now: DateTime<Utc>, tolerance: TimeDelta) -> Result<(), Error> {
        // Both ends are valid `DateTime`s, whose difference always fits a
        // `TimeDelta` (whose range is symmetric, so negating cannot overflow).
        let age = now.signed_duration_since(at);
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
