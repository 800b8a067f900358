//! Why an extractor refused a request, and the response it answers with.

use std::fmt;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{CONNECTION, HeaderValue};

/// Why a webhook extractor refused a request.
///
/// Each variant maps to one status through [`status`](Self::status), and
/// its response body is [`body_text`](Self::body_text): a short fixed text that
/// never echoes the request, an inner error's `Debug`, or a secret.
/// `Display` says more (for your logs); it never contains a secret either.
///
/// | variant | status | body |
/// |---|---|---|
/// | [`Verification`](Self::Verification) | `401` signature, `400` unusable body, `413` | [`Error::public_message`](hookseal_core::Error::public_message) |
/// | [`BodyTooLarge`](Self::BodyTooLarge) | `413` | `body too large` |
/// | [`AxumBodyLimit`](Self::AxumBodyLimit) | `413` | `body too large` |
/// | [`BodyRead`](Self::BodyRead) | `400` | `could not read body` |
/// | [`Timeout`](Self::Timeout) | `408` | `body read timed out` |
///
/// To answer in your own format, use your own rejection type: see
/// [`Webhook`](crate::Webhook).
///
/// There is no "missing verifier" case: the extractors' `Verifier<P>: FromRef<S>`
/// bound makes a router without the verifier a compile error, not a `500`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The core verifier refused the request: a signature problem (`401`), an
    /// authentic but unusable body (`400`), or a body over its limit (`413`).
    Verification(hookseal_core::Error),
    /// The body is larger than the verifier's [`max_body`](hookseal_core::Verifier::max_body):
    /// its `Content-Length` said so (and nothing was read), or reading passed the limit (and
    /// reading stopped there).
    BodyTooLarge {
        /// The verifier's limit, in bytes.
        limit: usize,
    },
    /// The body is larger than axum's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit) for
    /// this route, which is lower than the verifier's limit (axum does not expose its value).
    AxumBodyLimit,
    /// The body could not be read (the client went away, or sent a broken body).
    BodyRead,
    /// The whole body did not arrive within the [`WebhookConfig`](crate::WebhookConfig)
    /// read timeout (a stalled or dribbling client). The response also closes the connection.
    Timeout {
        /// The read timeout that passed.
        after: Duration,
    },
}

impl WebhookRejection {
    /// The HTTP status: `401`, `400`, `413` or `408`.
    ///
    /// ```
    /// use hookseal_axum::WebhookRejection;
    /// use hookseal_core::Error;
    /// assert_eq!(WebhookRejection::Verification(Error::SignatureMismatch).status(), 401);
    /// assert_eq!(WebhookRejection::BodyTooLarge { limit: 1024 }.status(), 413);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Verification(err) => StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST),
            Self::BodyTooLarge { .. } | Self::AxumBodyLimit => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyRead => StatusCode::BAD_REQUEST,
            Self::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The response body: a short fixed text, safe to send to anyone.
    ///
    /// ```
    /// use hookseal_axum::WebhookRejection;
    /// use hookseal_core::Error;
    /// assert_eq!(WebhookRejection::Verification(Error::SignatureMismatch).body_text(), "invalid signature");
    /// ```
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        match self {
            Self::Verification(err) => err.public_message(),
            Self::BodyTooLarge { .. } | Self::AxumBodyLimit => "body too large",
            Self::BodyRead => "could not read body",
            Self::Timeout { .. } => "body read timed out",
        }
    }

    /// The core error, if the verifier produced this rejection.
    #[must_use]
    pub fn verification_error(&self) -> Option<&hookseal_core::Error> {
        match self {
            Self::Verification(err) => Some(err),
            _ => None,
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verification(err) => write!(f, "webhook verification failed: {err}"),
            Self::BodyTooLarge { limit } => write!(f, "request body exceeds the {limit} byte limit"),
            Self::AxumBodyLimit => f.write_str("request body exceeds axum's DefaultBodyLimit for this route"),
            Self::BodyRead => f.write_str("the request body could not be read"),
            Self::Timeout { after } => write!(f, "the request body did not arrive in full within {after:?}"),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Verification(err) => Some(err),
            _ => None,
        }
    }
}

impl From<hookseal_core::Error> for WebhookRejection {
    fn from(err: hookseal_core::Error) -> Self {
        Self::Verification(err)
    }
}

/// Where a refused request was going, for a custom rejection type to log or answer with.
///
/// Together with the [`WebhookRejection`] (the reason: [`status`](WebhookRejection::status),
/// [`body_text`](WebhookRejection::body_text), `Display`), it is what
/// [`FromRejection::from_rejection`] receives. It holds nothing from the body, and no secret.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RejectionContext<'a> {
    /// The provider's short name, such as `toran` ([`Provider::NAME`](hookseal_core::Provider::NAME)).
    pub provider: &'static str,
    /// The request's method.
    pub method: &'a http::Method,
    /// The request's path, as received (without the query).
    pub path: &'a str,
}

/// Builds an extractor's rejection type from a [`WebhookRejection`] and where
/// the request was going.
///
/// Every `T: From<WebhookRejection>` has it (the context is then dropped), so
/// the simplest custom rejection type only implements `From`. Implement this
/// trait instead (and not `From<WebhookRejection>`) to use the context:
///
/// ```
/// use axum::http::StatusCode;
/// use axum::response::{IntoResponse, Response};
/// use hookseal_axum::{FromRejection, RejectionContext, Webhook, WebhookRejection};
/// use hookseal_core::Toran;
///
/// struct Refused {
///     status: StatusCode,
///     line: String,
/// }
///
/// impl FromRejection for Refused {
///     fn from_rejection(rejection: WebhookRejection, context: &RejectionContext<'_>) -> Self {
///         let line = format!("{} {} ({}): {rejection}", context.method, context.path, context.provider);
///         Self { status: rejection.status(), line }
///     }
/// }
///
/// impl IntoResponse for Refused {
///     fn into_response(self) -> Response {
///         eprintln!("{}", self.line);
///         self.status.into_response()
///     }
/// }
///
/// async fn toran(_: Webhook<Toran, Refused>) {}
/// ```
pub trait FromRejection: Sized {
    /// The rejection type for `rejection` of a request described by `context`.
    fn from_rejection(rejection: WebhookRejection, context: &RejectionContext<'_>) -> Self;
}

impl<T: From<WebhookRejection>> FromRejection for T {
    fn from_rejection(rejection: WebhookRejection, _context: &RejectionContext<'_>) -> Self {
        Self::from(rejection)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        // A `&'static str` body is sent as `text/plain; charset=utf-8`.
        let mut response = (self.status(), self.body_text()).into_response();
        if matches!(self, Self::Timeout { .. }) {
            // The rest of the body may still be on its way: do not wait for it to reuse the connection.
            response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
