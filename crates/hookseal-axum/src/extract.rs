//! The extractors: buffer the body within the limit, find the verifier, call the core.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use axum::RequestExt;
use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::IntoResponse;
use bytes::{Bytes, BytesMut};
use hookseal_core::chrono::Utc;
use hookseal_core::{KeyMatch, Provider, Verifier};
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, EXPECT};
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError};
use serde::de::DeserializeOwned;

use crate::config::WebhookConfig;
use crate::rejection::{FromRejection, RejectionContext, WebhookRejection};

/// Type-level plumbing: `<T as Tagged<P, R>>::Is` is `T` itself, for every `T`, `P` and `R`.
///
/// It lets [`Webhook`], [`VerifiedBody`] and [`WebhookJson`] name a provider
/// `P` and a rejection type `R` while keeping one public field, so that you
/// write `Webhook(event)` rather than `Webhook(event, PhantomData)`. You never
/// implement it (a blanket impl covers every type) or name it.
pub trait Tagged<P, R> {
    /// Always `Self`.
    type Is;
}

impl<T, P, R> Tagged<P, R> for T {
    type Is = T;
}

/// Extracts a verified, typed event: the request's signature checked over the
/// exact bytes received, then the body parsed into `P::Event`.
///
/// The [`Verifier<P>`] comes from the router's state (`Verifier<P>: FromRef<S>`):
/// give the state a `Verifier<P>` directly, or one field per provider with a
/// [`FromRef`] impl each. The body is refused with `413` before it is read
/// whole if it is over the verifier's [`max_body`](Verifier::max_body) or
/// axum's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit).
///
/// A refused request is answered by the rejection type `R`, by default
/// [`WebhookRejection`] (plain text, `401`/`400`/`413`, or `408` if the body
/// does not arrive within the [`WebhookConfig`] read timeout). Any type with
/// `From<WebhookRejection> + IntoResponse` can take its place: write
/// `Webhook<Toran, MyError>`; implement [`FromRejection`] instead of `From` to
/// also get the provider and the route ([`RejectionContext`]). To handle the rejection in the handler
/// instead, extract `Result<Webhook<P>, WebhookRejection>`.
///
/// The field is a `P::Event` (see [`Tagged`] for why rustdoc shows a longer type).
///
/// ```
/// use hookseal_axum::Webhook;
/// use hookseal_core::{Toran, WebhookEvent};
///
/// async fn handler(Webhook(event): Webhook<Toran>) -> String {
///     format!("got {}", event.name())
/// }
/// let app: axum::Router = axum::Router::new()
///     .route("/webhooks/toran", axum::routing::post(handler))
///     .with_state(hookseal_core::Verifier::<Toran>::new(hookseal_core::Secret::new("s3cret")?));
/// # Ok::<(), hookseal_core::EmptySecret>(())
/// ```
pub struct Webhook<P: Provider, R = WebhookRejection>(pub <P::Event as Tagged<P, R>>::Is);

/// Extracts a verified, typed event (exactly as [`Webhook`] does) together
/// with **which secret matched**, to watch a secret rotation.
///
/// During a rotation the verifier holds the new secret and the old one
/// ([`Verifier::with_secrets`], the new one first). [`key`](Self::key) says
/// which one signed each request: `KeyMatch::Secret(0)` for the first,
/// `KeyMatch::Secret(1)` for the second. Count them (a log line, a metric);
/// once the provider has been switched to the new secret and no request has
/// matched the old one for longer than the provider retries (a few days for
/// most), drop the old secret from the verifier.
///
/// ```
/// use axum::Router;
/// use axum::routing::post;
/// use hookseal_axum::VerifiedWebhook;
/// use hookseal_core::{KeyMatch, Secret, Toran, Verifier, WebhookEvent};
///
/// async fn toran(webhook: VerifiedWebhook<Toran>) -> &'static str {
///     if webhook.key == KeyMatch::Secret(1) {
///         println!("{} still signed with the old secret", webhook.event.name());
///     }
///     "ok"
/// }
///
/// let verifier = Verifier::<Toran>::with_secrets([Secret::new("whsec_new")?, Secret::new("whsec_old")?])?;
/// let app: Router = Router::new().route("/webhooks/toran", post(toran)).with_state(verifier);
/// # Ok::<(), Box<dyn std::error::Error>>(())
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

impl<P: Provider, R> fmt::Debug for VerifiedWebhook<P, R>
where
    P::Event: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedWebhook")
            .field("provider", &P::NAME)
            .field("event", &self.event)
            .field("key", &self.key)
            .finish()
    }
}

impl<S, P, R> FromRequest<S> for VerifiedWebhook<P, R>
where
    S: Send + Sync,
    P: Provider,
    Verifier<P>: FromRef<S>,
    R: FromRejection + IntoResponse,
{
    type Rejection = R;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verified =
            verified::<P, S, R, _>(req, state, |verifier, headers, body| verifier.open_at(headers, &body, Utc::now()))
                .await?;
        Ok(Self { event: verified.event, key: verified.key, marker: PhantomData })
    }
}

