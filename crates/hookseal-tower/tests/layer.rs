//! The layer in front of axum services, called directly and over a real
//! hyper server on 127.0.0.1: what reaches the inner service, what is
//! answered without it, and how much body is read.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body as AxumBody;
use axum::extract::Request as AxumRequest;
use axum::routing::post;
use axum::{Extension, Router};
use bytes::Bytes;
use futures_util::stream;
use hookseal_core::chrono::{DateTime, Utc};
use hookseal_core::{
    Custom, KeyMatch, Message, Provider, Scheme, Secret, Signer, StandardWebhooks, Toran, Verified, Verifier,
    WebhookEvent, custom, toran,
};
use hookseal_tower::WebhookLayer;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use tower::ServiceExt;

const SECRET: &str = "tower-secret";
const BODY: &str =
    r#"{"event":"lead.captured","lead_id":"L1","widget_id":"w1","name":"Ann","timestamp":"2026-05-04T10:15:30Z"}"#;
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

fn toran_signature(body: &[u8]) -> String {
    Signer::new(&secret(), Toran::SCHEME.format()).sign(body)
}

/// A router whose handler counts its calls and echoes the event name and raw body.
fn toran_app(verifier: Verifier<Toran>, calls: Arc<AtomicUsize>) -> Router {
    let handler = move |Extension(verified): Extension<Verified<toran::Event>>, request: AxumRequest| {
        let calls = Arc::clone(&calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let raw = request.into_body().collect().await.unwrap().to_bytes();
            format!("{}|{:?}|{}", verified.event.name(), verified.key, String::from_utf8_lossy(&raw))
        }
    };
    Router::new().route("/toran", post(handler)).layer(WebhookLayer::new(verifier))
}

async fn answer(response: http::Response<impl http_body::Body<Error = impl std::fmt::Debug>>) -> (StatusCode, String) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn toran_request(signature: &str, body: impl Into<AxumBody>) -> Request<AxumBody> {
    Request::post("/toran").header("X-Toran-Signature", signature).body(body.into()).unwrap()
}

