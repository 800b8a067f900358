//! The reference receiver: one router serving all five providers.
//!
//! `POST /webhooks/{provider}`, with `{provider}` one of `tocc`, `toran`,
//! `zapito`, `tuco`, `connectgain`. An authentic request is answered `200`
//! with a JSON summary of its event:
//!
//! ```json
//! {"provider": "toran", "event": "lead.captured", "test": false, "idempotency_key": "6b1f…"}
//! ```
//!
//! Anything else gets the [`WebhookRejection`] status and text: `401` for
//! any signature problem, `400` for an authentic but unusable body, `413` for
//! a body over the limit, `408` for a body not received within the read
//! timeout (10 s unless set with [`Receiver::read_timeout`]), `404` with
//! `unknown provider` for any other `{provider}`, and `404 not found` for any
//! other path. A `413` or `404` answered before the body was read still
//! reaches a client that is sending it: the rest of the body is drained
//! (bounded, see [`WebhookConfig`]).
//!
//! It is built from the same [`Webhook`] extractor and the state pattern shown
//! in the crate docs, and is what `examples/axum_receiver.rs` serves. Use it
//! to try a provider's "send test event" button, or as a starting point.
//!
//! ```no_run
//! use hookseal_axum::receiver::{Outcome, Receiver};
//! use hookseal_core::env::ProviderSecrets;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Receiver::from_secrets(&ProviderSecrets::from_env()?)
//!     .body_limit(256 * 1024)
//!     .read_timeout(std::time::Duration::from_secs(5))
//!     .on_outcome(|outcome| match outcome {
//!         Outcome::Accepted(event) => println!("{} {} {}", event.provider, event.event, event.idempotency_key),
//!         Outcome::Rejected { status, reason, .. } => println!("{status} {reason}"),
//!         _ => {}
//!     })
//!     .router();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use axum::{Extension, Router};
use hookseal_core::env::ProviderSecrets;
use hookseal_core::{ConnectGain, Provider, ProviderId, Secret, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito};
use http::StatusCode;
use serde::Serialize;

use crate::extract::drain_request;
use crate::{DEFAULT_READ_TIMEOUT, Webhook, WebhookConfig, WebhookRejection};

/// The route the receiver serves, with `{provider}` one of the five names.
pub const ROUTE: &str = "/webhooks/{provider}";

/// The reference receiver for all five providers: each with its own secrets
/// ([`from_secrets`](Self::from_secrets), the way to configure it), one verifier each
/// ([`from_verifiers`](Self::from_verifiers)), or one secret for all ([`new`](Self::new), not advised).
///
/// Build it, optionally set a body limit, a read timeout and an observer, then turn it into
/// an axum [`Router`] with [`router`](Self::router).
#[derive(Clone)]
pub struct Receiver {
    state: Verifiers,
}

pub use hookseal_core::report::{EventSummary, Outcome};

type Observer = Arc<dyn Fn(Outcome) + Send + Sync>;

/// The receiver's configuration.
#[derive(Clone)]
struct Verifiers {
    tocc: Verifier<Tocc>,
    toran: Verifier<Toran>,
    zapito: Verifier<Zapito>,
    tuco: Verifier<Tuco>,
    connectgain: Verifier<ConnectGain>,
    read_timeout: Duration,
    observer: Option<Observer>,
}

/// The router's state: shared, so a request clones one `Arc` and the one verifier it needs.
#[derive(Clone)]
struct ReceiverState(Arc<Verifiers>);

macro_rules! from_state {
    ($($field:ident: $provider:ty),*) => {$(
        impl FromRef<ReceiverState> for Verifier<$provider> {
            fn from_ref(state: &ReceiverState) -> Self {
                state.0.$field.clone()
            }
        }
    )*};
}

from_state!(tocc: Tocc, toran: Toran, zapito: Zapito, tuco: Tuco, connectgain: ConnectGain);

impl ReceiverState {
    fn observe(&self, outcome: impl FnOnce() -> Outcome) {
        if let Some(observer) = &self.0.observer {
            observer(outcome());
        }
    }
}

