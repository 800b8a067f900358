//! Test requests for your own handlers (feature `testing`): fresh, signed
//! webhooks as `http::Request`s for tower's `oneshot`.
//!
//! [`fresh_request`] takes one of the bundled samples (any provider, any
//! event), rewrites its timestamp to now, as the provider would send it
//! (see [`fresh_sample`](hookseal_sender::fresh_sample)), signs it with your
//! secret and returns the request, ready for your `Router`. So a verifier
//! with a [replay window](hookseal_core::Verifier::replay_window) accepts it.
//! [`signed_request`] signs a body of your own, and [`request`] converts any
//! [`Delivery`] the sender prepares (any provider or
//! [`Scheme`](hookseal_core::Scheme) it can sign for), so every scheme the
//! sender learns is testable here too. The actix crate's `testing` module has
//! the same three functions, returning `TestRequest`s.
//!
//! ```
//! use std::time::Duration;
//!
//! use axum::{Router, routing::post};
//! use hookseal_axum::{Webhook, testing};
//! use hookseal_core::{Secret, Toran, Verifier, WebhookEvent};
//! use tower::ServiceExt;
//!
//! async fn toran(Webhook(event): Webhook<Toran>) -> String {
//!     event.name().to_owned()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = Secret::new("toran-test-secret")?;
//! let verifier = Verifier::<Toran>::new(secret.clone()).replay_window(Duration::from_secs(300));
//! let app = Router::new().route("/webhooks/toran", post(toran)).with_state(verifier);
//!
//! let request = testing::fresh_request("/webhooks/toran", Toran, "lead.captured", &secret)?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(())
//! # }
//! ```

use axum::body::Body;
use bytes::Bytes;
use hookseal_core::Secret;
use http::Request;

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
) -> Result<Request<Body>, FreshError> {
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
) -> Result<Request<Body>, PrepareError> {
    let delivery = Delivery::builder(target, absolute(uri)).secret(secret.clone()).json(body)?;
    Ok(request(&delivery))
}

/// `delivery` as the request your router receives: `POST` to its URL's path
/// and query, with a `Host` header from its URL, its headers in order, a
/// `Content-Length`, and its body byte for byte.
///
/// Build the delivery with [`Delivery::builder`] for anything the one-call
/// helpers do not cover: a fixed send time, extra headers, an unsigned
/// ConnectGain delivery, your own [`Scheme`](hookseal_core::Scheme).
#[must_use]
pub fn request(delivery: &Delivery) -> Request<Body> {
    let url = delivery.url();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut builder = Request::post(target);
    if let Some(host) = url.host_str()
        && delivery.header("host").is_none()
    {
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        builder = builder.header(http::header::HOST, host);
    }
    for (name, value) in delivery.headers() {
        builder = builder.header(name, value);
    }
    // As on the wire (and as actix's `TestRequest` does): the extractors
    // refuse an oversized body from its length before reading it.
    if delivery.header("content-length").is_none() {
        builder = builder.header(http::header::CONTENT_LENGTH, delivery.body().len());
    }
    // A `Delivery` holds a parsed URL and header names and values checked
    // when it was prepared, so this cannot fail.
    builder.body(Body::from(delivery.body().clone())).expect("a prepared delivery is a valid request")
}
