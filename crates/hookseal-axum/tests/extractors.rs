//! The extractors driven through axum's `Router` with tower's `oneshot`:
//! every rejection and its status, each extractor, custom rejections, state, and limits.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use common::{Case, SECRET, post as request, read, secret, sign, sign_with, signed_headers, signed_sample};
use futures_util::stream;
use hookseal_axum::{VerifiedBody, Webhook, WebhookJson, WebhookRejection};
use hookseal_core::{
    DEFAULT_BODY_LIMIT, Error, Provider, ProviderId, Secret, SignatureFault, Toran, Tuco, Verifier, WebhookEvent,
    samples, toran, tuco,
};
use http::StatusCode;
use tokio::sync::mpsc;
use tower::ServiceExt;

fn toran_sample() -> &'static samples::Sample {
    samples::find(ProviderId::Toran, "lead.captured").unwrap()
}

fn toran_verifier() -> Verifier<Toran> {
    Verifier::new(secret())
}

/// A router whose handler reports each verified event on a channel and answers its idempotency key.
fn toran_events() -> (Router, mpsc::UnboundedReceiver<toran::Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/toran",
            post(move |Webhook(event): Webhook<Toran>| {
                let key = event.idempotency_key().into_owned();
                tx.send(event).unwrap();
                async move { key }
            }),
        )
        .with_state(toran_verifier());
    (app, rx)
}

/// What a handler extracting a `Result` answers: `seen`, or the rejection's own response.
fn answer<T>(result: &Result<T, WebhookRejection>) -> Response {
    match result {
        Ok(_) => "seen".into_response(),
        Err(rejection) => rejection.clone().into_response(),
    }
}

/// A router whose handler reports each extraction's outcome, rejected or not.
fn toran_results() -> (Router, mpsc::UnboundedReceiver<Result<toran::Event, WebhookRejection>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/toran",
            post(move |result: Result<Webhook<Toran>, WebhookRejection>| {
                let response = answer(&result);
                tx.send(result.map(Webhook::into_inner)).unwrap();
                async { response }
            }),
        )
        .with_state(toran_verifier());
    (app, rx)
}

fn toran_headers(body: &[u8]) -> Vec<(String, String)> {
    signed_headers(ProviderId::Toran, "lead.captured", body)
}

/// The headers without the signature.
fn unsigned(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.into_iter().filter(|(name, _)| !name.eq_ignore_ascii_case(Toran::SCHEME.signature_header())).collect()
}

/// The headers with the signature replaced by `value`.
fn with_signature(headers: Vec<(String, String)>, value: &str) -> Vec<(String, String)> {
    let mut headers = unsigned(headers);
    headers.push((Toran::SCHEME.signature_header().to_owned(), value.to_owned()));
    headers
}

#[tokio::test]
async fn webhook_hands_the_handler_the_typed_event_of_the_exact_bytes() {
    let (app, mut events) = toran_events();
    let sample = toran_sample();
    let response = app.oneshot(signed_sample("/toran", sample)).await.unwrap();
    let expected = toran::Event::from_slice(sample.body).unwrap();
    assert_eq!(read(response).await, (200, "text/plain; charset=utf-8".into(), expected.idempotency_key().into()));
    assert_eq!(events.try_recv().unwrap(), expected);
}

