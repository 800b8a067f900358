//! With the `tracing` feature, every rejection is logged at WARN with its reason, and never the secret.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::fmt;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, web};
use common::{SECRET, secret, send, signed};
use hookseal_actix::Webhook;
use hookseal_core::{Toran, Verifier};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Records every event as its level and `field=value` pairs.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(Level, String)>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push((*event.metadata().level(), fields.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

async fn handler(_: Webhook<Toran>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn every_rejection_is_logged_with_its_reason() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Toran>::new(secret()))).route("/toran", web::post().to(handler)),
    )
    .await;

    let body =
        r#"{"event":"lead.test","lead_id":"l-1","widget_id":"w-1","timestamp":"2026-05-04T10:15:30Z","metadata":{}}"#;
    assert_eq!(send(&app, signed::<Toran>("/toran", body).to_request()).await.0, StatusCode::OK);
    assert!(capture.0.lock().unwrap().iter().all(|(level, _)| *level != Level::WARN), "no warning for a success");

    let forged = TestRequest::post().uri("/toran").insert_header(("X-Toran-Signature", "sha256=00")).set_payload(body);
    assert_eq!(send(&app, forged.to_request()).await.0, StatusCode::UNAUTHORIZED);
    let wrong = signed::<Toran>("/toran", "{}").insert_header(("X-Toran-Event", "lead.test"));
    assert_eq!(send(&app, wrong.to_request()).await.0, StatusCode::BAD_REQUEST);

    let warnings: Vec<String> =
        capture.0.lock().unwrap().iter().filter(|(level, _)| *level == Level::WARN).map(|(_, f)| f.clone()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("provider=\"toran\""), "{}", warnings[0]);
    assert!(warnings[0].contains("status=401"), "{}", warnings[0]);
    assert!(warnings[0].contains("malformed signature in `X-Toran-Signature`"), "{}", warnings[0]);
    assert!(warnings[1].contains("status=400") && warnings[1].contains("unusable body"), "{}", warnings[1]);
    assert!(warnings.iter().all(|w| !w.contains(SECRET)));
}
