//! The inbox handle: verify, store durably (group-committed), and manage events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hookseal_core::{Error, Headers, Provider, Verifier, WebhookEvent};
use sha2::{Digest as _, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::clock::{Clock, SystemClock, sub};
use crate::error::{AcceptError, StoreError};
use crate::group::{self, Pending};
use crate::record::{Counts, Ingested, NewEvent, ReplayFilter, StoredEvent};
use crate::store::Store;

/// How long done events are kept by default: 30 days, longer than any provider retries,
/// so a late redelivery is still recognised as a duplicate.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long an ingest may take before it is answered `503` by default: 5 s.
pub const DEFAULT_INGEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The default largest group-commit batch: 128 rows.
pub const DEFAULT_MAX_BATCH: usize = 128;

/// A durable inbox of verified webhooks over a [`Store`].
///
/// Cheap to clone (clones share the store and the committer). Create it
/// inside a tokio runtime: it spawns the group committer.
#[derive(Clone)]
pub struct Inbox {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    queue: mpsc::Sender<Pending>,
    ingest_timeout: Duration,
    retention: Duration,
}

/// Settings for an [`Inbox`]; start from [`Inbox::builder`].
#[must_use]
pub struct InboxBuilder {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    max_batch: usize,
    max_wait: Duration,
    parallel: usize,
    ingest_timeout: Duration,
    retention: Duration,
}

impl InboxBuilder {
    /// The clock for received times, leases, backoff and retention (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The largest number of ingests committed in one transaction (default [`DEFAULT_MAX_BATCH`]).
    pub fn max_batch(mut self, rows: usize) -> Self {
        self.max_batch = rows.max(1);
        self
    }

    /// How long a batch waits for more ingests once it has one (default: zero,
    /// only what queued up while the previous commit ran is taken).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// How many batches may commit at once (default 1; for PostgreSQL, up to the
    /// pool size). More batches in flight make each one smaller: on PostgreSQL
    /// at 64 concurrent requests over a pool of 8, 2 did best in `benches/inbox.sh`
    /// (about 1.6 × the throughput of 8).
    pub fn parallel_commits(mut self, batches: usize) -> Self {
        self.parallel = batches.max(1);
        self
    }

    /// How long an ingest may wait for its commit before it fails with
    /// [`StoreError::Timeout`] (`503`) (default [`DEFAULT_INGEST_TIMEOUT`]).
    pub fn ingest_timeout(mut self, timeout: Duration) -> Self {
        self.ingest_timeout = timeout;
        self
    }

    /// How long done events are kept before [`Inbox::purge`] deletes them (default [`DEFAULT_RETENTION`]).
    pub fn retention(mut self, keep: Duration) -> Self {
        self.retention = keep;
        self
    }

    /// Starts the committer and returns the inbox. Call inside a tokio runtime.
    #[must_use]
    pub fn build(self) -> Inbox {
        let (queue, pending) = mpsc::channel(self.max_batch.saturating_mul(self.parallel).max(1024));
        group::spawn(
            Arc::clone(&self.store),
            pending,
            self.max_batch,
            self.max_wait,
            self.parallel,
            self.ingest_timeout,
        );
        Inbox {
            inner: Arc::new(Inner {
                store: self.store,
                clock: self.clock,
                queue,
                ingest_timeout: self.ingest_timeout,
                retention: self.retention,
            }),
        }
    }
}

/// What [`Inbox::accept`] did with a request: it is stored and committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The stored event's id.
    pub id: i64,
    /// `false` for a redelivery of an event already stored.
    pub inserted: bool,
    /// How many times it has been received.
    pub times_seen: i64,
    /// `true` if the body is authentic but did not parse: stored dead-lettered, to replay after an upgrade.
    pub dead_lettered: bool,
}

impl Inbox {
    /// An inbox over `store` with the default settings. Call inside a tokio runtime.
    #[must_use]
    pub fn new(store: impl Store) -> Self {
        Self::builder(store).build()
    }

