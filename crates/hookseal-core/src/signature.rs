//! The scheme model: which bytes are signed, how the MAC is written and laid
//! out in its header, how the secret is read, and where the event name, the
//! idempotency key and the timestamp come from. Every provider, built in or
//! configured, is one [`Scheme`] value; signing is the inverse.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hmac::Mac;

use crate::error::SignatureFault;
use crate::headers::{HeaderName, InvalidHeaderName};
use crate::secret::{HmacSha256, InvalidSecret, Secret};

/// How a signature header value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// `sha256=<64 hex digits>` (tocc, Toran, Zapito).
    Sha256Prefixed,
    /// `<64 hex digits>` (Tuco, ConnectGain).
    BareHex,
    /// `<44 characters of base64>`, one value without a prefix (as Shopify signs).
    BareBase64,
    /// Standard Webhooks: space-separated `v1,<base64>` entries (several
    /// during a rotation). Entries of other versions, or unreadable ones, are
    /// skipped: the header verifies if any `v1` entry does.
    StandardWebhooks,
    /// Stripe: comma-separated `key=value` pairs, exactly one `t=<unix>` and
    /// one or more `v1=<64 hex digits>`; other keys (`v0`) are ignored, and an
    /// unreadable `v1` is skipped when another verifies.
    Stripe,
}

const PREFIX: &[u8] = b"sha256=";

impl SignatureFormat {
    /// Decodes a header value to the 32 MAC bytes it carries.
    ///
    /// Optional whitespace around the value is ignored and hex digits may be
    /// in either case. Nothing is allocated.
    ///
    /// # Errors
    ///
    /// The [`SignatureFault`] that makes the value unusable.
    ///
    /// For the list formats ([`StandardWebhooks`](Self::StandardWebhooks),
    /// [`Stripe`](Self::Stripe)) this is the first readable `v1` entry; the
    /// verifier tries every one.
    pub fn decode(self, value: &[u8]) -> Result<[u8; 32], SignatureFault> {
        let mut fault = None;
        for candidate in self.candidates(value) {
            match candidate {
                Ok(tag) => return Ok(tag),
                Err(f) => {
                    fault.get_or_insert(f);
                }
            }
        }
        Err(fault.unwrap_or(SignatureFault::Empty))
    }

    /// Every MAC the header value offers, in order, each readable or not.
    pub(crate) fn candidates(self, value: &[u8]) -> Candidates<'_> {
        let value = crate::headers::trim_ows(value);
        match self {
            Self::Sha256Prefixed | Self::BareHex | Self::BareBase64 => Candidates::One(Some((self, value))),
            Self::StandardWebhooks => Candidates::Versioned(value.split(is_space as fn(&u8) -> bool)),
            Self::Stripe => Candidates::Pairs(value.split(is_comma as fn(&u8) -> bool)),
        }
    }

    /// Decodes one single-value signature (the first three formats).
    pub(crate) fn decode_single(self, value: &[u8]) -> Result<[u8; 32], SignatureFault> {
        if value.is_empty() {
            return Err(SignatureFault::Empty);
        }
        let hex_part = match (self, value.strip_prefix(PREFIX)) {
            (Self::Sha256Prefixed, Some(rest)) => rest,
            (Self::Sha256Prefixed, None) => return Err(SignatureFault::MissingPrefix),
            (Self::BareHex, Some(_)) => return Err(SignatureFault::UnexpectedPrefix),
            (Self::BareHex, None) if value.contains(&b'=') => return Err(SignatureFault::UnexpectedPrefix),
            (Self::BareHex, None) => value,
            (Self::BareBase64, _) => return base64_tag(value),
            (Self::StandardWebhooks | Self::Stripe, _) => return Err(SignatureFault::UnsupportedVersion),
        };
        let digits: &[u8; 64] = hex_part.try_into().map_err(|_| SignatureFault::WrongLength)?;
        decode_hex(digits).ok_or(SignatureFault::NotHex)
    }

    /// Renders 32 MAC bytes as this format's header value (lowercase hex or
    /// base64); for the list formats, one `v1` entry (`v1,<base64>`,
    /// `v1=<hex>`; [`Signer::signature`] adds Stripe's `t=`).
    #[must_use]
    pub fn encode(self, tag: &[u8; 32]) -> String {
        let mut hex_digits = [0u8; 64];
        // The buffer is exactly twice the input: this cannot fail.
        let _ = hex::encode_to_slice(tag, &mut hex_digits);
        let hex_str = std::str::from_utf8(&hex_digits).unwrap_or_default();
        match self {
            Self::Sha256Prefixed => format!("sha256={hex_str}"),
            Self::BareHex => hex_str.to_owned(),
            Self::BareBase64 => crate::base64::encode(tag),
            Self::StandardWebhooks => format!("v1,{}", crate::base64::encode(tag)),
            Self::Stripe => format!("v1={hex_str}"),
        }
    }
}

