//! With the `tracing` feature, every rejection is logged at WARN with its
//! reason, and nothing secret is.

#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use common::{SECRET, post as request, secret, sign_with, signed_headers, signed_sample};
use hookseal_axum::Webhook;
use hookseal_core::{ProviderId, Toran, Verifier, samples};
use tower::ServiceExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps every event from this crate as `LEVEL field=value ...`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("hookseal_axum")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn each_rejection_is_logged_with_its_reason_and_no_secret() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let app =
        Router::new()
            .route("/toran", post(|Webhook(_): Webhook<Toran>| async { "ok" }))
            .with_state(Verifier::<Toran>::new(secret()));
    let sample = samples::test_event(ProviderId::Toran);

    let response = app.clone().oneshot(signed_sample("/toran", sample)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(capture.0.lock().unwrap().is_empty(), "an accepted request was logged");

    let mut headers = signed_headers(ProviderId::Toran, sample.event, sample.body);
    headers.retain(|(name, _)| name != "X-Toran-Signature");
    headers.push(("X-Toran-Signature".into(), sign_with(ProviderId::Toran, "some-other-secret", sample.body)));
    let response = app.clone().oneshot(request("/toran", &headers, sample.body)).await.unwrap();
    assert_eq!(response.status(), 401);

    headers.retain(|(name, _)| name != "X-Toran-Signature");
    let response = app.oneshot(request("/toran", &headers, sample.body)).await.unwrap();
    assert_eq!(response.status(), 401);

    let lines = capture.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for line in &lines {
        assert!(line.starts_with("WARN"), "{line}");
        assert!(line.contains("provider=\"toran\"") && line.contains("status=401"), "{line}");
        assert!(!line.contains(SECRET) && !line.contains("some-other-secret"), "{line}");
    }
    assert!(lines[0].contains("signature does not match"), "{}", lines[0]);
    assert!(lines[1].contains("missing signature header `X-Toran-Signature`"), "{}", lines[1]);
}