#[tokio::test]
async fn every_rejection_has_its_status_and_fixed_text_and_the_handler_never_runs() {
    let body = toran_sample().body;
    let good = toran_headers(body);
    let other_secret = sign_with(ProviderId::Toran, "not-the-secret", body);
    let mut duplicated = good.clone();
    duplicated.push((Toran::SCHEME.signature_header().to_owned(), sign(ProviderId::Toran, body)));
    let not_json = br#"{"event":"lead.captured","lead_id":"#;
    let wrong_schema = br#"{"event":"lead.captured","lead_id":42}"#;
    let mut mismatched_event = unsigned(toran_headers(body))
        .into_iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("X-Toran-Event"))
        .collect::<Vec<_>>();
    mismatched_event.push(("X-Toran-Event".into(), "lead.test".into()));
    mismatched_event.push((Toran::SCHEME.signature_header().into(), sign(ProviderId::Toran, body)));

    let cases: Vec<Case> = vec![
        ("missing", unsigned(good.clone()), body.to_vec(), 401, "missing signature"),
        (
            "bare hex where sha256= is required",
            with_signature(good.clone(), &"ab".repeat(32)),
            body.to_vec(),
            401,
            "malformed signature",
        ),
        (
            "not hex",
            with_signature(good.clone(), &format!("sha256={}", "zz".repeat(32))),
            body.to_vec(),
            401,
            "malformed signature",
        ),
        ("duplicate", duplicated, body.to_vec(), 401, "duplicate signature header"),
        ("other secret", with_signature(good.clone(), &other_secret), body.to_vec(), 401, "invalid signature"),
        ("tampered body", good.clone(), [body, b" "].concat(), 401, "invalid signature"),
        ("not JSON", toran_headers(not_json), not_json.to_vec(), 400, "invalid body"),
        ("wrong schema", toran_headers(wrong_schema), wrong_schema.to_vec(), 400, "invalid body"),
        ("event header mismatch", mismatched_event, body.to_vec(), 400, "event header does not match body"),
    ];
    let (app, mut events) = toran_events();
    for (case, headers, body, status, text) in cases {
        let response = app.clone().oneshot(request("/toran", &headers, body)).await.unwrap();
        let (got_status, content_type, got_text) = read(response).await;
        assert_eq!((got_status, got_text.as_str()), (status, text), "{case}");
        assert_eq!(content_type, "text/plain; charset=utf-8", "{case}");
        assert!(!got_text.contains(SECRET), "{case}");
    }
    assert!(events.try_recv().is_err(), "the handler ran for a refused request");
}

#[tokio::test]
async fn a_result_extractor_sees_the_exact_rejection() {
    let body = toran_sample().body;
    let (app, mut results) = toran_results();

    app.clone().oneshot(request("/toran", &unsigned(toran_headers(body)), body)).await.unwrap();
    assert_eq!(
        results.try_recv().unwrap(),
        Err(WebhookRejection::Verification(Error::MissingSignature { header: "X-Toran-Signature" }))
    );

    let headers = with_signature(toran_headers(body), "sha256=abc");
    app.clone().oneshot(request("/toran", &headers, body)).await.unwrap();
    assert_eq!(
        results.try_recv().unwrap(),
        Err(WebhookRejection::Verification(Error::MalformedSignature {
            header: "X-Toran-Signature",
            fault: SignatureFault::WrongLength
        }))
    );

    app.clone().oneshot(request("/toran", &toran_headers(body), body)).await.unwrap();
    assert_eq!(results.try_recv().unwrap(), Ok(toran::Event::from_slice(body).unwrap()));
}

/// A body that records whether it was ever polled, and then yields `size` bytes in 64 KiB chunks,
/// counting the bytes handed out.
fn watched_body(size: usize) -> (Body, Arc<AtomicBool>, Arc<AtomicUsize>) {
    const CHUNK: usize = 64 * 1024;
    let polled = Arc::new(AtomicBool::new(false));
    let handed_out = Arc::new(AtomicUsize::new(0));
    let (flag, counter) = (polled.clone(), handed_out.clone());
    let chunks = stream::iter((0..size.div_ceil(CHUNK)).map(move |index| {
        flag.store(true, Ordering::SeqCst);
        let len = CHUNK.min(size - index * CHUNK);
        counter.fetch_add(len, Ordering::SeqCst);
        Ok::<_, Infallible>(Bytes::from(vec![b' '; len]))
    }));
    (Body::from_stream(chunks), polled, handed_out)
}

