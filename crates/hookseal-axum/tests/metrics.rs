//! The `metrics` feature, through a real router: what each request records.

#![cfg(all(feature = "metrics", feature = "testing"))]
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::{Router, middleware};
use hookseal_axum::{Webhook, testing};
use hookseal_core::{Secret, Toran, Verifier};
use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use tower::ServiceExt;

/// Keeps every counter increment and histogram record as `kind name{labels}`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Handle(Capture, String);

impl Capture {
    fn handle(&self, kind: &str, key: &Key) -> Arc<Handle> {
        let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        Arc::new(Handle(self.clone(), format!("{kind} {}{{{}}}", key.name(), labels.join(","))))
    }

    /// Takes what was recorded so far.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.0.0.lock().unwrap().push(format!("{} +{value}", self.1));
    }
    fn absolute(&self, value: u64) {
        self.0.0.lock().unwrap().push(format!("{} ={value}", self.1));
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        assert!(value.is_finite() && value >= 0.0, "{value}");
        self.0.0.lock().unwrap().push(self.1.clone());
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle("counter", key))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle("histogram", key))
    }
}

const VERIFIED: &str = "counter hookseal_webhook_requests_total{provider=toran,status=verified} +1";
const TIMED: &str = "histogram hookseal_webhook_verify_seconds{provider=toran}";

fn rejected(status: u16) -> String {
    format!("counter hookseal_webhook_requests_total{{provider=toran,status={status}}} +1")
}

#[test]
fn each_request_is_counted_once_by_status_and_verification_is_timed() {
    let capture = Capture::default();
    let secret = Secret::new("axum-metrics-secret").unwrap();
    let verifier = Verifier::<Toran>::new(secret.clone()).replay_window(Duration::from_secs(300)).body_limit(64 * 1024);
    let app = Router::new().route("/toran", post(|_: Webhook<Toran>| async { "ok" })).with_state(verifier);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let call = |request: http::Request<axum::body::Body>| {
        runtime.block_on(app.clone().oneshot(request)).unwrap().status().as_u16()
    };
    metrics::with_local_recorder(&capture, || {
        assert_eq!(call(testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap()), 200);
        assert_eq!(capture.take(), [TIMED.to_owned(), VERIFIED.to_owned()]);

        let other = Secret::new("another-secret").unwrap();
        assert_eq!(call(testing::fresh_request("/toran", Toran, "lead.captured", &other).unwrap()), 401);
        assert_eq!(capture.take(), [TIMED.to_owned(), rejected(401)]);

        let stale = hookseal_core::samples::find(hookseal_core::ProviderId::Toran, "lead.captured").unwrap().body;
        assert_eq!(call(testing::signed_request("/toran", Toran, stale, &secret).unwrap()), 400);
        assert_eq!(capture.take(), [TIMED.to_owned(), rejected(400)]);

        // Refused from its length before verification: counted, not timed.
        let mut big = testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap();
        big.headers_mut().insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(1024 * 1024));
        assert_eq!(call(big), 413);
        assert_eq!(capture.take(), [rejected(413)]);
    });
}

#[test]
fn track_times_each_answer_by_provider_and_status() {
    let capture = Capture::default();
    let secret = Secret::new("axum-track-secret").unwrap();
    let app = Router::new()
        .route(
            "/toran",
            post(|_: Webhook<Toran>| async { (http::StatusCode::ACCEPTED, "queued") })
                .route_layer(middleware::from_fn(hookseal_axum::metrics::track::<Toran>)),
        )
        .with_state(Verifier::<Toran>::new(secret.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let call = |request: http::Request<axum::body::Body>| {
        runtime.block_on(app.clone().oneshot(request)).unwrap().status().as_u16()
    };
    // Only this metric: the extractor's own (once wired in) are tested above.
    let handled = || capture.take().into_iter().filter(|l| l.contains("handle_seconds")).collect::<Vec<_>>();
    metrics::with_local_recorder(&capture, || {
        assert_eq!(call(testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap()), 202);
        assert_eq!(handled(), ["histogram hookseal_webhook_handle_seconds{provider=toran,status=202}"]);
        let other = Secret::new("another-secret").unwrap();
        assert_eq!(call(testing::fresh_request("/toran", Toran, "lead.captured", &other).unwrap()), 401);
        assert_eq!(handled(), ["histogram hookseal_webhook_handle_seconds{provider=toran,status=401}"]);
    });
}