fn is_space(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

fn is_comma(byte: &u8) -> bool {
    *byte == b','
}

fn base64_tag(value: &[u8]) -> Result<[u8; 32], SignatureFault> {
    if value.len() != 44 {
        return Err(SignatureFault::WrongLength);
    }
    crate::base64::decode_32(value).ok_or(SignatureFault::NotBase64)
}

/// The MACs a header offers, lazily, without allocating.
pub(crate) enum Candidates<'v> {
    One(Option<(SignatureFormat, &'v [u8])>),
    Versioned(std::slice::Split<'v, u8, fn(&u8) -> bool>),
    Pairs(std::slice::Split<'v, u8, fn(&u8) -> bool>),
}

impl Iterator for Candidates<'_> {
    type Item = Result<[u8; 32], SignatureFault>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::One(single) => single.take().map(|(format, value)| format.decode_single(value)),
            Self::Versioned(entries) => loop {
                let entry = entries.next()?;
                if entry.is_empty() {
                    continue; // doubled separators
                }
                return Some(match entry.split_at_checked(3) {
                    Some((b"v1,", encoded)) => base64_tag(encoded),
                    _ => Err(SignatureFault::UnsupportedVersion),
                });
            },
            Self::Pairs(pairs) => loop {
                let pair = crate::headers::trim_ows(pairs.next()?);
                if let Some(digits) = pair.strip_prefix(b"v1=") {
                    let Ok(digits) = <&[u8; 64]>::try_from(digits) else {
                        return Some(Err(SignatureFault::WrongLength));
                    };
                    return Some(decode_hex(digits).ok_or(SignatureFault::NotHex));
                }
                if pair.first() == Some(&b'v') {
                    return Some(Err(SignatureFault::UnsupportedVersion)); // `v0=` and any other version
                }
            },
        }
    }
}

/// Stripe's `t=` value: exactly one must be present.
pub(crate) fn stripe_timestamp(value: &[u8]) -> Result<&[u8], SignatureFault> {
    let mut found = None;
    for pair in crate::headers::trim_ows(value).split(|&b| b == b',') {
        if let Some(stamp) = crate::headers::trim_ows(pair).strip_prefix(b"t=")
            && found.replace(stamp).is_some()
        {
            return Err(SignatureFault::MissingTimestamp);
        }
    }
    found.map(crate::headers::trim_ows).ok_or(SignatureFault::MissingTimestamp)
}

/// Canonical Unix seconds: ASCII digits only, no sign, no leading zero (but
/// `0` itself), no fraction, computed with checked arithmetic, and within the
/// dates `chrono` represents. Anything else is `None`, so
/// `-9223372036854775808`, 400 digits, `1700000000.9`, `+1700000000` and
/// `1700000000abc` are all refused. At most 20 digits are read: the
/// multiplication overflows `i64` before then.
pub(crate) fn parse_unix_seconds(text: &[u8]) -> Option<i64> {
    if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    let mut secs: i64 = 0;
    for &digit in text {
        if !digit.is_ascii_digit() {
            return None;
        }
        secs = secs.checked_mul(10)?.checked_add(i64::from(digit - b'0'))?;
    }
    chrono::DateTime::from_timestamp(secs, 0).map(|_| secs)
}

/// Which bytes the MAC covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignedContent {
    /// The raw body alone (the five providers, GitHub).
    Body,
    /// `{timestamp}.{body}` (Stripe).
    TimestampBody,
    /// `{id}.{timestamp}.{body}` (Standard Webhooks).
    IdTimestampBody,
}