const TEN_MIB: usize = 10 * 1024 * 1024;

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_without_reading_the_body() {
    let (app, mut results) = toran_results();
    let (body, polled, _) = watched_body(TEN_MIB);
    let mut req = request("/toran", &toran_headers(b"{}"), body);
    req.headers_mut().insert(http::header::CONTENT_LENGTH, TEN_MIB.into());
    let (status, _, text) = read(app.oneshot(req).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (413, "body too large"));
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::BodyTooLarge { limit: DEFAULT_BODY_LIMIT }));
    assert!(!polled.load(Ordering::SeqCst), "the body was read although its length was declared too large");
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused_after_reading_no_more_than_the_limit() {
    let (app, mut results) = toran_results();
    let (body, _, handed_out) = watched_body(TEN_MIB);
    let (status, _, _) = read(app.oneshot(request("/toran", &toran_headers(b"{}"), body)).await.unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::BodyTooLarge { limit: DEFAULT_BODY_LIMIT }));
    let read_bytes = handed_out.load(Ordering::SeqCst);
    assert!(read_bytes > DEFAULT_BODY_LIMIT, "only {read_bytes} bytes were read");
    assert!(read_bytes <= DEFAULT_BODY_LIMIT + 64 * 1024, "{read_bytes} bytes were read for a 1 MiB limit");
}

/// A router with one route verifying raw bodies with `verifier`, reporting each outcome.
fn raw_route(verifier: Verifier<Toran>) -> (Router, mpsc::UnboundedReceiver<Result<Bytes, WebhookRejection>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/raw",
            post(move |result: Result<VerifiedBody<Toran>, WebhookRejection>| {
                let response = answer(&result);
                tx.send(result.map(VerifiedBody::into_inner)).unwrap();
                async { response }
            }),
        )
        .with_state(verifier);
    (app, rx)
}

fn signed_raw(body: &[u8]) -> http::Request<Body> {
    request("/raw", &toran_headers(body), body.to_vec())
}

#[tokio::test]
async fn the_verifier_body_limit_applies_per_route_to_the_byte() {
    let (app, mut results) = raw_route(toran_verifier().body_limit(64));
    let at_limit = [b'x'; 64];
    let over_limit = [b'x'; 65];

    let (status, _, _) = read(app.clone().oneshot(signed_raw(&at_limit)).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(results.try_recv().unwrap(), Ok(Bytes::copy_from_slice(&at_limit)));

    let (status, _, _) = read(app.clone().oneshot(signed_raw(&over_limit)).await.unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::BodyTooLarge { limit: 64 }));

    // The same without a Content-Length: the limit is enforced while reading.
    let chunks =
        stream::iter([Ok::<_, Infallible>(Bytes::from_static(&[b'x'; 40])), Ok(Bytes::from_static(&[b'x'; 25]))]);
    let req = request("/raw", &toran_headers(&over_limit), Body::from_stream(chunks));
    let (status, _, _) = read(app.oneshot(req).await.unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::BodyTooLarge { limit: 64 }));
}

#[tokio::test]
async fn axums_default_body_limit_is_respected_when_lower() {
    let (app, mut results) = raw_route(toran_verifier());
    let app = app.layer(DefaultBodyLimit::max(100));
    let (status, _, _) = read(app.clone().oneshot(signed_raw(&[b'y'; 100])).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(results.try_recv().unwrap(), Ok(Bytes::from_static(&[b'y'; 100])));

    let (status, _, text) = read(app.oneshot(signed_raw(&[b'y'; 101])).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (413, "body too large"));
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::AxumBodyLimit));
}

