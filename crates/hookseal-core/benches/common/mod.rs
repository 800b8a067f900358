//! What the benches share: realistic 1 KiB signed requests of each provider,
//! and the two baselines ours is measured against.
//!
//! * **Lower bound**: the least a correct receiver can do. Decode the
//!   signature header's hex (with a lookup table, as fast as ours), clone a
//!   pre-keyed `Hmac<Sha256>`, `verify_slice`,
//!   then parse into a struct of the same shape as ours with borrowed fields
//!   (`Cow<str>` borrowing whenever the JSON string has no escape), timestamps
//!   left as text and unknown keys ignored; UTF-8 is validated once and the
//!   text parsed with `from_str` (faster than `from_slice`).
//! * **Hand-rolled**: what receivers commonly write. Key an HMAC from the
//!   secret (per request, or pre-keyed in the `_prekeyed` variant),
//!   `hex::encode` the MAC, compare it to the header with `==`, then
//!   `serde_json::from_slice::<serde_json::Value>`.
//!
//! Each body is a bundled sample (`hookseal_core::samples`) whose free-text
//! field is lengthened to exactly 1024 bytes: a visitor's note, a chat
//! message, an escalation reason. Nothing else changes.

#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::hint::black_box;

use hmac::{Hmac, KeyInit, Mac};
use hookseal_core::{Provider, ProviderId, Scheme, Secret, SignatureFormat, Signer, samples};
use serde::Deserialize;
use sha2::Sha256;

/// The HMAC every baseline uses.
pub type HmacSha256 = Hmac<Sha256>;

/// The shared secret of every bench request.
pub const SECRET: &str = "whsec_bench_0123456789abcdefghijklmnopqrstuvwxyz";

/// Every body is padded to exactly this many bytes.
pub const BODY_LEN: usize = 1024;

/// A signed request, as a receiver gets it.
pub struct Request {
    /// The provider's short name.
    pub provider: &'static str,
    /// The sample it was built from.
    pub sample: &'static str,
    /// The raw body.
    pub body: Vec<u8>,
    /// The headers the provider sends, signature included.
    pub headers: Vec<(&'static str, String)>,
    /// Where the signature is, and how it is written.
    pub scheme: Scheme,
}

/// The secret as a [`Secret`].
pub fn secret() -> Secret {
    Secret::new(SECRET).expect("non-empty")
}

/// A pre-keyed HMAC state for the baselines (as the verifier keeps one).
pub fn prekeyed() -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("any key length")
}

/// Text appended to the free-text field, one piece at a time while it fits.
/// Already JSON-escaped (the `\n` are real newlines in the message).
const FILLER: &[&str] = &[
    " Also, could someone call me back before noon?",
    "\\nWe are a team of twelve, split between Lisbon and Porto, and most of us work remotely on Fridays.",
    " Our current provider charges per message, which is why we are looking around.",
    "\\nIs there a discount for paying yearly, and can we try it for two weeks first?",
    " Thanks a lot, and sorry for the long message — I wanted to give you the whole picture.",
    "\\nBest regards, and have a nice day 🙂",
    " P.S. we would also need invoices with our VAT number on them.",
    " And one more thing: do you integrate with the calendar tool we already use?",
    " If not, that is fine, we can manage by hand for a while.",
    " Looking forward to hearing from you.",
    " Cheers.",
];

/// Replaces the JSON string `"old"` (which must occur exactly once) by
/// `"start` + filler`"`, then pads the string with spaces so the body is
/// exactly [`BODY_LEN`] bytes.
fn lengthen(body: &[u8], old: &str, start: &str) -> Vec<u8> {
    let text = std::str::from_utf8(body).expect("samples are UTF-8");
    let needle = format!("\"{old}\"");
    assert_eq!(text.matches(&needle).count(), 1, "{needle} must occur once");
    let fixed = text.len() - needle.len() + 2;
    let mut value = start.to_owned();
    for piece in FILLER {
        if fixed + value.len() + piece.len() <= BODY_LEN {
            value.push_str(piece);
        }
    }
    assert!(fixed + value.len() <= BODY_LEN, "the sample is already too long");
    while fixed + value.len() < BODY_LEN {
        value.push(' ');
    }
    let padded = text.replacen(&needle, &format!("\"{value}\""), 1);
    assert_eq!(padded.len(), BODY_LEN);
    padded.into_bytes()
}

