//! The one interface the three backends implement.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::error::StoreError;
use crate::query::{Attempt, ListQuery, Page, RatePoint, Settlement, Verdict};
use crate::record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, StoredEvent};

/// Lease expiry message for an event whose worker vanished on its last attempt.
pub(crate) const LOST_ON_LAST_ATTEMPT: &str = "lease expired on the last attempt (worker lost)";

/// A durable store of webhook events: [`SqliteStore`](crate::SqliteStore),
/// [`PgStore`](crate::PgStore) or [`MemoryStore`](crate::MemoryStore).
///
/// Every method that depends on the time takes `now` from the caller (the
/// [`Inbox`](crate::Inbox)'s [`Clock`](crate::Clock)); no backend reads the
/// database's clock. Every method that takes a fencing `token` does nothing
/// (and answers `false`) unless the event is running under that very token.
pub trait Store: Send + Sync + 'static {
    /// Stores `rows` in one transaction (one commit, one fsync), deduplicating
    /// on `(provider, idempotency_key)` with the unique index: a row whose key
    /// is stored already only bumps `times_seen` and `last_seen_at`. The
    /// answers are in the order of `rows`, and exist only once committed.
    fn ingest_batch(&self, rows: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>>;

    /// Claims up to `limit` ready events (and running ones whose lease expired
    /// before `now`), giving each a new fencing token and lease, and counting
    /// the attempt. Expired ones already at `max_attempts` are dead-lettered.
    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>>;

    /// Extends a claim's lease to `lease_until`; `false` if fenced.
    fn heartbeat(&self, id: i64, token: i64, lease_until: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Marks a claimed event done; `false` if fenced.
    fn complete(&self, id: i64, token: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Records a failed attempt: ready again at `retry_at`, or dead if `None`. `false` if fenced.
    fn fail(
        &self,
        id: i64,
        token: i64,
        error: String,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Puts one dead or done event back to ready with its attempts reset; `false`
    /// if there is no such event or it is ready or running.
    fn replay(&self, id: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Puts every dead event matching `filter` back to ready; how many.
    fn replay_dead(&self, filter: ReplayFilter, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Deletes up to `limit` done events finished before `before`; how many.
    fn purge_done(&self, before: DateTime<Utc>, limit: u32) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// How many events are in each state.
    fn counts(&self) -> BoxFuture<'_, Result<Counts, StoreError>>;

    /// One event by id.
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>>;

    /// One event by its dedupe key.
    fn find(&self, provider: String, idempotency_key: String)
    -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>>;

    /// Events matching `query`, newest first (by id), at most
    /// [`query.page_size()`](ListQuery::page_size), with the cursor of the next page.
    ///
    /// The default refuses with [`StoreError::Unsupported`]; the three backends implement it.
    fn list(&self, query: ListQuery) -> BoxFuture<'_, Result<Page, StoreError>> {
        let _ = query;
        Box::pin(std::future::ready(Err(StoreError::Unsupported("list"))))
    }

    /// The attempt history of event `id`, oldest first (empty for an unknown id).
    ///
    /// The default has no history and answers an empty list.
    fn attempts(&self, id: i64) -> BoxFuture<'_, Result<Vec<Attempt>, StoreError>> {
        let _ = id;
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// Applies a worker's verdict on a claimed event, fenced by its token, and
    /// records the attempt in its history, in one transaction. `false` if
    /// fenced: the event is unchanged, and the attempt is recorded as
    /// [`Fenced`](crate::AttemptOutcome::Fenced).
    ///
    /// The default applies the verdict with [`complete`](Self::complete) or
    /// [`fail`](Self::fail), without history.
    fn settle(&self, settlement: Settlement) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            let Settlement { id, token, finished_at, verdict, error, .. } = settlement;
            match verdict {
                Verdict::Done => self.complete(id, token, finished_at).await,
                Verdict::RetryAt(at) => self.fail(id, token, error.unwrap_or_default(), Some(at), finished_at).await,
                Verdict::Dead => self.fail(id, token, error.unwrap_or_default(), None, finished_at).await,
            }
        })
    }

    /// How many events each provider received per minute, for the minutes from
    /// `since`'s to `until`'s (at most [`MAX_RATE_MINUTES`](crate::MAX_RATE_MINUTES)
    /// before `until`), oldest first; minutes without events are left out.
    ///
    /// The default refuses with [`StoreError::Unsupported`]; the three backends implement it.
    fn rate(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<RatePoint>, StoreError>> {
        let _ = (since, until);
        Box::pin(std::future::ready(Err(StoreError::Unsupported("rate"))))
    }
}
