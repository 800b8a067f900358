//! The ready schemes (Standard Webhooks, GitHub, Stripe) and the scheme
//! model: published known answers, other implementations' known bugs (each
//! its own test), replay windows, and header names read at run time.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hookseal_core::{
    Custom, Error, GitHub, HeaderName, HeaderRole, InvalidSecret, KeyMatch, Message, Provider, Scheme, SchemeId,
    Secret, SignatureFault, SignatureFormat, Signer, StandardWebhooks, Stripe, Toran, Verifier, WebhookEvent,
};
use serde_json::Value;

// ------------------------------------------------------------ fixtures

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_STAMP: u64 = 1_614_265_330;
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const STRIPE_SECRET: &str = "whsec_stripe_test_0123456789";
const STRIPE_BODY: &[u8] = br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000}"#;

fn at(secs: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::try_from(secs).unwrap(), 0).unwrap()
}

fn sw() -> Verifier<StandardWebhooks> {
    Verifier::new(Secret::new(SW_SECRET).unwrap())
}

fn sw_headers(signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", SW_ID.to_owned()),
        ("webhook-timestamp", SW_STAMP.to_string()),
        ("webhook-signature", signature.to_owned()),
    ]
}

fn sw_result(headers: &[(&'static str, String)]) -> Result<KeyMatch, Error> {
    sw().verify_at(&headers, SW_BODY, at(SW_STAMP))
}

/// The MAC of exactly `text` under the decoded Standard Webhooks key, as base64: signs
/// whatever bytes a test wants, canonical or not.
fn sw_mac(text: &[u8]) -> String {
    let key = Secret::from_whsec(SW_SECRET).unwrap();
    SignatureFormat::BareBase64.encode(&Signer::new(&key, SignatureFormat::BareHex).mac(text))
}

fn stripe() -> Verifier<Stripe> {
    Verifier::new(Secret::new(STRIPE_SECRET).unwrap())
}

/// `t=<stamp>,v1=<hex>` over exactly `{stamp}.{body}`.
fn stripe_v1(stamp: &str, body: &[u8]) -> String {
    let signer = Signer::new(&Secret::new(STRIPE_SECRET).unwrap(), SignatureFormat::BareHex);
    signer.sign(&[stamp.as_bytes(), b".", body].concat())
}

fn stripe_result(value: &str, now: u64) -> Result<KeyMatch, Error> {
    stripe().verify_at(&[("Stripe-Signature", value)], STRIPE_BODY, at(now))
}

fn vector(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn headers_of(vector: &Value) -> Vec<(String, String)> {
    vector["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

// ------------------------------------------------------ known answers

#[test]
fn known_answer_standard_webhooks_reference_vector() {
    let v = vector(include_str!("vectors/standard-webhooks.json"));
    let scheme: SchemeId = v["scheme"].as_str().unwrap().parse().unwrap();
    let scheme = scheme.scheme();
    let secret = scheme.secret(v["secret"].as_str().unwrap()).unwrap();
    let body = v["body"].as_str().unwrap().as_bytes();
    let stamp = v["timestamp"].as_u64().unwrap();
    let message = Message { id: v["id"].as_str(), timestamp: Some(stamp), event: None };
    let mut signed = Signer::for_scheme(&secret, scheme).unwrap().headers(body, &message);
    let mut expected: Vec<(String, String)> = headers_of(&v);
    signed.sort();
    expected.sort();
    assert_eq!(signed.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect::<Vec<_>>(), expected);
    // And it verifies, at its own time, with the secret as text.
    let verifier = Verifier::<Custom>::new(Secret::new(v["secret"].as_str().unwrap()).unwrap()).with_scheme(scheme);
    assert_eq!(verifier.verify_at(&headers_of(&v), body, at(stamp)), Ok(KeyMatch::Secret(0)));
}

#[test]
fn known_answer_github_documentation_vector() {
    let v = vector(include_str!("vectors/github.json"));
    let scheme: SchemeId = v["scheme"].as_str().unwrap().parse().unwrap();
    let secret = scheme.scheme().secret(v["secret"].as_str().unwrap()).unwrap();
    let body = v["body"].as_str().unwrap().as_bytes();
    let expected = headers_of(&v);
    let signer = Signer::for_scheme(&secret, scheme.scheme()).unwrap();
    assert_eq!(signer.signature(body, &Message::default()), expected[0].1);
    assert_eq!(Verifier::<GitHub>::new(secret).verify(&expected, body), Ok(KeyMatch::Secret(0)));
}

// --------------------------------------- other implementations' bugs

#[test]
fn bare_v1_comma_is_refused() {
    // svix CVE-2024-21491: a signature compared only up to its own length.
    for value in ["v1,", "v1, ", " v1,", "v1,="] {
        let err = sw_result(&sw_headers(value)).unwrap_err();
        assert_eq!(
            err,
            Error::MalformedSignature { header: "webhook-signature", fault: SignatureFault::WrongLength },
            "{value:?}"
        );
        assert_eq!(err.status(), 401);
    }
}

#[test]
fn a_truncated_signature_is_refused_at_every_length() {
    let good = &SW_SIGNATURE[3..];
    for len in 0..good.len() {
        let value = format!("v1,{}", &good[..len]);
        assert!(sw_result(&sw_headers(&value)).is_err(), "{value}");
    }
    assert!(sw_result(&sw_headers(SW_SIGNATURE)).is_ok());
    // Stripe's hex likewise.
    let full = stripe_v1("1700000000", STRIPE_BODY);
    for len in 0..64 {
        assert!(stripe_result(&format!("t=1700000000,v1={}", &full[..len]), 1_700_000_000).is_err(), "{len}");
    }
    assert!(stripe_result(&format!("t=1700000000,v1={full}"), 1_700_000_000).is_ok());
}

#[test]
fn i64_min_and_400_digit_timestamps_are_refused_without_panic() {
    for stamp in [
        "-9223372036854775808".to_owned(),
        "9".repeat(400),
        "9223372036854775808".to_owned(),
        "9223372036854775807".to_owned(),
    ] {
        // Signed over exactly this text, so only the timestamp check can refuse it.
        let signature = format!("v1,{}", sw_mac(&[format!("{SW_ID}.{stamp}.").as_bytes(), SW_BODY].concat()));
        let mut headers = sw_headers(&signature);
        headers[1].1 = stamp.clone();
        for now in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, at(SW_STAMP)] {
            let err = sw().verify_at(&headers, SW_BODY, now).unwrap_err();
            assert_eq!(
                err,
                Error::MalformedSignature { header: "webhook-timestamp", fault: SignatureFault::InvalidTimestamp },
                "{stamp:.30}"
            );
        }
        let value = format!("t={stamp},v1={}", stripe_v1(&stamp, STRIPE_BODY));
        assert_eq!(
            stripe_result(&value, 1_700_000_000).unwrap_err(),
            Error::MalformedSignature { header: "Stripe-Signature", fault: SignatureFault::InvalidTimestamp }
        );
    }
}

#[test]
fn non_canonical_timestamps_are_refused_even_when_signed_as_sent() {
    for stamp in [
        "1614265330.9",
        "+1614265330",
        "1614265330abc",
        "01614265330",
        "1614265330 1",
        "0x60361f72",
        "",
        "1_614_265_330",
    ] {
        let text = [format!("{SW_ID}.{stamp}.").as_bytes(), SW_BODY].concat();
        let mut headers = sw_headers(&format!("v1,{}", sw_mac(&text)));
        headers[1].1 = stamp.to_owned();
        assert_eq!(
            sw_result(&headers).unwrap_err(),
            Error::MalformedSignature { header: "webhook-timestamp", fault: SignatureFault::InvalidTimestamp },
            "{stamp:?}"
        );
        let value = format!("t={stamp},v1={}", stripe_v1(stamp, STRIPE_BODY));
        assert!(
            matches!(
                stripe_result(&value, 1_700_000_000),
                Err(Error::MalformedSignature { fault: SignatureFault::InvalidTimestamp, .. })
            ),
            "{stamp:?}"
        );
    }
    // The canonical spelling of the same instant, signed the same way, verifies.
    let text = [format!("{SW_ID}.{SW_STAMP}.").as_bytes(), SW_BODY].concat();
    assert!(sw_result(&sw_headers(&format!("v1,{}", sw_mac(&text)))).is_ok());
}

#[test]
fn garbage_before_a_good_entry_still_verifies() {
    for value in [
        format!("garbage {SW_SIGNATURE}"),
        format!("v1,!!!! {SW_SIGNATURE}"),
        format!("v1, {SW_SIGNATURE}"),
        format!("v1a,AAAA v2,BBBB {SW_SIGNATURE}"),
        format!("v1,{} {SW_SIGNATURE}", sw_mac(b"another message")),
        format!("{SW_SIGNATURE}   garbage"),
        format!("\t{SW_SIGNATURE}\t"),
    ] {
        assert_eq!(sw_result(&sw_headers(&value)), Ok(KeyMatch::Secret(0)), "{value}");
    }
    let good = stripe_v1("1700000000", STRIPE_BODY);
    for value in [
        format!("t=1700000000,v1=zz,v1={good}"),
        format!("t=1700000000,v1=,v1={good}"),
        format!("t=1700000000,v0={},v1={good}", "0".repeat(64)),
        format!("v1={good},t=1700000000"),
        format!("t=1700000000,junk,x=y,v1={good}"),
        format!("t=1700000000, v1={good}"),
    ] {
        assert_eq!(stripe_result(&value, 1_700_000_000), Ok(KeyMatch::Secret(0)), "{value}");
    }
}

#[test]
fn a_header_with_no_readable_entry_is_malformed_and_one_with_only_wrong_ones_mismatches() {
    for (value, fault) in [
        ("garbage", SignatureFault::UnsupportedVersion),
        ("v1a,AAAA", SignatureFault::UnsupportedVersion),
        (&format!("v1,{}", "!".repeat(44)), SignatureFault::NotBase64),
        (&format!("v1,{}", "A".repeat(43)), SignatureFault::WrongLength),
        ("   ", SignatureFault::Empty),
    ] {
        assert_eq!(
            sw_result(&sw_headers(value)),
            Err(Error::MalformedSignature { header: "webhook-signature", fault }),
            "{value:?}"
        );
    }
    let wrong = format!("v1,{} v1,{}", sw_mac(b"a"), sw_mac(b"b"));
    assert_eq!(sw_result(&sw_headers(&wrong)), Err(Error::SignatureMismatch));
    // Stripe: only v0 is not a v1.
    let good = stripe_v1("1700000000", STRIPE_BODY);
    assert_eq!(
        stripe_result(&format!("t=1700000000,v0={good}"), 1_700_000_000),
        Err(Error::MalformedSignature { header: "Stripe-Signature", fault: SignatureFault::UnsupportedVersion })
    );
}

#[test]
fn a_loose_short_or_empty_whsec_secret_is_refused_and_never_used_as_a_short_key() {
    for (text, err) in [
        ("whsec_", InvalidSecret::Empty),
        ("whsec_not base64!", InvalidSecret::NotBase64),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==", InvalidSecret::NotBase64),
        ("whsec_YWJj", InvalidSecret::TooShort(3)),
        (&format!("whsec_{}==", "A".repeat(30)), InvalidSecret::TooShort(22)),
    ] {
        assert_eq!(Scheme::STANDARD_WEBHOOKS.secret(text).unwrap_err(), err, "{text}");
        assert_eq!(Secret::from_whsec(text).unwrap_err(), err, "{text}");
        assert!(
            Signer::for_scheme(
                &Secret::new(text).unwrap_or_else(|_| Secret::new("x").unwrap()),
                Scheme::STANDARD_WEBHOOKS
            )
            .is_err()
        );
    }
    // A verifier given such a secret as text matches nothing, not even a
    // signature made with the short key a loose decoder would produce.
    let short_key = Secret::from_bytes(b"abc".to_vec()).unwrap();
    let signer = Signer::new(&short_key, SignatureFormat::StandardWebhooks);
    let text = [format!("{SW_ID}.{SW_STAMP}.").as_bytes(), SW_BODY].concat();
    let forged = signer.sign(&text);
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new("whsec_YWJj").unwrap());
    assert_eq!(verifier.verify_at(&sw_headers(&forged), SW_BODY, at(SW_STAMP)), Err(Error::SignatureMismatch));
    assert_eq!(hookseal_core::MIN_WHSEC_BYTES, 24);
}

// ------------------------------------------------------ replay windows

#[test]
fn the_default_window_is_300_seconds_each_way_inclusive() {
    let headers = sw_headers(SW_SIGNATURE);
    assert_eq!(sw().tolerance(), Some(Duration::from_secs(300)));
    assert!(sw().verify_at(&headers, SW_BODY, at(SW_STAMP + 300)).is_ok());
    assert!(sw().verify_at(&headers, SW_BODY, at(SW_STAMP - 300)).is_ok());
    assert_eq!(
        sw().verify_at(&headers, SW_BODY, at(SW_STAMP + 301)),
        Err(Error::TimestampTooOld { age_secs: 301, tolerance_secs: 300 })
    );
    assert_eq!(
        sw().verify_at(&headers, SW_BODY, at(SW_STAMP - 301)),
        Err(Error::TimestampTooNew { ahead_secs: 301, tolerance_secs: 300 })
    );
    let value = format!("t=1700000000,v1={}", stripe_v1("1700000000", STRIPE_BODY));
    assert!(stripe_result(&value, 1_700_000_300).is_ok());
    assert!(matches!(stripe_result(&value, 1_700_000_301), Err(Error::TimestampTooOld { .. })));
    // The five providers keep theirs off by default.
    assert_eq!(Verifier::<Toran>::new(Secret::new("x").unwrap()).tolerance(), None);
}

#[test]
fn the_window_is_configurable_and_extreme_values_do_not_overflow() {
    let headers = sw_headers(SW_SIGNATURE);
    let narrow = sw().replay_window(Duration::from_secs(10));
    assert!(narrow.verify_at(&headers, SW_BODY, at(SW_STAMP + 10)).is_ok());
    assert!(narrow.verify_at(&headers, SW_BODY, at(SW_STAMP + 11)).is_err());
    let wide = sw().replay_window(Duration::MAX);
    for now in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        assert!(wide.verify_at(&headers, SW_BODY, now).is_ok());
        assert!(sw().replay_window(Duration::ZERO).verify_at(&headers, SW_BODY, now).is_err());
    }
    assert!(sw().replay_window(Duration::ZERO).verify_at(&headers, SW_BODY, at(SW_STAMP)).is_ok());
}

#[test]
fn a_sub_second_window_is_kept_to_the_millisecond() {
    // Issue 12, item 6: `replay_window(500 ms)` refused an event 100 ms old.
    let secret = Secret::new("s3cret").unwrap();
    let body = br#"{"event":"lead.captured","lead_id":"L1","widget_id":"w1","timestamp":"2026-05-04T10:15:30Z"}"#;
    let signature = Signer::new(&secret, Toran::SCHEME.format()).sign(body);
    let headers = [("X-Toran-Signature", signature.as_str())];
    let signed = DateTime::parse_from_rfc3339("2026-05-04T10:15:30Z").unwrap().with_timezone(&Utc);
    let verifier = Verifier::<Toran>::new(secret).replay_window(Duration::from_millis(500));
    assert_eq!(verifier.tolerance(), Some(Duration::from_millis(500)));
    for offset in [-500, -100, 0, 100, 500] {
        assert!(verifier.verify_event_at(&headers, body, signed + TimeDelta::milliseconds(offset)).is_ok(), "{offset}");
    }
    for offset in [-501, 501, 600, 1000] {
        assert!(
            verifier.verify_event_at(&headers, body, signed + TimeDelta::milliseconds(offset)).is_err(),
            "{offset}"
        );
    }
    // The same for a signed header timestamp.
    let sw = sw().replay_window(Duration::from_millis(500));
    let headers = sw_headers(SW_SIGNATURE);
    assert!(sw.verify_at(&headers, SW_BODY, at(SW_STAMP) + TimeDelta::milliseconds(100)).is_ok());
    assert!(sw.verify_at(&headers, SW_BODY, at(SW_STAMP) + TimeDelta::milliseconds(501)).is_err());
}

#[test]
fn verify_reads_the_system_clock_for_a_signed_timestamp() {
    let now = u64::try_from(Utc::now().timestamp()).unwrap();
    let secret = Scheme::STANDARD_WEBHOOKS.secret(SW_SECRET).unwrap();
    let signer = Signer::for_scheme(&secret, Scheme::STANDARD_WEBHOOKS).unwrap();
    let fresh = signer.headers(SW_BODY, &Message { id: Some("msg_1"), timestamp: Some(now), event: None });
    assert!(sw().verify(&fresh, SW_BODY).is_ok());
    // The published vector is from 2021: far outside the window today.
    assert!(matches!(sw().verify(&sw_headers(SW_SIGNATURE), SW_BODY), Err(Error::TimestampTooOld { .. })));
}

// ---------------------------------------------- signed parts and headers

#[test]
fn every_signed_part_is_covered() {
    let base = sw_headers(SW_SIGNATURE);
    let mut other_id = base.clone();
    other_id[0].1 = "msg_other".into();
    let mut other_stamp = base.clone();
    other_stamp[1].1 = (SW_STAMP + 1).to_string();
    assert_eq!(sw_result(&other_id), Err(Error::SignatureMismatch));
    assert_eq!(sw_result(&other_stamp), Err(Error::SignatureMismatch));
    assert_eq!(sw().verify_at(&base, br#"{"test": 2432232315}"#, at(SW_STAMP)), Err(Error::SignatureMismatch));
    let value = format!("t=1700000000,v1={}", stripe_v1("1700000000", STRIPE_BODY));
    assert_eq!(
        stripe_result(&value.replace("t=1700000000", "t=1700000001"), 1_700_000_000),
        Err(Error::SignatureMismatch)
    );
}

#[test]
fn missing_or_repeated_signed_headers_are_401() {
    for missing in ["webhook-id", "webhook-timestamp"] {
        let headers: Vec<_> = sw_headers(SW_SIGNATURE).into_iter().filter(|(n, _)| *n != missing).collect();
        let err = sw_result(&headers).unwrap_err();
        assert_eq!(err, Error::MissingSignedHeader { header: missing });
        assert_eq!(err.status(), 401);
    }
    let mut twice = sw_headers(SW_SIGNATURE);
    twice.push(("webhook-timestamp", SW_STAMP.to_string()));
    assert_eq!(sw_result(&twice), Err(Error::DuplicateSignature { header: "webhook-timestamp", count: 2 }));
    let mut empty_id = sw_headers(SW_SIGNATURE);
    empty_id[0].1 = String::new();
    assert_eq!(
        sw_result(&empty_id),
        Err(Error::MalformedSignature { header: "webhook-id", fault: SignatureFault::Empty })
    );
    for value in ["v1=abc", "t=1,t=1700000000,v1=00", ""] {
        assert!(matches!(stripe_result(value, 1_700_000_000), Err(Error::MalformedSignature { .. })), "{value}");
    }
    assert_eq!(
        stripe_result("v1=abc", 1_700_000_000),
        Err(Error::MalformedSignature { header: "Stripe-Signature", fault: SignatureFault::MissingTimestamp })
    );
}

#[test]
fn rotation_tells_which_secret_matched() {
    let old = Secret::new(format!("whsec_{}", "A".repeat(32))).unwrap();
    let verifier = Verifier::<StandardWebhooks>::with_secrets([old, Secret::new(SW_SECRET).unwrap()]).unwrap();
    assert_eq!(verifier.verify_at(&sw_headers(SW_SIGNATURE), SW_BODY, at(SW_STAMP)), Ok(KeyMatch::Secret(1)));
}

#[test]
fn stripe_keys_with_the_whole_secret_string_prefix_included() {
    let value = format!("t=1700000000,v1={}", stripe_v1("1700000000", STRIPE_BODY));
    assert!(stripe_result(&value, 1_700_000_000).is_ok());
    let without_prefix = Verifier::<Stripe>::new(Secret::new(&STRIPE_SECRET[6..]).unwrap());
    assert_eq!(
        without_prefix.verify_at(&[("Stripe-Signature", value.as_str())], STRIPE_BODY, at(1_700_000_000)),
        Err(Error::SignatureMismatch)
    );
}

// ------------------------------------------------- events from headers

#[test]
fn github_takes_the_event_name_and_key_from_headers() {
    let secret = Secret::new("It's a Secret to Everybody").unwrap();
    let body = br#"{"action":"opened","number":1}"#;
    let signature = Signer::for_scheme(&secret, Scheme::GITHUB).unwrap().signature(body, &Message::default());
    let headers = [
        ("X-Hub-Signature-256", signature.as_str()),
        ("X-GitHub-Event", "pull_request"),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
    ];
    let event = Verifier::<GitHub>::new(secret.clone()).verify_event(&headers, body).unwrap();
    assert_eq!(event.name(), "pull_request");
    assert_eq!(event.idempotency_key(), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    assert_eq!(event.occurred_at(), None);
    // The same through `Custom` with the scheme, as the issue's new user tried.
    let custom = Verifier::<Custom>::new(secret.clone()).with_scheme(Scheme::GITHUB);
    assert_eq!(custom.verify_event(&headers, body).unwrap().name(), "pull_request");
    // Without the headers: still authentic, with a content key.
    let event = Verifier::<GitHub>::new(secret).verify_event(&&headers[..1], body).unwrap();
    assert_eq!(event.name(), "");
    assert!(event.idempotency_key().starts_with("sha256:"));
}

#[test]
fn standard_webhooks_and_stripe_events_take_id_and_time_from_what_is_signed() {
    let body = br#"{"type":"invoice.paid","id":12345,"timestamp":1}"#;
    let secret = Scheme::STANDARD_WEBHOOKS.secret(SW_SECRET).unwrap();
    let signer = Signer::for_scheme(&secret, Scheme::STANDARD_WEBHOOKS).unwrap();
    let headers = signer.headers(body, &Message { id: Some("msg_9"), timestamp: Some(SW_STAMP), event: None });
    let event = sw().verify_event_at(&headers, body, at(SW_STAMP)).unwrap();
    assert_eq!((event.name(), event.idempotency_key().as_ref()), ("invoice.paid", "msg_9"));
    assert_eq!(event.occurred_at(), Some(at(SW_STAMP)));
    assert!(matches!(sw().verify_event_at(&headers, body, at(SW_STAMP + 301)), Err(Error::TimestampTooOld { .. })));

    let value = format!("t=1700000000,v1={}", stripe_v1("1700000000", STRIPE_BODY));
    let event =
        stripe().verify_event_at(&[("Stripe-Signature", value.as_str())], STRIPE_BODY, at(1_700_000_000)).unwrap();
    assert_eq!((event.name(), event.idempotency_key().as_ref()), ("invoice.paid", "evt_1"));
    assert_eq!(event.occurred_at(), Some(at(1_700_000_000)));
}

#[test]
fn the_custom_probe_accepts_numeric_ids_and_unix_timestamps() {
    // Issue 12, item 1, for the custom provider.
    let secret = Secret::new("s3cret").unwrap();
    let verifier = Verifier::<Custom>::new(secret.clone());
    let signer = Signer::new(&secret, Custom::SCHEME.format());
    for (body, name, key, time) in [
        (r#"{"type":"invoice.paid","id":12345}"#, "invoice.paid", "12345", None),
        (r#"{"event":"ping","timestamp":1767225600}"#, "ping", "", Some(at(1_767_225_600))),
        (r#"{"event":"ping","timestamp":"2026-01-01T00:00:00Z","id":"a"}"#, "ping", "a", Some(at(1_767_225_600))),
    ] {
        let signature = signer.sign(body.as_bytes());
        let event = verifier.verify_event(&[("X-Signature", signature.as_str())], body.as_bytes()).unwrap();
        assert_eq!(event.name(), name);
        if !key.is_empty() {
            assert_eq!(event.idempotency_key(), key);
        }
        assert_eq!(event.occurred_at(), time);
    }
}

// --------------------------------------------- names from configuration

#[test]
fn header_names_can_come_from_configuration_at_run_time() {
    let prefix = String::from("svix");
    let svix = Scheme::STANDARD_WEBHOOKS
        .set_header(HeaderRole::Signature, &format!("{prefix}-signature"))
        .unwrap()
        .set_header(HeaderRole::Id, &format!("{prefix}-id"))
        .unwrap()
        .set_header(HeaderRole::Timestamp, &format!("{prefix}-timestamp"))
        .unwrap();
    let headers = [("svix-id", SW_ID), ("svix-timestamp", "1614265330"), ("svix-signature", SW_SIGNATURE)];
    let verifier = Verifier::<Custom>::new(Secret::new(SW_SECRET).unwrap()).with_scheme(svix);
    assert_eq!(verifier.verify_at(&headers, SW_BODY, at(SW_STAMP)), Ok(KeyMatch::Secret(0)));
    assert_eq!(
        verifier.verify_at(&sw_headers(SW_SIGNATURE), SW_BODY, at(SW_STAMP)),
        Err(Error::MissingSignature { header: "svix-signature" })
    );

    let name = String::from("X-Acme-Signature");
    let acme = Scheme::named(&name, SignatureFormat::BareBase64).unwrap();
    let secret = Secret::new("acme").unwrap();
    let signature = Signer::for_scheme(&secret, acme).unwrap().signature(b"{}", &Message::default());
    assert_eq!(
        Verifier::<Custom>::new(secret).with_scheme(acme).verify(&[("x-acme-signature", signature)], b"{}"),
        Ok(KeyMatch::Secret(0))
    );
}

#[test]
fn configured_names_are_checked_and_stored_once() {
    for bad in ["", "X Acme", "X-Acme:", "X-Acmé", "a\nb"] {
        assert!(HeaderName::new(bad).is_err(), "{bad:?}");
        assert!(Scheme::named(bad, SignatureFormat::BareHex).is_err(), "{bad:?}");
    }
    assert!(HeaderName::new("x".repeat(129)).is_err());
    let first = HeaderName::new(String::from("X-Stored-Once")).unwrap();
    let again = HeaderName::new(String::from("x-stored-once")).unwrap();
    assert!(std::ptr::eq(first.as_str(), again.as_str()), "the second lookup returns the stored name");
}
