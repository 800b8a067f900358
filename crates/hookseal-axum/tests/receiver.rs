//! The reference receiver driven with tower's `oneshot`: every status for every
//! provider, the `200` summary, the body limit, and the outcome observer.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::sync::mpsc;

use axum::Router;
use common::{Case, SECRET, post, provider_headers, read, secret, sign, sign_with, signed_headers, signed_sample};
use hookseal_axum::receiver::{self, EventSummary, Outcome, Receiver};
use hookseal_core::samples::{self, Sample};
use hookseal_core::{
    BodyErrorKind, ConnectGain, Provider, ProviderId, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
};
use serde_json::json;
use tower::ServiceExt;

fn uri(provider: ProviderId) -> String {
    format!("/webhooks/{}", provider.name())
}

/// The receiver, reporting each outcome on a channel.
fn observed(receiver: Receiver) -> (Router, mpsc::Receiver<Outcome>) {
    let (tx, rx) = mpsc::channel();
    let app = receiver
        .on_outcome(move |outcome| {
            tx.send(outcome).unwrap();
        })
        .router();
    (app, rx)
}

/// What the receiver must answer for `sample`, from the core's own parse of its bytes.
fn expected_summary(sample: &Sample) -> serde_json::Value {
    fn summary<P: Provider>(body: &[u8]) -> serde_json::Value {
        let event = P::Event::from_slice(body).unwrap();
        json!({
            "provider": P::NAME,
            "event": event.name(),
            "test": event.is_test(),
            "idempotency_key": event.idempotency_key(),
        })
    }
    match sample.provider {
        ProviderId::Tocc => summary::<Tocc>(sample.body),
        ProviderId::Toran => summary::<Toran>(sample.body),
        ProviderId::Zapito => summary::<Zapito>(sample.body),
        ProviderId::Tuco => summary::<Tuco>(sample.body),
        ProviderId::ConnectGain => summary::<ConnectGain>(sample.body),
        other => panic!("no provider type for {other}"),
    }
}

