//! A provider-agnostic worker: raw bytes of any provider or scheme, many in
//! flight at once, every attempt recorded in the event's history.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::backoff::Backoff;
use crate::clock::add;
use crate::error::StoreError;
use crate::inbox::Inbox;
use crate::metrics;
use crate::query::{AttemptOutcome, Settlement, Verdict};
use crate::record::{Claim, ClaimRequest};
use crate::worker::{DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, HandlerError, Report};

/// The default number of events an [`AnyWorker`] handles at once: 16.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// What the error of an attempt interrupted by [`AnyWorker::run`]'s shutdown says.
const INTERRUPTED: &str = "interrupted by shutdown before an answer";

/// One claimed event of any provider: its raw bytes and what was stored with them.
#[derive(Clone)]
#[non_exhaustive]
pub struct AnyJob {
    /// The stored event's id.
    pub id: i64,
    /// The provider's (or scheme's) short name.
    pub provider: String,
    /// The event's name.
    pub event_name: String,
    /// The idempotency key.
    pub key: String,
    /// The raw body, exactly as received and verified.
    pub raw: Vec<u8>,
    /// The request headers kept with the event.
    pub headers: Vec<(String, String)>,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// When the request was first received.
    pub received_at: DateTime<Utc>,
    /// When this attempt started (the claim's time).
    pub started_at: DateTime<Utc>,
    token: i64,
}

impl AnyJob {
    fn from_claim(claim: Claim, started_at: DateTime<Utc>) -> Self {
        let event = claim.event;
        Self {
            id: event.id,
            provider: event.provider,
            event_name: event.event_name,
            key: event.idempotency_key,
            raw: event.body,
            headers: event.headers,
            attempt: event.attempts,
            received_at: event.received_at,
            started_at,
            token: claim.token,
        }
    }

    /// This claim's fencing token.
    #[must_use]
    pub fn token(&self) -> i64 {
        self.token
    }
}

impl fmt::Debug for AnyJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyJob")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("event_name", &self.event_name)
            .field("key", &self.key)
            .field("attempt", &self.attempt)
            .field("body_len", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// What became of one attempt, as handed to [`AnyWorker::on_settled`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settled {
    /// The job that was attempted.
    pub job: AnyJob,
    /// How the attempt ended.
    pub outcome: AttemptOutcome,
    /// For [`AttemptOutcome::Retry`]: when the next attempt may start.
    pub retry_at: Option<DateTime<Utc>>,
    /// The failure, if any.
    pub error: Option<String>,
}

type Observer = Arc<dyn Fn(&Settled) + Send + Sync>;

/// A worker for the events of any set of providers, handed raw bytes: what a
/// gateway forwarding every provider's events needs.
///
/// Each attempt is settled with [`Store::settle`](crate::Store::settle): the
/// verdict (fenced by the claim's token) and the attempt's history row in one
/// transaction. [`run`](Self::run) keeps up to [`concurrency`](Self::concurrency)
/// handlers in flight, claims as slots free up, and on shutdown lets the
/// in-flight ones finish within a grace period, then gives their events back.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use hookseal_inbox::{AnyWorker, Inbox, MemoryStore};
///
/// let inbox = Inbox::new(MemoryStore::new());
/// let worker = AnyWorker::new(inbox, ["toran", "tuco"]).max_attempts(5);
/// let report = worker
///     .run_once(|job| async move {
///         println!("{} {} {} bytes", job.provider, job.key, job.raw.len());
///         Ok(())
///     })
///     .await?;
/// assert_eq!(report.claimed, 0);
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Clone)]
pub struct AnyWorker {
    inbox: Inbox,
    providers: Arc<[String]>,
    next_provider: Arc<AtomicUsize>,
    lease: Duration,
    max_attempts: u32,
    backoff: Backoff,
    idle: Duration,
    concurrency: usize,
    wake: Arc<Notify>,
    observer: Option<Observer>,
}