/// How a secret string becomes the HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretEncoding {
    /// The secret's bytes as given (the five providers, GitHub, and Stripe,
    /// whose `whsec_…` string is the key, prefix included).
    Literal,
    /// Standard Webhooks: `whsec_<base64>` (the prefix is optional), strictly
    /// decoded to at least 24 bytes. A secret built from raw bytes
    /// ([`Secret::from_bytes`], [`Secret::from_whsec`]) is used as it is.
    Whsec,
}

/// A header a [`Scheme`] reads, for [`Scheme::set_header`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderRole {
    /// The signature.
    Signature,
    /// An unsigned event name that must agree with the signed body's.
    EventCheck,
    /// The event name itself (the body does not carry one, as with GitHub).
    EventName,
    /// The message id: the idempotency key, and signed where the scheme signs an id.
    Id,
    /// The signed timestamp (for schemes that sign one in a header of its own).
    Timestamp,
}

/// The replay window of a scheme that signs a timestamp, unless configured:
/// 300 seconds each way, both ends included.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Each byte's value as a hex digit (either case), or `0xFF` if it is not one.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// 64 hex digits to 32 bytes with a table and no branch per digit (the
/// `hex` crate's general decoder cost about 50 ns of each verify); `None` if
/// any byte is not a hex digit.
fn decode_hex(digits: &[u8; 64]) -> Option<[u8; 32]> {
    let mut tag = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in tag.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (HEX_VALUES[usize::from(pair[0])], HEX_VALUES[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = (high << 4) | low;
    }
    // Valid values are below 16; only an invalid digit sets the high bit.
    (invalid & 0x80 == 0).then_some(tag)
}

/// Everything about how a sender signs: the one model every provider is an
/// instance of.
///
/// * **What is signed** ([`SignedContent`]): the body; `{timestamp}.{body}`;
///   `{id}.{timestamp}.{body}`.
/// * **How the MAC is written and laid out** ([`SignatureFormat`]): hex or
///   base64; one value with or without a prefix, a space-separated list of
///   versioned entries, or Stripe's `t=…,v1=…` pairs.
/// * **How the secret is read** ([`SecretEncoding`]): its bytes, or `whsec_` base64.
/// * **Where the event name, idempotency key and timestamp come from**: the
///   body (the provider's event type reads them), or headers: an event-name
///   header, an id header, a signed timestamp header (or Stripe's `t=`).
///
/// A scheme that signs a timestamp has a replay window by default
/// ([`DEFAULT_TOLERANCE`], 300 s each way, inclusive); see
/// [`Verifier::replay_window`](crate::Verifier::replay_window).
///
/// Every built-in provider has one (`Provider::SCHEME`), and three common
/// schemes are ready: [`STANDARD_WEBHOOKS`](Self::STANDARD_WEBHOOKS),
/// [`GITHUB`](Self::GITHUB), [`STRIPE`](Self::STRIPE). Build your own for any
/// other HMAC-SHA256 sender, with names known at compile time:
///
/// ```
/// use hookseal_core::{Scheme, SignatureFormat};
/// let scheme = Scheme::new("X-Acme-Signature", SignatureFormat::Sha256Prefixed).with_event_header("X-Acme-Event");
/// assert_eq!(scheme.signature_header(), "X-Acme-Signature");
/// ```
///
/// or read at run time (no `'static` string needed, nothing leaked by you):
///
/// ```
/// use hookseal_core::{HeaderRole, Scheme};
/// let prefix = String::from("svix"); // from your configuration
/// let svix = Scheme::STANDARD_WEBHOOKS
///     .set_header(HeaderRole::Signature, &format!("{prefix}-signature"))?
///     .set_header(HeaderRole::Id, &format!("{prefix}-id"))?
///     .set_header(HeaderRole::Timestamp, &format!("{prefix}-timestamp"))?;
/// assert_eq!(svix.signature_header(), "svix-signature");
/// # Ok::<(), hookseal_core::InvalidHeaderName>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scheme {
    signature_header: &'static str,
    format: SignatureFormat,
    event_header: Option<&'static str>,
    event_name_from_header: bool,
    id_header: Option<&'static str>,
    timestamp_header: Option<&'static str>,
    signed: SignedContent,
    secret: SecretEncoding,
}

