//! Known-answer tests: one per fixture under `tests/fixtures/<provider>/<name>.json`.
//!
//! Each fixture's signature was computed by an independent tool (Python's
//! `hmac`, cross-checked with `openssl dgst`; see `tests/fixtures/README.md`).
//! The fixtures carry the same events as the compact samples the sender uses,
//! in other byte layouts, so a fixture must verify over its own bytes and
//! parse into exactly the sample's typed event.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hookseal::{
    ConnectGain, Provider, ProviderId, Secret, Signer, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito, samples,
};

const SECRET: &str = "hookseal-fixture-secret";

fn read(provider: &str, file: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", provider, file].iter().collect();
    fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn check(provider: &str, name: &str) {
    let id: ProviderId = provider.parse().unwrap();
    match id {
        ProviderId::Tocc => check_as::<Tocc>(id, name),
        ProviderId::Toran => check_as::<Toran>(id, name),
        ProviderId::Zapito => check_as::<Zapito>(id, name),
        ProviderId::Tuco => check_as::<Tuco>(id, name),
        ProviderId::ConnectGain => check_as::<ConnectGain>(id, name),
        other => panic!("no fixtures expected for {other}"),
    }
}

fn check_as<P: Provider>(id: ProviderId, name: &str) {
    let body = read(id.name(), &format!("{name}.json"));
    let signature = String::from_utf8(read(id.name(), &format!("{name}.sig"))).unwrap();
    let expect: serde_json::Value = serde_json::from_slice(&read(id.name(), &format!("{name}.expect.json"))).unwrap();
    let expected_event = expect["event"].as_str().unwrap();

    // Our signer agrees with the independent tool.
    let secret = Secret::new(SECRET).unwrap();
    assert_eq!(Signer::new(&secret, P::SCHEME.format()).sign(&body), signature, "signature of {name}");

    // The fixture verifies over its own bytes, with the headers the provider sends.
    let headers =
        [(P::SCHEME.signature_header(), signature.as_str()), (P::SCHEME.event_header().unwrap(), expected_event)];
    let event = Verifier::<P>::new(secret).verify_event(&headers, &body).unwrap();
    assert_eq!(event.name(), expected_event);
    assert_eq!(event.is_test(), expect["test"].as_bool().unwrap(), "test marker of {name}");
    assert_eq!(event.idempotency_key(), expect["idempotency_key"].as_str().unwrap());
    let occurred_at: DateTime<Utc> = expect["occurred_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(event.occurred_at(), Some(occurred_at));

    // Same data as the compact sample, whatever the byte layout.
    let sample = samples::find(id, name).unwrap_or_else(|| panic!("no sample {id}/{name}"));
    assert_eq!(event, P::Event::from_slice(sample.body).unwrap(), "{name} differs from its sample");
    assert!(!matches!(event.to_json().as_slice(), b"" | b"null"));

    // And no other secret verifies it.
    let wrong = Verifier::<P>::new(Secret::new("not-the-fixture-secret").unwrap());
    assert_eq!(wrong.verify(&headers, &body).unwrap_err(), hookseal::Error::SignatureMismatch);
}

include!(concat!(env!("OUT_DIR"), "/known_answers.rs"));

#[test]
fn every_sample_has_a_fixture() {
    assert_eq!(FIXTURE_COUNT, samples::all().len());
    for sample in samples::all() {
        let path: PathBuf =
            [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", sample.provider.name(), &format!("{}.json", sample.name)]
                .iter()
                .collect();
        assert!(path.exists(), "missing fixture {}", path.display());
    }
}
