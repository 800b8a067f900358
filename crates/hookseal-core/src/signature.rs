//! Signature schemes: where the signature travels, how it is written, and signing.

use std::fmt;

use hmac::Mac;

use crate::error::SignatureFault;
use crate::secret::{HmacSha256, Secret};

/// How a signature header value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// `sha256=<64 hex digits>` (tocc, Toran, Zapito).
    Sha256Prefixed,
    /// `<64 hex digits>` (Tuco, ConnectGain).
    BareHex,
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
    pub fn decode(self, value: &[u8]) -> Result<[u8; 32], SignatureFault> {
        let value = crate::headers::trim_ows(value);
        if value.is_empty() {
            return Err(SignatureFault::Empty);
        }
        let hex_part = match (self, value.strip_prefix(PREFIX)) {
            (Self::Sha256Prefixed, Some(rest)) => rest,
            (Self::Sha256Prefixed, None) => return Err(SignatureFault::MissingPrefix),
            (Self::BareHex, Some(_)) => return Err(SignatureFault::UnexpectedPrefix),
            (Self::BareHex, None) if value.contains(&b'=') => return Err(SignatureFault::UnexpectedPrefix),
            (Self::BareHex, None) => value,
        };
        let digits: &[u8; 64] = hex_part.try_into().map_err(|_| SignatureFault::WrongLength)?;
        decode_hex(digits).ok_or(SignatureFault::NotHex)
    }

    /// Renders 32 MAC bytes as this format's header value (lowercase hex).
    #[must_use]
    pub fn encode(self, tag: &[u8; 32]) -> String {
        let mut hex_digits = [0u8; 64];
        // The buffer is exactly twice the input: this cannot fail.
        let _ = hex::encode_to_slice(tag, &mut hex_digits);
        let hex_str = std::str::from_utf8(&hex_digits).unwrap_or_default();
        match self {
            Self::Sha256Prefixed => format!("sha256={hex_str}"),
            Self::BareHex => hex_str.to_owned(),
        }
    }
}

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

/// Where a provider puts its signature and event name, and how the signature is written.
///
/// Every built-in provider has one (`Provider::SCHEME`); build your own for any
/// other HMAC-SHA256 sender:
///
/// ```
/// use hookseal_core::{Scheme, SignatureFormat};
/// let scheme = Scheme::new("X-Acme-Signature", SignatureFormat::Sha256Prefixed).with_event_header("X-Acme-Event");
/// assert_eq!(scheme.signature_header(), "X-Acme-Signature");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scheme {
    signature_header: &'static str,
    format: SignatureFormat,
    event_header: Option<&'static str>,
}

impl Scheme {
    /// A scheme reading `signature_header` written in `format`, with no event header.
    #[must_use]
    pub const fn new(signature_header: &'static str, format: SignatureFormat) -> Self {
        Self { signature_header, format, event_header: None }
    }

    /// Also checks that `event_header`, when present, agrees with the signed body.
    #[must_use]
    pub const fn with_event_header(mut self, event_header: &'static str) -> Self {
        self.event_header = Some(event_header);
        self
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

    /// The event header's name, if the scheme has one.
    #[must_use]
    pub const fn event_header(&self) -> Option<&'static str> {
        self.event_header
    }
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
#[derive(Clone)]
pub struct Signer {
    key: HmacSha256,
    format: SignatureFormat,
}

impl Signer {
    /// A signer for `secret` writing `format`.
    #[must_use]
    pub fn new(secret: &Secret, format: SignatureFormat) -> Self {
        Self { key: secret.keyed(), format }
    }

    /// The raw 32-byte HMAC-SHA256 of `body`.
    #[must_use]
    pub fn mac(&self, body: &[u8]) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// The signature header value for `body`.
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> String {
        self.format.encode(&self.mac(body))
    }

    /// The format this signer writes.
    #[must_use]
    pub fn format(&self) -> SignatureFormat {
        self.format
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
