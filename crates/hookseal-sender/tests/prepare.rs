//! Preparing deliveries: exact headers per provider, and every refusal. No network.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use hookseal_core::chrono::{DateTime, Utc};
use hookseal_core::{
    ConnectGain, Custom, Headers, ProviderId, Scheme, Secret, SignatureFormat, Tocc, Toran, Tuco, Verifier,
    WebhookEvent, Zapito, custom, samples, toran, tuco,
};
use hookseal_sender::{Delivery, PrepareError, Target};

const SECRET: &str = "prepare-secret";
const URL: &str = "https://hooks.example.com/in";

fn at() -> DateTime<Utc> {
    "2026-04-15T12:00:00.123456Z".parse().unwrap()
}

fn prepare(provider: ProviderId, name: &str) -> Delivery {
    Delivery::builder(provider, URL)
        .secret(Secret::new(SECRET).unwrap())
        .sent_at(at())
        .json(samples::find(provider, name).unwrap().body)
        .unwrap()
}

fn names(delivery: &Delivery) -> Vec<&str> {
    delivery.headers().iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn each_provider_sends_exactly_its_headers_in_order() {
    let cases: [(ProviderId, &str, &[&str]); 5] = [
        (ProviderId::Tocc, "lead.stalled", &["Content-Type", "X-Tocc-Signature", "X-Tocc-Event"]),
        (ProviderId::Toran, "lead.captured", &["Content-Type", "User-Agent", "X-Toran-Signature", "X-Toran-Event"]),
        (ProviderId::Zapito, "lead.handoff", &["Content-Type", "X-Zapito-Signature", "X-Zapito-Event"]),
        (ProviderId::Tuco, "message.opened", &["Content-Type", "X-Tuco-Signature", "X-Tuco-Event", "X-Tuco-Timestamp"]),
        (
            ProviderId::ConnectGain,
            "deal.stage.changed",
            &["Content-Type", "X-Webhook-Signature", "X-Webhook-Event", "X-Webhook-Timestamp"],
        ),
    ];
    for (provider, event, expected) in cases {
        let delivery = prepare(provider, event);
        assert_eq!(names(&delivery), expected, "{provider}");
        assert_eq!(delivery.header("content-type"), Some("application/json"));
        assert_eq!(delivery.header(provider.scheme().event_header().unwrap()), Some(event));
        assert_eq!(delivery.event(), event);
        assert_eq!(delivery.target(), Target::Provider(provider));
        assert_eq!(delivery.url().as_str(), URL);
        assert_eq!(delivery.sent_at(), at());
        let signature = delivery.header(provider.scheme().signature_header()).unwrap();
        match provider.scheme().format() {
            SignatureFormat::Sha256Prefixed => assert!(signature.starts_with("sha256=") && signature.len() == 71),
            _ => assert!(signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit())),
        }
        assert_eq!(signature, signature.to_lowercase());
    }
    assert_eq!(prepare(ProviderId::Toran, "lead.test").header("user-agent"), Some("Toran-Webhook/1.0"));
}

#[test]
fn timestamp_headers_are_iso_8601_with_milliseconds_of_the_send_time() {
    assert_eq!(prepare(ProviderId::Tuco, "message.sent").header("X-Tuco-Timestamp"), Some("2026-04-15T12:00:00.123Z"));
    assert_eq!(
        prepare(ProviderId::ConnectGain, "contact.created").header("X-Webhook-Timestamp"),
        Some("2026-04-15T12:00:00.123Z")
    );
    // By default: the time of preparation.
    let before = Utc::now();
    let delivery = Delivery::builder(Tuco, URL).secret(Secret::new(SECRET).unwrap()).test_event().unwrap();
    assert!(delivery.sent_at() >= before && delivery.sent_at() <= Utc::now());
}

#[test]
fn the_signature_is_over_the_exact_bytes_and_verifies() {
    // Pretty-printed, with a trailing newline: sent and signed as is.
    let body =
        b"{\n  \"event\": \"lead.captured\", \"lead_id\": \"2b7c\", \"widget_id\": \"w\",\n  \"email\": \"a@b.co\", \
                 \"timestamp\": \"2026-05-04T10:15:30Z\", \"metadata\": {}\n}\n";
    let secret = Secret::new(SECRET).unwrap();
    let delivery = Delivery::builder(Toran, URL).secret(secret.clone()).json(&body[..]).unwrap();
    assert_eq!(delivery.body().as_ref(), body);
    let event = Verifier::<Toran>::new(secret).verify_event(&delivery, delivery.body()).unwrap();
    assert!(matches!(event, toran::Event::LeadCaptured(_)));
    // The wrong secret does not verify: the signature depends on the key.
    assert!(Verifier::<Toran>::new(Secret::new("other").unwrap()).verify(&delivery, delivery.body()).is_err());
}

