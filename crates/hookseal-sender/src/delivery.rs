//! Preparing a delivery: the exact bytes and headers a provider sends, as a plain value.

use std::any::TypeId;
use std::fmt;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use hookseal_core::{
    BodyError, ConnectGain, Custom, GitHub, Headers, InvalidSecret, Message, Provider, ProviderId, Scheme, SchemeId,
    Secret, Signer, StandardWebhooks, Stripe, Tocc, Toran, Tuco, WebhookEvent, Zapito, connectgain, custom, samples,
    tocc, toran, tuco, zapito,
};
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use crate::redact;

/// Who the delivery imitates: one of the five providers, or your own scheme.
///
/// Built from a [`ProviderId`], from a provider marker type ([`Toran`], …),
/// or from a [`Scheme`] for your own webhooks (whose events are
/// [`custom::Event`]s: the event header, if the scheme has one, carries the
/// body's `event` or `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// One of the built-in providers.
    Provider(ProviderId),
    /// Your own HMAC-SHA256 webhooks, signed and labelled as `Scheme` says.
    Custom(Scheme),
}

impl Target {
    /// The signature scheme.
    #[must_use]
    pub const fn scheme(&self) -> Scheme {
        match self {
            Self::Provider(provider) => provider.scheme(),
            Self::Custom(scheme) => *scheme,
        }
    }

    /// The provider's short name, or `custom`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Provider(provider) => provider.name(),
            Self::Custom(_) => Custom::NAME,
        }
    }

    /// The built-in provider, if this is one.
    #[must_use]
    pub const fn provider(&self) -> Option<ProviderId> {
        match self {
            Self::Provider(provider) => Some(*provider),
            Self::Custom(_) => None,
        }
    }

    /// Whether a delivery may go out unsigned (ConnectGain without a secret).
    const fn may_be_unsigned(&self) -> bool {
        matches!(self, Self::Provider(ProviderId::ConnectGain))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<ProviderId> for Target {
    fn from(provider: ProviderId) -> Self {
        Self::Provider(provider)
    }
}

impl From<Scheme> for Target {
    fn from(scheme: Scheme) -> Self {
        Self::Custom(scheme)
    }
}

macro_rules! marker_targets {
    ($($marker:ident => $id:ident),*) => {$(
        impl From<$marker> for Target {
            fn from(_: $marker) -> Self {
                Self::Provider(ProviderId::$id)
            }
        }
    )*};
}

marker_targets!(Tocc => Tocc, Toran => Toran, Zapito => Zapito, Tuco => Tuco, ConnectGain => ConnectGain);

impl From<SchemeId> for Target {
    /// A ready scheme: Standard Webhooks, GitHub or Stripe (events are [`custom::Event`]s).
    fn from(scheme: SchemeId) -> Self {
        Self::Custom(scheme.scheme())
    }
}

macro_rules! scheme_targets {
    ($($marker:ident),*) => {$(
        impl From<$marker> for Target {
            fn from(_: $marker) -> Self {
                Self::Custom($marker::SCHEME)
            }
        }
    )*};
}

scheme_targets!(StandardWebhooks, GitHub, Stripe);

impl From<Custom> for Target {
    /// Your own webhooks with [`Custom::SCHEME`] (`X-Signature: sha256=…`).
    fn from(_: Custom) -> Self {
        Self::Custom(Custom::SCHEME)
    }
}

/// How a delivery is signed.
// One per builder, built once: the size of the keyed signer does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Signing {
    Missing,
    Signed(Signer),
    /// The scheme cannot read the secret (a `whsec_` secret that is not base64 of 24 bytes or more).
    Invalid(InvalidSecret),
    Unsigned,
}