#[tokio::test]
async fn verified_body_is_the_exact_bytes_received() {
    let (app, mut results) = raw_route(toran_verifier());
    // Odd spacing, key order and escapes: re-serializing would change these bytes and break the signature.
    let body = "{ \"score\":87.0 ,\"event\" : \"lead.captured\", \"name\":\"Luc\\u00eda\"}\n".as_bytes();
    let (status, _, _) = read(app.clone().oneshot(signed_raw(body)).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(results.try_recv().unwrap(), Ok(Bytes::copy_from_slice(body)));

    let headers = toran_headers(body);
    let mut tampered = body.to_vec();
    tampered[3] ^= 0x20;
    let (status, _, _) = read(app.oneshot(request("/raw", &headers, tampered)).await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(results.try_recv().unwrap(), Err(WebhookRejection::Verification(Error::SignatureMismatch)));
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct MyLead {
    lead_id: String,
    email: Option<String>,
}

#[tokio::test]
async fn webhook_json_parses_the_verified_body_into_your_own_type() {
    let (tx, mut leads) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/lead",
            post(move |WebhookJson(lead): WebhookJson<Toran, MyLead>| {
                tx.send(lead).unwrap();
                async { "ok" }
            }),
        )
        .with_state(toran_verifier());
    let body = toran_sample().body;
    let (status, _, _) = read(app.clone().oneshot(request("/lead", &toran_headers(body), body)).await.unwrap()).await;
    assert_eq!(status, 200);
    let toran::Event::LeadCaptured(lead) = toran::Event::from_slice(body).unwrap() else { panic!("not a capture") };
    assert_eq!(leads.try_recv().unwrap(), MyLead { lead_id: lead.lead_id, email: lead.email });

    let wrong_secret = with_signature(toran_headers(body), &sign_with(ProviderId::Toran, "other", body));
    let (status, _, _) = read(app.clone().oneshot(request("/lead", &wrong_secret, body)).await.unwrap()).await;
    assert_eq!(status, 401);

    let no_lead_id = br#"{"event":"lead.captured","email":"a@example.com"}"#;
    let (status, _, text) =
        read(app.oneshot(request("/lead", &toran_headers(no_lead_id), no_lead_id.to_vec())).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (400, "invalid body"));
    assert!(leads.try_recv().is_err());
}

/// An application's own error type, answering JSON.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: &'static str,
}

impl From<WebhookRejection> for ApiError {
    fn from(rejection: WebhookRejection) -> Self {
        Self { status: rejection.status(), message: rejection.body_text() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message, "code": self.status.as_u16() });
        (self.status, axum::Json(body)).into_response()
    }
}

