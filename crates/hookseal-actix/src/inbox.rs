//! The durable inbox in actix-web (feature `inbox`): verify, store, answer, in one extractor.
//!
//! [`Inboxed<P>`] is [`Webhook<P>`](crate::Webhook) with persistence: it
//! verifies the request over the exact bytes received, stores it in the
//! [`Inbox`] registered with `app_data`, and resolves only once the row is
//! **committed**, so the `2xx` your handler answers means the event is safe.
//! Redeliveries are answered `2xx` too (and counted); an authentic body that
//! does not parse is stored dead-lettered and answered `2xx`. Refusals keep
//! `Webhook<P>`'s statuses (`401`, `400`, `413`, `408`); a store that is down
//! or too slow is `503` with `Retry-After`. Events are handled by a
//! [`Worker`] (re-exported here with the rest of the worker API).
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use hookseal_actix::inbox::{Inbox, Inboxed, SqliteStore};
//! use hookseal_core::{Secret, Toran, Verifier};
//!
//! async fn toran(Inboxed(receipt): Inboxed<Toran>) -> HttpResponse {
//!     HttpResponse::Ok().body(if receipt.inserted { "stored" } else { "duplicate" })
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let inbox = web::Data::new(Inbox::new(SqliteStore::open("inbox.db").await?));
//!     let verifier = web::Data::new(Verifier::<Toran>::new(Secret::new("whsec_from_toran")?));
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(inbox.clone())
//!             .app_data(verifier.clone())
//!             .route("/webhooks/toran", web::post().to(toran))
//!     })
//!     .bind("127.0.0.1:3000")?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```

use std::fmt;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, RETRY_AFTER};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use hookseal_core::Provider;

pub use hookseal_inbox::{
    AcceptError, Backoff, Clock, Counts, HandlerError, Inbox, InboxBuilder, Job, ManualClock, MemoryStore, PgStore,
    Receipt, Report, SqliteStore, State, Store, StoreError, StoredEvent, SystemClock, Worker,
};

use crate::extract::extract;
use crate::{Tagged, WebhookRejection};

/// A verified webhook from provider `P`, stored and committed in the [`Inbox`].
///
/// Needs a `Verifier<P>` and an [`Inbox`] in `app_data` (each either bare or
/// in `web::Data`). The field is the [`Receipt`] (see [`Tagged`] for why
/// rustdoc shows a longer type).
pub struct Inboxed<P: Provider>(pub <Receipt as Tagged<P, WebhookRejection>>::Is);

impl<P: Provider> fmt::Debug for Inboxed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Inboxed").field(&P::NAME).field(&self.0).finish()
    }
}

/// Why [`Inboxed`] refused a request (after the body was read and its signature checked).
///
/// | variant | status | body |
/// |---|---|---|
/// | [`Webhook`](Self::Webhook) | as [`WebhookRejection`] | its [`body_text`](WebhookRejection::body_text) |
/// | [`Store`](Self::Store) | `503`, with `Retry-After: 5` | `webhook store unavailable, retry later` |
/// | [`MissingInbox`](Self::MissingInbox) | `500` | `webhook receiver is not configured` |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboxRejection {
    /// Refused before storing.
    #[error(transparent)]
    Webhook(WebhookRejection),
    /// Authentic, but not stored: nothing was acknowledged.
    #[error(transparent)]
    Store(StoreError),
    /// No `Inbox` in `app_data`: a server configuration mistake.
    #[error("no `Inbox` in app_data: register `web::Data::new(inbox)` with `App::app_data`")]
    MissingInbox,
}

impl InboxRejection {
    /// The HTTP status.
    ///
    /// ```
    /// use hookseal_actix::inbox::{InboxRejection, StoreError};
    /// assert_eq!(InboxRejection::Store(StoreError::Closed).status().as_u16(), 503);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Webhook(rejection) => rejection.status(),
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::MissingInbox => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response body: a short fixed text.
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        match self {
            Self::Webhook(rejection) => rejection.body_text(),
            Self::Store(err) => err.public_message(),
            Self::MissingInbox => "webhook receiver is not configured",
        }
    }
}

impl From<AcceptError> for InboxRejection {
    fn from(err: AcceptError) -> Self {
        match err {
            AcceptError::Rejected(err) => Self::Webhook(WebhookRejection::Verification(err)),
            AcceptError::Store(err) => Self::Store(err),
            other => Self::Store(StoreError::Database(other.to_string())),
        }
    }
}

impl ResponseError for InboxRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Webhook(rejection) = self {
            return rejection.error_response();
        }
        let mut response = HttpResponse::build(self.status());
        response.insert_header(ContentType::plaintext());
        if matches!(self, Self::Store(_)) {
            response.insert_header((RETRY_AFTER, "5"));
        }
        response.body(self.body_text())
    }
}

fn app_data<T: Clone + 'static>(req: &HttpRequest) -> Option<T> {
    req.app_data::<web::Data<T>>().map(|data| data.get_ref().clone()).or_else(|| req.app_data::<T>().cloned())
}

impl<P: Provider> FromRequest for Inboxed<P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let Some(inbox) = app_data::<Inbox>(req) else {
            return Box::pin(std::future::ready(Err(InboxRejection::MissingInbox.into())));
        };
        // Read, verified and parsed exactly as for `Webhook<P>`, once; an
        // authentic body that does not parse becomes a dead-lettered row.
        let preparing = inbox.clone();
        let prepared = extract::<P, WebhookRejection, _>(req, payload, move |verifier, headers, body| {
            preparing.prepare(verifier, headers, &body)
        });
        Box::pin(async move {
            let row = prepared.await?;
            Ok(Self(inbox.commit(row).await.map_err(InboxRejection::Store)?))
        })
    }
}

/// A ready-made handler: stores the webhook and answers `200 stored` (or `200 duplicate`).
pub async fn store<P: Provider>(Inboxed(receipt): Inboxed<P>) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::plaintext()).body(if receipt.inserted {
        "stored"
    } else {
        "duplicate"
    })
}