/// Extracts only the verified raw body: the signature is checked over these
/// exact bytes, and nothing is parsed.
///
/// For when the body is parsed later (after a queue, say) or stored as is.
/// Limits, state and rejections work as for [`Webhook`]. The field is a
/// [`Bytes`].
///
/// ```
/// use bytes::Bytes;
/// use hookseal_axum::VerifiedBody;
/// use hookseal_core::Tuco;
///
/// async fn handler(VerifiedBody(body): VerifiedBody<Tuco>) -> String {
///     format!("{} authentic bytes", body.len())
/// }
/// # let _: Option<Bytes> = None;
/// ```
pub struct VerifiedBody<P: Provider, R = WebhookRejection>(pub <Bytes as Tagged<P, R>>::Is);

/// Extracts a verified body parsed into your own type `T` (with
/// [`Verifier::verify_json`]) instead of the provider's event.
///
/// The signature is checked over the exact bytes received before `T` is
/// parsed. The event header and replay window are not checked: hookseal does
/// not know where `T` keeps them. Limits, state and rejections work as for
/// [`Webhook`]. The field is a `T`.
///
/// ```
/// use hookseal_axum::WebhookJson;
/// use hookseal_core::Toran;
///
/// #[derive(serde::Deserialize)]
/// struct Lead {
///     lead_id: String,
/// }
///
/// async fn handler(WebhookJson(lead): WebhookJson<Toran, Lead>) -> String {
///     lead.lead_id
/// }
/// ```
pub struct WebhookJson<P: Provider, T, R = WebhookRejection>(pub <T as Tagged<P, R>>::Is);

impl<S, P, R> FromRequest<S> for Webhook<P, R>
where
    S: Send + Sync,
    P: Provider,
    Verifier<P>: FromRef<S>,
    R: FromRejection + IntoResponse,
{
    type Rejection = R;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        verified::<P, S, R, _>(req, state, |verifier, headers, body| verifier.verify_event(headers, &body))
            .await
            .map(Self)
    }
}

impl<S, P, R> FromRequest<S> for VerifiedBody<P, R>
where
    S: Send + Sync,
    P: Provider,
    Verifier<P>: FromRef<S>,
    R: FromRejection + IntoResponse,
{
    type Rejection = R;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        verified::<P, S, R, _>(req, state, |verifier, headers, body| verifier.verify(headers, &body).map(|_| body))
            .await
            .map(Self)
    }
}

impl<S, P, T, R> FromRequest<S> for WebhookJson<P, T, R>
where
    S: Send + Sync,
    P: Provider,
    T: DeserializeOwned,
    Verifier<P>: FromRef<S>,
    R: FromRejection + IntoResponse,
{
    type Rejection = R;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        verified::<P, S, R, _>(req, state, |verifier, headers, body| verifier.verify_json::<T>(headers, &body))
            .await
            .map(Self)
    }
}

/// What every extractor does: find the verifier, read the body within its
/// limits, then let `check` verify (and parse) the exact bytes received.
pub(crate) async fn verified<P, S, R, T>(
    req: Request,
    state: &S,
    check: impl FnOnce(&Verifier<P>, &HeaderMap, Bytes) -> Result<T, hookseal_core::Error>,
) -> Result<T, R>
where
    P: Provider,
    Verifier<P>: FromRef<S>,
    R: FromRejection,
{
    let verifier = Verifier::<P>::from_ref(state);
    let (parts, body) = read_body(req, verifier.max_body()).await;
    let checked = body.and_then(|body| Ok(crate::metrics::verify(P::NAME, || check(&verifier, &parts.headers, body))?));
    checked.map_err(|rejection| {
        reject(rejection, &RejectionContext { provider: P::NAME, method: &parts.method, path: parts.uri.path() })
    })
}

/// Splits the request and buffers its body, refusing it with `413` as soon as
/// it is known to be over `limit` or axum's `DefaultBodyLimit`: up front from
/// `Content-Length` (nothing is read), or while reading (reading stops there);
/// and with `408` if the whole body has not arrived within the
/// [`WebhookConfig`] read timeout (reading stops then). After a `413` over
/// `limit`, the rest of the body is [drained](drain) in the background.
pub(crate) async fn read_body(req: Request, limit: usize) -> (Parts, Result<Bytes, WebhookRejection>) {
    let (parts, body) = req.with_limited_body().into_parts();
    let body = read_limited(&parts, body, limit).await;
    (parts, body)
}

async fn read_limited(parts: &Parts, mut body: Body, limit: usize) -> Result<Bytes, WebhookRejection> {
    let config = parts.extensions.get::<WebhookConfig>().copied().unwrap_or_default();
    let declared = declared_length(&parts.headers);
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        if !expects_continue(&parts.headers) {
            drain(body, &config);
        }
        return Err(WebhookRejection::BodyTooLarge { limit });
    }
    let reserve = declared.map_or(0, |length| usize::try_from(length).unwrap_or(usize::MAX)).min(MAX_PREALLOCATION);
    let after = config.get_read_timeout();
    match tokio::time::timeout(after, collect(&mut body, limit, reserve)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(Unread::TooLarge)) => {
            drain(body, &config);
            Err(WebhookRejection::BodyTooLarge { limit })
        }
        Ok(Err(Unread::Body(err))) => Err(classify(&err)),
        Err(_elapsed) => Err(WebhookRejection::Timeout { after }),
    }
}

