//! The `testing` feature: fresh, signed requests that a real router accepts.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use hookseal_axum::testing::{self, Delivery, FreshError};
use hookseal_axum::{VerifiedBody, Webhook};
use hookseal_core::{
    ConnectGain, Custom, Provider, ProviderId, Scheme, Secret, SignatureFormat, Tocc, Toran, Tuco, Verifier,
    WebhookEvent, Zapito, samples,
};
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const SECRET: &str = "whsec_axum_testing_9d2e";

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

/// Answers `name key` of the verified event.
async fn handle<P: Provider>(Webhook(event): Webhook<P>) -> String {
    format!("{} {}", event.name(), event.idempotency_key())
}

fn route<P: Provider>() -> Router {
    let verifier = Verifier::<P>::new(secret()).replay_window(Duration::from_secs(300));
    Router::new().route(&format!("/webhooks/{}", P::NAME), post(handle::<P>)).with_state(verifier)
}

/// One app for the five providers, each with a 5-minute replay window.
fn app() -> Router {
    Router::new()
        .merge(route::<Tocc>())
        .merge(route::<Toran>())
        .merge(route::<Zapito>())
        .merge(route::<Tuco>())
        .merge(route::<ConnectGain>())
}

async fn call(app: &Router, request: Request<Body>) -> (u16, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn every_sample_of_every_provider_is_accepted_fresh_and_refused_stale() {
    let app = app();
    for sample in samples::all() {
        let uri = format!("/webhooks/{}", sample.provider.name());
        let request = testing::fresh_request(&uri, sample.provider, sample.name, &secret()).unwrap();
        let (status, text) = call(&app, request).await;
        assert_eq!(status, 200, "{} {}: {text}", sample.provider, sample.name);
        assert!(text.starts_with(&format!("{} ", sample.event)), "{} {}: {text}", sample.provider, sample.name);

        // The bundled bytes, signed as they are, fail the replay window:
        // the freshness is what lets the request through.
        let stale = testing::signed_request(&uri, sample.provider, sample.body, &secret()).unwrap();
        let (status, text) = call(&app, stale).await;
        assert_eq!((status, text.as_str()), (400, "timestamp too old"), "{} {}", sample.provider, sample.name);
    }
}

#[tokio::test]
async fn the_helpers_take_marker_types_and_the_test_event() {
    let app = app();
    let (status, text) =
        call(&app, testing::fresh_request("/webhooks/tuco", Tuco, "message.reply", &secret()).unwrap()).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("message.reply "), "{text}");
    for provider in ProviderId::ALL {
        let uri = format!("/webhooks/{provider}");
        let (status, text) = call(&app, testing::fresh_request(&uri, provider, "test", &secret()).unwrap()).await;
        assert_eq!(status, 200, "{provider}: {text}");
        assert!(text.starts_with(samples::test_event(provider).event), "{provider}: {text}");
    }
}

#[tokio::test]
async fn two_fresh_requests_are_two_distinct_events() {
    let app = app();
    for (provider, event) in
        [(ProviderId::Tocc, "lead.new"), (ProviderId::Toran, "lead.captured"), (ProviderId::Tuco, "message.sent")]
    {
        let uri = format!("/webhooks/{provider}");
        let (_, first) = call(&app, testing::fresh_request(&uri, provider, event, &secret()).unwrap()).await;
        let (_, second) = call(&app, testing::fresh_request(&uri, provider, event, &secret()).unwrap()).await;
        assert_ne!(first, second, "{provider}: same idempotency key twice");
    }
}

#[tokio::test]
async fn another_secret_is_refused_with_401() {
    let other = Secret::new("not-the-receivers-secret").unwrap();
    let request = testing::fresh_request("/webhooks/zapito", Zapito, "lead.handoff", &other).unwrap();
    assert_eq!(call(&app(), request).await, (401, "invalid signature".to_owned()));
}

#[tokio::test]
async fn a_custom_scheme_is_signed_with_its_own_headers() {
    let scheme = Scheme::new("X-Acme-Signature", SignatureFormat::BareHex).with_event_header("X-Acme-Event");
    let verifier = Verifier::<Custom>::new(secret()).with_scheme(scheme);
    async fn acme(Webhook(event): Webhook<Custom>) -> String {
        event.name().to_owned()
    }
    let app = Router::new().route("/acme", post(acme)).with_state(verifier);
    let body = br#"{"type":"invoice.paid","id":"inv_1"}"#;
    let request = testing::signed_request("/acme", scheme, &body[..], &secret()).unwrap();
    assert_eq!(request.headers()["x-acme-event"], "invoice.paid");
    assert_eq!(call(&app, request).await, (200, "invoice.paid".to_owned()));
    // A custom scheme has no bundled samples.
    assert_eq!(
        testing::fresh_request("/acme", scheme, "test", &secret()).unwrap_err(),
        FreshError::NoSamples { target: "custom" }
    );
}

#[tokio::test]
async fn request_keeps_the_path_query_headers_in_order_and_the_exact_body() {
    let body = samples::find(ProviderId::Tuco, "message.failed").unwrap().body;
    let delivery = Delivery::builder(Tuco, "http://hooks.test:8080/in/tuco?tenant=a%20b")
        .secret(secret())
        .header("X-Trace", "42")
        .header("X-Trace", "43")
        .json(body)
        .unwrap();
    let request = testing::request(&delivery);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri().to_string(), "/in/tuco?tenant=a%20b");
    assert_eq!(request.headers()["host"], "hooks.test:8080");
    assert_eq!(request.headers()["content-length"], body.len().to_string().as_str());
    let sent: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(name, _)| *name != "host" && *name != "content-length")
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> =
        delivery.headers().iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
    assert_eq!(sent, expected);
    // It verifies over the very bytes of the body.
    let app = Router::new()
        .route("/in/tuco", post(|VerifiedBody(bytes): VerifiedBody<Tuco>| async move { bytes }))
        .with_state(Verifier::<Tuco>::new(secret()));
    assert_eq!(call(&app, request).await, (200, String::from_utf8(body.to_vec()).unwrap()));
}

#[test]
fn bad_names_and_uris_are_errors_not_panics() {
    let err = testing::fresh_request("/x", Toran, "lead.nope", &secret()).unwrap_err();
    assert_eq!(err.to_string(), "no sample `lead.nope` for toran");
    assert!(matches!(testing::fresh_request("not a uri", Toran, "test", &secret()), Err(FreshError::Prepare(_))));
    assert!(testing::signed_request("/x", Toran, &b"not json"[..], &secret()).is_err());
}
