//! The durable inbox in axum (feature `inbox`): verify, store, answer, in one extractor.
//!
//! [`Inboxed<P>`] is [`Webhook<P>`](crate::Webhook) with persistence: it
//! verifies the request over the exact bytes received, stores it in the
//! [`Inbox`] and returns only once the row is **committed**, so the `2xx` your
//! handler answers means the event is safe. A redelivery is answered `2xx` too
//! (and counted); an authentic body that does not parse is stored
//! dead-lettered and answered `2xx`. A signature problem is `401`, an unusable
//! request `400`, a body too large `413` (as with `Webhook<P>`), and a store
//! that is down or too slow `503` (so the providers that retry do).
//!
//! The events are then handled by a [`Worker`] (re-exported here with the rest
//! of the worker API) in the background.
//!
//! ```no_run
//! use axum::{Router, extract::FromRef, http::StatusCode, routing::post};
//! use hookseal_axum::inbox::{Inbox, Inboxed, SqliteStore, Worker};
//! use hookseal_core::{Secret, Toran, Verifier, WebhookEvent};
//!
//! #[derive(Clone)]
//! struct App {
//!     toran: Verifier<Toran>,
//!     inbox: Inbox,
//! }
//! impl FromRef<App> for Verifier<Toran> {
//!     fn from_ref(app: &App) -> Self { app.toran.clone() }
//! }
//! impl FromRef<App> for Inbox {
//!     fn from_ref(app: &App) -> Self { app.inbox.clone() }
//! }
//!
//! async fn toran(Inboxed(receipt): Inboxed<Toran>) -> StatusCode {
//!     // Stored and committed: safe to acknowledge.
//!     if receipt.inserted { StatusCode::CREATED } else { StatusCode::OK }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let inbox = Inbox::new(SqliteStore::open("inbox.db").await?);
//! let worker = Worker::<Toran>::new(inbox.clone());
//! tokio::spawn(async move {
//!     worker.run(|job| async move { println!("handling {}", job.event.name()); Ok(()) }, std::future::pending()).await
//! });
//! let app = Router::new()
//!     .route("/webhooks/toran", post(toran))
//!     .with_state(App { toran: Verifier::new(Secret::new("whsec_from_toran")?), inbox });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::fmt;

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use hookseal_core::{Provider, Verifier};
use http::StatusCode;
use http::header::{HeaderValue, RETRY_AFTER};

pub use hookseal_inbox::{
    AcceptError, Backoff, Clock, Counts, HandlerError, Inbox, InboxBuilder, Job, ManualClock, MemoryStore, PgStore,
    Receipt, Report, SqliteStore, State, Store, StoreError, StoredEvent, SystemClock, Worker,
};

use crate::extract::{Tagged, verified};
use crate::rejection::WebhookRejection;

/// A verified webhook from provider `P`, stored and committed in the [`Inbox`].
///
/// Needs `Verifier<P>: FromRef<S>` and `Inbox: FromRef<S>` on the router's
/// state. The field is the [`Receipt`] (the row id, whether it was new, how
/// many times it has been seen, whether it was dead-lettered). Refusals are
/// [`InboxRejection`]s.
/// The field is a [`Receipt`] (see [`Tagged`] for why rustdoc shows a longer type).
pub struct Inboxed<P: Provider>(pub <Receipt as Tagged<P, InboxRejection>>::Is);

impl<P: Provider> Inboxed<P> {
    /// The receipt.
    #[must_use]
    pub fn receipt(&self) -> Receipt {
        self.0
    }
}

impl<P: Provider> fmt::Debug for Inboxed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Inboxed").field(&P::NAME).field(&self.0).finish()
    }
}

/// Why [`Inboxed`] refused a request.
///
/// | variant | status | body |
/// |---|---|---|
/// | [`Webhook`](Self::Webhook) | as [`WebhookRejection`]: `401`, `400`, `413`, `408` | its [`body_text`](WebhookRejection::body_text) |
/// | [`Store`](Self::Store) | `503`, with `Retry-After: 5` | `webhook store unavailable, retry later` |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxRejection {
    /// The request was refused before storing (verification, size, read).
    Webhook(WebhookRejection),
    /// The request is authentic but could not be stored: nothing was acknowledged.
    Store(StoreError),
}

impl InboxRejection {
    /// The HTTP status.
    ///
    /// ```
    /// use hookseal_axum::inbox::{InboxRejection, StoreError};
    /// assert_eq!(InboxRejection::Store(StoreError::Closed).status().as_u16(), 503);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Webhook(rejection) => rejection.status(),
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The response body: a short fixed text.
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        match self {
            Self::Webhook(rejection) => rejection.body_text(),
            Self::Store(err) => err.public_message(),
        }
    }
}

impl fmt::Display for InboxRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Webhook(rejection) => rejection.fmt(f),
            Self::Store(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for InboxRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Webhook(rejection) => Some(rejection),
            Self::Store(err) => Some(err),
        }
    }
}

impl From<WebhookRejection> for InboxRejection {
    fn from(rejection: WebhookRejection) -> Self {
        Self::Webhook(rejection)
    }
}

impl From<AcceptError> for InboxRejection {
    fn from(err: AcceptError) -> Self {
        match err {
            AcceptError::Rejected(err) => Self::Webhook(WebhookRejection::Verification(err)),
            AcceptError::Store(err) => Self::Store(err),
            // `AcceptError` is non-exhaustive: anything new did not store the event.
            other => Self::Store(StoreError::Database(other.to_string())),
        }
    }
}

impl IntoResponse for InboxRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Webhook(rejection) => rejection.into_response(),
            Self::Store(err) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(error = %err, "webhook not stored: answering 503");
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, err.public_message()).into_response();
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
                response
            }
        }
    }
}

impl<S, P> FromRequest<S> for Inboxed<P>
where
    S: Send + Sync,
    P: Provider,
    Verifier<P>: FromRef<S>,
    Inbox: FromRef<S>,
{
    type Rejection = InboxRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let inbox = Inbox::from_ref(state);
        // Read, verified and parsed exactly as for `Webhook<P>`, once; an
        // authentic body that does not parse becomes a dead-lettered row.
        let row = verified::<P, S, WebhookRejection, _>(req, state, |verifier, headers, body| {
            inbox.prepare(verifier, headers, &body)
        })
        .await?;
        Ok(Self(inbox.commit(row).await.map_err(InboxRejection::Store)?))
    }
}

/// A ready-made handler: stores the webhook and answers `200 stored` (or
/// `200 duplicate` for a redelivery), for routes that need nothing else.
///
/// ```
/// use axum::{Router, extract::FromRef, routing::post};
/// use hookseal_axum::inbox::{self, Inbox};
/// use hookseal_core::{Toran, Verifier};
///
/// #[derive(Clone)]
/// struct App {
///     toran: Verifier<Toran>,
///     inbox: Inbox,
/// }
/// impl FromRef<App> for Verifier<Toran> {
///     fn from_ref(app: &App) -> Self { app.toran.clone() }
/// }
/// impl FromRef<App> for Inbox {
///     fn from_ref(app: &App) -> Self { app.inbox.clone() }
/// }
/// let routes: Router<App> = Router::new().route("/webhooks/toran", post(inbox::store::<Toran>));
/// ```
pub async fn store<P: Provider>(Inboxed(receipt): Inboxed<P>) -> (StatusCode, &'static str) {
    (StatusCode::OK, if receipt.inserted { "stored" } else { "duplicate" })
}
