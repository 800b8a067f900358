//! The reference receiver: all five providers in one app configuration.
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
//! timeout (10 s unless set with [`Receiver::read_timeout`]), and `404` with
//! `unknown provider` for any other `{provider}`.
//!
//! It is built from the same [`Webhook`] extractor and `app_data` pattern
//! shown in the crate docs, and is what `examples/actix_receiver.rs` serves.
//! Use it to try a provider's "send test event" button, or as a starting
//! point. The verifiers keep their defaults unless you give your own: no
//! replay window, and ConnectGain requests must be signed.
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! use hookseal_actix::receiver::{Outcome, Receiver};
//! use hookseal_core::env::ProviderSecrets;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = Receiver::from_secrets(&ProviderSecrets::from_env()?)
//!     .body_limit(256 * 1024)
//!     .read_timeout(std::time::Duration::from_secs(5))
//!     .on_outcome(|outcome| match outcome {
//!         Outcome::Accepted(event) => println!("{} {} {}", event.provider, event.event, event.idempotency_key),
//!         Outcome::Rejected { status, reason, .. } => println!("{status} {reason}"),
//!         _ => {}
//!     });
//! HttpServer::new(move || App::new().configure(receiver.config())).bind("127.0.0.1:3000")?.run().await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use hookseal_core::env::ProviderSecrets;
use hookseal_core::{ConnectGain, Provider, ProviderId, Secret, Tocc, Toran, Tuco, Verifier, Zapito};

use crate::{DEFAULT_READ_TIMEOUT, Webhook, WebhookConfig, WebhookRejection};

/// The route the receiver serves, with `{provider}` one of the five names.
pub const ROUTE: &str = "/webhooks/{provider}";

/// The reference receiver for all five providers: each with its own secrets
/// ([`from_secrets`](Self::from_secrets), the way to configure it), one verifier each
/// ([`from_verifiers`](Self::from_verifiers)), or one secret for all ([`new`](Self::new), not advised).
///
/// Build it once (the verifiers are keyed once and shared by every worker),
/// optionally set a body limit, a read timeout and an observer, then add it to each worker's
/// `App` with [`configure`](Self::configure) or [`config`](Self::config).
#[derive(Clone)]
pub struct Receiver {
    tocc: web::Data<Verifier<Tocc>>,
    toran: web::Data<Verifier<Toran>>,
    zapito: web::Data<Verifier<Zapito>>,
    tuco: web::Data<Verifier<Tuco>>,
    connectgain: web::Data<Verifier<ConnectGain>>,
    read_timeout: Duration,
    observer: Option<Observer>,
}

pub use hookseal_core::report::{EventSummary, Outcome};

type Observer = Arc<dyn Fn(Outcome) + Send + Sync>;