#[tokio::test]
async fn every_sample_is_acknowledged_with_its_json_summary() {
    let app = receiver::router(&secret());
    for sample in samples::all() {
        let response = app.clone().oneshot(signed_sample(&uri(sample.provider), sample)).await.unwrap();
        let (status, content_type, body) = read(response).await;
        let what = format!("{} {}", sample.provider, sample.name);
        assert_eq!((status, content_type.as_str()), (200, "application/json"), "{what}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer, expected_summary(sample), "{what}");
        assert_eq!(answer["event"], sample.event, "{what}");
        assert_eq!(answer["test"], sample.is_test, "{what}");
        assert_eq!(answer["provider"], sample.provider.name(), "{what}");
    }
}

/// The headers without the provider's signature header.
fn without_signature(provider: ProviderId, headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let name = provider.scheme().signature_header();
    headers.into_iter().filter(|(n, _)| !n.eq_ignore_ascii_case(name)).collect()
}

/// The headers with the signature replaced by `values` (each its own header line).
fn signature_values(provider: ProviderId, event: &str, values: &[&str]) -> Vec<(String, String)> {
    let mut headers = provider_headers(provider, event);
    for value in values {
        headers.push((provider.scheme().signature_header().to_owned(), (*value).to_owned()));
    }
    headers
}

/// A valid JSON body that does not fit any provider's schema for `event`.
fn off_schema(event: &str) -> Vec<u8> {
    format!(r#"{{"event":"{event}","eventType":"{event}","timestamp":12,"at":12,"data":7}}"#).into_bytes()
}

#[tokio::test]
async fn every_rejection_gets_its_status_for_every_provider() {
    for provider in ProviderId::ALL {
        let (app, outcomes) = observed(Receiver::new(&secret()));
        let sample = samples::test_event(provider);
        let (body, event) = (sample.body, sample.event);
        let good = sign(provider, body);
        let bare_hex = good.trim_start_matches("sha256=").to_owned();
        let wrong_format = match provider.scheme().format() {
            hookseal_core::SignatureFormat::BareHex => format!("sha256={good}"),
            _ => bare_hex.clone(),
        };
        let not_json = b"{\"event\":".to_vec();
        let schema = off_schema(event);
        let mut wrong_event = signed_headers(provider, "not.this.event", body);
        wrong_event.retain(|(name, value)| name != "Content-Type" || value == "application/json");

        let cases: Vec<Case> = vec![
            (
                "missing",
                without_signature(provider, signed_headers(provider, event, body)),
                body.to_vec(),
                401,
                "missing signature",
            ),
            (
                "wrong format",
                signature_values(provider, event, &[&wrong_format]),
                body.to_vec(),
                401,
                "malformed signature",
            ),
            (
                "truncated",
                signature_values(provider, event, &[&good[..good.len() - 2]]),
                body.to_vec(),
                401,
                "malformed signature",
            ),
            (
                "duplicate",
                signature_values(provider, event, &[&good, &good]),
                body.to_vec(),
                401,
                "duplicate signature header",
            ),
            (
                "other secret",
                signature_values(provider, event, &[&sign_with(provider, "other-secret", body)]),
                body.to_vec(),
                401,
                "invalid signature",
            ),
            ("tampered", signed_headers(provider, event, body), [body, b"\n"].concat(), 401, "invalid signature"),
            ("not JSON", signed_headers(provider, event, &not_json), not_json.clone(), 400, "invalid body"),
            ("off schema", signed_headers(provider, event, &schema), schema.clone(), 400, "invalid body"),
            ("event header mismatch", wrong_event, body.to_vec(), 400, "event header does not match body"),
        ];
        let count = cases.len();
        for (case, headers, body, status, text) in cases {
            let response = app.clone().oneshot(post(&uri(provider), &headers, body)).await.unwrap();
            let (got_status, _, got_text) = read(response).await;
            assert_eq!((got_status, got_text.as_str()), (status, text), "{provider} {case}");
            match outcomes.try_recv().unwrap() {
                Outcome::Rejected { provider: Some(p), status: s, reason } => {
                    assert_eq!((p, s), (provider, status), "{provider} {case}: {reason}");
                    assert!(!reason.contains(SECRET), "{provider} {case}");
                }
                other => panic!("{provider} {case}: {other:?}"),
            }
        }
        assert!(outcomes.try_recv().is_err(), "{provider}: more than {count} outcomes");
    }
}

#[test]
fn the_off_schema_bodies_really_are_schema_errors() {
    fn kind<P: Provider>(body: &[u8]) -> BodyErrorKind {
        P::Event::from_slice(body).unwrap_err().kind()
    }
    for provider in ProviderId::ALL {
        let body = off_schema(samples::test_event(provider).event);
        let kind = match provider {
            ProviderId::Tocc => kind::<Tocc>(&body),
            ProviderId::Toran => kind::<Toran>(&body),
            ProviderId::Zapito => kind::<Zapito>(&body),
            ProviderId::Tuco => kind::<Tuco>(&body),
            ProviderId::ConnectGain => kind::<ConnectGain>(&body),
            other => panic!("{other}"),
        };
        assert_eq!(kind, BodyErrorKind::Schema, "{provider}");
    }
}

#[tokio::test]
async fn an_unknown_provider_is_404_and_reported() {
    let (app, outcomes) = observed(Receiver::new(&secret()));
    let sample = samples::test_event(ProviderId::Toran);
    for name in ["stripe", "Toran", "toran2"] {
        let response = app.clone().oneshot(signed_sample(&format!("/webhooks/{name}"), sample)).await.unwrap();
        assert_eq!(read(response).await, (404, "text/plain; charset=utf-8".into(), "unknown provider".into()));
        match outcomes.try_recv().unwrap() {
            Outcome::Rejected { provider: None, status: 404, reason } => assert!(reason.contains(name), "{reason}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn accepted_requests_are_reported_with_their_summary() {
    let (app, outcomes) = observed(Receiver::new(&secret()));
    let sample = samples::find(ProviderId::Zapito, "lead.handoff.model_error").unwrap();
    let (status, _, body) = read(app.oneshot(signed_sample("/webhooks/zapito", sample)).await.unwrap()).await;
    assert_eq!(status, 200);
    let Outcome::Accepted(summary) = outcomes.try_recv().unwrap() else { panic!("not accepted") };
    let event = hookseal_core::zapito::Event::from_slice(sample.body).unwrap();
    assert_eq!(summary, EventSummary::new(ProviderId::Zapito, &event));
    assert_eq!(serde_json::to_value(&summary).unwrap(), serde_json::from_str::<serde_json::Value>(&body).unwrap());
    assert_eq!(summary.json, event.to_json());
}

/// A sample padded with trailing whitespace (still valid JSON) to `size` bytes.
fn padded(sample: &Sample, size: usize) -> Vec<u8> {
    let mut body = sample.body.to_vec();
    body.resize(size, b' ');
    body
}

#[tokio::test]
async fn the_body_limit_is_the_receivers_and_may_exceed_axums_default() {
    let limit = 3 * 1024 * 1024; // over axum's 2 MB default
    let (app, outcomes) = observed(Receiver::new(&secret()).body_limit(limit));
    let sample = samples::test_event(ProviderId::Tuco);
    for (size, status) in [(limit, 200), (limit + 1, 413)] {
        let body = padded(sample, size);
        let headers = signed_headers(sample.provider, sample.event, &body);
        let (got, _, text) = read(app.clone().oneshot(post("/webhooks/tuco", &headers, body)).await.unwrap()).await;
        assert_eq!(got, status, "{size} bytes: {text}");
        match (status, outcomes.try_recv().unwrap()) {
            (200, Outcome::Accepted(summary)) => assert!(summary.test),
            (413, Outcome::Rejected { status: 413, reason, .. }) => {
                assert_eq!(reason, format!("request body exceeds the {limit} byte limit"));
            }
            (_, other) => panic!("{size} bytes: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    let app = receiver::router(&secret());
    let sample = samples::test_event(ProviderId::Tocc);
    for (size, status) in [(hookseal_core::DEFAULT_BODY_LIMIT, 200), (hookseal_core::DEFAULT_BODY_LIMIT + 1, 413)] {
        let body = padded(sample, size);
        let headers = signed_headers(sample.provider, sample.event, &body);
        let (got, _, _) = read(app.clone().oneshot(post("/webhooks/tocc", &headers, body)).await.unwrap()).await;
        assert_eq!(got, status, "{size} bytes");
    }
}

#[tokio::test]
async fn from_verifiers_keeps_each_providers_own_configuration() {
    let toran_secret = hookseal_core::Secret::new("toran-only").unwrap();
    let receiver = Receiver::from_verifiers(
        Verifier::new(secret()),
        Verifier::new(toran_secret),
        Verifier::new(secret()),
        Verifier::new(secret()).body_limit(10),
        Verifier::new(secret()),
    );
    let app = receiver.router();
    let toran = samples::test_event(ProviderId::Toran);
    let (status, _, _) = read(app.clone().oneshot(signed_sample("/webhooks/toran", toran)).await.unwrap()).await;
    assert_eq!(status, 401, "Toran must use its own secret");
    let mut headers = provider_headers(ProviderId::Toran, toran.event);
    headers.push(("X-Toran-Signature".into(), sign_with(ProviderId::Toran, "toran-only", toran.body)));
    let (status, _, _) = read(app.clone().oneshot(post("/webhooks/toran", &headers, toran.body)).await.unwrap()).await;
    assert_eq!(status, 200);

    let tuco = samples::test_event(ProviderId::Tuco);
    let (status, _, _) = read(app.clone().oneshot(signed_sample("/webhooks/tuco", tuco)).await.unwrap()).await;
    assert_eq!(status, 413, "Tuco's 10-byte limit");
    let tocc = samples::test_event(ProviderId::Tocc);
    let (status, _, _) = read(app.oneshot(signed_sample("/webhooks/tocc", tocc)).await.unwrap()).await;
    assert_eq!(status, 200);
}

#[test]
fn debug_output_never_shows_the_secret() {
    let receiver = Receiver::new(&secret());
    let text = format!("{receiver:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("redacted"), "{text}");
}