    /// Settings for an inbox over `store`.
    pub fn builder(store: impl Store) -> InboxBuilder {
        InboxBuilder {
            store: Arc::new(store),
            clock: Arc::new(SystemClock),
            max_batch: DEFAULT_MAX_BATCH,
            max_wait: Duration::ZERO,
            parallel: 1,
            ingest_timeout: DEFAULT_INGEST_TIMEOUT,
            retention: DEFAULT_RETENTION,
        }
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &dyn Clock {
        &*self.inner.clock
    }

    /// The current time, from the inbox's clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Verifies a request and builds the row to store, without storing it.
    ///
    /// An authentic body that the typed parse refuses is not an error: the row
    /// is dead-lettered with the parse error, keyed by the body's SHA-256.
    ///
    /// # Errors
    ///
    /// Every other verification error (`401`, `400`, `413`), such as a bad
    /// signature, an event header that contradicts the body, or a stale timestamp.
    pub fn prepare<P: Provider>(
        &self,
        verifier: &Verifier<P>,
        headers: &impl Headers,
        body: &[u8],
    ) -> Result<NewEvent, Error> {
        prepare(verifier, headers, body, self.now())
    }

    /// Stores a row durably: the answer comes once its transaction is committed.
    ///
    /// Concurrent calls share transactions (group commit).
    ///
    /// # Errors
    ///
    /// [`StoreError`] (`503`) if the store failed or did not commit within the ingest timeout.
    pub async fn ingest(&self, row: NewEvent) -> Result<Ingested, StoreError> {
        let timeout = self.inner.ingest_timeout;
        #[cfg(feature = "metrics")]
        let labels = (row.provider.clone(), row.dead_letter.is_some());
        let (reply, answer) = oneshot::channel();
        let queued = async {
            self.inner.queue.send(Pending { row, reply }).await.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        };
        let result = tokio::time::timeout(timeout, queued).await.map_err(|_| StoreError::Timeout(timeout))?;
        #[cfg(feature = "metrics")]
        crate::metrics::ingested(&labels.0, crate::metrics::Ingest::of(labels.1, result.as_ref().ok()));
        result
    }

    /// Verifies a request and stores it durably: the one call a receiver makes.
    /// Answer `2xx` on `Ok` (a redelivery is `Ok` too), and
    /// [`AcceptError::status`] otherwise.
    ///
    /// # Errors
    ///
    /// [`AcceptError::Rejected`] (`401`/`400`/`413`) or [`AcceptError::Store`] (`503`).
    pub async fn accept<P: Provider>(
        &self,
        verifier: &Verifier<P>,
        headers: &impl Headers,
        body: &[u8],
    ) -> Result<Receipt, AcceptError> {
        let row = self.prepare(verifier, headers, body)?;
        Ok(self.commit(row).await?)
    }

    /// Stores a row from [`prepare`](Self::prepare) durably, as
    /// [`accept`](Self::accept) does after verifying: for a receiver that has
    /// already called `prepare` (the framework adapters, which verify once and
    /// report rejections their own way).
    ///
    /// # Errors
    ///
    /// [`StoreError`] (`503`) if the store failed or did not commit within the ingest timeout.
    pub async fn commit(&self, row: NewEvent) -> Result<Receipt, StoreError> {
        let dead_lettered = row.dead_letter.is_some();
        let ingested = self.ingest(row).await?;
        Ok(Receipt { id: ingested.id, inserted: ingested.inserted, times_seen: ingested.times_seen, dead_lettered })
    }

    /// Puts one dead (or done) event back to ready; `false` if it is not dead or done.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn replay(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.store.replay(id, self.now()).await
    }