impl Receiver {
    /// A receiver verifying each provider with its own secrets (several during a rotation,
    /// the current one first), as read by [`ProviderSecrets::from_env`], with the
    /// default body limit ([`DEFAULT_BODY_LIMIT`](hookseal_core::DEFAULT_BODY_LIMIT), 1 MiB),
    /// the default read timeout ([`DEFAULT_READ_TIMEOUT`], 10 s) and no observer.
    ///
    /// This is how the reference receivers are configured: a delivery then verifies only on
    /// its own provider's route (see [`hookseal_core::env`] for why that matters).
    ///
    /// ```
    /// use hookseal_core::env::ProviderSecrets;
    #[doc = concat!("use hookseal_", "axum", "::receiver::Receiver;")]
    ///
    /// let env = |name: &str| Some(format!("secret-of-{name}"));
    /// let receiver = Receiver::from_secrets(&ProviderSecrets::from_lookup(env)?);
    /// # let _ = receiver;
    /// # Ok::<(), hookseal_core::env::SecretsError>(())
    /// ```
    #[must_use]
    pub fn from_secrets(secrets: &ProviderSecrets) -> Self {
        fn verifier<P: Provider>(secrets: &ProviderSecrets, provider: ProviderId) -> Verifier<P> {
            Verifier::with_secrets(secrets.get(provider).iter().cloned())
                .expect("ProviderSecrets holds at least one secret per provider")
        }
        Self::from_verifiers(
            verifier(secrets, ProviderId::Tocc),
            verifier(secrets, ProviderId::Toran),
            verifier(secrets, ProviderId::Zapito),
            verifier(secrets, ProviderId::Tuco),
            verifier(secrets, ProviderId::ConnectGain),
        )
    }

    /// A receiver verifying all five providers with one shared `secret`, with the
    /// default body limit ([`DEFAULT_BODY_LIMIT`](hookseal_core::DEFAULT_BODY_LIMIT), 1 MiB),
    /// the default read timeout ([`DEFAULT_READ_TIMEOUT`], 10 s) and no observer.
    ///
    /// **Not advised** outside local tests: with one secret for all, a delivery captured for
    /// one provider verifies on every other provider's route too (see [`hookseal_core::env`]).
    /// Prefer [`from_secrets`](Self::from_secrets).
    #[must_use]
    pub fn new(secret: &Secret) -> Self {
        Self::from_verifiers(
            Verifier::new(secret.clone()),
            Verifier::new(secret.clone()),
            Verifier::new(secret.clone()),
            Verifier::new(secret.clone()),
            Verifier::new(secret.clone()),
        )
    }

    /// A receiver with one verifier per provider, configured as you like
    /// (their own secrets, body limits, replay windows), the default read timeout, and no observer.
    #[must_use]
    pub fn from_verifiers(
        tocc: Verifier<Tocc>,
        toran: Verifier<Toran>,
        zapito: Verifier<Zapito>,
        tuco: Verifier<Tuco>,
        connectgain: Verifier<ConnectGain>,
    ) -> Self {
        Self {
            state: Verifiers {
                tocc,
                toran,
                zapito,
                tuco,
                connectgain,
                read_timeout: DEFAULT_READ_TIMEOUT,
                observer: None,
            },
        }
    }