#[tokio::test]
async fn a_custom_rejection_type_answers_for_every_extractor() {
    let app = Router::new()
        .route("/event", post(|Webhook(event): Webhook<Toran, ApiError>| async move { event.name().to_owned() }))
        .route("/raw", post(|VerifiedBody(body): VerifiedBody<Toran, ApiError>| async move { body.len().to_string() }))
        .route("/json", post(|WebhookJson(lead): WebhookJson<Toran, MyLead, ApiError>| async move { lead.lead_id }))
        .with_state(toran_verifier());
    let body = toran_sample().body;
    for uri in ["/event", "/raw", "/json"] {
        let (status, content_type, text) =
            read(app.clone().oneshot(request(uri, &unsigned(toran_headers(body)), body)).await.unwrap()).await;
        assert_eq!((status, content_type.as_str()), (401, "application/json"), "{uri}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json, serde_json::json!({ "error": "missing signature", "code": 401 }), "{uri}");

        let (status, _, _) = read(app.clone().oneshot(request(uri, &toran_headers(body), body)).await.unwrap()).await;
        assert_eq!(status, 200, "{uri}");
    }
    let (status, _, text) = read(app.oneshot(request("/event", &toran_headers(body), body)).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (200, "lead.captured"));
}

/// One app, two providers, two secrets: a verifier per provider in the state.
#[derive(Clone)]
struct AppState {
    toran: Verifier<Toran>,
    tuco: Verifier<Tuco>,
}

impl FromRef<AppState> for Verifier<Toran> {
    fn from_ref(state: &AppState) -> Self {
        state.toran.clone()
    }
}

impl FromRef<AppState> for Verifier<Tuco> {
    fn from_ref(state: &AppState) -> Self {
        state.tuco.clone()
    }
}

#[tokio::test]
async fn several_providers_share_one_state_each_with_its_own_verifier() {
    const TUCO_SECRET: &str = "tuco-secret-distinct";
    let state = AppState { toran: toran_verifier(), tuco: Verifier::new(Secret::new(TUCO_SECRET).unwrap()) };
    let app = Router::new()
        .route("/toran", post(|Webhook(event): Webhook<Toran>| async move { event.idempotency_key().into_owned() }))
        .route("/tuco", post(|Webhook(event): Webhook<Tuco>| async move { event.idempotency_key().into_owned() }))
        .with_state(state);

    let toran = toran_sample();
    let (status, _, text) = read(app.clone().oneshot(signed_sample("/toran", toran)).await.unwrap()).await;
    assert_eq!((status, text), (200, toran::Event::from_slice(toran.body).unwrap().idempotency_key().into_owned()));

    let tuco = samples::find(ProviderId::Tuco, "message.reply").unwrap();
    let mut headers = signed_headers(ProviderId::Tuco, tuco.event, tuco.body);
    headers.retain(|(name, _)| name != Tuco::SCHEME.signature_header());
    headers.push((Tuco::SCHEME.signature_header().into(), sign_with(ProviderId::Tuco, TUCO_SECRET, tuco.body)));
    let (status, _, text) = read(app.clone().oneshot(request("/tuco", &headers, tuco.body)).await.unwrap()).await;
    assert_eq!((status, text), (200, tuco::Event::from_slice(tuco.body).unwrap().idempotency_key().into_owned()));

    // Tuco's route does not take the Toran secret.
    let (status, _, _) = read(app.oneshot(signed_sample("/tuco", tuco)).await.unwrap()).await;
    assert_eq!(status, 401);
}

#[test]
fn rejections_map_to_their_status_and_text() {
    let cases = [
        (WebhookRejection::Verification(Error::SignatureMismatch), 401, "invalid signature"),
        (WebhookRejection::Verification(Error::MissingTimestamp), 400, "missing timestamp"),
        (WebhookRejection::Verification(Error::BodyTooLarge { limit: 9 }), 413, "body too large"),
        (WebhookRejection::BodyTooLarge { limit: 9 }, 413, "body too large"),
        (WebhookRejection::AxumBodyLimit, 413, "body too large"),
        (WebhookRejection::BodyRead, 400, "could not read body"),
        (WebhookRejection::Timeout { after: Duration::from_millis(250) }, 408, "body read timed out"),
    ];
    for (rejection, status, text) in cases {
        assert_eq!(rejection.status().as_u16(), status, "{rejection}");
        assert_eq!(rejection.body_text(), text, "{rejection}");
        let response = rejection.clone().into_response();
        assert_eq!(response.status().as_u16(), status);
        // Only a timed-out read closes the connection (the rest of the body may still be coming).
        let closes = response.headers().get(http::header::CONNECTION).is_some_and(|value| value == "close");
        assert_eq!(closes, status == 408, "{rejection}");
    }
    let rejection = WebhookRejection::Verification(Error::SignatureMismatch);
    assert_eq!(rejection.to_string(), "webhook verification failed: signature does not match");
    assert_eq!(rejection.verification_error(), Some(&Error::SignatureMismatch));
    let source = std::error::Error::source(&rejection).unwrap();
    assert_eq!(source.to_string(), Error::SignatureMismatch.to_string());
    assert_eq!(WebhookRejection::BodyTooLarge { limit: 9 }.to_string(), "request body exceeds the 9 byte limit");
    assert!(std::error::Error::source(&WebhookRejection::BodyRead).is_none());
    assert_eq!(
        WebhookRejection::Timeout { after: Duration::from_millis(250) }.to_string(),
        "the request body did not arrive in full within 250ms"
    );
}

/// Generic code can take the field out as a plain `P::Event`.
fn event_of<P: Provider>(Webhook(event): Webhook<P>) -> P::Event {
    event
}

#[test]
fn the_wrappers_hold_plain_values_and_deref_to_them() {
    let sample = toran_sample();
    let event = toran::Event::from_slice(sample.body).unwrap();
    let webhook = Webhook::<Toran>(event.clone());
    assert_eq!(webhook.name(), "lead.captured"); // through Deref
    assert_eq!(webhook.clone(), webhook);
    assert!(format!("{webhook:?}").starts_with("Webhook(\"toran\", LeadCaptured("));
    assert_eq!(event_of(webhook), event);

    let body = VerifiedBody::<Toran, ApiError>(Bytes::from_static(b"raw"));
    assert_eq!(&body[..], b"raw");
    assert_eq!(body.into_inner(), Bytes::from_static(b"raw"));

    let json = WebhookJson::<Toran, MyLead>(MyLead { lead_id: "l1".into(), email: None });
    assert_eq!(json.lead_id, "l1");
    assert_eq!(json.into_inner(), MyLead { lead_id: "l1".into(), email: None });
}
