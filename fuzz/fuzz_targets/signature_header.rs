//! `SignatureFormat::decode` on arbitrary header values, for both formats,
//! against a plain reference decoder written here.

#![no_main]

use hookseal_core::SignatureFormat;
use libfuzzer_sys::fuzz_target;

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The hex part a well-formed value carries after trimming, if any.
fn hex_part(format: SignatureFormat, value: &[u8]) -> Option<&[u8]> {
    let trimmed = value.trim_ascii();
    let hex = match format {
        SignatureFormat::Sha256Prefixed => trimmed.strip_prefix(b"sha256=")?,
        _ => trimmed,
    };
    (hex.len() == 64 && hex.iter().all(u8::is_ascii_hexdigit)).then_some(hex)
}

fn reference(format: SignatureFormat, value: &[u8]) -> Option<[u8; 32]> {
    let hex = hex_part(format, value)?;
    let mut tag = [0u8; 32];
    for (byte, pair) in tag.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(tag)
}

fuzz_target!(|data: &[u8]| {
    for format in [SignatureFormat::Sha256Prefixed, SignatureFormat::BareHex] {
        let decoded = format.decode(data);
        assert_eq!(decoded.ok(), reference(format, data), "{format:?} {:?}", String::from_utf8_lossy(data));
        if let Ok(tag) = decoded {
            // A decoded value is exactly the prefix and 64 hex digits, after trimming.
            let trimmed = data.trim_ascii();
            let encoded = format.encode(&tag);
            assert!(encoded.as_bytes().eq_ignore_ascii_case(trimmed), "{encoded} vs {trimmed:?}");
            assert_eq!(encoded.len(), if format == SignatureFormat::BareHex { 64 } else { 71 });
            assert_eq!(format.decode(encoded.as_bytes()), Ok(tag));
        }
    }
});
