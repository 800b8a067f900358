//! The facade's `tracing` and `metrics` features reach both adapters.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

#[cfg(all(feature = "tracing", feature = "axum", feature = "actix"))]
mod tracing_feature {
    use std::fmt::{self, Write as _};
    use std::sync::{Arc, Mutex};

    use hookseal::{Secret, Toran, Verifier};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Keeps every event of the adapters as `target LEVEL field=value ...`.
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
            metadata.target().starts_with("hookseal_")
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = Line(format!("{} {}", event.metadata().target(), event.metadata().level()));
            event.record(&mut line);
            self.0.lock().unwrap().push(line.0);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn wrong_secret() -> Secret {
        Secret::new("not-the-receivers-secret").unwrap()
    }

    fn verifier() -> Verifier<Toran> {
        Verifier::new(Secret::new("facade-observability-secret").unwrap())
    }

    #[tokio::test]
    async fn an_axum_rejection_is_logged() {
        use axum::Router;
        use axum::routing::post;
        use hookseal::axum::{Webhook, testing};
        use tower::ServiceExt;

        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let app = Router::new().route("/toran", post(|_: Webhook<Toran>| async { "ok" })).with_state(verifier());
        let request = testing::fresh_request("/toran", Toran, "lead.captured", &wrong_secret()).unwrap();
        assert_eq!(app.oneshot(request).await.unwrap().status(), 401);
        let lines = capture.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(lines[0].starts_with("hookseal_axum") && lines[0].contains("WARN"), "{lines:#?}");
        assert!(lines[0].contains("status=401"), "{lines:#?}");
    }

    #[actix_web::test]
    async fn an_actix_rejection_is_logged() {
        use actix_web::{App, HttpResponse, test, web};
        use hookseal::actix::{Webhook, testing};

        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(verifier()))
                .route("/toran", web::post().to(|_: Webhook<Toran>| async { HttpResponse::Ok().finish() })),
        )
        .await;
        let request = testing::fresh_request("/toran", Toran, "lead.captured", &wrong_secret()).unwrap();
        assert_eq!(test::call_service(&app, request.to_request()).await.status(), 401);
        let lines = capture.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(lines[0].starts_with("hookseal_actix") && lines[0].contains("WARN"), "{lines:#?}");
    }
}

#[cfg(all(feature = "metrics", feature = "axum", feature = "actix"))]
mod metrics_feature {
    use std::sync::{Arc, Mutex};

    use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

    /// Keeps the names of the metrics described to it.
    #[derive(Clone, Default)]
    struct Described(Arc<Mutex<Vec<String>>>);

    impl Recorder for Described {
        fn describe_counter(&self, key: KeyName, _: Option<Unit>, _: SharedString) {
            self.0.lock().unwrap().push(key.as_str().to_owned());
        }
        fn describe_gauge(&self, key: KeyName, _: Option<Unit>, _: SharedString) {
            self.0.lock().unwrap().push(key.as_str().to_owned());
        }
        fn describe_histogram(&self, key: KeyName, _: Option<Unit>, _: SharedString) {
            self.0.lock().unwrap().push(key.as_str().to_owned());
        }
        fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
            Counter::noop()
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    #[test]
    fn both_adapters_describe_their_metrics() {
        let described = Described::default();
        // `describe` exists only with the adapters' `metrics` feature.
        metrics::with_local_recorder(&described, || {
            hookseal::axum::metrics::describe();
            hookseal::actix::metrics::describe();
        });
        let names = described.0.lock().unwrap().clone();
        let expected = [
            hookseal::axum::metrics::REQUESTS,
            hookseal::axum::metrics::HANDLE_SECONDS,
            hookseal::axum::metrics::VERIFY_SECONDS,
        ];
        assert_eq!(names, [expected, expected].concat());
        assert_eq!(hookseal::actix::metrics::REQUESTS, "hookseal_webhook_requests_total");
    }
}
