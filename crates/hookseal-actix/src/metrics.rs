//! Per-request metrics through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`), so any exporter (Prometheus, StatsD, OpenTelemetry, …)
//! receives them. Without the feature nothing is recorded and nothing is linked.
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | [`REQUESTS`] `hookseal_webhook_requests_total` | counter | `provider`, `status` | one per webhook request an extractor handled: `status` is `verified` when your handler runs, else the rejection's HTTP status (`400`, `401`, `408`, `413`, `500`) |
//! | [`VERIFY_SECONDS`] `hookseal_webhook_verify_seconds` | histogram | `provider` | time spent verifying a received body (signature, parsing, event header, replay window), in seconds |
//! | [`HANDLE_SECONDS`] `hookseal_webhook_handle_seconds` | histogram | `provider`, `status` | on the routes you wrap with `track`: the time to answer a request (body read, verification and your handler), in seconds, by the response's HTTP status |
//!
//! `provider` is the provider's short name (`toran`, …, or your own
//! provider's `NAME`). The label sets are small and fixed: nothing from the
//! request becomes a label.
//!
//! The handler's latency needs the route wrapped (an extractor cannot see
//! the handler finish): wrap the resource with `track::<P, _>`.
//!
//! ```
//! # #[cfg(feature = "metrics")] {
//! use actix_web::{App, HttpResponse, middleware::from_fn, web};
//! use hookseal_actix::{Webhook, metrics};
//! use hookseal_core::{Secret, Toran, Verifier};
//!
//! async fn toran(_: Webhook<Toran>) -> HttpResponse {
//!     HttpResponse::Ok().finish()
//! }
//! let verifier = web::Data::new(Verifier::<Toran>::new(Secret::new("s3cret").unwrap()));
//! let app = App::new().app_data(verifier).service(
//!     web::resource("/webhooks/toran").wrap(from_fn(metrics::track::<Toran, _>)).route(web::post().to(toran)),
//! );
//! # }
//! ```
//!
//! Call `describe` (with the feature) once at start-up to give an exporter the metrics' help
//! texts and units (optional).

/// Registers the metrics' descriptions and units with the installed recorder.
#[cfg(feature = "metrics")]
pub use hookseal_core::metrics::describe;
#[cfg(feature = "metrics")]
use hookseal_core::metrics::status_label;
pub use hookseal_core::metrics::{HANDLE_SECONDS, REQUESTS, VERIFY_SECONDS};
pub(crate) use hookseal_core::metrics::{rejected, verify};

/// Middleware (with `actix_web::middleware::from_fn`) recording
/// [`HANDLE_SECONDS`] for provider `P`: from the request reaching the
/// resource to the response your handler (or a rejection) gives.
///
/// # Errors
///
/// Whatever the wrapped service returns, unchanged.
#[cfg(feature = "metrics")]
pub async fn track<P: hookseal_core::Provider, B: actix_web::body::MessageBody>(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<B>, actix_web::Error> {
    let started = std::time::Instant::now();
    let result = next.call(request).await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    metrics::histogram!(HANDLE_SECONDS, "provider" => P::NAME, "status" => status_label(status))
        .record(started.elapsed().as_secs_f64());
    result
}