impl AnyWorker {
    /// A worker for `providers`' events with the defaults: [`DEFAULT_LEASE`],
    /// [`DEFAULT_MAX_ATTEMPTS`], the default [`Backoff`], [`DEFAULT_CONCURRENCY`],
    /// polling every second when idle (or sooner when [`waker`](Self::waker) is notified).
    pub fn new<S: Into<String>>(inbox: Inbox, providers: impl IntoIterator<Item = S>) -> Self {
        Self {
            inbox,
            providers: providers.into_iter().map(Into::into).collect(),
            next_provider: Arc::new(AtomicUsize::new(0)),
            lease: DEFAULT_LEASE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: Backoff::default(),
            idle: Duration::from_secs(1),
            concurrency: DEFAULT_CONCURRENCY,
            wake: Arc::new(Notify::new()),
            observer: None,
        }
    }

    /// How long a claim holds before another worker may take the event over
    /// (keep it well above the handler's longest run).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
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

    /// How many events are handled at once (at least 1).
    pub fn concurrency(mut self, events: usize) -> Self {
        self.concurrency = events.max(1);
        self
    }

    /// Called after every settled attempt (for a log line per attempt).
    pub fn on_settled(mut self, observer: impl Fn(&Settled) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Notify this after storing an event to end an idle wait at once.
    #[must_use]
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// The inbox.
    #[must_use]
    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// Claims up to `limit` ready events, taking the providers in turn (each
    /// call starts from the next provider, so none starves).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn claim(&self, limit: u32) -> Result<Vec<Claim>, StoreError> {
        let n = self.providers.len();
        let mut claims = Vec::new();
        if n == 0 {
            return Ok(claims);
        }
        let first = self.next_provider.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let left = limit.saturating_sub(u32::try_from(claims.len()).unwrap_or(u32::MAX));
            if left == 0 {
                break;
            }
            let request = ClaimRequest {
                provider: self.providers[(first + i) % n].clone(),
                now: self.inbox.now(),
                lease: self.lease,
                limit: left,
                max_attempts: self.max_attempts,
            };
            claims.extend(self.inbox.store().claim(request).await?);
        }
        Ok(claims)
    }

    /// Settles one attempt: done on `Ok`, otherwise retried after a backoff or
    /// dead on the last attempt; recorded in the history. Returns what happened
    /// ([`AttemptOutcome::Fenced`] if the claim was lost meanwhile).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed (the lease then expires and the event is retried).
    pub async fn settle(&self, job: &AnyJob, result: Result<(), String>) -> Result<Settled, StoreError> {
        let now = self.inbox.now();
        let (verdict, error) = match result {
            Ok(()) => (Verdict::Done, None),
            Err(error) if job.attempt < self.max_attempts => {
                (Verdict::RetryAt(add(now, self.backoff.delay(job.attempt))), Some(error))
            }
            Err(error) => (Verdict::Dead, Some(error)),
        };
        let settlement = Settlement::new(job.id, job.token, job.attempt, job.started_at, now, verdict, error);
        let error = settlement.error.clone();
        let outcome = if self.inbox.store().settle(settlement.clone()).await? {
            settlement.outcome()
        } else {
            AttemptOutcome::Fenced
        };
        let retry_at = match (outcome, verdict) {
            (AttemptOutcome::Retry, Verdict::RetryAt(at)) => Some(at),
            _ => None,
        };
        metrics::settled(&job.provider, outcome);
        let settled = Settled { job: job.clone(), outcome, retry_at, error };
        if let Some(observer) = &self.observer {
            observer(&settled);
        }
        Ok(settled)
    }

    /// Claims up to [`concurrency`](Self::concurrency) events, runs `handler`
    /// on them concurrently, and settles each.
    ///
    /// The handler may run more than once for an event (after a crash, or a
    /// lease that expired): what it does must tolerate a repeat.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store failed.
    pub async fn run_once<F, Fut>(&self, handler: F) -> Result<Report, StoreError>
    where
        F: Fn(AnyJob) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let started = self.inbox.now();
        let claims = self.claim(u32::try_from(self.concurrency).unwrap_or(u32::MAX)).await?;
        let jobs: Vec<AnyJob> = claims.into_iter().map(|c| AnyJob::from_claim(c, started)).collect();
        let results =
            futures_util::future::join_all(jobs.iter().map(|job| metrics::timed(&job.provider, handler(job.clone()))))
                .await;
        let mut report = Report::default();
        for (job, result) in jobs.iter().zip(results) {
            report.claimed += 1;
            let settled = self.settle(job, result.map_err(|e| e.to_string())).await?;
            count(&mut report, settled.outcome);
        }
        Ok(report)
    }

    /// Handles events until `shutdown` completes, up to
    /// [`concurrency`](Self::concurrency) at once, claiming as slots free up.
    ///
    /// On shutdown it stops claiming and waits up to `grace` for the handlers
    /// in flight; those still running then are stopped and their events given
    /// back (ready again at once, the interrupted attempt recorded as a retry),
    /// so another worker need not wait for their leases to expire.
    pub async fn run<F, Fut>(&self, handler: F, shutdown: impl Future<Output = ()>, grace: Duration)
    where
        F: Fn(AnyJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let in_flight: Arc<Mutex<HashMap<i64, AnyJob>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            while tasks.try_join_next().is_some() {}
            let first = tokio::select! {
                () = &mut shutdown => break,
                slot = Arc::clone(&slots).acquire_owned() => match slot { Ok(slot) => slot, Err(_) => break },
            };
            let free = 1 + slots.available_permits();
            let started = self.inbox.now();
            let claims = match self.claim(u32::try_from(free).unwrap_or(u32::MAX)).await {
                Ok(claims) => claims,
                Err(_err) => {
                    tracing::warn!(error = %_err, "inbox worker could not reach the store");
                    Vec::new()
                }
            };
            if claims.is_empty() {
                drop(first);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.idle) => {}
                }
                continue;
            }
            let mut first = Some(first);
            for claim in claims {
                let slot = match first.take() {
                    Some(slot) => slot,
                    // Only this loop takes slots, and `free` were free: this does not wait.
                    None => match Arc::clone(&slots).acquire_owned().await {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                };
                let job = AnyJob::from_claim(claim, started);
                lock(&in_flight).insert(job.id, job.clone());
                let (worker, handler, in_flight) = (self.clone(), Arc::clone(&handler), Arc::clone(&in_flight));
                tasks.spawn(async move {
                    let result = metrics::timed(&job.provider, handler(job.clone())).await.map_err(|e| e.to_string());
                    if let Err(_err) = worker.settle(&job, result).await {
                        tracing::warn!(error = %_err, id = job.id, "could not settle an attempt; its lease will expire");
                    }
                    lock(&in_flight).remove(&job.id);
                    drop(slot);
                });
            }
        }
        // Stop claiming; let the handlers in flight finish within the grace period.
        let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            let left: Vec<AnyJob> = lock(&in_flight).drain().map(|(_, job)| job).collect();
            for job in left {
                let now = self.inbox.now();
                let settlement = Settlement::new(
                    job.id,
                    job.token,
                    job.attempt,
                    job.started_at,
                    now,
                    Verdict::RetryAt(now),
                    Some(INTERRUPTED.to_owned()),
                );
                match self.inbox.store().settle(settlement).await {
                    Ok(true) => metrics::settled(&job.provider, AttemptOutcome::Retry),
                    Ok(false) => metrics::settled(&job.provider, AttemptOutcome::Fenced),
                    Err(_err) => {
                        tracing::warn!(error = %_err, id = job.id, "could not give an event back; its lease will expire");
                    }
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn count(report: &mut Report, outcome: AttemptOutcome) {
    match outcome {
        AttemptOutcome::Done => report.done += 1,
        AttemptOutcome::Retry => report.retried += 1,
        AttemptOutcome::Dead => report.dead += 1,
        AttemptOutcome::Fenced => report.fenced += 1,
    }
}

impl fmt::Debug for AnyWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyWorker")
            .field("providers", &self.providers)
            .field("lease", &self.lease)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}
