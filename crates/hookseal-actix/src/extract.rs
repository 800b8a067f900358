//! The extractors: buffer the body within the limit, find the verifier, call the core.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use hookseal_core::chrono::Utc;
use hookseal_core::{Headers, KeyMatch, Provider, Verifier};
use serde::de::DeserializeOwned;

use crate::rejection::{FromRejection, RejectionContext};
use crate::{WebhookConfig, WebhookRejection};

/// Type-level plumbing: `<T as Tagged<P, R>>::Is` is `T` itself, for every `T`, `P` and `R`.
///
/// It lets [`Webhook`], [`VerifiedBody`] and [`WebhookJson`] name a provider
/// `P` and a rejection type `R` while keeping one public field, so that you
/// write `VerifiedBody(body)` rather than `VerifiedBody(body, PhantomData)`.
/// You never implement it (a blanket impl covers every type) or name it.
pub trait Tagged<P, R> {
    /// Always `Self`.
    type Is;
}

impl<T, P, R> Tagged<P, R> for T {
    type Is = T;
}

/// A verified webhook from provider `P`, as its typed event.
///
/// Extracting it reads the body (refusing one over the limit before reading
/// it in full), verifies the signature over the exact bytes received with the
/// `Verifier<P>` registered in `app_data`, parses the provider's event and
/// checks its event header and replay window. Otherwise the handler does not
/// run and the request is refused with a [`WebhookRejection`] (or whatever
/// [`WebhookConfig::error_handler`] makes of it).
///
/// To see the refusal in the handler instead, extract
/// `Result<Webhook<P>, actix_web::Error>`; `err.as_error::<WebhookRejection>()`
/// gives the rejection back (when no error handler replaced it).
///
/// A second type parameter swaps in your own rejection type, as with axum's
/// extractor: `Webhook<Toran, MyError>` answers a refusal with
/// `MyError: FromRejection + Into<actix_web::Error>` (any
/// `From<WebhookRejection> + ResponseError` type qualifies; implement
/// [`FromRejection`] to also get the provider and the route). A
/// [`WebhookConfig::error_handler`] registered for the request takes precedence.
///
/// Where actix-web and axum differ: here the extractor's error type stays
/// `actix_web::Error` whatever `R` is (extract `Result<Webhook<P, R>, actix_web::Error>`
/// and `err.as_error::<R>()`), since an error handler produces an
/// `actix_web::Error`; in axum it is `R` itself. And a verifier missing from
/// `app_data` is only found at run time here (a `500`,
/// [`WebhookRejection::MissingVerifier`]), where axum's state makes it a compile error.
///
/// The field is a `P::Event` (see [`Tagged`] for why rustdoc shows a longer type).
///
/// ```no_run
/// use actix_web::{App, HttpResponse, HttpServer, web};
/// use hookseal_actix::Webhook;
/// use hookseal_core::{Secret, Toran, Verifier, WebhookEvent, toran};
///
/// async fn toran_webhook(Webhook(event): Webhook<Toran>) -> HttpResponse {
///     if let toran::Event::LeadCaptured(lead) = &event {
///         println!("new lead {:?} (score {:?})", lead.email, lead.score);
///     }
///     HttpResponse::Ok().body(event.idempotency_key().into_owned())
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let verifier = web::Data::new(Verifier::<Toran>::new(Secret::new("whsec_from_toran").expect("non-empty")));
/// HttpServer::new(move || {
///     App::new().app_data(verifier.clone()).route("/webhooks/toran", web::post().to(toran_webhook))
/// })
/// .bind("127.0.0.1:3000")?
/// .run()
/// .await
/// # }
/// ```
pub struct Webhook<P: Provider, R = WebhookRejection>(pub <P::Event as Tagged<P, R>>::Is);

/// The verified raw body of a webhook from provider `P`, as
/// [`Bytes`](bytes::Bytes) (actix's `web::Bytes`), not parsed.
///
/// The field is a `Bytes` (see [`Tagged`] for why rustdoc shows a longer type).
///
/// The signature is checked exactly as for [`Webhook`]; the body is then
/// handed over untouched, for storing or queueing it before parsing. The event
/// header and the replay window are not checked (they need the parsed event).
///
/// ```
/// use actix_web::HttpResponse;
/// use hookseal_actix::VerifiedBody;
/// use hookseal_core::Tuco;
///
/// async fn tuco_raw(VerifiedBody(body): VerifiedBody<Tuco>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("{} authentic bytes", body.len()))
/// }
/// ```
pub struct VerifiedBody<P: Provider, R = WebhookRejection>(pub <Bytes as Tagged<P, R>>::Is);