fn observe(observer: Option<&Observer>, outcome: impl FnOnce() -> Outcome) {
    if let Some(observer) = observer {
        observer(outcome());
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
    #[doc = concat!("use hookseal_", "actix", "::receiver::Receiver;")]
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
            tocc: web::Data::new(tocc),
            toran: web::Data::new(toran),
            zapito: web::Data::new(zapito),
            tuco: web::Data::new(tuco),
            connectgain: web::Data::new(connectgain),
            read_timeout: DEFAULT_READ_TIMEOUT,
            observer: None,
        }
    }

    /// Sets every verifier's body limit: bodies over `bytes` are refused with
    /// `413` before they are read whole.
    ///
    /// The verifiers' limits govern the receiver's routes: a [`WebhookConfig`]
    /// registered on your `App` does not reach them.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        fn limited<P: Provider>(verifier: &web::Data<Verifier<P>>, bytes: usize) -> web::Data<Verifier<P>> {
            web::Data::new(verifier.get_ref().clone().body_limit(bytes))
        }
        self.tocc = limited(&self.tocc, bytes);
        self.toran = limited(&self.toran, bytes);
        self.zapito = limited(&self.zapito, bytes);
        self.tuco = limited(&self.tuco, bytes);
        self.connectgain = limited(&self.connectgain, bytes);
        self
    }

    /// Answers `408` to a request whose whole body has not arrived within
    /// `timeout` of the extractor starting to read it (a stalled or dribbling
    /// client), instead of waiting for it. The default is [`DEFAULT_READ_TIMEOUT`] (10 s).
    ///
    /// Like the body limit, it governs the receiver's routes whatever
    /// [`WebhookConfig`] your `App` registers.
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Calls `observer` with the [`Outcome`] of every request to a webhook
    /// route (for a command line that prints each one, or a test channel).
    ///
    /// It runs on the request's task before the response is sent: keep it quick.
    #[must_use]
    pub fn on_outcome(mut self, observer: impl Fn(Outcome) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Adds the `/webhooks` scope serving [`ROUTE`] to an app (for `App::configure`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let observer = self.observer.clone();
        cfg.service(
            web::scope("/webhooks")
                // The verifiers' limits, the receiver's read timeout and the plain rejections govern
                // here, whatever the app registers.
                .app_data(WebhookConfig::new().read_timeout(self.read_timeout))
                .service(endpoint(&self.tocc, ProviderId::Tocc, self.observer.clone()))
                .service(endpoint(&self.toran, ProviderId::Toran, self.observer.clone()))
                .service(endpoint(&self.zapito, ProviderId::Zapito, self.observer.clone()))
                .service(endpoint(&self.tuco, ProviderId::Tuco, self.observer.clone()))
                .service(endpoint(&self.connectgain, ProviderId::ConnectGain, self.observer.clone()))
                .service(
                    web::resource("/{provider}").route(
                        web::post()
                            .to(move |name: web::Path<String>| unknown_provider(name.into_inner(), observer.clone())),
                    ),
                ),
        );
    }

    /// [`configure`](Self::configure) as an owned function, to hand to
    /// `App::configure` inside `HttpServer::new`'s factory.
    pub fn config(&self) -> impl FnOnce(&mut web::ServiceConfig) + 'static {
        let receiver = self.clone();
        move |cfg| receiver.configure(cfg)
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("tocc", self.tocc.get_ref())
            .field("toran", self.toran.get_ref())
            .field("zapito", self.zapito.get_ref())
            .field("tuco", self.tuco.get_ref())
            .field("connectgain", self.connectgain.get_ref())
            .field("read_timeout", &self.read_timeout)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// The reference receiver for all five providers, sharing one `secret` (not advised: see
/// [`Receiver::new`]), with the default body limit ([`DEFAULT_BODY_LIMIT`](hookseal_core::DEFAULT_BODY_LIMIT)),
/// as an app configuration.
///
/// The verifiers are keyed here, once; clone the returned function into every worker.
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use hookseal_actix::receiver;
/// use hookseal_core::Secret;
///
/// # async fn run() -> std::io::Result<()> {
/// let webhooks = receiver::configure(&Secret::new("whsec_shared").expect("non-empty"));
/// HttpServer::new(move || App::new().configure(webhooks.clone())).bind("127.0.0.1:3000")?.run().await
/// # }
/// ```
pub fn configure(secret: &Secret) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let receiver = Receiver::new(secret);
    move |cfg| receiver.configure(cfg)
}

/// `POST /{name}` for provider `P`, with its verifier in the resource's `app_data`.
fn endpoint<P: Provider>(
    verifier: &web::Data<Verifier<P>>,
    provider: ProviderId,
    observer: Option<Observer>,
) -> actix_web::Resource {
    web::resource(format!("/{}", P::NAME)).app_data(verifier.clone()).route(web::post().to(
        move |webhook: Result<Webhook<P>, actix_web::Error>| {
            let observer = observer.clone();
            async move { answer(provider, webhook, observer.as_ref()) }
        },
    ))
}

fn answer<P: Provider>(
    provider: ProviderId,
    webhook: Result<Webhook<P>, actix_web::Error>,
    observer: Option<&Observer>,
) -> HttpResponse {
    match webhook {
        Ok(Webhook(event)) => {
            let summary = EventSummary::new(provider, &event);
            let response = HttpResponse::Ok().json(&summary);
            observe(observer, || Outcome::Accepted(summary));
            response
        }
        Err(err) => {
            observe(observer, || Outcome::Rejected {
                provider: Some(provider),
                status: err.as_response_error().status_code().as_u16(),
                reason: err.as_error::<WebhookRejection>().map_or_else(|| "rejected".to_owned(), ToString::to_string),
            });
            err.error_response()
        }
    }
}

/// Longest provider name echoed in a 404's reason.
const MAX_ECHO: usize = 64;

async fn unknown_provider(name: String, observer: Option<Observer>) -> HttpResponse {
    observe(observer.as_ref(), || {
        let shown: String = name.chars().take(MAX_ECHO).collect();
        Outcome::Rejected {
            provider: None,
            status: StatusCode::NOT_FOUND.as_u16(),
            reason: format!("unknown provider `{}`", shown.escape_debug()),
        }
    });
    HttpResponse::NotFound().insert_header(ContentType::plaintext()).body("unknown provider")
}
