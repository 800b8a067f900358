//! Fresh copies of the bundled samples: signed now, with new identities.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use hookseal_core::samples::Sample;
use hookseal_core::{ProviderId, WebhookEvent, connectgain, tocc, toran, tuco, zapito};
use serde_json::Value;

use crate::delivery::PrepareError;

/// A random `u64` for jitter and fresh identifiers: spread, not secrecy.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // A randomly keyed SipHash of nothing: a fresh random value without a dependency.
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

fn random_hex(digits: usize) -> String {
    let mut text = String::with_capacity(digits + 16);
    while text.len() < digits {
        text.push_str(&format!("{:016x}", random_u64()));
    }
    text.truncate(digits);
    text
}

/// A random (version 4) UUID, as Toran's `lead_id`.
fn uuid_v4() -> String {
    let hex = random_hex(32);
    let variant = ["8", "9", "a", "b"][usize::from(hex.as_bytes()[16] % 4)];
    format!("{}-{}-4{}-{}{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], variant, &hex[17..20], &hex[20..32])
}

fn set(value: &mut Value, pointer: &str, new: String) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = Value::String(new);
    }
}

/// Parses `body` as `E`, applies the edits to its JSON, and writes it back as `E`'s wire JSON.
fn refresh<E: WebhookEvent>(body: &[u8], edits: Vec<(&str, String)>) -> Result<Vec<u8>, PrepareError> {
    let event = E::from_slice(body).map_err(PrepareError::InvalidBody)?;
    let mut value = serde_json::to_value(&event).unwrap_or(Value::Null);
    for (pointer, new) in edits {
        set(&mut value, pointer, new);
    }
    Ok(E::from_json(&value.to_string()).map_err(PrepareError::InvalidBody)?.to_json())
}

/// A fresh copy of a bundled sample, as the provider would send it at `now`.
///
/// The signed timestamp becomes `now` (at the provider's precision:
/// milliseconds for tocc and Zapito, whole seconds for the others), and the
/// identities a receiver deduplicates on are minted anew where the timestamp
/// is not part of them (tocc's `id`, Toran's `lead_id`, Tuco's
/// `data.messageId`), so a receiver with a replay window accepts it and does
/// not take it for a redelivery. Everything else is the sample's, and the
/// body is the provider's wire JSON.
///
/// ```
/// use hookseal_core::{ProviderId, WebhookEvent, samples, toran};
/// use hookseal_sender::fresh_sample;
///
/// let sample = samples::test_event(ProviderId::Toran);
/// let now = "2026-06-01T09:30:15.250Z".parse()?;
/// let body = fresh_sample(sample, now)?;
/// let event = toran::Event::from_slice(&body)?;
/// assert_eq!(event.occurred_at(), Some("2026-06-01T09:30:15Z".parse()?));
/// assert!(event.is_test());
/// assert_ne!(event.idempotency_key(), toran::Event::from_slice(sample.body)?.idempotency_key());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`PrepareError::UnsupportedProvider`] for a provider this version does not
/// know, or [`PrepareError::InvalidBody`] if the sample does not parse (a bug).
pub fn fresh_sample(sample: &Sample, now: DateTime<Utc>) -> Result<Bytes, PrepareError> {
    let millis = now.trunc_subsecs(3).to_rfc3339_opts(SecondsFormat::Millis, true);
    let seconds = now.trunc_subsecs(0).to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = sample.body;
    let body = match sample.provider {
        ProviderId::Tocc => {
            refresh::<tocc::Event>(body, vec![("/timestamp", millis), ("/id", format!("evt_{}", random_hex(24)))])?
        }
        ProviderId::Toran => refresh::<toran::Event>(body, vec![("/timestamp", seconds), ("/lead_id", uuid_v4())])?,
        ProviderId::Zapito => refresh::<zapito::Event>(body, vec![("/at", millis)])?,
        ProviderId::Tuco => refresh::<tuco::Event>(
            body,
            vec![("/timestamp", seconds), ("/data/messageId", format!("msg_{}", random_hex(12)))],
        )?,
        ProviderId::ConnectGain => refresh::<connectgain::Event>(body, vec![("/timestamp", seconds)])?,
        other => return Err(PrepareError::UnsupportedProvider { provider: other.name() }),
    };
    Ok(Bytes::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (a, b) = (uuid_v4(), uuid_v4());
        assert_ne!(a, b);
        for uuid in [a, b] {
            let parts: Vec<&str> = uuid.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{uuid}");
            assert!(parts[2].starts_with('4'), "{uuid}");
            assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "{uuid}");
            assert!(uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn random_hex_has_the_length_asked() {
        assert_eq!(random_hex(24).len(), 24);
        assert_eq!(random_hex(40).len(), 40);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
