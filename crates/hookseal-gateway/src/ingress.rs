//! The receiving side: verify each provider's requests, store them, answer.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hookseal_core::env::ProviderSecrets;
use hookseal_core::{
    ConnectGain, DEFAULT_BODY_LIMIT, GitHub, Provider, ProviderId, Secret, StandardWebhooks, Stripe, Tocc, Toran, Tuco,
    Verifier, Zapito,
};
use hookseal_inbox::{Inbox, keep_headers};
use http::{HeaderMap, StatusCode};
use tokio::sync::Notify;

/// The providers a gateway serves, by the names their events are stored under.
pub const PROVIDERS: [&str; 5] = ["tocc", "toran", "zapito", "tuco", "connectgain"];
/// The ready schemes a gateway can also serve (at `/webhooks/{name}`, once given a secret).
pub const SCHEMES: [&str; 3] = ["standard-webhooks", "github", "stripe"];

/// What happened to one request, as handed to [`Ingress::on_received`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// Verified and stored (committed) for the first time; answered `200`.
    Stored {
        /// The provider.
        provider: &'static str,
        /// The event name.
        event: String,
        /// The idempotency key.
        key: String,
        /// The stored event's id.
        id: i64,
    },
    /// A redelivery of an event already stored; answered `200`, not stored again.
    Duplicate {
        /// The provider.
        provider: &'static str,
        /// The event name.
        event: String,
        /// The idempotency key.
        key: String,
        /// The stored event's id.
        id: i64,
        /// How many times it has been received.
        times_seen: i64,
    },
    /// Authentic, but the body did not parse: stored dead-lettered, answered `200`.
    DeadLettered {
        /// The provider.
        provider: &'static str,
        /// The stored event's id.
        id: i64,
    },
    /// Refused (`401`, `400`, `413`): nothing stored.
    Rejected {
        /// The provider.
        provider: &'static str,
        /// The status answered.
        status: u16,
        /// Why (never a secret).
        reason: String,
    },
    /// The store could not take it: answered `503` so that the provider retries.
    Unavailable {
        /// The provider.
        provider: &'static str,
        /// Why.
        reason: String,
    },
}

type Observer = Arc<dyn Fn(&Received) + Send + Sync>;

struct Verifiers {
    tocc: Verifier<Tocc>,
    toran: Verifier<Toran>,
    zapito: Verifier<Zapito>,
    tuco: Verifier<Tuco>,
    connectgain: Verifier<ConnectGain>,
    standard_webhooks: Option<Verifier<StandardWebhooks>>,
    github: Option<Verifier<GitHub>>,
    stripe: Option<Verifier<Stripe>>,
}

struct Shared {
    inbox: Inbox,
    verifiers: Verifiers,
    observer: Option<Observer>,
    wake: Option<Arc<Notify>>,
    body_limit: usize,
    read_timeout: std::time::Duration,
}

/// How long a request's body may take to arrive: 10 s.
pub const DEFAULT_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The gateway's public listener: `POST /webhooks/{provider}` for the five
/// providers (and the ready schemes given a secret with [`with_scheme`](Self::with_scheme)),
/// each verified with its own secrets, stored durably (with the
/// request's headers, credentials left out) before it is answered.
///
/// `200` means committed (a redelivery is `200` too, and not stored again; an
/// authentic body that does not parse is stored dead-lettered and `200`);
/// `401`/`400`/`413` for what verification refuses; `503` when the store
/// cannot take it, so that the providers that retry do.
#[must_use]
pub struct Ingress {
    shared: Shared,
    body_limit: usize,
}