/// Prepares [`Delivery`]s for one endpoint: who sends, where, with which secret.
///
/// The builder is reusable: [`json`](Self::json) and [`event`](Self::event)
/// borrow it, so one builder signs any number of bodies (the secret is keyed
/// once). Its `Debug` never shows the secret.
///
/// ```
/// use hookseal_core::{ProviderId, Secret, samples};
/// use hookseal_sender::Delivery;
///
/// let endpoint = Delivery::builder(ProviderId::Toran, "https://crm.example.com/hooks/toran")
///     .secret(Secret::new("toran-secret")?);
/// let delivery = endpoint.json(samples::test_event(ProviderId::Toran).body)?;
/// assert_eq!(delivery.header("X-Toran-Event"), Some("lead.test"));
/// assert_eq!(delivery.header("User-Agent"), Some("Toran-Webhook/1.0"));
/// assert!(!format!("{endpoint:?}").contains("toran-secret"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct DeliveryBuilder {
    target: Target,
    url: String,
    signing: Signing,
    sent_at: Option<DateTime<Utc>>,
    extra_headers: Vec<(String, String)>,
    event_name: Option<String>,
    message_id: Option<String>,
}

impl DeliveryBuilder {
    /// A builder for deliveries from `target` to `url`.
    ///
    /// The URL is checked when a delivery is prepared.
    pub fn new(target: impl Into<Target>, url: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            url: url.into(),
            signing: Signing::Missing,
            sent_at: None,
            extra_headers: Vec::new(),
            event_name: None,
            message_id: None,
        }
    }

    /// Signs with `secret`, read as the target's scheme reads secrets (a
    /// Standard Webhooks `whsec_` secret is base64-decoded; one that cannot
    /// be is reported when a delivery is prepared).
    pub fn secret(mut self, secret: Secret) -> Self {
        let scheme = self.target.scheme();
        self.signing = if self.target.provider().is_some() {
            Signing::Signed(Signer::new(&secret, scheme.format()))
        } else {
            match Signer::for_scheme(&secret, scheme) {
                Ok(signer) => Signing::Signed(signer),
                Err(err) => Signing::Invalid(err),
            }
        };
        self
    }

    /// Sets the message id a scheme with an id header sends (Standard
    /// Webhooks' `webhook-id`, GitHub's `X-GitHub-Delivery`). By default each
    /// prepared delivery gets a new unique id; retries resend it unchanged.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Signs with `secret` if there is one, else sends unsigned (allowed for
    /// ConnectGain only, as with [`unsigned`](Self::unsigned)).
    pub fn secret_opt(self, secret: Option<Secret>) -> Self {
        match secret {
            Some(secret) => self.secret(secret),
            None => self.unsigned(),
        }
    }

    /// Sends without a signature header, as ConnectGain does for a webhook
    /// without a secret. Refused when preparing for any other target.
    pub fn unsigned(mut self) -> Self {
        self.signing = Signing::Unsigned;
        self
    }

    /// Sets the send time written in timestamp headers (Tuco's
    /// `X-Tuco-Timestamp`, ConnectGain's `X-Webhook-Timestamp`) and signed by
    /// the schemes that sign one (Standard Webhooks, Stripe; in whole seconds).
    /// By default, the time the delivery is prepared.
    pub fn sent_at(mut self, at: DateTime<Utc>) -> Self {
        self.sent_at = Some(at);
        self
    }

    /// Adds a header after the provider's own (for your own webhooks, or to
    /// imitate a proxy). Checked when a delivery is prepared.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    /// **For testing receivers.** Writes `name` in the event header instead of
    /// the body's event name, and skips reading the body's event name (so the
    /// body need not parse). A receiver must refuse a header that disagrees
    /// with the signed body.
    pub fn event_name(mut self, name: impl Into<String>) -> Self {
        self.event_name = Some(name.into());
        self
    }

    /// The target.
    #[must_use]
    pub fn target(&self) -> Target {
        self.target
    }

    /// The URL, as given.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Prepares the delivery of raw JSON bytes, sent byte for byte.
    ///
    /// The event header carries the event name read from the body with the
    /// provider's event type (any name is accepted: unknown events parse).
    ///
    /// # Errors
    ///
    /// [`PrepareError`]: a bad URL or header, a missing secret, or a body
    /// that is not a valid event of the provider.
    pub fn json(&self, body: impl Into<Bytes>) -> Result<Delivery, PrepareError> {
        let body = body.into();
        let event = match &self.event_name {
            Some(name) => name.clone(),
            None => event_name_of(self.target, &body)?,
        };
        self.finish(body, event)
    }

    /// Prepares the delivery of a typed event, serialized with
    /// [`WebhookEvent::to_json`] (the provider's wire JSON).
    ///
    /// # Errors
    ///
    /// [`PrepareError::WrongEventType`] if `E` is not the target's event type
    /// (a `tuco::Event` for Toran, say), or any error of [`json`](Self::json).
    pub fn event<E: WebhookEvent>(&self, event: &E) -> Result<Delivery, PrepareError> {
        if TypeId::of::<E>() != event_type_of(self.target)? {
            return Err(PrepareError::WrongEventType { target: self.target.name() });
        }
        let name = self.event_name.clone().unwrap_or_else(|| event.name().to_owned());
        self.finish(Bytes::from(event.to_json()), name)
    }

    /// Prepares the provider's test event, as its "Send test event" button
    /// sends it (the bundled [`samples::test_event`], byte for byte).
    ///
    /// # Errors
    ///
    /// [`PrepareError::NoTestEvent`] for a custom target, or any error of
    /// [`json`](Self::json).
    pub fn test_event(&self) -> Result<Delivery, PrepareError> {
        let provider = self.target.provider().ok_or(PrepareError::NoTestEvent)?;
        self.json(samples::test_event(provider).body)
    }

    fn finish(&self, body: Bytes, event: String) -> Result<Delivery, PrepareError> {
        let url = parse_url(&self.url)?;
        let scheme = self.target.scheme();
        let sent_at = self.sent_at.unwrap_or_else(Utc::now);
        let mut headers: Vec<(String, String)> = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if self.target == Target::Provider(ProviderId::Toran) {
            headers.push(("User-Agent".to_owned(), "Toran-Webhook/1.0".to_owned()));
        }
        match &self.signing {
            Signing::Signed(signer) if self.target.provider().is_some() => {
                headers.push((scheme.signature_header().to_owned(), signer.sign(&body)));
            }
            Signing::Signed(signer) => {
                // A scheme: its id and timestamp headers too, and the event header below.
                let id = match (&self.message_id, scheme.id_header()) {
                    (Some(id), _) => Some(id.clone()),
                    (None, Some(_)) => Some(new_message_id(&sent_at)),
                    (None, None) => None,
                };
                let timestamp = u64::try_from(sent_at.timestamp()).ok().filter(|_| scheme.signs_timestamp());
                let message = Message { id: id.as_deref(), timestamp, event: None };
                headers
                    .extend(signer.headers(&body, &message).into_iter().map(|(name, value)| (name.to_owned(), value)));
            }
            Signing::Invalid(err) => return Err(PrepareError::InvalidSecret(*err)),
            Signing::Unsigned if self.target.may_be_unsigned() => {}
            Signing::Unsigned => return Err(PrepareError::UnsignedNotAllowed { target: self.target.name() }),
            Signing::Missing => return Err(PrepareError::MissingSecret { target: self.target.name() }),
        }
        if let Some(header) = scheme.event_header()
            && !event.is_empty()
        {
            headers.push((header.to_owned(), event.clone()));
        }
        let timestamp_header = match self.target {
            Target::Provider(ProviderId::Tuco) => Some("X-Tuco-Timestamp"),
            Target::Provider(ProviderId::ConnectGain) => Some("X-Webhook-Timestamp"),
            _ => None,
        };
        if let Some(header) = timestamp_header {
            headers.push((header.to_owned(), sent_at.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        headers.extend(self.extra_headers.iter().cloned());
        for (name, value) in &headers {
            if HeaderName::try_from(name.as_str()).is_err() || HeaderValue::try_from(value.as_str()).is_err() {
                return Err(PrepareError::InvalidHeader { name: name.clone() });
            }
        }
        Ok(Delivery { target: self.target, url, headers, body, event, sent_at })
    }
}

impl fmt::Debug for DeliveryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signing = match self.signing {
            Signing::Missing => "missing",
            Signing::Signed(_) => "secret [redacted]",
            Signing::Invalid(_) => "secret [redacted, unreadable by the scheme]",
            Signing::Unsigned => "unsigned",
        };
        f.debug_struct("DeliveryBuilder")
            .field("target", &self.target)
            .field("url", &redact::url_text(&self.url))
            .field("signing", &signing)
            .field("sent_at", &self.sent_at)
            .field("extra_headers", &redact::headers(&self.extra_headers))
            .field("event_name", &self.event_name)
            .finish()
    }
}

