//! The `testing` feature: fresh, signed `TestRequest`s that a real app accepts.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::time::Duration;

use actix_web::test;
use actix_web::{App, HttpRequest, HttpResponse, web};
use hookseal_actix::testing::{self, Delivery, FreshError};
use hookseal_actix::{VerifiedBody, Webhook};
use hookseal_core::{
    ConnectGain, Custom, Provider, ProviderId, Scheme, Secret, SignatureFormat, Tocc, Toran, Tuco, Verifier,
    WebhookEvent, Zapito, samples,
};

const SECRET: &str = "whsec_actix_testing_41b7";

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

/// Answers `name key` of the verified event.
async fn handle<P: Provider>(Webhook(event): Webhook<P>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {}", event.name(), event.idempotency_key()))
}

fn verifier<P: Provider>() -> web::Data<Verifier<P>> {
    web::Data::new(Verifier::<P>::new(secret()).replay_window(Duration::from_secs(300)))
}

/// One app for the five providers, each with a 5-minute replay window.
macro_rules! app {
    () => {
        test::init_service(
            App::new()
                .app_data(verifier::<Tocc>())
                .app_data(verifier::<Toran>())
                .app_data(verifier::<Zapito>())
                .app_data(verifier::<Tuco>())
                .app_data(verifier::<ConnectGain>())
                .route("/webhooks/tocc", web::post().to(handle::<Tocc>))
                .route("/webhooks/toran", web::post().to(handle::<Toran>))
                .route("/webhooks/zapito", web::post().to(handle::<Zapito>))
                .route("/webhooks/tuco", web::post().to(handle::<Tuco>))
                .route("/webhooks/connectgain", web::post().to(handle::<ConnectGain>)),
        )
        .await
    };
}

/// Calls the app with a `TestRequest`; gives the status and the body text.
/// (A macro: the request type `to_request` returns is not nameable.)
macro_rules! call {
    ($app:expr, $request:expr) => {{
        let response = test::call_service($app, $request.to_request()).await;
        let status = response.status().as_u16();
        let body = test::read_body(response).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    }};
}

#[actix_web::test]
async fn every_sample_of_every_provider_is_accepted_fresh_and_refused_stale() {
    let app = app!();
    for sample in samples::all() {
        let uri = format!("/webhooks/{}", sample.provider.name());
        let request = testing::fresh_request(&uri, sample.provider, sample.name, &secret()).unwrap();
        let (status, text) = call!(&app, request);
        assert_eq!(status, 200, "{} {}: {text}", sample.provider, sample.name);
        assert!(text.starts_with(&format!("{} ", sample.event)), "{} {}: {text}", sample.provider, sample.name);

        // The bundled bytes, signed as they are, fail the replay window:
        // the freshness is what lets the request through.
        let stale = testing::signed_request(&uri, sample.provider, sample.body, &secret()).unwrap();
        let (status, text) = call!(&app, stale);
        assert_eq!((status, text.as_str()), (400, "timestamp too old"), "{} {}", sample.provider, sample.name);
    }
}

#[actix_web::test]
async fn the_helpers_take_marker_types_and_the_test_event() {
    let app = app!();
    let (status, text) =
        call!(&app, testing::fresh_request("/webhooks/tuco", Tuco, "message.reply", &secret()).unwrap());
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("message.reply "), "{text}");
    for provider in ProviderId::ALL {
        let uri = format!("/webhooks/{provider}");
        let (status, text) = call!(&app, testing::fresh_request(&uri, provider, "test", &secret()).unwrap());
        assert_eq!(status, 200, "{provider}: {text}");
        assert!(text.starts_with(samples::test_event(provider).event), "{provider}: {text}");
    }
}

#[actix_web::test]
async fn two_fresh_requests_are_two_distinct_events() {
    let app = app!();
    for (provider, event) in
        [(ProviderId::Tocc, "lead.new"), (ProviderId::Toran, "lead.captured"), (ProviderId::Tuco, "message.sent")]
    {
        let uri = format!("/webhooks/{provider}");
        let (_, first) = call!(&app, testing::fresh_request(&uri, provider, event, &secret()).unwrap());
        let (_, second) = call!(&app, testing::fresh_request(&uri, provider, event, &secret()).unwrap());
        assert_ne!(first, second, "{provider}: same idempotency key twice");
    }
}