/// Largest buffer reserved up front, whatever `Content-Length` claims.
const MAX_PREALLOCATION: usize = 64 * 1024;

/// Why [`collect`] stopped short.
enum Unread {
    /// The body passed the limit.
    TooLarge,
    /// The body itself failed (the client went away, or axum's `DefaultBodyLimit`).
    Body(axum::Error),
}

/// Reads a body of at most `limit` bytes into **one** buffer.
///
/// `http_body_util::Collected` keeps every data frame as its own `Bytes`, and
/// each of those pins the transport buffer it was cut from: a body sent in
/// one-byte chunks then holds tens of times its size. Here a body that
/// arrives in one frame is kept as that frame (no copy); from the second
/// frame on, the frames are copied into one growing buffer and dropped, so
/// what the request holds stays about the size of the body, at most `limit`.
async fn collect(body: &mut Body, limit: usize, reserve: usize) -> Result<Bytes, Unread> {
    let mut first: Option<Bytes> = None;
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(Unread::Body)?.into_data() else {
            // Trailers carry nothing the signature covers.
            continue;
        };
        let held = first.as_ref().map_or(buffer.len(), Bytes::len);
        if data.len() > limit - held {
            return Err(Unread::TooLarge);
        }
        if data.is_empty() {
            continue;
        }
        match first.take() {
            None if buffer.is_empty() => first = Some(data),
            None => buffer.extend_from_slice(&data),
            Some(head) => {
                buffer.reserve(reserve.max(head.len() + data.len()));
                buffer.extend_from_slice(&head);
                buffer.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buffer.freeze()))
}

/// Whether the client waits for a `100 Continue` before sending the body.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers.get(EXPECT).is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Reads and discards what is left of a refused request's body, in the
/// background, within the [`WebhookConfig`] drain limit and timeout, so that
/// an early answer reaches a client that is still sending (see
/// [`WebhookConfig`]'s docs). Nothing read is kept.
///
/// Without it hyper stops reading at once and closes the connection after
/// the answer; the client's next write then fails, and many clients report
/// that failure instead of the answer.
pub(crate) fn drain(mut body: Body, config: &WebhookConfig) {
    let (mut left, within) = (config.get_drain_limit(), config.get_drain_timeout());
    if left == 0 || within.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let _ = tokio::time::timeout(within, async move {
            while let Some(Ok(frame)) = body.frame().await {
                let read = frame.data_ref().map_or(0, Bytes::len);
                if read > left {
                    break;
                }
                left -= read;
            }
        })
        .await;
    });
}

/// Drains the body of a request answered without reading it (the reference
/// receiver's `404`s), like [`drain`].
pub(crate) fn drain_request(req: Request) {
    let (parts, body) = req.into_parts();
    if !expects_continue(&parts.headers) {
        drain(body, &parts.extensions.get::<WebhookConfig>().copied().unwrap_or_default());
    }
}

/// The request's `Content-Length`, if it has a readable one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Tells why the body failed: axum's `DefaultBodyLimit` reports its limit
/// inside the body's own error; anything else is a broken read.
fn classify(err: &axum::Error) -> WebhookRejection {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(inner) = source {
        if inner.is::<LengthLimitError>() {
            return WebhookRejection::AxumBodyLimit;
        }
        source = inner.source();
    }
    WebhookRejection::BodyRead
}

/// Turns a rejection into the extractor's rejection type, logging it with the
/// `tracing` feature (`Display` of a rejection never contains a secret).
fn reject<R: FromRejection>(rejection: WebhookRejection, context: &RejectionContext<'_>) -> R {
    crate::metrics::rejected(context.provider, rejection.status().as_u16());
    #[cfg(feature = "tracing")]
    tracing::warn!(
        provider = context.provider,
        path = context.path,
        status = rejection.status().as_u16(),
        reason = %rejection,
        "webhook rejected"
    );
    R::from_rejection(rejection, context)
}

macro_rules! wrapper_impls {
    ($name:ident [$($param:ident),*], $inner:ty, $what:literal) => {
        impl<P: Provider, $($param,)* R> $name<P, $($param,)* R> {
            #[doc = concat!("The ", $what, ".")]
            pub fn into_inner(self) -> $inner {
                self.0
            }
        }

        impl<P: Provider, $($param,)* R> Deref for $name<P, $($param,)* R> {
            type Target = $inner;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl<P: Provider, $($param,)* R> DerefMut for $name<P, $($param,)* R> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl<P: Provider, $($param,)* R> Clone for $name<P, $($param,)* R>
        where
            $inner: Clone,
        {
            fn clone(&self) -> Self {
                Self(self.0.clone())
            }
        }

        impl<P: Provider, $($param,)* R> fmt::Debug for $name<P, $($param,)* R>
        where
            $inner: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&P::NAME).field(&self.0).finish()
            }
        }

        impl<P: Provider, $($param,)* R> PartialEq for $name<P, $($param,)* R>
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
