//! Workers: claim ready events under a lease, run the handler, settle the outcome.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, FutureExt as _};
use hookseal_core::{Provider, WebhookEvent};
use sqlx::{Pool, Transaction};

use crate::backoff::Backoff;
use crate::clock::add;
use crate::error::StoreError;
use crate::inbox::Inbox;
use crate::metrics;
use crate::query::{AttemptOutcome, Settlement, Verdict};
use crate::record::{Claim, ClaimRequest};

/// What a handler's failure carries: any error (its `Display` is stored as the event's `last_error`).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The default lease: 30 s.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The default number of attempts before an event is dead-lettered: 8.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// One claimed event, handed to the handler.
pub struct Job<E> {
    /// The typed event, parsed from the stored bytes.
    pub event: E,
    /// The raw body, exactly as received and verified.
    pub raw: Vec<u8>,
    /// The idempotency key.
    pub key: String,
    /// The stored event's id.
    pub id: i64,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// When the request was first received.
    pub received_at: DateTime<Utc>,
    token: i64,
    inbox: Inbox,
    lease: Duration,
}

impl<E> Job<E> {
    /// This claim's fencing token.
    #[must_use]
    pub fn token(&self) -> i64 {
        self.token
    }

    /// Extends the lease to a full lease from now, for a long handler. `false`
    /// means the claim was lost (the lease expired and another worker took the
    /// event): stop, the result will not count.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn heartbeat(&self) -> Result<bool, StoreError> {
        self.inbox.store().heartbeat(self.id, self.token, add(self.inbox.now(), self.lease)).await
    }
}

impl<E: fmt::Debug> fmt::Debug for Job<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("attempt", &self.attempt)
            .field("token", &self.token)
            .field("event", &self.event)
            .finish_non_exhaustive()
    }
}

/// What one [`Worker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Events claimed.
    pub claimed: u32,
    /// Handled and marked done.
    pub done: u32,
    /// Failed, to be retried after a backoff.
    pub retried: u32,
    /// Failed on the last attempt (or did not parse): dead-lettered.
    pub dead: u32,
    /// Finished after losing the claim: the outcome was refused (fenced) and changed nothing.
    pub fenced: u32,
}

/// A worker for provider `P`'s events.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use hookseal_inbox::{Inbox, MemoryStore, Worker};
/// use hookseal_core::{Toran, WebhookEvent};
///
/// let inbox = Inbox::new(MemoryStore::new());
/// let worker = Worker::<Toran>::new(inbox).max_attempts(5);
/// let report = worker
///     .run_once(|job| async move {
///         println!("{} {}", job.event.name(), job.key);
///         Ok(())
///     })
///     .await?;
/// assert_eq!(report.claimed, 0);
/// # Ok(()) }
/// ```
#[must_use]
pub struct Worker<P: Provider> {
    inbox: Inbox,
    lease: Duration,
    batch: u32,
    max_attempts: u32,
    backoff: Backoff,
    idle: Duration,
    provider: PhantomData<fn() -> P>,
}

impl<P: Provider> Worker<P> {
    /// A worker with the defaults: [`DEFAULT_LEASE`], batches of 16,
    /// [`DEFAULT_MAX_ATTEMPTS`], the default [`Backoff`], polling every 500 ms when idle.
    pub fn new(inbox: Inbox) -> Self {
        Self {
            inbox,
            lease: DEFAULT_LEASE,
            batch: 16,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: Backoff::default(),
            idle: Duration::from_millis(500),
            provider: PhantomData,
        }
    }

    /// How long a claim holds before another worker may take the event over.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How many events one claim takes.
    pub fn batch(mut self, events: u32) -> Self {
        self.batch = events.max(1);
        self
    }

    /// How many attempts before the event is dead-lettered (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delays between attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long [`run`](Self::run) waits when there is nothing to do.
    pub fn idle_poll(mut self, every: Duration) -> Self {
        self.idle = every;
        self
    }