#[test]
fn markers_and_ids_build_the_same_delivery() {
    let body = samples::find(ProviderId::Zapito, "lead.handoff.model_error").unwrap().body;
    let by_id = Delivery::builder(ProviderId::Zapito, URL).secret(Secret::new(SECRET).unwrap()).sent_at(at());
    let by_marker = Delivery::builder(Zapito, URL).secret(Secret::new(SECRET).unwrap()).sent_at(at());
    assert_eq!(by_id.json(body).unwrap(), by_marker.json(body).unwrap());
    for (target, id) in [
        (Target::from(Tocc), ProviderId::Tocc),
        (Target::from(Toran), ProviderId::Toran),
        (Target::from(Zapito), ProviderId::Zapito),
        (Target::from(Tuco), ProviderId::Tuco),
        (Target::from(ConnectGain), ProviderId::ConnectGain),
    ] {
        assert_eq!(target, Target::Provider(id));
        assert_eq!(target.provider(), Some(id));
        assert_eq!(target.to_string(), id.name());
    }
}

#[test]
fn unknown_events_are_sent_with_their_own_name() {
    let body = br#"{"event":"invoice.paid","timestamp":"2026-04-15T12:00:00Z","data":{"id":"inv_1"}}"#;
    let delivery = Delivery::builder(ConnectGain, URL).secret(Secret::new(SECRET).unwrap()).json(&body[..]).unwrap();
    assert_eq!(delivery.header("X-Webhook-Event"), Some("invoice.paid"));
}

#[test]
fn a_secret_is_required_except_for_connectgain() {
    let body = samples::test_event(ProviderId::Tocc).body;
    assert_eq!(Delivery::builder(Tocc, URL).json(body).unwrap_err(), PrepareError::MissingSecret { target: "tocc" });
    assert_eq!(
        Delivery::builder(ConnectGain, URL).json(samples::test_event(ProviderId::ConnectGain).body).unwrap_err(),
        PrepareError::MissingSecret { target: "connectgain" },
        "even ConnectGain must say `unsigned()` explicitly"
    );
    for provider in [ProviderId::Tocc, ProviderId::Toran, ProviderId::Zapito, ProviderId::Tuco] {
        assert_eq!(
            Delivery::builder(provider, URL).unsigned().test_event().unwrap_err(),
            PrepareError::UnsignedNotAllowed { target: provider.name() }
        );
        assert!(Delivery::builder(provider, URL).secret_opt(None).test_event().is_err());
    }
    let unsigned = Delivery::builder(ConnectGain, URL).secret_opt(None).test_event().unwrap();
    assert_eq!(names(&unsigned), ["Content-Type", "X-Webhook-Event", "X-Webhook-Timestamp"]);
}

#[test]
fn a_body_that_is_not_an_event_of_the_provider_is_refused() {
    let endpoint = Delivery::builder(Tuco, URL).secret(Secret::new(SECRET).unwrap());
    for body in [&b"not json"[..], b"[1,2]", b"{\"no_event\":true}", b"\xff\xfe", b""] {
        assert!(matches!(endpoint.json(body), Err(PrepareError::InvalidBody(_))), "{body:?}");
    }
    // A known event name with a broken schema: refused too (messageId is required).
    let broken = br#"{"event":"message.reply","timestamp":"2026-04-15T12:00:00Z","data":{}}"#;
    assert!(matches!(endpoint.json(&broken[..]), Err(PrepareError::InvalidBody(_))));
    // Unless the event name is given explicitly (for testing receivers).
    let forced = endpoint.clone().event_name("message.reply").json(&b"not json"[..]).unwrap();
    assert_eq!(forced.header("X-Tuco-Event"), Some("message.reply"));
    assert_eq!(forced.body().as_ref(), b"not json");
}