/// A verified webhook from provider `P`, parsed into your own type `T`.
///
/// The field is a `T` (see [`Tagged`] for why rustdoc shows a longer type).
///
/// The signature is checked exactly as for [`Webhook`], then the body is
/// deserialized into `T` with
/// [`Verifier::verify_json`](hookseal_core::Verifier::verify_json). The event
/// header and the replay window are not checked: hookseal does not know where
/// `T` keeps them.
///
/// ```
/// use actix_web::HttpResponse;
/// use hookseal_actix::WebhookJson;
/// use hookseal_core::Toran;
///
/// #[derive(serde::Deserialize)]
/// struct Lead {
///     lead_id: String,
///     email: Option<String>,
/// }
///
/// async fn toran_lead(WebhookJson(lead): WebhookJson<Toran, Lead>) -> HttpResponse {
///     HttpResponse::Ok().body(lead.lead_id)
/// }
/// ```
pub struct WebhookJson<P: Provider, T, R = WebhookRejection>(pub <T as Tagged<P, R>>::Is);

macro_rules! wrapper_impls {
    ($name:ident [$($param:ident),*], $inner:ty, $what:literal) => {
        impl<P: Provider, $($param,)* R> $name<P, $($param,)* R> {
            #[doc = concat!("The ", $what, ".")]
            pub fn into_inner(self) -> $inner {
                self.0
            }
        }

        impl<P: Provider, $($param),*> Deref for $name<P, $($param),*> {
            type Target = $inner;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl<P: Provider, $($param),*> DerefMut for $name<P, $($param),*> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl<P: Provider, $($param),*> Clone for $name<P, $($param),*>
        where
            $inner: Clone,
        {
            fn clone(&self) -> Self {
                Self(self.0.clone())
            }
        }

        impl<P: Provider, $($param),*> fmt::Debug for $name<P, $($param),*>
        where
            $inner: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&P::NAME).field(&self.0).finish()
            }
        }

        impl<P: Provider, $($param),*> PartialEq for $name<P, $($param),*>
        where
            $inner: PartialEq,
        {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
    };
}

wrapper_impls!(Webhook[], P::Event, "verified event");
wrapper_impls!(VerifiedBody[], Bytes, "verified raw body");
wrapper_impls!(WebhookJson[T], T, "verified body, parsed");

impl<P: Provider, R: FromRejection + Into<actix_web::Error> + 'static> FromRequest for Webhook<P, R> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract::<P, R, _>(req, payload, |verifier, headers, body| verifier.verify_event(headers, &body).map(Self))
    }
}

impl<P: Provider, R: FromRejection + Into<actix_web::Error> + 'static> FromRequest for VerifiedBody<P, R> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract::<P, R, _>(req, payload, |verifier, headers, body| verifier.verify(headers, &body).map(|_| Self(body)))
    }
}

impl<P, T, R> FromRequest for WebhookJson<P, T, R>
where
    P: Provider,
    T: DeserializeOwned + 'static,
    R: FromRejection + Into<actix_web::Error> + 'static,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract::<P, R, _>(req, payload, |verifier, headers, body| verifier.verify_json(headers, &body).map(Self))
    }
}

/// A verified webhook from provider `P` (exactly as [`Webhook`] checks it)
/// together with **which secret matched**, to watch a secret rotation.
///
/// During a rotation the verifier holds the new secret and the old one
/// ([`Verifier::with_secrets`], the new one first). [`key`](Self::key) says
/// which one signed each request: `KeyMatch::Secret(0)` for the first,
/// `KeyMatch::Secret(1)` for the second. Count them (a log line, a metric);
/// once the provider has been switched to the new secret and no request has
/// matched the old one for longer than the provider retries, drop the old
/// secret from the verifier.
///
/// ```
/// use actix_web::HttpResponse;
/// use hookseal_actix::VerifiedWebhook;
/// use hookseal_core::{KeyMatch, Toran, WebhookEvent};
///
/// async fn toran(webhook: VerifiedWebhook<Toran>) -> HttpResponse {
///     if webhook.key == KeyMatch::Secret(1) {
///         println!("{} still signed with the old secret", webhook.event.name());
///     }
///     HttpResponse::Ok().finish()
/// }
/// ```
pub struct VerifiedWebhook<P: Provider, R = WebhookRejection> {
    /// The typed event.
    pub event: P::Event,
    /// Which of the verifier's secrets matched (its index in the list the verifier was built
    /// with), or [`KeyMatch::Unsigned`] for an unsigned ConnectGain request accepted through
    /// the insecure opt-in.
    pub key: KeyMatch,
    marker: PhantomData<fn() -> R>,
}

impl<P: Provider, R> VerifiedWebhook<P, R> {
    /// The typed event and which secret matched.
    pub fn into_parts(self) -> (P::Event, KeyMatch) {
        (self.event, self.key)
    }
}

impl<P: Provider, R> Deref for VerifiedWebhook<P, R> {
    type Target = P::Event;

    fn deref(&self) -> &Self::Target {
        &self.event
    }
}

impl<P: Provider, R> Clone for VerifiedWebhook<P, R> {
    fn clone(&self) -> Self {
        Self { event: self.event.clone(), key: self.key, marker: PhantomData }
    }
}