fn parse_url(text: &str) -> Result<Url, PrepareError> {
    let url = Url::parse(text).map_err(|err| PrepareError::InvalidUrl { reason: err.to_string() })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(PrepareError::InvalidUrl { reason: format!("scheme `{other}` is not http or https") }),
    }
}

fn name_of<E: WebhookEvent>(body: &[u8]) -> Result<String, PrepareError> {
    Ok(E::from_slice(body).map_err(PrepareError::InvalidBody)?.name().to_owned())
}

/// Reads the event name from a body with the target's event type.
fn event_name_of(target: Target, body: &[u8]) -> Result<String, PrepareError> {
    match target {
        Target::Provider(ProviderId::Tocc) => name_of::<tocc::Event>(body),
        Target::Provider(ProviderId::Toran) => name_of::<toran::Event>(body),
        Target::Provider(ProviderId::Zapito) => name_of::<zapito::Event>(body),
        Target::Provider(ProviderId::Tuco) => name_of::<tuco::Event>(body),
        Target::Provider(ProviderId::ConnectGain) => name_of::<connectgain::Event>(body),
        Target::Custom(_) => name_of::<custom::Event>(body),
        Target::Provider(other) => Err(PrepareError::UnsupportedProvider { provider: other.name() }),
    }
}

fn event_type_of(target: Target) -> Result<TypeId, PrepareError> {
    Ok(match target {
        Target::Provider(ProviderId::Tocc) => TypeId::of::<tocc::Event>(),
        Target::Provider(ProviderId::Toran) => TypeId::of::<toran::Event>(),
        Target::Provider(ProviderId::Zapito) => TypeId::of::<zapito::Event>(),
        Target::Provider(ProviderId::Tuco) => TypeId::of::<tuco::Event>(),
        Target::Provider(ProviderId::ConnectGain) => TypeId::of::<connectgain::Event>(),
        Target::Custom(_) => TypeId::of::<custom::Event>(),
        Target::Provider(other) => return Err(PrepareError::UnsupportedProvider { provider: other.name() }),
    })
}