#[actix_web::test]
async fn another_secret_is_refused_with_401() {
    let app = app!();
    let other = Secret::new("not-the-receivers-secret").unwrap();
    let request = testing::fresh_request("/webhooks/zapito", Zapito, "lead.handoff", &other).unwrap();
    assert_eq!(call!(&app, request), (401, "invalid signature".to_owned()));
}

#[actix_web::test]
async fn a_custom_scheme_is_signed_with_its_own_headers() {
    let scheme = Scheme::new("X-Acme-Signature", SignatureFormat::BareHex).with_event_header("X-Acme-Event");
    async fn acme(Webhook(event): Webhook<Custom>) -> HttpResponse {
        HttpResponse::Ok().body(event.name().to_owned())
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Verifier::<Custom>::new(secret()).with_scheme(scheme)))
            .route("/acme", web::post().to(acme)),
    )
    .await;
    let body = br#"{"type":"invoice.paid","id":"inv_1"}"#;
    let request = testing::signed_request("/acme", scheme, &body[..], &secret()).unwrap();
    assert_eq!(call!(&app, request), (200, "invoice.paid".to_owned()));
    assert_eq!(
        testing::fresh_request("/acme", scheme, "test", &secret()).err().unwrap(),
        FreshError::NoSamples { target: "custom" }
    );
}

#[actix_web::test]
async fn request_keeps_the_path_query_headers_in_order_and_the_exact_body() {
    let body = samples::find(ProviderId::Tuco, "message.failed").unwrap().body;
    let delivery = Delivery::builder(Tuco, "http://hooks.test:8080/in/tuco?tenant=a%20b")
        .secret(secret())
        .header("X-Trace", "42")
        .header("X-Trace", "43")
        .json(body)
        .unwrap();
    /// Echoes what it saw: path and query, host, every header but host, then the verified body.
    async fn echo(req: HttpRequest, VerifiedBody(bytes): VerifiedBody<Tuco>) -> HttpResponse {
        let mut text = format!("{}\n", req.uri());
        for (name, value) in req.headers() {
            text.push_str(&format!("{name}: {}\n", value.to_str().unwrap()));
        }
        text.push_str(std::str::from_utf8(&bytes).unwrap());
        HttpResponse::Ok().body(text)
    }
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Tuco>::new(secret()))).route("/in/tuco", web::post().to(echo)),
    )
    .await;
    let (status, text) = call!(&app, testing::request(&delivery));
    assert_eq!(status, 200, "{text}");
    let (head, got_body) = text.rsplit_once('\n').unwrap();
    assert_eq!(got_body.as_bytes(), body);
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("/in/tuco?tenant=a%20b"));
    let mut seen: Vec<String> = lines.map(str::to_owned).collect();
    assert!(seen.contains(&"host: hooks.test:8080".to_owned()), "{seen:#?}");
    // As on the wire, the length is sent (set by `TestRequest`'s payload).
    assert!(seen.contains(&format!("content-length: {}", body.len())), "{seen:#?}");
    seen.retain(|line| !line.starts_with("host: ") && !line.starts_with("content-length: "));
    // actix's header map groups by name: compare as sets, but repeated values keep their order.
    let mut expected: Vec<String> =
        delivery.headers().iter().map(|(n, v)| format!("{}: {v}", n.to_ascii_lowercase())).collect();
    let traces = |lines: &[String]| lines.iter().filter(|l| l.starts_with("x-trace")).cloned().collect::<Vec<_>>();
    assert_eq!(traces(&seen), ["x-trace: 42", "x-trace: 43"]);
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn bad_names_and_uris_are_errors_not_panics() {
    let err = testing::fresh_request("/x", Toran, "lead.nope", &secret()).err().unwrap();
    assert_eq!(err.to_string(), "no sample `lead.nope` for toran");
    assert!(matches!(testing::fresh_request("not a uri", Toran, "test", &secret()), Err(FreshError::Prepare(_))));
    assert!(testing::signed_request("/x", Toran, &b"not json"[..], &secret()).is_err());
}