    /// The inbox.
    #[must_use]
    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// Claims up to a batch of events (the low-level step under [`run_once`](Self::run_once)).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn claim(&self) -> Result<Vec<Claim>, StoreError> {
        let request = ClaimRequest {
            provider: P::NAME.to_owned(),
            now: self.inbox.now(),
            lease: self.lease,
            limit: self.batch,
            max_attempts: self.max_attempts,
        };
        self.inbox.store().claim(request).await
    }

    /// Claims a batch and runs `handler` on each event, one after the other.
    /// `Ok` marks the event done; `Err` retries it after a backoff, or
    /// dead-letters it on the last attempt. A body that no longer parses is
    /// dead-lettered without calling the handler.
    ///
    /// The handler may run more than once for an event (after a crash, or a
    /// lease that expired): make its effects idempotent, or use
    /// [`run_once_tx`](Self::run_once_tx).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed (the claims then expire and are retried).
    pub async fn run_once<F, Fut>(&self, mut handler: F) -> Result<Report, StoreError>
    where
        F: FnMut(Job<P::Event>) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let mut report = Report::default();
        for claim in self.claim().await? {
            report.claimed += 1;
            let Some(job) = self.job(&claim, &mut report).await? else { continue };
            match metrics::timed(P::NAME, handler(job)).await {
                Ok(()) => {
                    if self.inbox.store().settle(self.settlement(&claim, Verdict::Done, None)).await? {
                        report.done += 1;
                        metrics::settled(P::NAME, AttemptOutcome::Done);
                    } else {
                        report.fenced += 1;
                        metrics::settled(P::NAME, AttemptOutcome::Fenced);
                    }
                }
                Err(err) => self.failed(&claim, err.to_string(), &mut report).await?,
            }
        }
        Ok(report)
    }

    /// Like [`run_once`](Self::run_once), for a handler that writes to the
    /// inbox's own database: it gets a transaction on `pool` and gives it back,
    /// and the done-mark is written in that same transaction before it
    /// commits. Either the handler's writes and the done-mark both commit, or
    /// neither does; a worker whose claim was lost (fenced) rolls its writes
    /// back. So the effects happen exactly once.
    ///
    /// `pool` must be the inbox's own database ([`SqliteStore::pool`](crate::SqliteStore::pool),
    /// [`PgStore::pool`](crate::PgStore::pool)). On SQLite the transaction holds
    /// the database's single write lock from its first write to its commit, so
    /// keep slow work (and [`Job::heartbeat`], which writes on another
    /// connection) before the first write; a commit that fails counts as a failed attempt.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn run_once_tx<DB, F, Fut>(&self, pool: &Pool<DB>, mut handler: F) -> Result<Report, StoreError>
    where
        DB: TxDatabase,
        F: FnMut(Job<P::Event>, Transaction<'static, DB>) -> Fut,
        Fut: Future<Output = Result<Transaction<'static, DB>, HandlerError>>,
    {
        let mut report = Report::default();
        for claim in self.claim().await? {
            report.claimed += 1;
            let Some(job) = self.job(&claim, &mut report).await? else { continue };
            let (id, token) = (job.id, job.token);
            let tx = pool.begin().await?;
            let outcome = match metrics::timed(P::NAME, handler(job, tx)).await {
                Ok(mut tx) => match DB::mark_done(&mut tx, id, token, self.inbox.now()).await {
                    Ok(true) => tx.commit().await.map(|()| true).map_err(|err| err.to_string()),
                    Ok(false) => tx.rollback().await.map(|()| false).map_err(|err| err.to_string()),
                    Err(err) => Err(err.to_string()),
                },
                Err(err) => Err(err.to_string()),
            };
            match outcome {
                Ok(true) => {
                    report.done += 1;
                    metrics::settled(P::NAME, AttemptOutcome::Done);
                }
                Ok(false) => {
                    report.fenced += 1;
                    metrics::settled(P::NAME, AttemptOutcome::Fenced);
                }
                Err(err) => self.failed(&claim, err, &mut report).await?,
            }
        }
        Ok(report)
    }

    /// Runs [`run_once`](Self::run_once) until `shutdown` completes, waiting
    /// [`idle_poll`](Self::idle_poll) when there was nothing to do (or the store failed).
    pub async fn run<F, Fut>(&self, mut handler: F, shutdown: impl Future<Output = ()>)
    where
        F: FnMut(Job<P::Event>) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let pause = match self.run_once(&mut handler).await {
                Ok(report) if report.claimed > 0 => Duration::ZERO,
                Ok(_) => self.idle,
                Err(_err) => {
                    tracing::warn!(provider = P::NAME, error = %_err, "inbox worker could not reach the store");
                    self.idle
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Runs [`run_once_tx`](Self::run_once_tx) until `shutdown` completes, like [`run`](Self::run).
    pub async fn run_tx<DB, F, Fut>(&self, pool: &Pool<DB>, mut handler: F, shutdown: impl Future<Output = ()>)
    where
        DB: TxDatabase,
        F: FnMut(Job<P::Event>, Transaction<'static, DB>) -> Fut,
        Fut: Future<Output = Result<Transaction<'static, DB>, HandlerError>>,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let pause = match self.run_once_tx(pool, &mut handler).await {
                Ok(report) if report.claimed > 0 => Duration::ZERO,
                Ok(_) => self.idle,
                Err(_err) => {
                    tracing::warn!(provider = P::NAME, error = %_err, "inbox worker could not reach the store");
                    self.idle
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Parses a claim into a job; a body that does not parse is dead-lettered.
    async fn job(&self, claim: &Claim, report: &mut Report) -> Result<Option<Job<P::Event>>, StoreError> {
        let stored = &claim.event;
        match P::Event::from_slice(&stored.body) {
            Ok(event) => Ok(Some(Job {
                event,
                raw: stored.body.clone(),
                key: stored.idempotency_key.clone(),
                id: stored.id,
                attempt: stored.attempts,
                received_at: stored.received_at,
                token: claim.token,
                inbox: self.inbox.clone(),
                lease: self.lease,
            })),
            Err(err) => {
                let error = format!("body did not parse: {err}");
                if self.inbox.store().fail(stored.id, claim.token, error, None, self.inbox.now()).await? {
                    report.dead += 1;
                    metrics::settled(P::NAME, AttemptOutcome::Dead);
                } else {
                    report.fenced += 1;
                    metrics::settled(P::NAME, AttemptOutcome::Fenced);
                }
                Ok(None)
            }
        }
    }

    /// Settles a failed attempt: retry after a backoff, or dead on the last attempt.
    async fn failed(&self, claim: &Claim, error: String, report: &mut Report) -> Result<(), StoreError> {
        let attempt = claim.event.attempts;
        let now = self.inbox.now();
        let retry_at = (attempt < self.max_attempts).then(|| add(now, self.backoff.delay(attempt)));
        let dead = retry_at.is_none();
        let verdict = retry_at.map_or(Verdict::Dead, Verdict::RetryAt);
        if self.inbox.store().settle(self.settlement(claim, verdict, Some(error))).await? {
            if dead {
                report.dead += 1;
                metrics::settled(P::NAME, AttemptOutcome::Dead);
            } else {
                report.retried += 1;
                metrics::settled(P::NAME, AttemptOutcome::Retry);
            }
        } else {
            report.fenced += 1;
            metrics::settled(P::NAME, AttemptOutcome::Fenced);
        }
        Ok(())
    }

    /// The settlement of `claim`'s attempt (recorded in the event's attempt history).
    fn settlement(&self, claim: &Claim, verdict: Verdict, error: Option<String>) -> Settlement {
        let now = self.inbox.now();
        let started = claim.event.lease_until.map_or(now, |until| crate::clock::sub(until, self.lease));
        Settlement::new(claim.event.id, claim.token, claim.event.attempts, started, now, verdict, error)
    }
}

impl<P: Provider> fmt::Debug for Worker<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("provider", &P::NAME)
            .field("lease", &self.lease)
            .field("batch", &self.batch)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

/// A database a transactional handler can use: [`sqlx::Sqlite`] or [`sqlx::Postgres`].
pub trait TxDatabase: sqlx::Database + sealed::Sealed {
    /// Marks a claimed event done on `conn`; `false` if fenced.
    #[doc(hidden)]
    fn mark_done(
        conn: &mut Self::Connection,
        id: i64,
        token: i64,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, sqlx::Error>>;
}

impl TxDatabase for sqlx::Sqlite {
    fn mark_done(
        conn: &mut Self::Connection,
        id: i64,
        token: i64,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
        crate::sqlite::mark_done(conn, id, token, now).boxed()
    }
}

impl TxDatabase for sqlx::Postgres {
    fn mark_done(
        conn: &mut Self::Connection,
        id: i64,
        token: i64,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
        crate::postgres::mark_done(conn, id, token, now).boxed()
    }
}