impl Scheme {
    /// Standard Webhooks (Svix and the services built on it): `webhook-id`,
    /// `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64>`
    /// entries), HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed with the
    /// `whsec_` secret's decoded bytes. The id is the idempotency key and the
    /// timestamp the event's time; the event name is the body's `type`.
    pub const STANDARD_WEBHOOKS: Self = Self::new("webhook-signature", SignatureFormat::StandardWebhooks)
        .signing_id_and_timestamp("webhook-id", "webhook-timestamp")
        .with_secret_encoding(SecretEncoding::Whsec);

    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body, keyed with
    /// the secret's bytes; the event name from `X-GitHub-Event`, the
    /// idempotency key from `X-GitHub-Delivery`. GitHub signs no timestamp
    /// and neither header, so this scheme has no replay window, and a
    /// captured delivery re-sent with another `X-GitHub-Delivery` is not
    /// recognised as a redelivery: GitHub's design, not one hookseal can
    /// close (deduplicate on the body too if that matters to you).
    pub const GITHUB: Self = Self::new("X-Hub-Signature-256", SignatureFormat::Sha256Prefixed)
        .with_event_name_header("X-GitHub-Event")
        .with_id_header("X-GitHub-Delivery");

    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`, HMAC-SHA256
    /// over `{t}.{body}` keyed with the secret string's bytes (`whsec_` prefix
    /// included); only `v1` is honoured. The event name and key are the
    /// body's `type` and `id`, the time is `t`.
    pub const STRIPE: Self = Self::new("Stripe-Signature", SignatureFormat::Stripe);

    /// A scheme reading `signature_header` written in `format`, signing the
    /// body (Stripe's format signs `{t}.{body}`), with no event header.
    #[must_use]
    pub const fn new(signature_header: &'static str, format: SignatureFormat) -> Self {
        let signed = match format {
            SignatureFormat::Stripe => SignedContent::TimestampBody,
            _ => SignedContent::Body,
        };
        Self {
            signature_header,
            format,
            event_header: None,
            event_name_from_header: false,
            id_header: None,
            timestamp_header: None,
            signed,
            secret: SecretEncoding::Literal,
        }
    }

    /// Also checks that `event_header`, when present, agrees with the signed
    /// body's event name. For a sender whose body carries no name (GitHub),
    /// use [`with_event_name_header`](Self::with_event_name_header) instead.
    #[must_use]
    pub const fn with_event_header(mut self, event_header: &'static str) -> Self {
        self.event_header = Some(event_header);
        self.event_name_from_header = false;
        self
    }

    /// Takes the event name from `header` (for senders whose body does not
    /// carry it, as GitHub's does not). Only the [`Custom`](crate::Custom)-style
    /// providers read it; it is not signed unless the sender signs headers.
    #[must_use]
    pub const fn with_event_name_header(mut self, header: &'static str) -> Self {
        self.event_header = Some(header);
        self.event_name_from_header = true;
        self
    }

    /// Takes the idempotency key from `header` (GitHub's `X-GitHub-Delivery`).
    #[must_use]
    pub const fn with_id_header(mut self, header: &'static str) -> Self {
        self.id_header = Some(header);
        self
    }

    /// Signs `{timestamp}.{body}`, the timestamp (Unix seconds) in `header`.
    #[must_use]
    pub const fn signing_timestamp(mut self, header: &'static str) -> Self {
        self.timestamp_header = Some(header);
        self.signed = SignedContent::TimestampBody;
        self
    }

    /// Signs `{id}.{timestamp}.{body}`, the id in `id_header` (also the
    /// idempotency key) and the timestamp (Unix seconds) in `timestamp_header`.
    #[must_use]
    pub const fn signing_id_and_timestamp(mut self, id_header: &'static str, timestamp_header: &'static str) -> Self {
        self.id_header = Some(id_header);
        self.timestamp_header = Some(timestamp_header);
        self.signed = SignedContent::IdTimestampBody;
        self
    }

    /// Reads the secret as `encoding` says.
    #[must_use]
    pub const fn with_secret_encoding(mut self, encoding: SecretEncoding) -> Self {
        self.secret = encoding;
        self
    }

    /// Names one of the scheme's headers with a name known only at run time.
    ///
    /// [`HeaderRole::EventCheck`] and [`HeaderRole::EventName`] also choose
    /// what the event header means; [`HeaderRole::Timestamp`] on a scheme
    /// that signs only the body makes it sign `{timestamp}.{body}`.
    ///
    /// # Errors
    ///
    /// [`InvalidHeaderName`] if `name` is not an HTTP header name.
    pub fn set_header(mut self, role: HeaderRole, name: &str) -> Result<Self, InvalidHeaderName> {
        let name = HeaderName::new(name)?.as_str();
        match role {
            HeaderRole::Signature => self.signature_header = name,
            HeaderRole::EventCheck => self = self.with_event_header(name),
            HeaderRole::EventName => self = self.with_event_name_header(name),
            HeaderRole::Id => self.id_header = Some(name),
            HeaderRole::Timestamp => {
                self.timestamp_header = Some(name);
                if matches!(self.signed, SignedContent::Body) {
                    self.signed = SignedContent::TimestampBody;
                }
            }
        }
        Ok(self)
    }

    /// A scheme like [`new`](Self::new) whose signature header is read at run time.
    ///
    /// # Errors
    ///
    /// [`InvalidHeaderName`] if `signature_header` is not an HTTP header name.
    pub fn named(signature_header: &str, format: SignatureFormat) -> Result<Self, InvalidHeaderName> {
        Ok(Self::new(HeaderName::new(signature_header)?.as_str(), format))
    }

    /// The signature header's name.
    #[must_use]
    pub const fn signature_header(&self) -> &'static str {
        self.signature_header
    }

    /// How the signature is written.
    #[must_use]
    pub const fn format(&self) -> SignatureFormat {
        self.format
    }

    /// The event header's name, if the scheme has one (checked against the
    /// body, or the name itself: see [`event_name_from_header`](Self::event_name_from_header)).
    #[must_use]
    pub const fn event_header(&self) -> Option<&'static str> {
        self.event_header
    }

    /// Whether the event name comes from [`event_header`](Self::event_header)
    /// rather than from the body.
    #[must_use]
    pub const fn event_name_from_header(&self) -> bool {
        self.event_name_from_header
    }

    /// The header holding the message id (idempotency key), if any.
    #[must_use]
    pub const fn id_header(&self) -> Option<&'static str> {
        self.id_header
    }

    /// The header holding the signed timestamp, if the scheme has one of its own.
    #[must_use]
    pub const fn timestamp_header(&self) -> Option<&'static str> {
        self.timestamp_header
    }

    /// Which bytes are signed.
    #[must_use]
    pub const fn signed_content(&self) -> SignedContent {
        self.signed
    }

    /// How the secret is read.
    #[must_use]
    pub const fn secret_encoding(&self) -> SecretEncoding {
        self.secret
    }

    /// Whether the scheme signs a timestamp (and so has a replay window by default).
    #[must_use]
    pub const fn signs_timestamp(&self) -> bool {
        !matches!(self.signed, SignedContent::Body)
    }

    /// Reads a secret string as this scheme does, refusing what cannot be a
    /// key: use it at start-up to fail early on a mistyped secret.
    ///
    /// ```
    /// use hookseal_core::Scheme;
    /// assert!(Scheme::STANDARD_WEBHOOKS.secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
    /// assert!(Scheme::STANDARD_WEBHOOKS.secret("whsec_c2hvcnQ=").is_err()); // 5 bytes
    /// assert!(Scheme::STRIPE.secret("whsec_anything").is_ok()); // the string is the key
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidSecret`] if it is empty, or (for [`SecretEncoding::Whsec`]) not
    /// canonical base64 of at least 24 bytes.
    pub fn secret(&self, text: &str) -> Result<Secret, InvalidSecret> {
        match self.secret {
            SecretEncoding::Literal => Secret::new(text).map_err(|_| InvalidSecret::Empty),
            SecretEncoding::Whsec => Secret::from_whsec(text),
        }
    }
}

/// The ready-made schemes, by name: for command lines and configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SchemeId {
    /// [`Scheme::STANDARD_WEBHOOKS`].
    StandardWebhooks,
    /// [`Scheme::GITHUB`].
    GitHub,
    /// [`Scheme::STRIPE`].
    Stripe,
}

impl SchemeId {
    /// Every ready scheme.
    pub const ALL: [Self; 3] = [Self::StandardWebhooks, Self::GitHub, Self::Stripe];

    /// Its name: `standard-webhooks`, `github`, `stripe`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::StandardWebhooks => "standard-webhooks",
            Self::GitHub => "github",
            Self::Stripe => "stripe",
        }
    }

    /// The scheme.
    #[must_use]
    pub const fn scheme(self) -> Scheme {
        match self {
            Self::StandardWebhooks => Scheme::STANDARD_WEBHOOKS,
            Self::GitHub => Scheme::GITHUB,
            Self::Stripe => Scheme::STRIPE,
        }
    }
}

impl fmt::Display for SchemeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a scheme name that is not a ready scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheme `{0}` (expected one of: standard-webhooks, github, stripe)")]
pub struct UnknownScheme(String);

impl FromStr for SchemeId {
    type Err = UnknownScheme;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownScheme(crate::error::truncate(name.to_owned())))
    }
}

/// What a sender puts beside the body when signing with a scheme that
/// signs more than the body: see [`Signer::headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Message<'a> {
    /// The message id (`webhook-id`, `X-GitHub-Delivery`), if the scheme has one.
    pub id: Option<&'a str>,
    /// The Unix time to sign, if the scheme signs one.
    pub timestamp: Option<u64>,
    /// The event name, for a scheme with an event header.
    pub event: Option<&'a str>,
}

