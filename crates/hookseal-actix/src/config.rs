//! Extractor configuration, looked up from `app_data` like actix's own `JsonConfig`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, web};

use crate::WebhookRejection;

/// How long the extractors wait for a whole request body, unless a [`WebhookConfig`] says otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

type ErrorHandler = Arc<dyn Fn(WebhookRejection, &HttpRequest) -> actix_web::Error + Send + Sync>;

/// How the webhook extractors read the body and answer a refusal.
///
/// Register it with `app_data` on the `App`, a scope or a single resource;
/// the innermost one applies. Both `WebhookConfig` and
/// `web::Data<WebhookConfig>` are found. Without one, the verifier's own
/// [`max_body`](hookseal_core::Verifier::max_body) is the only limit, the
/// read timeout is [`DEFAULT_READ_TIMEOUT`] (10 s), and a refusal answers with
/// [`WebhookRejection`]'s status and short text.
///
/// ```
/// use std::time::Duration;
///
/// use actix_web::{App, HttpResponse, error, web};
/// use hookseal_actix::{Webhook, WebhookConfig};
/// use hookseal_core::Toran;
///
/// async fn toran(_: Webhook<Toran>) -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// let app = App::new().service(
///     web::resource("/webhooks/toran")
///         // At most 64 KiB, in full within 5 s, on this route, and a JSON error body
///         // instead of the plain text.
///         .app_data(
///             WebhookConfig::new().limit(64 * 1024).read_timeout(Duration::from_secs(5)).error_handler(
///                 |rejection, _req| {
///                     let response = HttpResponse::build(rejection.status())
///                         .json(serde_json::json!({ "error": rejection.body_text() }));
///                     error::InternalError::from_response(rejection, response).into()
///                 },
///             ),
///         )
///         .route(web::post().to(toran)),
/// );
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookConfig {
    limit: Option<usize>,
    read_timeout: Duration,
    error_handler: Option<ErrorHandler>,
}

/// The configuration used where none is registered.
static DEFAULT_CONFIG: WebhookConfig = WebhookConfig::new();

impl WebhookConfig {
    /// No limit of its own (the verifier's applies), the [`DEFAULT_READ_TIMEOUT`]
    /// (10 s) and the default responses.
    pub const fn new() -> Self {
        Self { limit: None, read_timeout: DEFAULT_READ_TIMEOUT, error_handler: None }
    }

    /// Refuses bodies over `bytes` with `413`, before reading them in full.
    ///
    /// The verifier's [`body_limit`](hookseal_core::Verifier::body_limit)
    /// still applies: the smaller of the two wins.
    pub const fn limit(mut self, bytes: usize) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Refuses with `408` a body not received in full within `timeout` of the
    /// extractor starting to read it.
    ///
    /// It is a deadline on the whole read, not an idle timeout: a client that
    /// sends its headers and then stalls, or dribbles the body a byte at a
    /// time (a "slowloris"), is cut off once it passes, and the connection is
    /// closed. `Duration::MAX` waits forever (not advised on a public endpoint).
    /// Slow *headers* are actix's business: see `HttpServer::client_request_timeout`.
    pub const fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Turns every rejection into your own error, for instance to answer with
    /// JSON, or to log it your way. The function gets the [`WebhookRejection`]
    /// and the request.
    pub fn error_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(WebhookRejection, &HttpRequest) -> actix_web::Error + Send + Sync + 'static,
    {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// The limit set with [`limit`](Self::limit), if any.
    #[must_use]
    pub const fn get_limit(&self) -> Option<usize> {
        self.limit
    }

    /// The read timeout set with [`read_timeout`](Self::read_timeout), or the default.
    #[must_use]
    pub const fn get_read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// The body limit in force for a verifier accepting at most `verifier_limit` bytes.
    pub(crate) fn effective_limit(&self, verifier_limit: usize) -> usize {
        self.limit.map_or(verifier_limit, |limit| limit.min(verifier_limit))
    }

    /// Whether an [`error_handler`](Self::error_handler) is set.
    pub(crate) fn has_error_handler(&self) -> bool {
        self.error_handler.is_some()
    }

    /// Turns a rejection into the error the extractor returns.
    pub(crate) fn reject(&self, rejection: WebhookRejection, req: &HttpRequest) -> actix_web::Error {
        match &self.error_handler {
            Some(handler) => handler(rejection, req),
            None => rejection.into(),
        }
    }

    /// The configuration in force for `req`: `WebhookConfig`, then `web::Data<WebhookConfig>`, then the default.
    pub(crate) fn from_req(req: &HttpRequest) -> &Self {
        req.app_data::<Self>()
            .or_else(|| req.app_data::<web::Data<Self>>().map(|data| data.get_ref()))
            .unwrap_or(&DEFAULT_CONFIG)
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("limit", &self.limit)
            .field("read_timeout", &self.read_timeout)
            .field("error_handler", &self.error_handler.as_ref().map(|_| "<fn>"))
            .finish()
    }
}