    /// Puts every dead event of `provider` (and `event_name`, if given) back to ready; how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn replay_dead(&self, provider: Option<&str>, event_name: Option<&str>) -> Result<u64, StoreError> {
        let filter = ReplayFilter { provider: provider.map(str::to_owned), event_name: event_name.map(str::to_owned) };
        self.inner.store.replay_dead(filter, self.now()).await
    }

    /// Deletes up to `limit` done events older than the retention; how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn purge(&self, limit: u32) -> Result<u64, StoreError> {
        self.inner.store.purge_done(sub(self.now(), self.inner.retention), limit).await
    }

    /// Runs the retention sweep forever: every `every`, purges batches of
    /// `batch` until fewer than `batch` are left (at most 100 batches per
    /// sweep, so one sweep never holds the store for long).
    ///
    /// With the `metrics` feature, each sweep ends by refreshing the
    /// per-state gauges ([`refresh_gauges`](Self::refresh_gauges)).
    pub async fn run_sweeper(self, every: Duration, batch: u32) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            for _ in 0..100 {
                match self.purge(batch).await {
                    Ok(n) if n >= u64::from(batch) => {}
                    Ok(_) => break,
                    Err(_err) => {
                        tracing::warn!(error = %_err, "inbox retention sweep failed");
                        break;
                    }
                }
            }
            #[cfg(feature = "metrics")]
            if let Err(_err) = self.refresh_gauges().await {
                tracing::warn!(error = %_err, "inbox gauges could not be refreshed");
            }
        }
    }

    /// Sets the per-state gauges ([`metrics::EVENTS`](crate::metrics::EVENTS))
    /// from one [`counts`](Self::counts) query, and returns the counts.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed (the gauges keep their last values).
    ///
    /// Without the `metrics` feature this is [`counts`](Self::counts) and records nothing.
    pub async fn refresh_gauges(&self) -> Result<Counts, StoreError> {
        let counts = self.counts().await?;
        #[cfg(feature = "metrics")]
        crate::metrics::gauges(&counts);
        Ok(counts)
    }

    /// Refreshes the per-state gauges forever, every `every` (at least one
    /// second): one [`counts`](Self::counts) query per period, the next
    /// period starting only once the previous query has answered. Spawn it
    /// when the sweeper's interval is too coarse for your dashboards (it is
    /// only useful with the `metrics` feature).
    pub async fn run_gauges(self, every: Duration) {
        let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(_err) = self.refresh_gauges().await {
                tracing::warn!(error = %_err, "inbox gauges could not be refreshed");
            }
        }
    }

    /// How many events are in each state.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        self.inner.store.counts().await
    }

    /// One event by id.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn get(&self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        self.inner.store.get(id).await
    }

    /// One event by provider and idempotency key.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn find(&self, provider: &str, idempotency_key: &str) -> Result<Option<StoredEvent>, StoreError> {
        self.inner.store.find(provider.to_owned(), idempotency_key.to_owned()).await
    }
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("ingest_timeout", &self.inner.ingest_timeout)
            .field("retention", &self.inner.retention)
            .finish_non_exhaustive()
    }
}

/// The unsigned headers kept with each event: (event header, timestamp header).
fn unsigned_headers(provider: &str) -> (Option<&'static str>, Option<&'static str>) {
    match provider {
        "tocc" => (Some("X-Tocc-Event"), None),
        "toran" => (Some("X-Toran-Event"), None),
        "zapito" => (Some("X-Zapito-Event"), None),
        "tuco" => (Some("X-Tuco-Event"), Some("X-Tuco-Timestamp")),
        "connectgain" => (Some("X-Webhook-Event"), Some("X-Webhook-Timestamp")),
        _ => (None, None),
    }
}

/// The longest header value kept (longer ones are cut: they are unsigned and only informative).
const MAX_HEADER: usize = 256;

fn header(headers: &impl Headers, name: Option<&str>) -> Option<String> {
    let value = headers.values(name?).next()?;
    let value = &value[..value.len().min(MAX_HEADER)];
    Some(String::from_utf8_lossy(value).trim().to_owned())
}

/// See [`Inbox::prepare`].
pub(crate) fn prepare<P: Provider>(
    verifier: &Verifier<P>,
    headers: &impl Headers,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<NewEvent, Error> {
    let (event_name_header, timestamp_header) = unsigned_headers(P::NAME);
    let event_header = header(headers, event_name_header);
    let timestamp_header = header(headers, timestamp_header);
    let (event_name, idempotency_key, dead_letter) = match verifier.verify_event_at(headers, body, now) {
        Ok(event) => (event.name().to_owned(), event.idempotency_key().into_owned(), None),
        // Authentic (the signature is checked before the parse) but not parseable: keep it.
        Err(Error::InvalidBody(err)) => (
            event_header.clone().unwrap_or_default(),
            format!("sha256:{}", hex::encode(Sha256::digest(body))),
            Some(format!("body did not parse: {err}")),
        ),
        Err(other) => return Err(other),
    };
    Ok(NewEvent {
        provider: P::NAME.to_owned(),
        event_name,
        idempotency_key,
        body: body.to_vec(),
        event_header,
        timestamp_header,
        received_at: now,
        dead_letter,
        headers: Vec::new(),
    })
}