/// Signs bodies the way a provider does: the inverse of verification.
///
/// The key is hashed once, at construction.
///
/// ```
/// use hookseal_core::{Secret, Signer, SignatureFormat};
/// let signer = Signer::new(&Secret::new("s3cret")?, SignatureFormat::Sha256Prefixed);
/// let value = signer.sign(br#"{"event":"lead.test"}"#);
/// assert!(value.starts_with("sha256=") && value.len() == 71);
/// # Ok::<(), hookseal_core::EmptySecret>(())
/// ```
///
/// With a scheme that signs an id and a timestamp:
///
/// ```
/// use hookseal_core::{Message, Scheme, Signer};
/// let scheme = Scheme::STANDARD_WEBHOOKS;
/// let signer = Signer::for_scheme(&scheme.secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?, scheme)?;
/// let message = Message { id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"), timestamp: Some(1614265330), event: None };
/// let headers = signer.headers(br#"{"test": 2432232314}"#, &message);
/// assert!(headers.contains(&("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    key: HmacSha256,
    format: SignatureFormat,
    scheme: Scheme,
}

impl Signer {
    /// A signer for `secret` writing `format` over the body (the secret's bytes are the key).
    #[must_use]
    pub fn new(secret: &Secret, format: SignatureFormat) -> Self {
        Self { key: secret.keyed(), format, scheme: Scheme::new("X-Signature", format) }
    }

