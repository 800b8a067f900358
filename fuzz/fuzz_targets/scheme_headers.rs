//! The new header parsers: Standard Webhooks' `v1,<base64>` lists, Stripe's
//! `t=…,v1=…` pairs and bare base64, and their signed timestamps and ids,
//! through `SignatureFormat::decode` and `Verifier::verify_at`.
//!
//! Properties, against references written here:
//! - a decoded tag re-encodes to a value that decodes to the same tag;
//! - a request verifies only if its timestamp is canonical Unix seconds and
//!   its header holds the right MAC as a whole entry (soundness);
//! - any garbage before a good entry still verifies, when the timestamp is
//!   canonical and the id non-empty (no entry spoils the list);
//! - nothing panics, whatever the bytes.
//!
//! Input layout: `arbitrary` fields (id, timestamp, signature, body).

#![no_main]

use arbitrary::Arbitrary;
use hookseal_core::chrono::{DateTime, Utc};
use hookseal_core::{
    Error, KeyMatch, Message, Scheme, Secret, SignatureFormat, Signer, StandardWebhooks, Stripe, Verifier,
};
use libfuzzer_sys::fuzz_target;

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_fuzz_stripe";

#[derive(Debug, Arbitrary)]
struct Input {
    id: Vec<u8>,
    stamp: Vec<u8>,
    signature: Vec<u8>,
    body: Vec<u8>,
}

/// The reference for canonical Unix seconds: digits only, no leading zero,
/// within i64 and chrono's range.
fn canonical(stamp: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(stamp).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    DateTime::from_timestamp(text.parse::<i64>().ok()?, 0)
}

fn mac_under(key: &Secret, parts: &[&[u8]]) -> [u8; 32] {
    Signer::new(key, SignatureFormat::BareHex).mac(&parts.concat())
}

fn check_decode(value: &[u8]) {
    for format in [SignatureFormat::StandardWebhooks, SignatureFormat::Stripe, SignatureFormat::BareBase64] {
        if let Ok(tag) = format.decode(value) {
            assert_eq!(format.decode(format.encode(&tag).as_bytes()), Ok(tag), "{format:?}");
        }
    }
}

fn check_standard_webhooks(input: &Input) {
    let id = input.id.trim_ascii();
    let stamp = input.stamp.trim_ascii();
    let at = canonical(stamp);
    let now = at.unwrap_or(DateTime::UNIX_EPOCH);
    let key = Secret::from_whsec(SW_SECRET).unwrap();
    let expected = SignatureFormat::StandardWebhooks.encode(&mac_under(&key, &[id, b".", stamp, b".", &input.body]));
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new(SW_SECRET).unwrap());
    let headers = |signature: &[u8]| {
        vec![("webhook-id", input.id.clone()), ("webhook-timestamp", input.stamp.clone()), ("webhook-signature", signature.to_vec())]
    };
    let result = verifier.verify_at(&headers(&input.signature), &input.body, now);
    if result.is_ok() {
        assert!(at.is_some(), "verified with a non-canonical timestamp {stamp:?}");
        let entries = input.signature.split(|&b| b == b' ' || b == b'\t');
        assert!(entries.into_iter().any(|e| e.trim_ascii() == expected.as_bytes()), "verified without the right entry");
    }
    // Garbage, then the good entry.
    let mut spoiled = input.signature.clone();
    spoiled.push(b' ');
    spoiled.extend_from_slice(expected.as_bytes());
    let result = verifier.verify_at(&headers(&spoiled), &input.body, now);
    match (at, id.is_empty()) {
        (Some(_), false) => assert_eq!(result, Ok(KeyMatch::Secret(0)), "garbage spoiled a good entry"),
        (None, _) => assert!(matches!(result, Err(Error::MalformedSignature { .. })), "{result:?}"),
        (Some(_), true) => assert!(result.is_err()),
    }
}

fn check_stripe(input: &Input) {
    let stamp = input.stamp.trim_ascii();
    let at = canonical(stamp);
    let now = at.unwrap_or(DateTime::UNIX_EPOCH);
    let key = Secret::new(STRIPE_SECRET).unwrap();
    let digits = SignatureFormat::BareHex.encode(&mac_under(&key, &[stamp, b".", &input.body]));
    let verifier = Verifier::<Stripe>::new(key);
    let result = verifier.verify_at(&[("Stripe-Signature", input.signature.clone())], &input.body, now);
    if result.is_ok() {
        let pairs: Vec<&[u8]> = input.signature.split(|&b| b == b',').map(<[u8]>::trim_ascii).collect();
        assert_eq!(pairs.iter().filter(|p| p.starts_with(b"t=")).count(), 1, "verified without exactly one t=");
        let wanted = format!("v1={digits}");
        assert!(pairs.iter().any(|p| p.eq_ignore_ascii_case(wanted.as_bytes())), "verified without the right v1");
    }
    // t=<stamp>, garbage, then the good v1: verifies unless the garbage brings its own t=.
    let mut header = b"t=".to_vec();
    header.extend_from_slice(&input.stamp);
    header.push(b',');
    header.extend_from_slice(&input.signature);
    header.extend_from_slice(format!(",v1={digits}").as_bytes());
    let result = verifier.verify_at(&[("Stripe-Signature", header)], &input.body, now);
    let extra_t = input.signature.split(|&b| b == b',').any(|p| p.trim_ascii().starts_with(b"t="));
    if at.is_some() && !extra_t && !input.stamp.contains(&b',') {
        assert_eq!(result, Ok(KeyMatch::Secret(0)), "garbage spoiled a good v1");
    }
    if at.is_none() && !input.stamp.contains(&b',') {
        assert!(result.is_err());
    }
}

fn check_signing_round_trip(input: &Input) {
    // What the signer writes, the verifier accepts (ids as text).
    let Ok(id) = std::str::from_utf8(input.id.trim_ascii()) else { return };
    if id.is_empty() {
        return;
    }
    let stamp = input.stamp.iter().fold(0u32, |acc, &b| acc.wrapping_mul(31).wrapping_add(u32::from(b)));
    let secret = Scheme::STANDARD_WEBHOOKS.secret(SW_SECRET).unwrap();
    let signer = Signer::for_scheme(&secret, Scheme::STANDARD_WEBHOOKS).unwrap();
    let headers = signer.headers(&input.body, &Message { id: Some(id), timestamp: Some(u64::from(stamp)), event: None });
    let now = DateTime::from_timestamp(i64::from(stamp), 0).unwrap();
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new(SW_SECRET).unwrap());
    assert_eq!(verifier.verify_at(&headers, &input.body, now), Ok(KeyMatch::Secret(0)));
}

fuzz_target!(|input: Input| {
    check_decode(&input.signature);
    check_standard_webhooks(&input);
    check_stripe(&input);
    check_signing_round_trip(&input);
});
