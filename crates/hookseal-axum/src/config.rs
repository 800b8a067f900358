//! Extractor settings that are not the verifier's: read from the request's extensions.

use std::time::Duration;

/// How long the extractors wait for a whole request body, unless a [`WebhookConfig`] says otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Extractor settings that do not belong to a [`Verifier`](hookseal_core::Verifier): for now,
/// the body read timeout.
///
/// The extractors look for one in the request's extensions; add it to a router,
/// a nested router or a single route with axum's [`Extension`](axum::Extension)
/// layer (the innermost one applies: a route's own layer over the router's). Without one, the
/// defaults apply.
///
/// The read timeout is a deadline on reading the **whole** body, counted from
/// when the extractor starts reading it: a client that sends its headers and
/// then dribbles the body (a "slowloris") is answered `408 Request Timeout` once
/// it passes, however steadily the bytes trickle in. (Slow *headers* are the
/// HTTP server's business: see hyper's `header_read_timeout`.)
///
/// ```
/// use std::time::Duration;
///
/// use axum::{Extension, Router, routing::post};
/// use hookseal_axum::{Webhook, WebhookConfig};
/// use hookseal_core::{Secret, Toran, Verifier};
///
/// async fn toran(_: Webhook<Toran>) -> &'static str {
///     "ok"
/// }
///
/// let app: Router = Router::new()
///     .route("/webhooks/toran", post(toran))
///     .layer(Extension(WebhookConfig::new().read_timeout(Duration::from_secs(3))))
///     .with_state(Verifier::<Toran>::new(Secret::new("s3cret")?));
/// # Ok::<(), hookseal_core::EmptySecret>(())
/// ```
///
/// The [reference receiver](crate::receiver::Receiver::read_timeout) sets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct WebhookConfig {
    read_timeout: Duration,
}

impl WebhookConfig {
    /// The defaults: a [`DEFAULT_READ_TIMEOUT`] (10 s) read timeout.
    pub const fn new() -> Self {
        Self { read_timeout: DEFAULT_READ_TIMEOUT }
    }

    /// Refuses with `408` a body not received in full within `timeout` of the
    /// extractor starting to read it. `Duration::MAX` waits forever (not advised on a public endpoint).
    pub const fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The read timeout in force.
    #[must_use]
    pub const fn get_read_timeout(&self) -> Duration {
        self.read_timeout
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self::new()
    }
}
