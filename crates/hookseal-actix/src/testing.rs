//! Test requests for your own handlers (feature `testing`): fresh, signed
//! webhooks as actix's [`TestRequest`]s.
//!
//! [`fresh_request`] takes one of the bundled samples (any provider, any
//! event), rewrites its timestamp to now, as the provider would send it
//! (see [`fresh_sample`](hookseal_sender::fresh_sample)), signs it with your
//! secret and returns the request, ready for
//! [`test::call_service`](actix_web::test::call_service). So a verifier with
//! a [replay window](hookseal_core::Verifier::replay_window) accepts it.
//! [`signed_request`] signs a body of your own, and [`request`] converts any
//! [`Delivery`] the sender prepares (any provider or
//! [`Scheme`](hookseal_core::Scheme) it can sign for), so every scheme the
//! sender learns is testable here too. The axum crate's `testing` module has
//! the same three functions, returning `http::Request`s.
//!
//! ```
//! use std::time::Duration;
//!
//! use actix_web::{App, HttpResponse, test, web};
//! use hookseal_actix::{Webhook, testing};
//! use hookseal_core::{Secret, Toran, Verifier, WebhookEvent};
//!
//! async fn toran(Webhook(event): Webhook<Toran>) -> HttpResponse {
//!     HttpResponse::Ok().body(event.name().to_owned())
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = Secret::new("toran-test-secret")?;
//! let verifier = Verifier::<Toran>::new(secret.clone()).replay_window(Duration::from_secs(300));
//! let app = test::init_service(
//!     App::new().app_data(web::Data::new(verifier)).route("/webhooks/toran", web::post().to(toran)),
//! )
//! .await;
//!
//! let request = testing::fresh_request("/webhooks/toran", Toran, "lead.captured", &secret)?;
//! let response = test::call_service(&app, request.to_request()).await;
//! assert_eq!(response.status(), 200);
//! # Ok(())
//! # }
//! ```

use actix_web::test::TestRequest;
use bytes::Bytes;
use hookseal_core::Secret;

pub use hookseal_sender::{Delivery, FreshError, PrepareError, Target};

/// The origin test requests are prepared for when given only a path.
const TEST_ORIGIN: &str = "http://localhost";

/// `uri` as an absolute URL for the sender: a path is put under `http://localhost`.
fn absolute(uri: &str) -> String {
    if uri.starts_with('/') { format!("{TEST_ORIGIN}{uri}") } else { uri.to_owned() }
}

/// A fresh, signed `POST` of the bundled sample `event` of `target` to
/// `uri` (a path such as `/webhooks/toran`, or an absolute URL).
///
/// `event` is an event name (its first sample), a sample name such as
/// `lead.handoff.model_error`, or `test` for the provider's test event (see
/// `hookseal_core::samples`). The body's timestamp and the timestamp headers
/// are now, and the identities a receiver deduplicates on are new, so two
/// calls give two distinct events.
///
/// # Errors
///
/// [`FreshError::UnknownSample`] for a name without a sample,
/// [`FreshError::NoSamples`] for a custom scheme (use [`signed_request`]),
/// [`FreshError::Prepare`] for a URI that is not a valid URL.
pub fn fresh_request(
    uri: &str,
    target: impl Into<Target>,
    event: &str,
    secret: &Secret,
) -> Result<TestRequest, FreshError> {
    let delivery = hookseal_sender::fresh_delivery(target, event, secret, &absolute(uri))?;
    Ok(request(&delivery))
}

/// A signed `POST` of your own `body` (sent byte for byte) to `uri`, with
/// the headers `target` sends; the event header carries the body's event name.
///
/// # Errors
///
/// [`PrepareError`]: a body that is not an event of `target`, or a bad URI.
pub fn signed_request(
    uri: &str,
    target: impl Into<Target>,
    body: impl Into<Bytes>,
    secret: &Secret,
) -> Result<TestRequest, PrepareError> {
    let delivery = Delivery::builder(target, absolute(uri)).secret(secret.clone()).json(body)?;
    Ok(request(&delivery))
}

/// `delivery` as the request your app receives: `POST` to its URL's path and
/// query, with a `Host` header from its URL, its headers in order (actix
/// groups repeated names), a `Content-Length`, and its body byte for byte.
///
/// Build the delivery with [`Delivery::builder`] for anything the one-call
/// helpers do not cover: a fixed send time, extra headers, an unsigned
/// ConnectGain delivery, your own [`Scheme`](hookseal_core::Scheme).
#[must_use]
pub fn request(delivery: &Delivery) -> TestRequest {
    let url = delivery.url();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut request = TestRequest::post().uri(&target);
    if let Some(host) = url.host_str()
        && delivery.header("host").is_none()
    {
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        request = request.insert_header(("host", host));
    }
    for (name, value) in delivery.headers() {
        request = request.append_header((name.as_str(), value.as_str()));
    }
    request.set_payload(delivery.body().clone())
}
