//! Inputs the fuzz targets (`fuzz/`) found, kept as tests.
//!
//! Each file under `tests/regressions/<target>/` is an input that once broke
//! the property of that fuzz target; `every_saved_input_keeps_its_property`
//! replays them all. The named tests below say what each one was about.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::Path;

use hookseal_core::{ConnectGain, Custom, Provider, Tocc, Toran, Tuco, WebhookEvent, Zapito, custom, tocc, zapito};
use sha2::{Digest, Sha256};

/// The property of the `parse_*` fuzz targets: a parsed event's wire JSON
/// parses back into an equal event with the same name, key and timestamp.
fn assert_round_trips<P: Provider>(body: &[u8]) {
    let event = P::Event::from_slice(body).unwrap();
    let json = event.to_json();
    let again = P::Event::from_slice(&json).unwrap();
    assert_eq!(again, event, "{}", String::from_utf8_lossy(&json));
    assert_eq!(again.to_json(), json);
    assert_eq!(again.name(), event.name());
    assert_eq!(again.idempotency_key(), event.idempotency_key());
    assert_eq!(again.occurred_at(), event.occurred_at());
}

/// The `whsec_secret` inputs saved here are all invalid: refused, without a panic.
fn assert_whsec_refused_without_panic(text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    assert!(hookseal_core::Secret::from_whsec(&text).is_err(), "{text:?}");
    assert!(hookseal_core::Scheme::STANDARD_WEBHOOKS.secret(&text).is_err(), "{text:?}");
}

fn sha256_key(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

#[test]
fn every_saved_input_keeps_its_property() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut replayed = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let target = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let check: fn(&[u8]) = match target.as_str() {
            "parse_tocc" => assert_round_trips::<Tocc>,
            "parse_toran" => assert_round_trips::<Toran>,
            "parse_zapito" => assert_round_trips::<Zapito>,
            "parse_tuco" => assert_round_trips::<Tuco>,
            "parse_connectgain" => assert_round_trips::<ConnectGain>,
            "parse_custom" => assert_round_trips::<Custom>,
            "whsec_secret" => assert_whsec_refused_without_panic,
            other => panic!("no property known for tests/regressions/{other}"),
        };
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            eprintln!("replaying {}", path.display());
            check(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 6, "only {replayed} saved inputs found");
}

/// Found by `parse_tocc` (and every other `parse_*` target) in seconds: the
/// key of an event without an id of its own was a hash of the body with its
/// trailing newline, while `to_json` writes the JSON without it, so the same
/// event got another key after a round trip. It now hashes the JSON text.
#[test]
fn content_key_ignores_whitespace_around_the_json() {
    let json = r#"{"eventType":"lead.archived","timestamp":"2026-07-01T12:00:00.000Z"}"#;
    let padded = format!("\n {json}\r\n\t");
    let event = tocc::Event::from_json(&padded).unwrap();
    assert!(matches!(event, tocc::Event::Unknown(_)));
    assert_eq!(event.idempotency_key(), sha256_key(json));
    assert_eq!(tocc::Event::from_json(json).unwrap().idempotency_key(), sha256_key(json));

    let event = custom::Event::from_json(&padded).unwrap();
    assert_eq!(event.raw().get(), json);
    assert_eq!(event.idempotency_key(), sha256_key(json));
    // A key of the sender's own is still used as it is.
    let with_id = custom::Event::from_json(r#" {"id":"evt_1","event":"x"} "#).unwrap();
    assert_eq!(with_id.idempotency_key(), "evt_1");
}

/// Found while writing `parse_zapito`'s property (libFuzzer had not reached it
/// yet): millisecond timestamps were written back with 3 digits even when the
/// body had more, so `2026-07-01T09:00:00.0001Z` came back as `.000Z` and the
/// round-tripped event differed. Finer fractions are now kept.
#[test]
fn millisecond_timestamps_keep_a_finer_fraction() {
    let body = r#"{"event":"lead.handoff","at":"2026-07-01T09:00:00.0001Z","reason":"test","bot":{"id":"b","name":"B"},"conversation":{"id":"c","channel":"whatsapp","status":"handoff"}}"#;
    assert_round_trips::<Zapito>(body.as_bytes());
    let event = zapito::Event::from_json(body).unwrap();
    let json = String::from_utf8(event.to_json()).unwrap();
    assert!(json.contains(r#""at":"2026-07-01T09:00:00.000100Z""#), "{json}");

    // Whole milliseconds are still written the way the providers write them.
    let body = body.replace(".0001Z", ".120Z");
    let json = String::from_utf8(zapito::Event::from_json(&body).unwrap().to_json()).unwrap();
    assert!(json.contains(r#""at":"2026-07-01T09:00:00.120Z""#), "{json}");
}