    /// A signer for any scheme: its secret encoding, signed content and headers.
    ///
    /// # Errors
    ///
    /// [`InvalidSecret`] if the scheme cannot read `secret` (a `whsec_` secret
    /// that is not canonical base64 of at least 24 bytes).
    pub fn for_scheme(secret: &Secret, scheme: Scheme) -> Result<Self, InvalidSecret> {
        let key = secret.keyed_as(scheme.secret_encoding())?;
        Ok(Self { key, format: scheme.format(), scheme })
    }

    /// The raw 32-byte HMAC-SHA256 of `body`.
    #[must_use]
    pub fn mac(&self, body: &[u8]) -> [u8; 32] {
        self.mac_parts(&[body])
    }

    fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.key.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The signature header value for `body` alone, in this signer's format
    /// (for a scheme signing a timestamp or id, use [`signature`](Self::signature)).
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> String {
        self.format.encode(&self.mac(body))
    }

    /// The signature header value over what the scheme signs: the body,
    /// `{timestamp}.{body}` or `{id}.{timestamp}.{body}` (a missing id or
    /// timestamp is signed as empty, which no verifier accepts).
    #[must_use]
    pub fn signature(&self, body: &[u8], message: &Message<'_>) -> String {
        let stamp = message.timestamp.map(|t| t.to_string()).unwrap_or_default();
        let id = message.id.unwrap_or_default();
        let tag = match self.scheme.signed_content() {
            SignedContent::Body => self.mac(body),
            SignedContent::TimestampBody => self.mac_parts(&[stamp.as_bytes(), b".", body]),
            SignedContent::IdTimestampBody => self.mac_parts(&[id.as_bytes(), b".", stamp.as_bytes(), b".", body]),
        };
        match self.format {
            SignatureFormat::Stripe => format!("t={stamp},{}", self.format.encode(&tag)),
            format => format.encode(&tag),
        }
    }

