//! The gateway library in one process: the ingress's answers (stored,
//! duplicate, refused, 503 when the store is down) and what a forward looks
//! like to the app (verified here with hookseal's own Standard Webhooks verifier).
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::routing::post;
use hookseal_core::env::ProviderSecrets;
use hookseal_core::{Provider, Secret, Signer, StandardWebhooks, Toran, Verifier};
use hookseal_gateway::{ForwardSettings, Forwarder, Ingress, Received, forwarding, webhook_id};
use hookseal_inbox::{AttemptOutcome, HandlerError, Inbox, MemoryStore, PgStore, State as EventState};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const SECRET: &str = "toran-secret-for-gateway-tests";
const FORWARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn secrets() -> ProviderSecrets {
    ProviderSecrets::from_lookup(|name| Some(if name.ends_with("TORAN") { SECRET.into() } else { format!("x-{name}") }))
        .unwrap()
}

fn lead(id: &str) -> Vec<u8> {
    format!(r#"{{"event":"lead.captured","lead_id":"{id}","widget_id":"w","name":"A","email":"a@example.com","score":1,"tier":"hot","timestamp":"2026-05-06T14:22:31Z","metadata":{{}}}}"#).into_bytes()
}

fn request(body: &[u8], secret: &str) -> Request<Body> {
    let signature = Signer::new(&Secret::new(secret).unwrap(), Toran::SCHEME.format()).sign(body);
    Request::post("/webhooks/toran")
        .header("content-type", "application/json")
        .header("X-Toran-Signature", signature)
        .header("X-Toran-Event", "lead.captured")
        .header("Authorization", "Bearer do-not-store")
        .body(Body::from(body.to_vec()))
        .unwrap()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, text)
}

