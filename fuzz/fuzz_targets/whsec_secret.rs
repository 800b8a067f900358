//! `Secret::from_whsec` (and the Standard Webhooks scheme reading a secret
//! string) on arbitrary text, against a plain reference decoder written here:
//! accepted exactly when the text after an optional `whsec_` is canonical
//! padded base64 of at least 24 bytes, and then the two paths key alike.

#![no_main]

use hookseal_core::{InvalidSecret, MIN_WHSEC_BYTES, Scheme, Secret, SignatureFormat, Signer};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// Decodes bit by bit, ignoring padding, then accepts only if re-encoding gives the input back.
fn reference(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    let (mut bits, mut count, mut out) = (0u32, 0u32, Vec::new());
    for c in data.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)?;
        bits = (bits << 6) | u32::try_from(value).ok()?;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xFF).ok()?);
        }
    }
    (encode(&out) == text).then_some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let encoded = text.strip_prefix("whsec_").unwrap_or(text);
    let expected = match reference(encoded) {
        _ if encoded.is_empty() => Err(InvalidSecret::Empty),
        None => Err(InvalidSecret::NotBase64),
        Some(bytes) if bytes.len() < MIN_WHSEC_BYTES => Err(InvalidSecret::TooShort(bytes.len())),
        Some(bytes) => Ok(bytes),
    };
    let decoded = Secret::from_whsec(text);
    assert_eq!(decoded.as_ref().err().copied(), expected.as_ref().err().copied(), "{text:?}");
    assert_eq!(Scheme::STANDARD_WEBHOOKS.secret(text).is_ok(), expected.is_ok());
    if let (Ok(secret), Ok(bytes)) = (decoded, expected) {
        // The decoded key is the reference's bytes, and a text secret read by the scheme keys alike.
        let raw = Signer::new(&Secret::from_bytes(bytes).unwrap(), SignatureFormat::BareHex).mac(b"probe");
        assert_eq!(Signer::new(&secret, SignatureFormat::BareHex).mac(b"probe"), raw);
        let by_scheme = Signer::for_scheme(&Secret::new(text).unwrap(), Scheme::STANDARD_WEBHOOKS).unwrap();
        assert_eq!(by_scheme.mac(b"probe"), raw);
    }
});