    /// Every header the scheme sends, as `(name, value)`: the signature, and
    /// the id, timestamp and event headers for those in `message`.
    #[must_use]
    pub fn headers(&self, body: &[u8], message: &Message<'_>) -> Vec<(&'static str, String)> {
        let scheme = self.scheme;
        let mut headers = Vec::with_capacity(4);
        if let (Some(name), Some(id)) = (scheme.id_header(), message.id) {
            headers.push((name, id.to_owned()));
        }
        if let (Some(name), Some(stamp)) = (scheme.timestamp_header(), message.timestamp) {
            headers.push((name, stamp.to_string()));
        }
        if let (Some(name), Some(event)) = (scheme.event_header(), message.event) {
            headers.push((name, event.to_owned()));
        }
        headers.push((scheme.signature_header(), self.signature(body, message)));
        headers
    }

    /// The format this signer writes.
    #[must_use]
    pub fn format(&self) -> SignatureFormat {
        self.format
    }

    /// The scheme this signer follows.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("key", &"[redacted]").field("format", &self.format).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_accepts_either_case_and_surrounding_whitespace() {
        let lower = "ab".repeat(32);
        let upper = lower.to_uppercase();
        let expected = [0xab; 32];
        assert_eq!(SignatureFormat::BareHex.decode(lower.as_bytes()), Ok(expected));
        assert_eq!(SignatureFormat::BareHex.decode(format!(" \t{upper} ").as_bytes()), Ok(expected));
        assert_eq!(SignatureFormat::Sha256Prefixed.decode(format!("sha256={upper}").as_bytes()), Ok(expected));
    }

    #[test]
    fn ready_schemes_name_themselves_and_say_where_the_event_name_is() {
        for id in SchemeId::ALL {
            assert_eq!(id.to_string(), id.name());
            assert_eq!(id.to_string().parse::<SchemeId>(), Ok(id));
        }
        // GitHub names the event only in a header; the others in the body (or not at all).
        assert!(Scheme::GITHUB.event_name_from_header());
        assert!(!Scheme::STANDARD_WEBHOOKS.event_name_from_header());
        assert!(!Scheme::STRIPE.event_name_from_header());
    }

    #[test]
    fn unix_seconds_are_canonical_digits_within_chrono() {
        assert_eq!(parse_unix_seconds(b"0"), Some(0));
        assert_eq!(parse_unix_seconds(b"7"), Some(7));
        assert_eq!(parse_unix_seconds(b"1700000000"), Some(1_700_000_000));
        // chrono's last representable second, and the one after it.
        let last = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp();
        assert_eq!(parse_unix_seconds(last.to_string().as_bytes()), Some(last));
        assert_eq!(parse_unix_seconds((last + 1).to_string().as_bytes()), None);
        for refused in [
            &b""[..],
            b"00",
            b"01700000000",
            b"-1",
            b"+1700000000",
            b"1700000000.9",
            b"1700000000abc",
            b" 1700000000",
            b"9223372036854775807",
            b"9223372036854775808",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_unix_seconds(refused), None, "{:?}", String::from_utf8_lossy(refused));
        }
        assert_eq!(parse_unix_seconds("9".repeat(400).as_bytes()), None);
    }

    #[test]
    fn stripe_pairs_skip_other_keys_and_refuse_other_versions() {
        let tag = [0x5a; 32];
        let v1 = SignatureFormat::Stripe.encode(&tag);
        // `t=` and unknown keys are skipped; `v0=` is a version we do not take.
        assert_eq!(SignatureFormat::Stripe.decode(format!("t=1700000000,x=1,{v1}").as_bytes()), Ok(tag));
        assert_eq!(SignatureFormat::Stripe.decode(b"t=1700000000,x=1"), Err(SignatureFault::Empty));
        assert_eq!(SignatureFormat::Stripe.decode(b"t=1700000000,v0=abc"), Err(SignatureFault::UnsupportedVersion));
        assert_eq!(
            SignatureFormat::Stripe.decode(format!("v0=abc,{v1}").as_bytes()),
            Ok(tag),
            "a v1 after a v0 still verifies"
        );
        assert_eq!(SignatureFormat::Stripe.decode(b"v1=abc"), Err(SignatureFault::WrongLength));
    }

    #[test]
    fn decode_names_each_fault() {
        let hex64 = "0".repeat(64);
        let cases: [(SignatureFormat, String, SignatureFault); 7] = [
            (SignatureFormat::BareHex, "  ".into(), SignatureFault::Empty),
            (SignatureFormat::Sha256Prefixed, hex64.clone(), SignatureFault::MissingPrefix),
            (SignatureFormat::BareHex, format!("sha256={hex64}"), SignatureFault::UnexpectedPrefix),
            (SignatureFormat::BareHex, format!("sha1={hex64}"), SignatureFault::UnexpectedPrefix),
            (SignatureFormat::BareHex, "0".repeat(63), SignatureFault::WrongLength),
            (SignatureFormat::Sha256Prefixed, format!("sha256={}", "0".repeat(66)), SignatureFault::WrongLength),
            (SignatureFormat::BareHex, format!("{}zz", "0".repeat(62)), SignatureFault::NotHex),
        ];
        for (format, value, fault) in cases {
            assert_eq!(format.decode(value.as_bytes()), Err(fault), "{value:?}");
        }
    }

    #[test]
    fn the_table_decoder_agrees_with_the_hex_crate_on_every_byte() {
        for position in [0, 1, 31, 62, 63] {
            for byte in 0..=255u8 {
                let mut digits = *b"0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123";
                digits[position] = byte;
                let mut expected = [0u8; 32];
                let expected = hex::decode_to_slice(digits, &mut expected).ok().map(|()| expected);
                assert_eq!(decode_hex(&digits), expected, "byte {byte:#04x} at {position}");
            }
        }
    }

    #[test]
    fn encode_is_lowercase_and_round_trips() {
        let tag = [0xCD; 32];
        for format in [SignatureFormat::BareHex, SignatureFormat::Sha256Prefixed] {
            let value = format.encode(&tag);
            assert_eq!(value, value.to_lowercase());
            assert_eq!(format.decode(value.as_bytes()), Ok(tag));
        }
    }

    #[test]
    fn signer_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signer = Signer::new(&Secret::new("Jefe").unwrap(), SignatureFormat::BareHex);
        assert_eq!(
            signer.sign(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(format!("{signer:?}"), "Signer { key: \"[redacted]\", format: BareHex }");
    }
}
