//! The `metrics` feature, through a real app: what each request records.

#![cfg(all(feature = "metrics", feature = "testing"))]
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, test, web};
use hookseal_actix::{Webhook, testing};
use hookseal_core::{Secret, Toran, Verifier};
use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

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

async fn ok(_: Webhook<Toran>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[::core::prelude::v1::test]
fn each_request_is_counted_once_by_status_and_verification_is_timed() {
    let capture = Capture::default();
    let secret = Secret::new("actix-metrics-secret").unwrap();
    let verifier = Verifier::<Toran>::new(secret.clone()).replay_window(Duration::from_secs(300)).body_limit(64 * 1024);
    metrics::with_local_recorder(&capture, || {
        actix_web::rt::System::new().block_on(async {
            let app = test::init_service(
                App::new()
                    .app_data(web::Data::new(verifier))
                    .route("/toran", web::post().to(ok))
                    // No verifier registered for this one.
                    .route(
                        "/tuco",
                        web::post().to(|_: Webhook<hookseal_core::Tuco>| async { HttpResponse::Ok().finish() }),
                    ),
            )
            .await;
            let status = |response: actix_web::dev::ServiceResponse| response.status().as_u16();

            let request = testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap();
            assert_eq!(status(test::call_service(&app, request.to_request()).await), 200);
            assert_eq!(capture.take(), [TIMED.to_owned(), VERIFIED.to_owned()]);

            let other = Secret::new("another-secret").unwrap();
            let request = testing::fresh_request("/toran", Toran, "lead.captured", &other).unwrap();
            assert_eq!(status(test::call_service(&app, request.to_request()).await), 401);
            assert_eq!(capture.take(), [TIMED.to_owned(), rejected(401)]);

            // Refused from its length before verification: counted, not timed.
            let request = testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap();
            let request = request.insert_header(("content-length", "1048576"));
            assert_eq!(status(test::call_service(&app, request.to_request()).await), 413);
            assert_eq!(capture.take(), [rejected(413)]);

            let request = testing::fresh_request("/tuco", hookseal_core::Tuco, "message.sent", &secret).unwrap();
            assert_eq!(status(test::call_service(&app, request.to_request()).await), 500);
            assert_eq!(capture.take(), ["counter hookseal_webhook_requests_total{provider=tuco,status=500} +1"]);
        });
    });
}

#[::core::prelude::v1::test]
fn track_times_each_answer_by_provider_and_status() {
    let capture = Capture::default();
    let secret = Secret::new("actix-track-secret").unwrap();
    let verifier = Verifier::<Toran>::new(secret.clone());
    // Only this metric: the extractor's own (once wired in) are tested above.
    let handled = || capture.take().into_iter().filter(|l| l.contains("handle_seconds")).collect::<Vec<_>>();
    metrics::with_local_recorder(&capture, || {
        actix_web::rt::System::new().block_on(async {
            let app = test::init_service(
                App::new().app_data(web::Data::new(verifier)).service(
                    web::resource("/toran")
                        .wrap(actix_web::middleware::from_fn(hookseal_actix::metrics::track::<Toran, _>))
                        .route(web::post().to(|_: Webhook<Toran>| async { HttpResponse::Accepted().finish() })),
                ),
            )
            .await;
            let request = testing::fresh_request("/toran", Toran, "lead.captured", &secret).unwrap();
            assert_eq!(test::call_service(&app, request.to_request()).await.status().as_u16(), 202);
            assert_eq!(handled(), ["histogram hookseal_webhook_handle_seconds{provider=toran,status=202}"]);
            let other = Secret::new("another-secret").unwrap();
            let request = testing::fresh_request("/toran", Toran, "lead.captured", &other).unwrap();
            assert_eq!(test::call_service(&app, request.to_request()).await.status().as_u16(), 401);
            assert_eq!(handled(), ["histogram hookseal_webhook_handle_seconds{provider=toran,status=401}"]);
        });
    });
}