impl<P: Provider, R> fmt::Debug for VerifiedWebhook<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedWebhook")
            .field("provider", &P::NAME)
            .field("event", &self.event)
            .field("key", &self.key)
            .finish()
    }
}

impl<P: Provider, R: FromRejection + Into<actix_web::Error> + 'static> FromRequest for VerifiedWebhook<P, R> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract::<P, R, _>(req, payload, |verifier, headers, body| {
            let verified = verifier.open_at(headers, &body, Utc::now())?;
            Ok(Self { event: verified.event, key: verified.key, marker: PhantomData })
        })
    }
}

/// The shared extraction: configuration and verifier, body bounded in size and time, then `check`.
pub(crate) fn extract<P, R, T>(
    req: &HttpRequest,
    payload: &mut Payload,
    check: impl FnOnce(&Verifier<P>, &ActixHeaders<'_>, Bytes) -> Result<T, hookseal_core::Error> + 'static,
) -> LocalBoxFuture<'static, Result<T, actix_web::Error>>
where
    P: Provider,
    R: FromRejection + Into<actix_web::Error> + 'static,
    T: 'static,
{
    let req = req.clone();
    let payload = payload.take();
    Box::pin(async move {
        let config = WebhookConfig::from_req(&req);
        let outcome = async {
            let verifier = find_verifier::<P>(&req)?;
            let limit = config.effective_limit(verifier.max_body());
            let after = config.get_read_timeout();
            let body = actix_web::rt::time::timeout(after, read_body(req.headers(), payload, limit))
                .await
                .map_err(|_elapsed| WebhookRejection::Timeout { after })??;
            Ok(crate::metrics::verify(P::NAME, || check(verifier, &ActixHeaders(req.headers()), body))?)
        };
        outcome.await.map_err(|rejection: WebhookRejection| {
            crate::metrics::rejected(P::NAME, rejection.status().as_u16());
            #[cfg(feature = "tracing")]
            tracing::warn!(
                provider = P::NAME,
                status = rejection.status().as_u16(),
                reason = %rejection,
                "webhook rejected"
            );
            if config.has_error_handler() {
                return config.reject(rejection, &req);
            }
            let context = RejectionContext { provider: P::NAME, method: req.method(), path: req.path() };
            R::from_rejection(rejection, &context).into()
        })
    })
}

/// The provider's verifier: `web::Data<Verifier<P>>`, or a plain `Verifier<P>`.
fn find_verifier<P: Provider>(req: &HttpRequest) -> Result<&Verifier<P>, WebhookRejection> {
    req.app_data::<web::Data<Verifier<P>>>()
        .map(|data| data.get_ref())
        .or_else(|| req.app_data::<Verifier<P>>())
        .ok_or(WebhookRejection::MissingVerifier { provider: P::NAME, verifier: std::any::type_name::<Verifier<P>>() })
}

/// Largest buffer reserved up front, whatever `Content-Length` claims.
const MAX_PREALLOCATION: usize = 64 * 1024;

/// Reads the whole body, refusing it as soon as it is known to exceed `limit`:
/// from `Content-Length` before reading anything, else chunk by chunk.
async fn read_body(headers: &HeaderMap, mut payload: Payload, limit: usize) -> Result<Bytes, WebhookRejection> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let declared = declared.map(|length| usize::try_from(length).unwrap_or(usize::MAX));
    if declared.is_some_and(|length| length > limit) {
        return Err(WebhookRejection::BodyTooLarge { limit });
    }
    let reserve = declared.unwrap_or(0).min(MAX_PREALLOCATION);
    let mut body = BytesMut::with_capacity(reserve);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_err| {
            #[cfg(feature = "tracing")]
            tracing::debug!("webhook body read failed: {_err}");
            WebhookRejection::BodyRead
        })?;
        if chunk.len() > limit - body.len() {
            return Err(WebhookRejection::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// actix's header map, read through [`Headers`] without copying it.
pub(crate) struct ActixHeaders<'a>(&'a HeaderMap);

impl Headers for ActixHeaders<'_> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        // An invalid name cannot be present: it yields nothing. Lookup is case-insensitive.
        self.0.get_all(name).map(|value| value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn headers_yield_every_value_of_a_name_case_insensitively() {
        let mut map = HeaderMap::new();
        let name = HeaderName::from_static("x-toran-signature");
        map.append(name.clone(), HeaderValue::from_static("one"));
        map.append(name, HeaderValue::from_static("two"));
        map.insert(HeaderName::from_static("x-other"), HeaderValue::from_static("three"));
        let headers = ActixHeaders(&map);
        assert_eq!(headers.values("X-Toran-Signature").collect::<Vec<_>>(), [b"one".as_slice(), b"two"]);
        assert_eq!(headers.values("x-other").collect::<Vec<_>>(), [b"three".as_slice()]);
        assert_eq!(headers.values("x-missing").count(), 0);
        assert_eq!(headers.values("not a header name").count(), 0);
    }
}