impl Ingress {
    /// An ingress storing into `inbox`, each provider verified with its own
    /// secrets (several during a rotation), with the default body limit (1 MiB).
    ///
    /// # Panics
    ///
    /// Never: [`ProviderSecrets`] holds at least one secret per provider.
    pub fn from_secrets(inbox: Inbox, secrets: &ProviderSecrets) -> Self {
        fn verifier<P: Provider>(secrets: &ProviderSecrets, provider: ProviderId) -> Verifier<P> {
            Verifier::with_secrets(secrets.get(provider).iter().cloned())
                .expect("ProviderSecrets holds at least one secret per provider")
        }
        Self {
            shared: Shared {
                inbox,
                verifiers: Verifiers {
                    tocc: verifier(secrets, ProviderId::Tocc),
                    toran: verifier(secrets, ProviderId::Toran),
                    zapito: verifier(secrets, ProviderId::Zapito),
                    tuco: verifier(secrets, ProviderId::Tuco),
                    connectgain: verifier(secrets, ProviderId::ConnectGain),
                    standard_webhooks: None,
                    github: None,
                    stripe: None,
                },
                observer: None,
                wake: None,
                body_limit: DEFAULT_BODY_LIMIT,
                read_timeout: DEFAULT_READ_TIMEOUT,
            },
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Refuses bodies over `bytes` with `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self.shared.body_limit = bytes;
        let v = &mut self.shared.verifiers;
        v.tocc = v.tocc.clone().body_limit(bytes);
        v.toran = v.toran.clone().body_limit(bytes);
        v.zapito = v.zapito.clone().body_limit(bytes);
        v.tuco = v.tuco.clone().body_limit(bytes);
        v.connectgain = v.connectgain.clone().body_limit(bytes);
        v.standard_webhooks = v.standard_webhooks.take().map(|v| v.body_limit(bytes));
        v.github = v.github.take().map(|v| v.body_limit(bytes));
        v.stripe = v.stripe.take().map(|v| v.body_limit(bytes));
        self
    }

    /// Also serves the ready scheme `name` (`standard-webhooks`, `github` or
    /// `stripe`) at `/webhooks/{name}`, verified with `secrets` (several during
    /// a rotation). Its events are stored under `name`. `false` for another
    /// name or no secrets.
    pub fn with_scheme(&mut self, name: &str, secrets: Vec<Secret>) -> bool {
        let limit = self.body_limit;
        let v = &mut self.shared.verifiers;
        match name {
            "standard-webhooks" => {
                v.standard_webhooks = Verifier::with_secrets(secrets).ok().map(|v| v.body_limit(limit))
            }
            "github" => v.github = Verifier::with_secrets(secrets).ok().map(|v| v.body_limit(limit)),
            "stripe" => v.stripe = Verifier::with_secrets(secrets).ok().map(|v| v.body_limit(limit)),
            _ => return false,
        }
        match name {
            "standard-webhooks" => v.standard_webhooks.is_some(),
            "github" => v.github.is_some(),
            _ => v.stripe.is_some(),
        }
    }

    /// Answers `408` to a request whose body has not arrived within `timeout` (default [`DEFAULT_READ_TIMEOUT`]).
    pub fn read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.shared.read_timeout = timeout;
        self
    }

    /// Calls `observer` with what happened to every request (before it is answered: keep it quick).
    pub fn on_received(mut self, observer: impl Fn(&Received) + Send + Sync + 'static) -> Self {
        self.shared.observer = Some(Arc::new(observer));
        self
    }

    /// Notifies `wake` after each newly stored event (a forwarding worker's
    /// [`waker`](hookseal_inbox::AnyWorker::waker), so it need not wait for its next poll).
    pub fn wake(mut self, wake: Arc<Notify>) -> Self {
        self.shared.wake = Some(wake);
        self
    }

    /// The router.
    pub fn router(self) -> Router {
        let shared = Arc::new(self.shared);
        Router::new()
            .route("/webhooks/tocc", post(receive::<Tocc>))
            .route("/webhooks/toran", post(receive::<Toran>))
            .route("/webhooks/zapito", post(receive::<Zapito>))
            .route("/webhooks/tuco", post(receive::<Tuco>))
            .route("/webhooks/connectgain", post(receive::<ConnectGain>))
            .route("/webhooks/standard-webhooks", post(receive::<StandardWebhooks>))
            .route("/webhooks/github", post(receive::<GitHub>))
            .route("/webhooks/stripe", post(receive::<Stripe>))
            .route("/webhooks/{provider}", post(unknown_provider))
            .fallback(not_found)
            // The handler reads the body itself, bounded in size and time.
            .layer(DefaultBodyLimit::disable())
            .with_state(shared)
    }
}

impl fmt::Debug for Ingress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ingress").field("body_limit", &self.body_limit).finish_non_exhaustive()
    }
}

trait Pick: Provider + Sized {
    fn pick(verifiers: &Verifiers) -> Option<&Verifier<Self>>;
}

macro_rules! pick {
    ($($field:ident: $provider:ty),*) => {$(
        impl Pick for $provider {
            fn pick(verifiers: &Verifiers) -> Option<&Verifier<Self>> {
                Some(&verifiers.$field)
            }
        }
    )*};
}

macro_rules! pick_scheme {
    ($($field:ident: $provider:ty),*) => {$(
        impl Pick for $provider {
            fn pick(verifiers: &Verifiers) -> Option<&Verifier<Self>> {
                verifiers.$field.as_ref()
            }
        }
    )*};
}

pick!(tocc: Tocc, toran: Toran, zapito: Zapito, tuco: Tuco, connectgain: ConnectGain);
pick_scheme!(standard_webhooks: StandardWebhooks, github: GitHub, stripe: Stripe);

async fn receive<P: Pick>(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    let observe = |what: Received| {
        if let Some(observer) = &shared.observer {
            observer(&what);
        }
    };
    let Some(verifier) = P::pick(&shared.verifiers) else {
        return (StatusCode::NOT_FOUND, "unknown provider").into_response();
    };
    let (parts, body) = request.into_parts();
    let headers: HeaderMap = parts.headers;
    // Bounded in size (the body limit) and in time (a stalled or dribbling client gets 408).
    let body: Bytes =
        match tokio::time::timeout(shared.read_timeout, axum::body::to_bytes(body, shared.body_limit)).await {
            Ok(Ok(body)) => body,
            Ok(Err(_)) => {
                let reason = format!("body larger than {} bytes (or unreadable)", shared.body_limit);
                observe(Received::Rejected { provider: P::NAME, status: 413, reason: reason.clone() });
                return (StatusCode::PAYLOAD_TOO_LARGE, reason).into_response();
            }
            Err(_) => {
                let reason = format!("body not received within {:?}", shared.read_timeout);
                observe(Received::Rejected { provider: P::NAME, status: 408, reason: reason.clone() });
                return (StatusCode::REQUEST_TIMEOUT, reason).into_response();
            }
        };
    let mut row = match shared.inbox.prepare(verifier, &headers, &body) {
        Ok(row) => row,
        Err(err) => {
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            observe(Received::Rejected { provider: P::NAME, status: status.as_u16(), reason: err.to_string() });
            return (status, err.to_string()).into_response();
        }
    };
    row.headers = keep_headers(headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())));
    let dead = row.dead_letter.is_some();
    let (event, key) = (row.event_name.clone(), row.idempotency_key.clone());
    match shared.inbox.ingest(row).await {
        Ok(done) => {
            if let (true, Some(wake)) = (done.inserted, &shared.wake) {
                wake.notify_one();
            }
            observe(match (done.inserted, dead) {
                (true, true) => Received::DeadLettered { provider: P::NAME, id: done.id },
                (true, false) => Received::Stored { provider: P::NAME, event, key, id: done.id },
                (false, _) => {
                    Received::Duplicate { provider: P::NAME, event, key, id: done.id, times_seen: done.times_seen }
                }
            });
            let text = if done.inserted { "stored\n" } else { "duplicate, already stored\n" };
            (StatusCode::OK, text).into_response()
        }
        Err(err) => {
            observe(Received::Unavailable { provider: P::NAME, reason: err.to_string() });
            (StatusCode::SERVICE_UNAVAILABLE, err.public_message()).into_response()
        }
    }
}

async fn unknown_provider() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "unknown provider")
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found")
}
