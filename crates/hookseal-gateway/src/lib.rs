//! The hookseal gateway: put hookseal in front of any app.
//!
//! An [`Ingress`] verifies the five providers' requests (each with its own
//! secrets), stores each one durably in a [`hookseal_inbox::Inbox`] before its
//! `200`, and a forwarding worker ([`forwarding`]) POSTs every stored event's
//! original bytes to the operator's app, signed with Standard Webhooks
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`) under
//! `HOOKSEAL_FORWARD_SECRET`, with `hookseal-provider`, `hookseal-event` and
//! `hookseal-idempotency-key` headers. A `2xx` marks the event done; anything
//! else, or no answer within the timeout, retries with backoff until the last
//! attempt, then the event is dead (replayable). The `webhook-id` is derived
//! from the provider and idempotency key ([`webhook_id`]), so the app can
//! dedupe on it across retries and replicas.
//!
//! The `hookseal listen --forward-to URL` command is this crate's glue.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use hookseal_core::env::ProviderSecrets;
//! use hookseal_gateway::{ForwardSettings, Forwarder, Ingress, forwarding, open_inbox};
//!
//! let inbox = open_inbox("sqlite::memory:").await?;
//! let secrets = ProviderSecrets::from_lookup(|_| Some("whsec_provider_secret".to_owned()))?;
//! let forwarder = Forwarder::new(
//!     "http://127.0.0.1:8080/webhooks",
//!     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
//!     std::time::Duration::from_secs(10),
//! )?;
//! let worker = forwarding(inbox.clone(), &ForwardSettings::default());
//! let app = Ingress::from_secrets(inbox, &secrets).wake(worker.waker()).router();
//! // axum::serve(listener, app) and, beside it:
//! // run_forwarder(worker, forwarder, shutdown, grace).await
//! # let _ = (app, forwarder);
//! # Ok(()) }
//! ```

mod forward;
mod ingress;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hookseal_inbox::{AnyWorker, Backoff, Inbox, PgStore, SqliteStore, StoreError};

pub use forward::{
    DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, EVENT_HEADER,
    FORWARD_SECRET_VAR, ForwardError, Forwarder, KEY_HEADER, PROVIDER_HEADER, webhook_id,
};
pub use ingress::{DEFAULT_READ_TIMEOUT, Ingress, PROVIDERS, Received, SCHEMES};

/// The store used when `--forward-to` is given without `--store`.
pub const DEFAULT_STORE: &str = "sqlite://hookseal.db";

/// Opens the inbox at a store URL: `sqlite://PATH` (created if missing) or
/// `postgres://…` / `postgresql://…` (shared by several gateways), migrated on open.
///
/// # Errors
///
/// [`StoreError`] if the URL is of neither kind, or the store cannot be opened.
pub async fn open_inbox(url: &str) -> Result<Inbox, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url).await?;
        // Two group-commit batches at once over the pool of 8 (more in flight make each batch
        // smaller and cost PostgreSQL more: `benches/inbox.sh`); claims and settles use the rest.
        Ok(Inbox::builder(store).parallel_commits(2).build())
    } else if url.starts_with("sqlite:") {
        Ok(Inbox::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Database("the store URL must start with sqlite:// or postgres://".into()))
    }
}

/// How the forwarding worker retries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ForwardSettings {
    /// Attempts before an event is dead ([`DEFAULT_ATTEMPTS`]).
    pub attempts: u32,
    /// First backoff ceiling ([`DEFAULT_BACKOFF_BASE`]).
    pub backoff_base: Duration,
    /// Backoff cap ([`DEFAULT_BACKOFF_CAP`]).
    pub backoff_cap: Duration,
    /// Forwards in flight ([`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// One attempt's time limit ([`DEFAULT_TIMEOUT`]); the lease is set well above it.
    pub timeout: Duration,
    /// How often an idle worker looks for due retries (1 s).
    pub idle_poll: Duration,
}

impl Default for ForwardSettings {
    fn default() -> Self {
        Self {
            attempts: DEFAULT_ATTEMPTS,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_cap: DEFAULT_BACKOFF_CAP,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            idle_poll: Duration::from_secs(1),
        }
    }
}

impl ForwardSettings {
    /// The lease for these settings: twice the timeout plus 10 s, at least 30 s,
    /// so that a live attempt is never taken over by another replica.
    #[must_use]
    pub fn lease(&self) -> Duration {
        self.timeout.saturating_mul(2).saturating_add(Duration::from_secs(10)).max(Duration::from_secs(30))
    }
}

/// The forwarding worker for the five providers' events, with `settings`.
/// Give its [`waker`](AnyWorker::waker) to the [`Ingress`], and set
/// [`on_settled`](AnyWorker::on_settled) for a line per attempt.
pub fn forwarding(inbox: Inbox, settings: &ForwardSettings) -> AnyWorker {
    forwarding_for(inbox, settings, PROVIDERS)
}

/// [`forwarding`] for the events of `providers` (the five and the schemes the [`Ingress`] serves).
pub fn forwarding_for<S: Into<String>>(
    inbox: Inbox,
    settings: &ForwardSettings,
    providers: impl IntoIterator<Item = S>,
) -> AnyWorker {
    AnyWorker::new(inbox, providers)
        .max_attempts(settings.attempts)
        .backoff(Backoff::new(settings.backoff_base, settings.backoff_cap))
        .concurrency(settings.concurrency)
        .lease(settings.lease())
        .idle_poll(settings.idle_poll)
}

/// Runs `worker`, forwarding each event with `forwarder`, until `shutdown`;
/// then lets forwards in flight finish within `grace` and gives the rest back.
pub async fn run_forwarder(
    worker: AnyWorker,
    forwarder: Forwarder,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let forwarder = Arc::new(forwarder);
    let handler = move |job: hookseal_inbox::AnyJob| {
        let forwarder = Arc::clone(&forwarder);
        async move { forwarder.forward(&job).await.map(|_| ()).map_err(hookseal_inbox::HandlerError::from) }
    };
    worker.run(handler, shutdown, grace).await;
}
