//! A [`tower`](https://docs.rs/tower) layer that verifies signed webhooks
//! before the inner service runs, so hyper, tonic and axum services all get
//! the same protection as hookseal's axum and actix extractors.
//!
//! [`WebhookLayer`] wraps any `Service<Request<Full<Bytes>>>`. For each request it
//!
//! 1. refuses a `Content-Length` over the verifier's
//!    [`max_body`](hookseal_core::Verifier::max_body) with `413` before reading anything;
//! 2. reads the body into **one** buffer, stopping with `413` as soon as it
//!    would pass the limit (so no request makes it hold more than the limit);
//! 3. verifies the signature over those raw bytes, parses the event and
//!    checks the replay window, for any [`Provider`] (the five, or
//!    [`Custom`](hookseal_core::Custom) with any [`Scheme`](hookseal_core::Scheme),
//!    or the ready `StandardWebhooks`, `GitHub`, `Stripe`);
//! 4. answers a refused request itself, with the adapters' statuses and
//!    fixed texts (`401 invalid signature`, `400 invalid body`, `413 body too large`, …);
//! 5. otherwise calls the inner service with the same raw bytes as the body
//!    and the [`Verified`] event in the request's extensions.
//!
//! ```
//! use axum::{Extension, Router, routing::post};
//! use hookseal_core::{Secret, Signer, Toran, Provider, Verified, Verifier, WebhookEvent, toran};
//! use hookseal_tower::WebhookLayer;
//! use tower::ServiceExt;
//!
//! async fn handle(Extension(verified): Extension<Verified<toran::Event>>) -> String {
//!     format!("got {}", verified.event.name())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let secret = Secret::new("s3cret")?;
//! let app = Router::new()
//!     .route("/webhooks/toran", post(handle))
//!     .layer(WebhookLayer::new(Verifier::<Toran>::new(secret.clone())));
//!
//! let body = r#"{"event":"lead.test","lead_id":"L1","widget_id":"w1","timestamp":"2026-05-04T10:15:30Z"}"#;
//! let signature = Signer::new(&secret, Toran::SCHEME.format()).sign(body.as_bytes());
//! let request = http::Request::post("/webhooks/toran")
//!     .header("X-Toran-Signature", signature)
//!     .body(axum::body::Body::from(body))?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//!
//! let forged = http::Request::post("/webhooks/toran")
//!     .header("X-Toran-Signature", format!("sha256={}", "0".repeat(64)))
//!     .body(axum::body::Body::from(body))?;
//! assert_eq!(app.oneshot(forged).await?.status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The layer reads no timeout of its own: put a
//! `tower::timeout::TimeoutLayer` (or your server's read timeout) outside it
//! so that a client dribbling its body cannot hold a connection for ever.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use hookseal_core::chrono::{DateTime, Utc};
use hookseal_core::{Error, Provider, Verified, Verifier};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full};
use tower_layer::Layer;
use tower_service::Service;

/// The clock a layer checks replay windows against.
type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Verifies every request before the inner service: see the [crate docs](crate).
pub struct WebhookLayer<P: Provider> {
    verifier: Verifier<P>,
    clock: Option<Clock>,
}

impl<P: Provider> WebhookLayer<P> {
    /// A layer verifying with `verifier` (its secrets, scheme, body limit and replay window).
    #[must_use]
    pub fn new(verifier: Verifier<P>) -> Self {
        Self { verifier, clock: None }
    }

    /// Checks replay windows against `clock` instead of the system clock (for tests).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
}

impl<P: Provider> Clone for WebhookLayer<P> {
    fn clone(&self) -> Self {
        Self { verifier: self.verifier.clone(), clock: self.clock.clone() }
    }
}

impl<P: Provider> fmt::Debug for WebhookLayer<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookLayer").field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

impl<S, P: Provider> Layer<S> for WebhookLayer<P> {
    type Service = WebhookService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService { inner, verifier: self.verifier.clone(), clock: self.clock.clone() }
    }
}

/// The service [`WebhookLayer`] makes.
pub struct WebhookService<S, P: Provider> {
    inner: S,
    verifier: Verifier<P>,
    clock: Option<Clock>,
}

impl<S: Clone, P: Provider> Clone for WebhookService<S, P> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), verifier: self.verifier.clone(), clock: self.clock.clone() }
    }
}

impl<S, P: Provider> fmt::Debug for WebhookService<S, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookService").field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

/// Why the layer refused a request: its status and fixed text match the axum
/// and actix adapters' rejections.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The verifier refused the request (`401`, `400` or `413`: [`Error::status`]).
    Verification(Error),
    /// The body is over the verifier's limit (by `Content-Length`, or while reading).
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read (the client went away, or sent a broken body).
    BodyRead,
}

impl Rejection {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Verification(err) => StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST),
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyRead => StatusCode::BAD_REQUEST,
        }
    }

    /// The response body: a short fixed text that never echoes the request.
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        match self {
            Self::Verification(err) => err.public_message(),
            Self::BodyTooLarge { .. } => "body too large",
            Self::BodyRead => "could not read body",
        }
    }

    /// The response the layer answers with.
    #[must_use]
    pub fn to_response<B>(&self) -> Response<Either<B, Full<Bytes>>> {
        let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(self.body_text().as_bytes()))));
        *response.status_mut() = self.status();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        response
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verification(err) => write!(f, "webhook verification failed: {err}"),
            Self::BodyTooLarge { limit } => write!(f, "request body exceeds the {limit} byte limit"),
            Self::BodyRead => f.write_str("the request body could not be read"),
        }
    }
}

impl std::error::Error for Rejection {}

/// Reads `body` into one buffer of at most `limit` bytes.
///
/// The `Content-Length`, when present, sizes the buffer (it was checked
/// against the limit); each frame is copied in and dropped, and reading
/// stops at the first byte past the limit.
async fn read_limited<B>(body: B, limit: usize, expected: Option<usize>) -> Result<Bytes, Rejection>
where
    B: Body,
{
    let mut body = std::pin::pin!(body);
    let mut buffer = Vec::with_capacity(expected.unwrap_or(0).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Rejection::BodyRead)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let chunk = data.chunk();
        if chunk.len() > limit - buffer.len() {
            return Err(Rejection::BodyTooLarge { limit });
        }
        buffer.extend_from_slice(chunk);
    }
    Ok(Bytes::from(buffer))
}

impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for WebhookService<S, P>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    P: Provider,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
{
    type Response = Response<Either<ResBody, Full<Bytes>>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's usual pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let clock = self.clock.clone();
        Box::pin(async move {
            let limit = verifier.max_body();
            let (mut parts, body) = request.into_parts();
            let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let expected = match declared.map(usize::try_from) {
                Some(Ok(len)) if len <= limit => Some(len),
                Some(_) => return Ok(Rejection::BodyTooLarge { limit }.to_response()),
                None => None,
            };
            let bytes = match read_limited(body, limit, expected).await {
                Ok(bytes) => bytes,
                Err(rejection) => return Ok(rejection.to_response()),
            };
            let now = clock.as_ref().map_or_else(Utc::now, |clock| clock());
            let verified: Verified<P::Event> = match verifier.open_at(&parts.headers, &bytes, now) {
                Ok(verified) => verified,
                Err(err) => return Ok(Rejection::Verification(err).to_response()),
            };
            parts.extensions.insert(verified);
            let response = inner.call(Request::from_parts(parts, Full::new(bytes))).await?;
            Ok(response.map(Either::Left))
        })
    }
}
