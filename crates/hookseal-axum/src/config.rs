//! Extractor settings that are not the verifier's: read from the request's extensions.

use std::time::Duration;

/// How long the extractors wait for a whole request body, unless a [`WebhookConfig`] says otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many bytes of a refused body are read and discarded after an early answer, unless a
/// [`WebhookConfig`] says otherwise: 8 MiB.
pub const DEFAULT_DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// How long the rest of a refused body is read and discarded after an early answer, unless a
/// [`WebhookConfig`] says otherwise: 5 s.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Extractor settings that do not belong to a [`Verifier`](hookseal_core::Verifier): the body
/// read timeout, and how much of a refused body is drained after an early answer.
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
/// **Early answers.** A body over the limit is answered `413` before it is
/// read (from its `Content-Length`) or as soon as reading passes the limit,
/// while the client may still be sending it. If the server then closed the
/// connection, the client's next write would fail (`EPIPE`, `ECONNRESET`)
/// and many clients (Node.js's `http`, for one) report that instead of the
/// `413`. So the extractor keeps reading the rest of the body in the
/// background and throws it away, as nginx's lingering close does: at most
/// [`drain_limit`](Self::drain_limit) bytes (8 MiB by default) within
/// [`drain_timeout`](Self::drain_timeout) (5 s), holding none of it; past
/// either bound the connection is closed. A request that sent
/// `Expect: 100-continue` is not drained: its client sends no body after an
/// early answer.
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
    drain_limit: usize,
    drain_timeout: Duration,
}

impl WebhookConfig {
    /// The defaults: a [`DEFAULT_READ_TIMEOUT`] (10 s) read timeout, and a refused body drained up
    /// to [`DEFAULT_DRAIN_LIMIT`] (8 MiB) within [`DEFAULT_DRAIN_TIMEOUT`] (5 s).
    pub const fn new() -> Self {
        Self {
            read_timeout: DEFAULT_READ_TIMEOUT,
            drain_limit: DEFAULT_DRAIN_LIMIT,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
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

    /// After an early answer (`413`, or the reference receiver's `404`), reads and discards at
    /// most `bytes` more of the request's body, so that the answer reaches a client still
    /// sending it (see the type's docs). `0` drains nothing: the connection closes after the
    /// answer.
    pub const fn drain_limit(mut self, bytes: usize) -> Self {
        self.drain_limit = bytes;
        self
    }

    /// After an early answer, gives up draining the rest of the body `timeout` after the
    /// answer (and closes the connection). `Duration::ZERO` drains nothing.
    pub const fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// The drain limit in force, in bytes.
    #[must_use]
    pub const fn get_drain_limit(&self) -> usize {
        self.drain_limit
    }

    /// The drain timeout in force.
    #[must_use]
    pub const fn get_drain_timeout(&self) -> Duration {
        self.drain_timeout
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self::new()
    }
}
