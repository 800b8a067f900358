//! Why an extractor refused a request, and the response it answers with.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};

/// Why a webhook extractor refused a request.
///
/// Each variant maps to one status through [`status`](Self::status), and
/// answers with a short fixed text from [`body_text`](Self::body_text): a
/// response never echoes request content or internals. `Display` is meant for
/// logs; it names the reason (never a secret).
///
/// | variant | status | body text |
/// |---|---|---|
/// | [`Verification`](Self::Verification) | `401` signature, `400` unusable body, `413` too large | [`Error::public_message`](hookseal_core::Error::public_message) |
/// | [`BodyTooLarge`](Self::BodyTooLarge) | `413` | `body too large` |
/// | [`BodyRead`](Self::BodyRead) | `400` | `could not read body` |
/// | [`Timeout`](Self::Timeout) | `408` | `body read timed out` |
/// | [`MissingVerifier`](Self::MissingVerifier) | `500` | `webhook receiver is not configured` |
///
/// To answer differently, give [`WebhookConfig::error_handler`](crate::WebhookConfig::error_handler)
/// a function that turns the rejection into your own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The request failed verification: a signature problem (`401`), an
    /// authentic but unusable body (`400`), or a body over the verifier's limit (`413`).
    #[error("webhook verification failed: {0}")]
    Verification(#[source] hookseal_core::Error),
    /// The body is larger than the limit: refused before it was read in full.
    #[error("request body exceeds the {limit} byte limit")]
    BodyTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The body could not be read (the client went away, or sent a broken stream).
    #[error("the request body could not be read")]
    BodyRead,
    /// The whole body did not arrive within the
    /// [`WebhookConfig::read_timeout`](crate::WebhookConfig::read_timeout) (a stalled or
    /// dribbling client). The response also closes the connection.
    #[error("the request body did not arrive in full within {after:?}")]
    Timeout {
        /// The read timeout that passed.
        after: Duration,
    },
    /// No `Verifier` for this provider was registered with `app_data`: a server
    /// configuration mistake, not the caller's.
    ///
    /// Its `Display` (for your logs, the `tracing` feature and an error handler) names the
    /// missing type exactly; the `500` response itself says only `webhook receiver is not
    /// configured`, since the caller is not told about the server's internals.
    #[error(
        "no `{verifier}` for provider `{provider}` in app_data (looked for `web::Data<{verifier}>`, then a plain \
         `{verifier}`): register `web::Data::new(Verifier::<P>::new(secret))` with `App::app_data` (or on the \
         scope or resource)"
    )]
    MissingVerifier {
        /// The provider's short name, such as `toran`.
        provider: &'static str,
        /// The Rust type that was looked for, such as
        /// `hookseal_core::verifier::Verifier<hookseal_core::provider::Toran>`.
        verifier: &'static str,
    },
}

impl WebhookRejection {
    /// The HTTP status to answer with: `401`, `400`, `413`, `408` or `500`.
    ///
    /// ```
    /// use hookseal_actix::WebhookRejection;
    /// use hookseal_core::Error;
    ///
    /// assert_eq!(WebhookRejection::Verification(Error::SignatureMismatch).status(), 401);
    /// assert_eq!(WebhookRejection::BodyTooLarge { limit: 1024 }.status(), 413);
    /// assert_eq!(WebhookRejection::MissingVerifier { provider: "toran", verifier: "Verifier<Toran>" }.status(), 500);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Verification(err) => StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST),
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyRead => StatusCode::BAD_REQUEST,
            Self::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::MissingVerifier { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, fixed text that is safe to send back: it never echoes the
    /// request, an internal error, or a secret.
    ///
    /// ```
    /// use hookseal_actix::WebhookRejection;
    /// use hookseal_core::Error;
    ///
    /// assert_eq!(WebhookRejection::Verification(Error::SignatureMismatch).body_text(), "invalid signature");
    /// ```
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        match self {
            Self::Verification(err) => err.public_message(),
            Self::BodyTooLarge { .. } => "body too large",
            Self::BodyRead => "could not read body",
            Self::Timeout { .. } => "body read timed out",
            Self::MissingVerifier { .. } => "webhook receiver is not configured",
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

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if matches!(self, Self::Timeout { .. }) {
            // The rest of the body may still be on its way: do not wait for it to reuse the connection.
            response.force_close();
        }
        response.insert_header(ContentType::plaintext()).body(self.body_text())
    }
}

/// Where a refused request was going, for a custom rejection type to log or answer with.
///
/// Together with the [`WebhookRejection`] (the reason: [`status`](WebhookRejection::status),
/// [`body_text`](WebhookRejection::body_text), `Display`), it is what
/// [`FromRejection::from_rejection`] receives. It holds nothing from the body, and no secret.
/// (The same as `hookseal_axum::RejectionContext`, with actix-web's own `Method`.)
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RejectionContext<'a> {
    /// The provider's short name, such as `toran` ([`Provider::NAME`](hookseal_core::Provider::NAME)).
    pub provider: &'static str,
    /// The request's method.
    pub method: &'a actix_web::http::Method,
    /// The request's path, as received (without the query).
    pub path: &'a str,
}

/// Builds an extractor's rejection type from a [`WebhookRejection`] and where
/// the request was going: the `R` of [`Webhook<P, R>`](crate::Webhook) and the other extractors.
///
/// Every `T: From<WebhookRejection>` has it (the context is then dropped).
/// Implement this trait instead (and not `From<WebhookRejection>`) to use the context:
///
/// ```
/// use actix_web::http::StatusCode;
/// use actix_web::{HttpResponse, ResponseError};
/// use hookseal_actix::{FromRejection, RejectionContext, Webhook, WebhookRejection};
/// use hookseal_core::Toran;
///
/// #[derive(Debug)]
/// struct Refused {
///     status: StatusCode,
///     line: String,
/// }
///
/// impl std::fmt::Display for Refused {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str(&self.line)
///     }
/// }
///
/// impl ResponseError for Refused {
///     fn status_code(&self) -> StatusCode {
///         self.status
///     }
/// }
///
/// impl FromRejection for Refused {
///     fn from_rejection(rejection: WebhookRejection, context: &RejectionContext<'_>) -> Self {
///         let line = format!("{} {} ({}): {rejection}", context.method, context.path, context.provider);
///         Self { status: rejection.status(), line }
///     }
/// }
///
/// async fn toran(_: Webhook<Toran, Refused>) -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
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

impl From<hookseal_core::Error> for WebhookRejection {
    fn from(err: hookseal_core::Error) -> Self {
        Self::Verification(err)
    }
}