#[tokio::test]
async fn an_authentic_request_reaches_the_service_with_its_event_and_raw_body() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = toran_app(Verifier::new(secret()), Arc::clone(&calls));
    let response = app.oneshot(toran_request(&toran_signature(BODY.as_bytes()), BODY)).await.unwrap();
    assert_eq!(answer(response).await, (StatusCode::OK, format!("lead.captured|{:?}|{BODY}", KeyMatch::Secret(0))));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rejections_are_answered_by_the_layer_with_the_adapters_statuses_and_texts() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = toran_app(Verifier::new(secret()).body_limit(256), Arc::clone(&calls));
    let not_json = "not json";
    let cases = [
        (toran_request(&format!("sha256={}", "0".repeat(64)), BODY), StatusCode::UNAUTHORIZED, "invalid signature"),
        (toran_request("sha256=zz", BODY), StatusCode::UNAUTHORIZED, "malformed signature"),
        (Request::post("/toran").body(AxumBody::from(BODY)).unwrap(), StatusCode::UNAUTHORIZED, "missing signature"),
        (toran_request(&toran_signature(not_json.as_bytes()), not_json), StatusCode::BAD_REQUEST, "invalid body"),
        (
            toran_request(&toran_signature(&[b'x'; 257]), vec![b'x'; 257]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body too large",
        ),
    ];
    for (request, status, text) in cases {
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(answer(response).await, (status, text.to_owned()));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no refused request reached the service");
    // Exactly the limit is accepted (as far as the signature; this body is not JSON: 400, not 413).
    let at_limit = vec![b' '; 256];
    let response = app.oneshot(toran_request(&toran_signature(&at_limit), at_limit.clone())).await.unwrap();
    assert_eq!(answer(response).await, (StatusCode::BAD_REQUEST, "invalid body".to_owned()));
}

/// A body of `chunks` one-byte frames, counting how many were read.
fn dribble(chunks: usize, polled: Arc<AtomicUsize>) -> AxumBody {
    let frames = stream::iter((0..chunks).map(move |_| {
        polled.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(b"x")))
    }));
    AxumBody::new(StreamBody::new(frames))
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_any_byte_is_read() {
    let polled = Arc::new(AtomicUsize::new(0));
    let app = toran_app(Verifier::new(secret()).body_limit(100), Arc::new(AtomicUsize::new(0)));
    let request = Request::post("/toran")
        .header("X-Toran-Signature", toran_signature(b""))
        .header("Content-Length", "1000")
        .body(dribble(1000, Arc::clone(&polled)))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(answer(response).await, (StatusCode::PAYLOAD_TOO_LARGE, "body too large".to_owned()));
    assert_eq!(polled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_undeclared_body_stops_being_read_one_byte_past_the_limit() {
    let polled = Arc::new(AtomicUsize::new(0));
    let app = toran_app(Verifier::new(secret()).body_limit(100), Arc::new(AtomicUsize::new(0)));
    let request = Request::post("/toran")
        .header("X-Toran-Signature", toran_signature(b""))
        .body(dribble(100_000, Arc::clone(&polled)))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(answer(response).await, (StatusCode::PAYLOAD_TOO_LARGE, "body too large".to_owned()));
    assert_eq!(polled.load(Ordering::SeqCst), 101, "read up to the first byte past the limit, then stopped");
}

#[tokio::test]
async fn a_broken_body_is_400() {
    let frames = stream::iter([
        Ok(http_body::Frame::data(Bytes::from_static(b"{"))),
        Err(std::io::Error::other("client went away")),
    ]);
    let request = Request::post("/toran")
        .header("X-Toran-Signature", toran_signature(b"{"))
        .body(AxumBody::new(StreamBody::new(frames)))
        .unwrap();
    let app = toran_app(Verifier::new(secret()), Arc::new(AtomicUsize::new(0)));
    assert_eq!(
        answer(app.oneshot(request).await.unwrap()).await,
        (StatusCode::BAD_REQUEST, "could not read body".to_owned())
    );
}

fn sw_app(now: DateTime<Utc>) -> Router {
    let handler = |Extension(verified): Extension<Verified<custom::Event>>| async move {
        format!("{} {}", verified.event.name(), verified.event.idempotency_key())
    };
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new(SW_SECRET).unwrap());
    Router::new().route("/sw", post(handler)).layer(WebhookLayer::new(verifier).with_clock(move || now))
}

fn sw_request(stamp: u64) -> Request<AxumBody> {
    let body = br#"{"type":"invoice.paid"}"#;
    let signer =
        Signer::for_scheme(&Scheme::STANDARD_WEBHOOKS.secret(SW_SECRET).unwrap(), Scheme::STANDARD_WEBHOOKS).unwrap();
    let mut request = Request::post("/sw");
    for (name, value) in signer.headers(body, &Message { id: Some("msg_7"), timestamp: Some(stamp), event: None }) {
        request = request.header(name, value);
    }
    request.body(AxumBody::from(body.as_slice())).unwrap()
}

#[tokio::test]
async fn a_scheme_with_a_signed_timestamp_is_checked_against_the_layer_clock() {
    let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let fresh = sw_app(now).oneshot(sw_request(1_767_225_600 - 300)).await.unwrap();
    assert_eq!(answer(fresh).await, (StatusCode::OK, "invoice.paid msg_7".to_owned()));
    let stale = sw_app(now).oneshot(sw_request(1_767_225_600 - 301)).await.unwrap();
    assert_eq!(answer(stale).await, (StatusCode::BAD_REQUEST, "timestamp too old".to_owned()));
}

#[tokio::test]
async fn github_over_a_real_hyper_server() {
    let secret = Secret::new("gh").unwrap();
    let handler = |Extension(verified): Extension<Verified<custom::Event>>| async move {
        format!("{} {}", verified.event.name(), verified.event.idempotency_key())
    };
    let verifier = Verifier::<Custom>::new(secret.clone()).with_scheme(Scheme::GITHUB);
    let app = Router::new().route("/gh", post(handler)).layer(WebhookLayer::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let body = br#"{"zen":"Keep it logically awesome."}"#;
    let signature = Signer::for_scheme(&secret, Scheme::GITHUB).unwrap().signature(body, &Message::default());
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/gh");
    let post = |signature: String| {
        client
            .post(&url)
            .header("X-Hub-Signature-256", signature)
            .header("X-GitHub-Event", "ping")
            .header("X-GitHub-Delivery", "d-42")
            .body(body.to_vec())
            .send()
    };
    let ok = post(signature.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "ping d-42");
    let mut forged = signature.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let forged = post(forged).await.unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(forged.text().await.unwrap(), "invalid signature");
    let unsigned = client.post(&url).body(body.to_vec()).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(unsigned.text().await.unwrap(), "missing signature");
    server.abort();
}
