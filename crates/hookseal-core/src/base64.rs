//! Strict standard base64 (RFC 4648 section 4, padded): the signature entries
//! of Standard Webhooks and its `whsec_` secrets.
//!
//! Strict means canonical: the length is a multiple of four, `=` appears
//! only as the final one or two characters, no other byte than the alphabet,
//! and the unused low bits of the last character are zero, so each byte
//! string has exactly one accepted spelling.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Each byte's 6-bit value, or `0xFF` if it is not in the alphabet.
const VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// How many bytes `input` decodes to, if it is canonical padded base64.
pub(crate) fn decoded_len(input: &[u8]) -> Option<usize> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let pad = input.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return None;
    }
    (input.len() / 4).checked_mul(3)?.checked_sub(pad)
}

/// Decodes canonical padded base64 into `out`, which must be exactly
/// [`decoded_len`] long; `None` for anything else.
pub(crate) fn decode_into(input: &[u8], out: &mut [u8]) -> Option<()> {
    if decoded_len(input)? != out.len() {
        return None;
    }
    let mut written = 0;
    for quad in input.chunks_exact(4) {
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 0 && written + 3 - pad != out.len() {
            return None; // padding before the last quad
        }
        let mut bits = 0u32;
        let mut invalid = 0u8;
        for (i, &byte) in quad.iter().enumerate() {
            let value = if i >= 4 - pad { 0 } else { VALUES[usize::from(byte)] };
            invalid |= value;
            bits = (bits << 6) | u32::from(value & 0x3F);
        }
        if invalid & 0x80 != 0 {
            return None;
        }
        let bytes = bits.to_be_bytes();
        let keep = 3 - pad;
        // Canonical: the bits a padded quad does not use are zero.
        if bytes[1 + keep..].iter().any(|&b| b != 0) {
            return None;
        }
        out[written..written + keep].copy_from_slice(&bytes[1..=keep]);
        written += keep;
    }
    Some(())
}

/// 44 characters of canonical base64 to 32 bytes.
pub(crate) fn decode_32(input: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    decode_into(input, &mut out)?;
    Some(out)
}

/// Padded standard base64 of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut buf = [0u8; 3];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = (u32::from(buf[0]) << 16) | (u32::from(buf[1]) << 8) | u32::from(buf[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[((bits >> (18 - 6 * i)) & 0x3F) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_round_trip() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            let mut out = vec![0u8; decoded_len(coded.as_bytes()).unwrap()];
            decode_into(coded.as_bytes(), &mut out).unwrap();
            assert_eq!(out, plain.as_bytes());
        }
    }

    #[test]
    fn non_canonical_spellings_are_refused() {
        for bad in ["Zg", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm9v\n", "Zm-v", "Zm_v", "Zm9v====", "=Zm9"] {
            let ok =
                decoded_len(bad.as_bytes()).is_some_and(|len| decode_into(bad.as_bytes(), &mut vec![0; len]).is_some());
            assert!(!ok, "{bad:?}");
        }
    }

    #[test]
    fn every_32_byte_value_round_trips_and_one_changed_bit_does_not_alias() {
        for seed in 0..=255u8 {
            let bytes: [u8; 32] = std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7));
            let text = encode(&bytes);
            assert_eq!(text.len(), 44);
            assert_eq!(decode_32(text.as_bytes()), Some(bytes));
        }
    }
}
