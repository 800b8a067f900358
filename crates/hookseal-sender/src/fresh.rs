//! Fresh copies of the bundled samples: signed now, with new identities.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use hookseal_core::samples::{self, Sample};
use hookseal_core::{ProviderId, Secret, WebhookEvent, connectgain, tocc, toran, tuco, zapito};
use serde_json::Value;

use crate::delivery::{Delivery, PrepareError, Target};

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

/// Why [`fresh_delivery`] could not prepare a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FreshError {
    /// The provider has no bundled sample of that name (see
    /// [`samples::for_provider`]).
    #[error("no sample `{name}` for {provider}")]
    UnknownSample {
        /// The provider asked for.
        provider: ProviderId,
        /// The sample or event name asked for (truncated to 64 bytes).
        name: String,
    },
    /// The target has no bundled samples (a custom scheme): sign your own
    /// body with [`DeliveryBuilder::json`](crate::DeliveryBuilder::json).
    #[error("{target} has no bundled samples: give a body")]
    NoSamples {
        /// The target's name.
        target: &'static str,
    },
    /// The delivery could not be prepared (a bad URL, say).
    #[error(transparent)]
    Prepare(#[from] PrepareError),
}

/// A fresh, signed delivery of the bundled sample `name` (a sample name such
/// as `lead.handoff.model_error`, or an event name: its first sample; `test`
/// is the provider's test event), as `target` would send it now to `url`.
///
/// The body is [`fresh_sample`] at the current time, and the timestamp
/// headers (Tuco's, ConnectGain's) carry the same time, so a receiver with a
/// replay window accepts it. The adapters' `testing` modules turn it into
/// their framework's test request.
///
/// ```
/// use hookseal_core::{Secret, Toran, Verifier};
/// use std::time::Duration;
///
/// let secret = Secret::new("toran-secret")?;
/// let delivery = hookseal_sender::fresh_delivery(Toran, "lead.captured", &secret, "https://crm.example.com/toran")?;
/// let verifier = Verifier::<Toran>::new(secret).replay_window(Duration::from_secs(300));
/// verifier.verify_event(&delivery, delivery.body())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`FreshError`]: no such sample, a target without samples, or a
/// [`PrepareError`].
pub fn fresh_delivery(
    target: impl Into<Target>,
    name: &str,
    secret: &Secret,
    url: &str,
) -> Result<Delivery, FreshError> {
    fresh_delivery_at(target, name, secret, url, Utc::now())
}

/// Like [`fresh_delivery`], as sent at `now` (for tests with a clock of their own).
///
/// # Errors
///
/// As for [`fresh_delivery`].
pub fn fresh_delivery_at(
    target: impl Into<Target>,
    name: &str,
    secret: &Secret,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Delivery, FreshError> {
    let target = target.into();
    let provider = target.provider().ok_or(FreshError::NoSamples { target: target.name() })?;
    let sample = samples::find(provider, name).or_else(|| (name == "test").then(|| samples::test_event(provider)));
    let sample = sample.ok_or_else(|| FreshError::UnknownSample {
        provider,
        name: name
            .chars()
            .scan(0, |len, c| {
                *len += c.len_utf8();
                (*len <= 64).then_some(c)
            })
            .collect(),
    })?;
    let body = fresh_sample(sample, now)?;
    Ok(Delivery::builder(target, url).secret(secret.clone()).sent_at(now).json(body)?)
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
    fn fresh_deliveries_are_signed_at_now_and_pass_a_replay_window() {
        use hookseal_core::{ConnectGain, Custom, Toran, Verifier};
        let secret = Secret::new("fresh-secret").unwrap();
        let now: DateTime<Utc> = "2031-02-03T04:05:06.789Z".parse().unwrap();
        let url = "http://localhost/in";
        let delivery = fresh_delivery_at(ConnectGain, "deal.created", &secret, url, now).unwrap();
        assert_eq!(delivery.header("X-Webhook-Timestamp"), Some("2031-02-03T04:05:06.789Z"));
        assert_eq!(delivery.event(), "deal.created");
        let window = std::time::Duration::from_secs(60);
        let verifier = Verifier::<ConnectGain>::new(secret.clone()).replay_window(window);
        verifier.verify_event_at(&delivery, delivery.body(), now).unwrap();
        // The bundled sample itself is years off.
        let stale = Delivery::builder(ConnectGain, url)
            .secret(secret.clone())
            .json(samples::find(ProviderId::ConnectGain, "deal.created").unwrap().body)
            .unwrap();
        assert!(verifier.verify_event_at(&stale, stale.body(), now).is_err());

        // `test` is every provider's test event, whatever its sample is called.
        let test = fresh_delivery_at(Toran, "test", &secret, url, now).unwrap();
        assert_eq!(test.event(), "lead.test");
        let err = fresh_delivery_at(Toran, "lead.nope", &secret, url, now).unwrap_err();
        assert_eq!(err, FreshError::UnknownSample { provider: ProviderId::Toran, name: "lead.nope".to_owned() });
        let long = "é".repeat(100);
        let FreshError::UnknownSample { name, .. } = fresh_delivery_at(Toran, &long, &secret, url, now).unwrap_err()
        else {
            panic!("not UnknownSample")
        };
        assert_eq!(name, "é".repeat(32));
        assert_eq!(
            fresh_delivery_at(Custom, "test", &secret, url, now).unwrap_err(),
            FreshError::NoSamples { target: "custom" }
        );
        assert!(matches!(
            fresh_delivery_at(Toran, "test", &secret, "ftp://x/", now).unwrap_err(),
            FreshError::Prepare(PrepareError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn random_hex_has_the_length_asked() {
        assert_eq!(random_hex(24).len(), 24);
        assert_eq!(random_hex(40).len(), 40);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