#[test]
fn typed_events_must_be_of_the_targets_type() {
    let event = tuco::Event::from_slice(samples::find(ProviderId::Tuco, "message.reply").unwrap().body).unwrap();
    let delivery = Delivery::builder(Tuco, URL).secret(Secret::new(SECRET).unwrap()).event(&event).unwrap();
    assert_eq!(delivery.header("X-Tuco-Event"), Some("message.reply"));
    assert_eq!(
        Delivery::builder(Toran, URL).secret(Secret::new(SECRET).unwrap()).event(&event).unwrap_err(),
        PrepareError::WrongEventType { target: "toran" }
    );
}

#[test]
fn urls_and_headers_are_checked() {
    let secret = Secret::new(SECRET).unwrap();
    for bad in ["not a url", "/relative/path", "ftp://example.com/x", "mailto:a@example.com", ""] {
        let result = Delivery::builder(Tocc, bad).secret(secret.clone()).test_event();
        assert!(matches!(result, Err(PrepareError::InvalidUrl { .. })), "{bad}");
    }
    let endpoint = Delivery::builder(Tocc, URL).secret(secret);
    assert_eq!(
        endpoint.clone().header("Bad Name", "v").test_event().unwrap_err(),
        PrepareError::InvalidHeader { name: "Bad Name".into() }
    );
    assert_eq!(
        endpoint.clone().header("X-Trace", "line\nbreak").test_event().unwrap_err(),
        PrepareError::InvalidHeader { name: "X-Trace".into() }
    );
    let traced = endpoint.header("X-Trace-Id", "abc123").test_event().unwrap();
    assert_eq!(names(&traced).last(), Some(&"X-Trace-Id"), "extra headers come after the provider's");
}

#[test]
fn custom_targets_sign_with_their_own_scheme() {
    let scheme = Scheme::new("X-Acme-Signature", SignatureFormat::BareHex).with_event_header("X-Acme-Event");
    let secret = Secret::new(SECRET).unwrap();
    let body = br#"{"type":"order.shipped","id":"evt_9","timestamp":"2026-04-15T12:00:00Z"}"#;
    let delivery = Delivery::builder(scheme, URL).secret(secret.clone()).json(&body[..]).unwrap();
    assert_eq!(names(&delivery), ["Content-Type", "X-Acme-Signature", "X-Acme-Event"]);
    assert_eq!(delivery.header("X-Acme-Event"), Some("order.shipped"));
    let event = Verifier::<Custom>::new(secret.clone()).with_scheme(scheme).verify_event(&delivery, delivery.body());
    assert_eq!(event.unwrap().name(), "order.shipped");

    // The Custom marker: `X-Signature: sha256=…`, no event header.
    let plain = Delivery::builder(Custom, URL).secret(secret.clone()).json(&body[..]).unwrap();
    assert_eq!(names(&plain), ["Content-Type", "X-Signature"]);
    let typed = custom::Event::from_slice(body).unwrap();
    assert_eq!(Delivery::builder(Custom, URL).secret(secret).event(&typed).unwrap().body().as_ref(), body);
    assert_eq!(Delivery::builder(Custom, URL).test_event().unwrap_err(), PrepareError::NoTestEvent);
}

#[test]
fn curl_reproduces_the_delivery() {
    let delivery = prepare(ProviderId::Tocc, "customer.updated");
    let curl = delivery.to_curl();
    assert!(curl.starts_with("curl -sS -X POST -H 'Content-Type: application/json' -H 'X-Tocc-Signature: sha256="));
    assert!(curl.ends_with(&format!(" '{URL}'")));
    // Single quotes in the body are escaped for the shell.
    let body = br#"{"eventType":"lead.new","note":"it's"}"#;
    let quoted = Delivery::builder(Custom, URL).secret(Secret::new(SECRET).unwrap()).json(&body[..]).unwrap().to_curl();
    assert!(quoted.contains(r#"--data-binary '{"eventType":"lead.new","note":"it'\''s"}'"#), "{quoted}");
}

#[test]
fn a_delivery_is_a_headers_source_and_comes_apart() {
    let delivery = prepare(ProviderId::Zapito, "lead.handoff");
    let values: Vec<&[u8]> = delivery.values("x-zapito-event").collect();
    assert_eq!(values, [b"lead.handoff".as_slice()]);
    let (url, headers, body) = delivery.clone().into_parts();
    assert_eq!((&url, headers.as_slice(), &body), (delivery.url(), delivery.headers(), delivery.body()));
}