#[tokio::test]
async fn ingress_stores_dedupes_refuses_and_reports() {
    let inbox = Inbox::new(MemoryStore::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let app = Ingress::from_secrets(inbox.clone(), &secrets())
        .on_received(move |r| sink.lock().unwrap().push(r.clone()))
        .router();
    let body = lead("lead-1");
    assert_eq!(call(&app, request(&body, SECRET)).await, (StatusCode::OK, "stored\n".into()));
    assert_eq!(call(&app, request(&body, SECRET)).await.0, StatusCode::OK);
    assert_eq!(call(&app, request(&body, "wrong-secret")).await.0, StatusCode::UNAUTHORIZED);
    let unparseable = br#"{"event":"lead.captured","lead_id":42}"#;
    assert_eq!(call(&app, request(unparseable, SECRET)).await.0, StatusCode::OK);
    let seen = seen.lock().unwrap().clone();
    assert!(matches!(&seen[0], Received::Stored { provider: "toran", event, .. } if event == "lead.captured"));
    assert!(matches!(&seen[1], Received::Duplicate { times_seen: 2, .. }));
    assert!(matches!(&seen[2], Received::Rejected { status: 401, .. }));
    assert!(matches!(&seen[3], Received::DeadLettered { .. }));
    let counts = inbox.counts().await.unwrap();
    assert_eq!((counts.ready, counts.dead), (1, 1));
    let Received::Stored { id, .. } = &seen[0] else { unreachable!() };
    let stored = inbox.get(*id).await.unwrap().unwrap();
    assert_eq!(stored.body, body);
    assert!(stored.headers.iter().any(|(n, v)| n == "x-toran-event" && v == "lead.captured"));
    assert!(!stored.headers.iter().any(|(n, _)| n == "authorization"), "credentials are not stored");
    // Too large: 413, nothing stored.
    let small = Ingress::from_secrets(inbox.clone(), &secrets()).body_limit(64).router();
    assert_eq!(call(&small, request(&lead("lead-big"), SECRET)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(inbox.counts().await.unwrap().total(), 2);
    // Unknown providers and paths.
    let unknown = Request::post("/webhooks/nobody").body(Body::empty()).unwrap();
    assert_eq!(call(&app, unknown).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn store_down_is_503_never_200() {
    let pool = hookseal_inbox::sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(300))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();
    let inbox = Inbox::new(PgStore::from_pool_unmigrated(pool));
    let app = Ingress::from_secrets(inbox, &secrets()).router();
    let (status, text) = call(&app, request(&lead("lead-503"), SECRET)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!text.contains("127.0.0.1"), "no internals: {text}");
}

type Captured = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn capture(
    State((captured, status)): State<(Captured, Arc<Mutex<Vec<u16>>>)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    captured.lock().unwrap().push((headers, body));
    let next = status.lock().unwrap().pop().unwrap_or(200);
    StatusCode::from_u16(next).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_original_bytes_signed_with_standard_webhooks() {
    let captured: Captured = Arc::default();
    // The app refuses the first attempt (500), then accepts.
    let statuses = Arc::new(Mutex::new(vec![200, 500]));
    let app = axum::Router::new().route("/hook", post(capture)).with_state((Arc::clone(&captured), statuses));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let inbox = Inbox::new(MemoryStore::new());
    let ingress = Ingress::from_secrets(inbox.clone(), &secrets()).router();
    let body = lead("lead-fwd");
    assert_eq!(call(&ingress, request(&body, SECRET)).await.0, StatusCode::OK);

    let mut settings = ForwardSettings::default();
    settings.backoff_base = Duration::ZERO;
    settings.backoff_cap = Duration::ZERO;
    let worker = forwarding(inbox.clone(), &settings);
    let forwarder = Arc::new(Forwarder::new(&url, FORWARD_SECRET, Duration::from_secs(5)).unwrap());
    let handler = |job: hookseal_inbox::AnyJob| {
        let forwarder = Arc::clone(&forwarder);
        async move { forwarder.forward(&job).await.map(|_| ()).map_err(HandlerError::from) }
    };
    let first = worker.run_once(&handler).await.unwrap();
    assert_eq!(first.retried, 1);
    let second = worker.run_once(&handler).await.unwrap();
    assert_eq!(second.done, 1);

    let captured = captured.lock().unwrap().clone();
    assert_eq!(captured.len(), 2);
    let listed = inbox.list(hookseal_inbox::ListQuery::new()).await.unwrap().events.remove(0);
    let key = listed.idempotency_key.clone();
    assert!(key.contains("lead-fwd"), "{key}");
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new(FORWARD_SECRET).unwrap());
    for (headers, got) in &captured {
        assert_eq!(got.as_ref(), body.as_slice(), "the original bytes");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["hookseal-provider"], "toran");
        assert_eq!(headers["hookseal-event"], "lead.captured");
        assert_eq!(headers["hookseal-idempotency-key"].to_str().unwrap(), key);
        assert_eq!(headers["webhook-id"].to_str().unwrap(), webhook_id("toran", &key));
        verifier.verify(headers, got).unwrap();
        // Tampered bytes do not verify.
        let mut bad = got.to_vec();
        bad[3] ^= 1;
        assert!(verifier.verify(headers, &bad).is_err());
    }
    assert_eq!(captured[0].0["webhook-id"], captured[1].0["webhook-id"], "the same id on every retry");
    let listed = inbox.list(hookseal_inbox::ListQuery::new()).await.unwrap().events.remove(0);
    assert_eq!((listed.state, listed.attempts), (EventState::Done, 2));
    let history = inbox.attempts(listed.id).await.unwrap();
    assert_eq!(
        history.iter().map(|a| a.outcome).collect::<Vec<_>>(),
        vec![AttemptOutcome::Retry, AttemptOutcome::Done]
    );
    assert!(history[0].error.as_deref().unwrap().contains("500"), "{:?}", history[0].error);
}

#[test]
fn forwarder_refuses_bad_urls_and_secrets() {
    assert!(Forwarder::new("ftp://example.com/x", FORWARD_SECRET, Duration::from_secs(1)).is_err());
    assert!(Forwarder::new("not a url", FORWARD_SECRET, Duration::from_secs(1)).is_err());
    assert!(Forwarder::new("http://127.0.0.1:9/x", "whsec_c2hvcnQ=", Duration::from_secs(1)).is_err());
    let ok = Forwarder::new("http://user:pw@127.0.0.1:9/x", FORWARD_SECRET, Duration::from_secs(1)).unwrap();
    assert!(!format!("{ok:?}").contains("pw"), "no password in Debug");
    assert!(!format!("{ok:?}").contains("MfKQ"), "no secret in Debug");
    assert!(!ok.url().contains("pw"));
}

#[test]
fn webhook_ids_are_stable_and_distinct() {
    let a = webhook_id("toran", "k:1");
    assert_eq!(a, webhook_id("toran", "k:1"));
    assert_ne!(a, webhook_id("toran", "k:2"));
    assert_ne!(a, webhook_id("tuco", "k:1"));
    // Provider and key are separated: no collision by moving characters across.
    assert_ne!(webhook_id("to", "rank:1"), webhook_id("toran", "k:1"));
    assert!(!a.contains('.'));
}

#[tokio::test]
async fn a_ready_scheme_is_served_once_given_a_secret() {
    use hookseal_core::{Message, Scheme};
    let body = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let signer = Signer::for_scheme(&Secret::new("gh-secret").unwrap(), Scheme::GITHUB).unwrap();
    let github = |body: &[u8]| {
        let message = Message { id: Some("delivery-42"), timestamp: None, event: Some("ping") };
        let mut request = Request::post("/webhooks/github");
        for (name, value) in signer.headers(body, &message) {
            request = request.header(name, value);
        }
        request.body(Body::from(body.to_vec())).unwrap()
    };
    let inbox = Inbox::new(MemoryStore::new());
    // Without a secret the route is not served.
    let plain = Ingress::from_secrets(inbox.clone(), &secrets()).router();
    assert_eq!(call(&plain, github(body)).await.0, StatusCode::NOT_FOUND);

    let mut ingress = Ingress::from_secrets(inbox.clone(), &secrets());
    assert!(ingress.with_scheme("github", vec![Secret::new("gh-secret").unwrap()]));
    assert!(!ingress.with_scheme("nope", vec![Secret::new("x").unwrap()]));
    let app = ingress.router();
    assert_eq!(call(&app, github(body)).await, (StatusCode::OK, "stored\n".into()));
    let mut forged = body.to_vec();
    forged[3] ^= 1;
    let mut bad = github(body);
    *bad.body_mut() = Body::from(forged);
    assert_eq!(call(&app, bad).await.0, StatusCode::UNAUTHORIZED);
    let listed = inbox.list(hookseal_inbox::ListQuery::new().provider("github")).await.unwrap();
    assert_eq!(listed.events.len(), 1);
    assert_eq!(inbox.get(listed.events[0].id).await.unwrap().unwrap().body, body.to_vec());
}