/// A new message id, unique within the process and across restarts:
/// `msg_` and hex of the send time, a process-wide counter and the process id.
fn new_message_id(sent_at: &DateTime<Utc>) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = sent_at.timestamp_nanos_opt().unwrap_or_else(|| sent_at.timestamp());
    format!("msg_{nanos:x}{count:04x}{:x}", std::process::id())
}

/// Exactly what one delivery sends: URL, headers in order, and body bytes.
///
/// A plain value, built by [`DeliveryBuilder`] and sent by
/// [`Sender::send`](crate::Sender::send); every retry sends it unchanged.
/// It implements [`hookseal_core::Headers`] (its own headers), so it can be
/// verified offline:
///
/// ```
/// use hookseal_core::{Secret, Tuco, Verifier, samples, ProviderId};
/// use hookseal_sender::Delivery;
///
/// let secret = Secret::new("tuco-secret")?;
/// let delivery = Delivery::builder(Tuco, "https://example.com/tuco")
///     .secret(secret.clone())
///     .json(samples::find(ProviderId::Tuco, "message.reply").unwrap().body)?;
/// for (name, value) in delivery.headers() {
///     println!("{name}: {value}");
/// }
/// let event = Verifier::<Tuco>::new(secret).verify_event(&delivery, delivery.body())?;
/// assert_eq!(hookseal_core::WebhookEvent::name(&event), "message.reply");
/// assert!(delivery.header("X-Tuco-Timestamp").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    target: Target,
    url: Url,
    headers: Vec<(String, String)>,
    body: Bytes,
    event: String,
    sent_at: DateTime<Utc>,
}