fn build<P: Provider>(id: ProviderId, sample: &'static str, old: &str, start: &str) -> Request {
    let found = samples::find(id, sample).expect("bundled sample");
    let body = lengthen(found.body, old, start);
    let scheme = P::SCHEME;
    let signature = Signer::new(&secret(), scheme.format()).sign(&body);
    let mut headers: Vec<(&'static str, String)> = vec![("Content-Type", "application/json".into())];
    if id == ProviderId::Toran {
        headers.push(("User-Agent", "Toran-Webhook/1.0".into()));
    }
    headers.push((scheme.signature_header(), signature));
    if let Some(event_header) = scheme.event_header() {
        headers.push((event_header, found.event.into()));
    }
    match id {
        ProviderId::Tuco => headers.push(("X-Tuco-Timestamp", "2026-04-15T12:04:26Z".into())),
        ProviderId::ConnectGain => headers.push(("X-Webhook-Timestamp", "2026-04-16T09:01:08Z".into())),
        _ => {}
    }
    Request { provider: id.name(), sample, body, headers, scheme }
}

/// tocc.contact `conversation.escalated`, its open-ended `reason` written out.
pub fn tocc() -> Request {
    build::<hookseal_core::Tocc>(
        ProviderId::Tocc,
        "conversation.escalated",
        "refund_request",
        "The customer asks for a refund of order #4471 (two oat-milk flat whites and a seeded loaf, 14.80 EUR) \
         because the delivery arrived 50 minutes late and cold; she already wrote twice.",
    )
}

/// Toran `lead.captured`, with a longer visitor note.
pub fn toran() -> Request {
    build::<hookseal_core::Toran>(
        ProviderId::Toran,
        "lead.captured",
        "Hi! We'd like a quote for 40 seats. \\\"ASAP\\\" if possible, our trial ends Friday.",
        "Hi! We'd like a quote for 40 seats. \\\"ASAP\\\" if possible, our trial ends Friday.",
    )
}

/// Zapito `lead.handoff`, the customer's last message longer.
pub fn zapito() -> Request {
    build::<hookseal_core::Zapito>(
        ProviderId::Zapito,
        "lead.handoff",
        "Preciso para sábado, 30 pessoas. Quero falar com alguém da loja.",
        "Preciso para sábado, 30 pessoas. Quero falar com alguém da loja.",
    )
}

/// Tuco `message.reply`, with a longer reply.
pub fn tuco() -> Request {
    build::<hookseal_core::Tuco>(
        ProviderId::Tuco,
        "message.reply",
        "Sounds great 👍 here's the floor plan, can we talk Thursday?",
        "Sounds great 👍 here's the floor plan, can we talk Thursday?",
    )
}

/// ConnectGain `message.received`, with a longer message.
pub fn connectgain() -> Request {
    build::<hookseal_core::ConnectGain>(
        ProviderId::ConnectGain,
        "message.received",
        "Hello! Is the Pro plan billed per seat?",
        "Hello! Is the Pro plan billed per seat?",
    )
}

/// The value of the header `name`, if present (first one).
pub fn header<'h>(headers: &'h [(&'static str, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The hex digits of a signature header value.
fn hex_digits(format: SignatureFormat, value: &str) -> Option<&str> {
    match format {
        SignatureFormat::Sha256Prefixed => value.strip_prefix("sha256="),
        _ => Some(value),
    }
}

/// 64 hex digits to 32 bytes with a lookup table: as fast as ours (which the
/// `hex` crate's general decoder is not), so the lower bound stays one.
pub fn decode_hex(digits: &[u8]) -> Option<[u8; 32]> {
    const VALUES: [u8; 256] = {
        let mut table = [0xFF; 256];
        let mut i = 0;
        while i < 16 {
            table[b"0123456789abcdef"[i] as usize] = i as u8;
            table[b"0123456789ABCDEF"[i] as usize] = i as u8;
            i += 1;
        }
        table
    };
    let digits: &[u8; 64] = digits.try_into().ok()?;
    let mut tag = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in tag.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = (high << 4) | low;
    }
    (invalid & 0x80 == 0).then_some(tag)
}

/// The lower bound's signature check: hex-decode, pre-keyed HMAC, `verify_slice`.
pub fn lower_bound_verify(key: &HmacSha256, request: &Request, body: &[u8]) -> bool {
    let Some(value) = header(&request.headers, request.scheme.signature_header()) else {
        return false;
    };
    let Some(digits) = hex_digits(request.scheme.format(), value.trim()) else {
        return false;
    };
    let Some(tag) = decode_hex(digits.as_bytes()) else {
        return false;
    };
    let mut mac = key.clone();
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

/// The hand-rolled pattern: MAC (keyed per request unless `key` is given),
/// `hex::encode`, string `==`, then a `serde_json::Value`.
pub fn hand_rolled(key: Option<&HmacSha256>, request: &Request, body: &[u8]) -> Option<serde_json::Value> {
    let value = header(&request.headers, request.scheme.signature_header())?;
    let digits = hex_digits(request.scheme.format(), value)?;
    let mut mac = match key {
        Some(key) => key.clone(),
        None => <HmacSha256 as KeyInit>::new_from_slice(SECRET.as_bytes()).ok()?,
    };
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if expected != digits {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// Lower-bound shapes: the fields ours types, borrowed.
pub mod shapes {
    use super::*;

    /// tocc.contact envelope with `conversation.escalated` data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Tocc<'a> {
        #[serde(borrow)]
        pub id: Cow<'a, str>,
        #[serde(borrow)]
        pub business_id: Cow<'a, str>,
        #[serde(borrow)]
        pub alias: Cow<'a, str>,
        #[serde(borrow)]
        pub alias_email: Cow<'a, str>,
        #[serde(borrow)]
        pub business_name: Cow<'a, str>,
        #[serde(borrow)]
        pub event_type: Cow<'a, str>,
        #[serde(borrow)]
        pub timestamp: Cow<'a, str>,
        #[serde(borrow, default)]
        pub version: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub data: ToccEscalated<'a>,
    }

    /// `conversation.escalated` data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ToccEscalated<'a> {
        #[serde(borrow)]
        pub customer_id: Cow<'a, str>,
        #[serde(borrow)]
        pub thread_id: Cow<'a, str>,
        #[serde(borrow)]
        pub reason: Cow<'a, str>,
    }

    /// Toran's flat lead.
    #[derive(Deserialize)]
    pub struct Toran<'a> {
        #[serde(borrow)]
        pub event: Cow<'a, str>,
        #[serde(borrow)]
        pub lead_id: Cow<'a, str>,
        #[serde(borrow)]
        pub widget_id: Cow<'a, str>,
        #[serde(borrow, default)]
        pub name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub email: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub phone: Option<Cow<'a, str>>,
        #[serde(default)]
        pub score: Option<f64>,
        #[serde(borrow, default)]
        pub tier: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub source: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub timestamp: Cow<'a, str>,
        #[serde(borrow, default)]
        pub metadata: ToranMetadata<'a>,
    }

    /// Toran's lead metadata (other keys ignored).
    #[derive(Deserialize, Default)]
    pub struct ToranMetadata<'a> {
        #[serde(borrow, default)]
        pub notes: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub utm_source: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub utm_medium: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub utm_campaign: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub company_name: Option<Cow<'a, str>>,
        #[serde(default)]
        pub test: bool,
    }

    /// Zapito's handoff.
    #[derive(Deserialize)]
    pub struct Zapito<'a> {
        #[serde(borrow)]
        pub event: Cow<'a, str>,
        #[serde(borrow)]
        pub at: Cow<'a, str>,
        #[serde(borrow)]
        pub reason: Cow<'a, str>,
        #[serde(borrow)]
        pub bot: ZapitoBot<'a>,
        #[serde(borrow)]
        pub conversation: ZapitoConversation<'a>,
        #[serde(borrow, default)]
        pub transcript: Vec<ZapitoMessage<'a>>,
    }

    /// Zapito's bot.
    #[derive(Deserialize)]
    pub struct ZapitoBot<'a> {
        #[serde(borrow)]
        pub id: Cow<'a, str>,
        #[serde(borrow)]
        pub name: Cow<'a, str>,
    }

    /// Zapito's conversation.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ZapitoConversation<'a> {
        #[serde(borrow)]
        pub id: Cow<'a, str>,
        #[serde(borrow)]
        pub channel: Cow<'a, str>,
        #[serde(borrow, default)]
        pub external_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub contact_name: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub status: Cow<'a, str>,
    }

    /// One Zapito transcript message.
    #[derive(Deserialize)]
    pub struct ZapitoMessage<'a> {
        #[serde(borrow)]
        pub role: Cow<'a, str>,
        #[serde(borrow)]
        pub content: Cow<'a, str>,
        #[serde(borrow)]
        pub at: Cow<'a, str>,
    }

    /// Tuco's message event.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Tuco<'a> {
        #[serde(borrow)]
        pub event: Cow<'a, str>,
        #[serde(borrow)]
        pub timestamp: Cow<'a, str>,
        #[serde(borrow, default)]
        pub workspace_id: Option<Cow<'a, str>>,
        #[serde(default)]
        pub test_mode: bool,
        #[serde(borrow)]
        pub data: TucoData<'a>,
    }

    /// Tuco's message data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TucoData<'a> {
        #[serde(borrow)]
        pub message_id: Cow<'a, str>,
        #[serde(borrow, default)]
        pub recipient_phone: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub message: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub status: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub line_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub first_name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub last_name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub attachment_urls: Option<Vec<Cow<'a, str>>>,
        #[serde(borrow, default)]
        pub attachment_names: Option<Vec<Cow<'a, str>>>,
    }

    /// ConnectGain's envelope with `message.*` data.
    #[derive(Deserialize)]
    pub struct ConnectGain<'a> {
        #[serde(borrow)]
        pub event: Cow<'a, str>,
        #[serde(borrow)]
        pub timestamp: Cow<'a, str>,
        #[serde(borrow)]
        pub data: ConnectGainMessage<'a>,
    }

    /// ConnectGain's `message.*` data (other keys ignored).
    #[derive(Deserialize)]
    pub struct ConnectGainMessage<'a> {
        #[serde(borrow, default)]
        pub id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub organization_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub conversation_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub contact_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub direction: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub channel: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub content: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub status: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub error: Option<Cow<'a, str>>,
    }
}