    /// Sets every verifier's body limit: bodies over `bytes` are refused with
    /// `413` before they are read whole.
    ///
    /// The verifiers' limits replace axum's `DefaultBodyLimit` on the receiver's routes.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        let state = &mut self.state;
        state.tocc = state.tocc.clone().body_limit(bytes);
        state.toran = state.toran.clone().body_limit(bytes);
        state.zapito = state.zapito.clone().body_limit(bytes);
        state.tuco = state.tuco.clone().body_limit(bytes);
        state.connectgain = state.connectgain.clone().body_limit(bytes);
        self
    }

    /// Answers `408` to a request whose whole body has not arrived within
    /// `timeout` of the extractor starting to read it (a stalled or dribbling
    /// client), instead of waiting for it. The default is [`DEFAULT_READ_TIMEOUT`] (10 s).
    ///
    /// The router applies it as a [`WebhookConfig`] extension layer.
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.state.read_timeout = timeout;
        self
    }

    /// Calls `observer` with the [`Outcome`] of every request to a webhook
    /// route (for a command line that prints each one, or a test channel).
    ///
    /// It runs on the request's task before the response is sent: keep it quick.
    #[must_use]
    pub fn on_outcome(mut self, observer: impl Fn(Outcome) + Send + Sync + 'static) -> Self {
        self.state.observer = Some(Arc::new(observer));
        self
    }

    /// The axum router serving [`ROUTE`].
    pub fn router(self) -> Router {
        let state = &self.state;
        let largest = [
            state.tocc.max_body(),
            state.toran.max_body(),
            state.zapito.max_body(),
            state.tuco.max_body(),
            state.connectgain.max_body(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let custom_timeout = state.read_timeout != DEFAULT_READ_TIMEOUT;
        let mut router = Router::new()
            .route("/webhooks/tocc", endpoint::<Tocc>(ProviderId::Tocc))
            .route("/webhooks/toran", endpoint::<Toran>(ProviderId::Toran))
            .route("/webhooks/zapito", endpoint::<Zapito>(ProviderId::Zapito))
            .route("/webhooks/tuco", endpoint::<Tuco>(ProviderId::Tuco))
            .route("/webhooks/connectgain", endpoint::<ConnectGain>(ProviderId::ConnectGain))
            .route(ROUTE, post(unknown_provider))
            .fallback(not_found);
        // The verifiers' limit governs (checked before reading). axum's default limit
        // (2 MiB) is lifted only when a verifier's is not below it; the layers are added
        // only when needed, as each costs every request an extension insert.
        if largest >= AXUM_DEFAULT_BODY_LIMIT {
            router = router.layer(DefaultBodyLimit::disable());
        }
        if custom_timeout {
            router = router.layer(Extension(WebhookConfig::new().read_timeout(self.state.read_timeout)));
        }
        router.with_state(ReceiverState(Arc::new(self.state)))
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.state;
        f.debug_struct("Receiver")
            .field("tocc", &state.tocc)
            .field("toran", &state.toran)
            .field("zapito", &state.zapito)
            .field("tuco", &state.tuco)
            .field("connectgain", &state.connectgain)
            .field("read_timeout", &state.read_timeout)
            .field("observer", &state.observer.is_some())
            .finish()
    }
}

/// The reference receiver for all five providers, sharing one secret (not advised: see
/// [`Receiver::new`]), with the default body limit ([`DEFAULT_BODY_LIMIT`](hookseal_core::DEFAULT_BODY_LIMIT)): `Receiver::new(secret).router()`.
pub fn router(secret: &Secret) -> Router {
    Receiver::new(secret).router()
}

fn endpoint<P: Provider>(provider: ProviderId) -> MethodRouter<ReceiverState>
where
    Verifier<P>: FromRef<ReceiverState>,
{
    post(move |State(state): State<ReceiverState>, webhook: Result<Webhook<P>, WebhookRejection>| async move {
        match webhook {
            Ok(Webhook(event)) => {
                // The full summary (with the event re-rendered as JSON) only for an observer.
                state.observe(|| Outcome::Accepted(EventSummary::new(provider, &event)));
                axum::Json(Answer::new(provider, &event)).into_response()
            }
            Err(rejection) => {
                state.observe(|| Outcome::Rejected {
                    provider: Some(provider),
                    status: rejection.status().as_u16(),
                    reason: rejection.to_string(),
                });
                rejection.into_response()
            }
        }
    })
}

/// The `200` answer: an [`EventSummary`]'s JSON, borrowed from the event (nothing re-rendered).
#[derive(Serialize)]
struct Answer<'a> {
    provider: &'static str,
    event: &'a str,
    test: bool,
    idempotency_key: Cow<'a, str>,
}

impl<'a> Answer<'a> {
    fn new<E: WebhookEvent>(provider: ProviderId, event: &'a E) -> Self {
        Self {
            provider: provider.name(),
            event: event.name(),
            test: event.is_test(),
            idempotency_key: event.idempotency_key(),
        }
    }
}

/// axum's own body limit when no `DefaultBodyLimit` layer sets one: 2 MiB.
const AXUM_DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Longest provider name echoed in a 404's reason.
const MAX_ECHO: usize = 64;

async fn unknown_provider(State(state): State<ReceiverState>, Path(name): Path<String>, req: Request) -> Response {
    // Answered without reading the body: the rest is drained so that the 404 reaches the client.
    drain_request(req);
    state.observe(|| {
        let shown: String = name.chars().take(MAX_ECHO).collect();
        Outcome::Rejected {
            provider: None,
            status: StatusCode::NOT_FOUND.as_u16(),
            reason: format!("unknown provider `{}`", shown.escape_debug()),
        }
    });
    (StatusCode::NOT_FOUND, "unknown provider").into_response()
}

/// Any other path: `404 not found`, the body drained like the unknown provider's (no outcome reported).
async fn not_found(req: Request) -> Response {
    drain_request(req);
    (StatusCode::NOT_FOUND, "not found").into_response()
}