/// Shows credentials neither in the URL nor in `Authorization`-type headers.
impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("target", &self.target)
            .field("url", &redact::url(&self.url).as_str())
            .field("headers", &redact::headers(&self.headers))
            .field("body", &self.body)
            .field("event", &self.event)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

impl Delivery {
    /// A [`DeliveryBuilder`] for deliveries from `target` to `url`.
    pub fn builder(target: impl Into<Target>, url: impl Into<String>) -> DeliveryBuilder {
        DeliveryBuilder::new(target, url)
    }

    /// Who it imitates.
    #[must_use]
    pub fn target(&self) -> Target {
        self.target
    }

    /// Where it goes.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Every header, in the order sent.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of the header `name` (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body, byte for byte.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The event name written in the event header.
    #[must_use]
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The send time written in timestamp headers.
    #[must_use]
    pub fn sent_at(&self) -> DateTime<Utc> {
        self.sent_at
    }

    /// The delivery as a `curl` command line (POSIX shell quoting), to
    /// replay it by hand.
    ///
    /// Unlike `Debug` and the [`DeliveryLog`](crate::DeliveryLog), it is the
    /// exact request: credentials in the URL or in an `Authorization` header
    /// you added are in it (the signing secret never is). Treat it as a
    /// secret when they are there.
    #[must_use]
    pub fn to_curl(&self) -> String {
        let mut command = String::from("curl -sS -X POST");
        for (name, value) in &self.headers {
            command.push_str(" -H ");
            command.push_str(&shell_quote(&format!("{name}: {value}")));
        }
        command.push_str(" --data-binary ");
        command.push_str(&shell_quote(&String::from_utf8_lossy(&self.body)));
        command.push(' ');
        command.push_str(&shell_quote(self.url.as_str()));
        command
    }

    /// The URL, headers and body, consumed.
    #[must_use]
    pub fn into_parts(self) -> (Url, Vec<(String, String)>, Bytes) {
        (self.url, self.headers, self.body)
    }
}

impl Headers for Delivery {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_bytes())
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Why a delivery could not be prepared. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The URL does not parse, or is not `http`/`https`.
    #[error("invalid endpoint URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// No secret was given, and the target signs every delivery.
    #[error("{target} deliveries must be signed: give a secret")]
    MissingSecret {
        /// The target's name.
        target: &'static str,
    },
    /// An unsigned delivery was asked for a target other than ConnectGain.
    #[error("{target} deliveries cannot be unsigned (only ConnectGain sends without a secret)")]
    UnsignedNotAllowed {
        /// The target's name.
        target: &'static str,
    },
    /// The body is not a valid event of the target.
    #[error("body is not a valid event: {0}")]
    InvalidBody(BodyError),
    /// A typed event of another provider was given.
    #[error("the event is not of {target}'s event type")]
    WrongEventType {
        /// The target's name.
        target: &'static str,
    },
    /// A test event was asked of a custom target.
    #[error("custom targets have no test event")]
    NoTestEvent,
    /// A header name or value is not valid in HTTP.
    #[error("invalid header `{name}`")]
    InvalidHeader {
        /// The header's name (possibly the invalid part).
        name: String,
    },
    /// The target's scheme cannot read the secret (a `whsec_` secret that is
    /// not canonical base64 of at least 24 bytes).
    #[error("the secret cannot be read by the target's scheme: {0}")]
    InvalidSecret(InvalidSecret),
    /// A provider this version of the sender does not know.
    #[error("provider `{provider}` is not supported by this version of hookseal-sender")]
    UnsupportedProvider {
        /// The provider's name.
        provider: &'static str,
    },
}