/// The same shapes with owned `String`s: what a careful hand-written owned
/// parse costs (no timestamps parsed, unknown keys ignored).
pub mod owned_shapes {
    use super::*;

    /// tocc.contact envelope with `conversation.escalated` data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Tocc {
        pub id: String,
        pub business_id: String,
        pub alias: String,
        pub alias_email: String,
        pub business_name: String,
        pub event_type: String,
        pub timestamp: String,
        #[serde(default)]
        pub version: Option<String>,
        pub data: ToccEscalated,
    }

    /// `conversation.escalated` data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ToccEscalated {
        pub customer_id: String,
        pub thread_id: String,
        pub reason: String,
    }

    /// Toran's flat lead.
    #[derive(Deserialize)]
    pub struct Toran {
        pub event: String,
        pub lead_id: String,
        pub widget_id: String,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub email: Option<String>,
        #[serde(default)]
        pub phone: Option<String>,
        #[serde(default)]
        pub score: Option<f64>,
        #[serde(default)]
        pub tier: Option<String>,
        #[serde(default)]
        pub source: Option<String>,
        pub timestamp: String,
        #[serde(default)]
        pub metadata: ToranMetadata,
    }

    /// Toran's lead metadata (other keys ignored).
    #[derive(Deserialize, Default)]
    pub struct ToranMetadata {
        #[serde(default)]
        pub notes: Option<String>,
        #[serde(default)]
        pub utm_source: Option<String>,
        #[serde(default)]
        pub utm_medium: Option<String>,
        #[serde(default)]
        pub utm_campaign: Option<String>,
        #[serde(default)]
        pub company_name: Option<String>,
        #[serde(default)]
        pub test: bool,
    }

    /// Zapito's handoff.
    #[derive(Deserialize)]
    pub struct Zapito {
        pub event: String,
        pub at: String,
        pub reason: String,
        pub bot: ZapitoBot,
        pub conversation: ZapitoConversation,
        #[serde(default)]
        pub transcript: Vec<ZapitoMessage>,
    }

    /// Zapito's bot.
    #[derive(Deserialize)]
    pub struct ZapitoBot {
        pub id: String,
        pub name: String,
    }

    /// Zapito's conversation.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ZapitoConversation {
        pub id: String,
        pub channel: String,
        #[serde(default)]
        pub external_id: Option<String>,
        #[serde(default)]
        pub contact_name: Option<String>,
        pub status: String,
    }

    /// One Zapito transcript message.
    #[derive(Deserialize)]
    pub struct ZapitoMessage {
        pub role: String,
        pub content: String,
        pub at: String,
    }

    /// Tuco's message event.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Tuco {
        pub event: String,
        pub timestamp: String,
        #[serde(default)]
        pub workspace_id: Option<String>,
        #[serde(default)]
        pub test_mode: bool,
        pub data: TucoData,
    }

    /// Tuco's message data.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TucoData {
        pub message_id: String,
        #[serde(default)]
        pub recipient_phone: Option<String>,
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub status: Option<String>,
        #[serde(default)]
        pub line_id: Option<String>,
        #[serde(default)]
        pub first_name: Option<String>,
        #[serde(default)]
        pub last_name: Option<String>,
        #[serde(default)]
        pub attachment_urls: Option<Vec<String>>,
        #[serde(default)]
        pub attachment_names: Option<Vec<String>>,
    }

    /// ConnectGain's envelope with `message.*` data.
    #[derive(Deserialize)]
    pub struct ConnectGain {
        pub event: String,
        pub timestamp: String,
        pub data: ConnectGainMessage,
    }

    /// ConnectGain's `message.*` data (other keys ignored).
    #[derive(Deserialize)]
    pub struct ConnectGainMessage {
        #[serde(default)]
        pub id: Option<String>,
        #[serde(default)]
        pub organization_id: Option<String>,
        #[serde(default)]
        pub conversation_id: Option<String>,
        #[serde(default)]
        pub contact_id: Option<String>,
        #[serde(default)]
        pub direction: Option<String>,
        #[serde(default)]
        pub channel: Option<String>,
        #[serde(default)]
        pub content: Option<String>,
        #[serde(default)]
        pub status: Option<String>,
        #[serde(default)]
        pub error: Option<String>,
    }
}

/// The lower bound's parse: validate UTF-8 once, then `from_str` (cheaper
/// than `from_slice`, which validates each string as it goes).
pub fn parse_borrowed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ()> {
    let text = std::str::from_utf8(body).map_err(drop)?;
    serde_json::from_str(text).map_err(drop)
}

/// The lower bound for one request: verify, then parse into `T` borrowed.
/// Returns whether both succeeded; the parsed value is kept alive through
/// `black_box` so the parse cannot be optimised away.
pub fn lower_bound<'a, T: Deserialize<'a>>(key: &HmacSha256, request: &Request, body: &'a [u8]) -> bool {
    if !lower_bound_verify(key, request, body) {
        return false;
    }
    match parse_borrowed::<T>(body) {
        Ok(parsed) => {
            black_box(&parsed);
            true
        }
        Err(_) => false,
    }
}
