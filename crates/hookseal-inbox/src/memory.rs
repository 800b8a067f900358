//! The in-memory backend: for tests and examples. Nothing survives the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, FutureExt as _};

use crate::clock::add;
use crate::error::StoreError;
use crate::record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, State, StoredEvent};
use crate::store::{LOST_ON_LAST_ATTEMPT, Store};

/// An in-memory [`Store`]: the same behaviour as the SQL backends, without durability.
///
/// Clones share the same events.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: i64,
    rows: BTreeMap<i64, StoredEvent>,
    keys: HashMap<(String, String), i64>,
    attempts: Vec<crate::query::Attempt>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn running_as(row: &StoredEvent, token: i64) -> bool {
    row.state == State::Running && row.lease_token == token
}

impl Store for MemoryStore {
    fn list(&self, query: crate::ListQuery) -> BoxFuture<'_, Result<crate::Page, StoreError>> {
        let inner = self.lock();
        let size = usize::try_from(query.page_size()).unwrap_or(usize::MAX);
        let mut events: Vec<crate::EventSummary> = inner
            .rows
            .values()
            .rev()
            .filter(|row| query.before_id.is_none_or(|before| row.id < before))
            .filter(|row| query.provider.as_ref().is_none_or(|p| *p == row.provider))
            .filter(|row| query.state.is_none_or(|s| s == row.state))
            .filter(|row| query.event_name.as_ref().is_none_or(|e| *e == row.event_name))
            .filter(|row| query.key_contains.as_ref().is_none_or(|k| row.idempotency_key.contains(k.as_str())))
            .take(size.saturating_add(1))
            .map(|row| crate::EventSummary {
                id: row.id,
                provider: row.provider.clone(),
                event_name: row.event_name.clone(),
                idempotency_key: row.idempotency_key.clone(),
                state: row.state,
                attempts: row.attempts,
                times_seen: row.times_seen,
                received_at: row.received_at,
                last_tried_at: inner.attempts.iter().filter(|a| a.event_id == row.id).map(|a| a.started_at).max(),
                finished_at: row.finished_at,
                last_error: row.last_error.clone(),
                body_len: row.body.len() as u64,
            })
            .collect();
        let next = if events.len() > size {
            events.truncate(size);
            events.last().map(|e| e.id)
        } else {
            None
        };
        std::future::ready(Ok(crate::Page { events, next })).boxed()
    }

    fn attempts(&self, id: i64) -> BoxFuture<'_, Result<Vec<crate::Attempt>, StoreError>> {
        let found = self.lock().attempts.iter().filter(|a| a.event_id == id).cloned().collect();
        std::future::ready(Ok(found)).boxed()
    }

    fn settle(&self, settlement: crate::Settlement) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inner = self.lock();
        let s = settlement;
        let Some(row) = inner.rows.get_mut(&s.id) else { return std::future::ready(Ok(false)).boxed() };
        let applied = running_as(row, s.token);
        if applied {
            row.lease_until = None;
            match s.verdict {
                crate::Verdict::Done => {
                    row.state = State::Done;
                    row.finished_at = Some(s.finished_at);
                }
                crate::Verdict::RetryAt(at) => {
                    row.state = State::Ready;
                    row.available_at = at;
                    row.last_error.clone_from(&s.error);
                }
                crate::Verdict::Dead => {
                    row.state = State::Dead;
                    row.finished_at = Some(s.finished_at);
                    row.last_error.clone_from(&s.error);
                }
            }
        }
        let outcome = if applied { s.outcome() } else { crate::AttemptOutcome::Fenced };
        inner.attempts.push(crate::Attempt {
            event_id: s.id,
            attempt: s.attempt,
            started_at: s.started_at,
            finished_at: s.finished_at,
            outcome,
            error: s.error,
        });
        std::future::ready(Ok(applied)).boxed()
    }

    fn rate(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<crate::RatePoint>, StoreError>> {
        use crate::clock::{from_micros, to_micros};
        use crate::query::minute_of;
        let end = minute_of(to_micros(until)).saturating_add(60_000_000);
        let floor = end.saturating_sub(i64::from(crate::MAX_RATE_MINUTES) * 60_000_000);
        let start = minute_of(to_micros(since)).max(floor);
        let mut buckets: BTreeMap<(i64, String), u64> = BTreeMap::new();
        for row in self.lock().rows.values() {
            let at = to_micros(row.received_at);
            if at >= start && at < end {
                *buckets.entry((minute_of(at), row.provider.clone())).or_default() += 1;
            }
        }
        let points = buckets
            .into_iter()
            .map(|((minute, provider), count)| crate::RatePoint { provider, minute: from_micros(minute), count })
            .collect();
        std::future::ready(Ok(points)).boxed()
    }

    fn ingest_batch(&self, rows: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>> {
        let mut inner = self.lock();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let key = (row.provider.clone(), row.idempotency_key.clone());
            if let Some(&id) = inner.keys.get(&key) {
                let stored = inner.rows.get_mut(&id).expect("every key maps to a row");
                stored.times_seen += 1;
                stored.last_seen_at = row.received_at;
                out.push(Ingested { id, inserted: false, times_seen: stored.times_seen });
                continue;
            }
            inner.next_id += 1;
            let id = inner.next_id;
            let dead = row.dead_letter.is_some();
            inner.rows.insert(
                id,
                StoredEvent {
                    id,
                    provider: row.provider,
                    event_name: row.event_name,
                    idempotency_key: row.idempotency_key,
                    body: row.body,
                    event_header: row.event_header,
                    timestamp_header: row.timestamp_header,
                    received_at: row.received_at,
                    last_seen_at: row.received_at,
                    times_seen: 1,
                    state: if dead { State::Dead } else { State::Ready },
                    attempts: 0,
                    available_at: row.received_at,
                    lease_token: 0,
                    lease_until: None,
                    last_error: row.dead_letter,
                    finished_at: dead.then_some(row.received_at),
                    headers: row.headers,
                },
            );
            inner.keys.insert(key, id);
            out.push(Ingested { id, inserted: true, times_seen: 1 });
        }
        std::future::ready(Ok(out)).boxed()
    }

    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        let mut inner = self.lock();
        let now = request.now;
        let mut candidates: Vec<(DateTime<Utc>, i64)> = Vec::new();
        for row in inner.rows.values_mut() {
            if row.provider != request.provider {
                continue;
            }
            let expired = row.state == State::Running && row.lease_until.is_some_and(|until| until <= now);
            if expired && row.attempts >= request.max_attempts {
                row.state = State::Dead;
                row.last_error = Some(LOST_ON_LAST_ATTEMPT.to_owned());
                row.finished_at = Some(now);
                row.lease_until = None;
            } else if expired || (row.state == State::Ready && row.available_at <= now) {
                candidates.push((row.available_at, row.id));
            }
        }
        candidates.sort();
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let claims = candidates
            .into_iter()
            .take(limit)
            .map(|(_, id)| {
                let row = inner.rows.get_mut(&id).expect("candidate exists");
                row.state = State::Running;
                row.lease_token += 1;
                row.attempts += 1;
                row.lease_until = Some(add(now, request.lease));
                Claim { event: row.clone(), token: row.lease_token }
            })
            .collect();
        std::future::ready(Ok(claims)).boxed()
    }

    fn heartbeat(&self, id: i64, token: i64, lease_until: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inner = self.lock();
        let ok = match inner.rows.get_mut(&id) {
            Some(row) if running_as(row, token) => {
                row.lease_until = Some(lease_until);
                true
            }
            _ => false,
        };
        std::future::ready(Ok(ok)).boxed()
    }

    fn complete(&self, id: i64, token: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inner = self.lock();
        let ok = match inner.rows.get_mut(&id) {
            Some(row) if running_as(row, token) => {
                row.state = State::Done;
                row.finished_at = Some(now);
                row.lease_until = None;
                true
            }
            _ => false,
        };
        std::future::ready(Ok(ok)).boxed()
    }

    fn fail(
        &self,
        id: i64,
        token: i64,
        error: String,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inner = self.lock();
        let ok = match inner.rows.get_mut(&id) {
            Some(row) if running_as(row, token) => {
                row.last_error = Some(error);
                row.lease_until = None;
                match retry_at {
                    Some(at) => {
                        row.state = State::Ready;
                        row.available_at = at;
                    }
                    None => {
                        row.state = State::Dead;
                        row.finished_at = Some(now);
                    }
                }
                true
            }
            _ => false,
        };
        std::future::ready(Ok(ok)).boxed()
    }

    fn replay(&self, id: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inner = self.lock();
        let ok = match inner.rows.get_mut(&id) {
            Some(row) if matches!(row.state, State::Dead | State::Done) => {
                reset(row, now);
                true
            }
            _ => false,
        };
        std::future::ready(Ok(ok)).boxed()
    }

    fn replay_dead(&self, filter: ReplayFilter, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>> {
        let mut inner = self.lock();
        let mut n = 0;
        for row in inner.rows.values_mut() {
            if row.state == State::Dead
                && filter.provider.as_ref().is_none_or(|p| *p == row.provider)
                && filter.event_name.as_ref().is_none_or(|e| *e == row.event_name)
            {
                reset(row, now);
                n += 1;
            }
        }
        std::future::ready(Ok(n)).boxed()
    }

    fn purge_done(&self, before: DateTime<Utc>, limit: u32) -> BoxFuture<'_, Result<u64, StoreError>> {
        let mut inner = self.lock();
        let doomed: Vec<i64> = inner
            .rows
            .values()
            .filter(|row| row.state == State::Done && row.finished_at.is_some_and(|at| at < before))
            .map(|row| row.id)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        for id in &doomed {
            if let Some(row) = inner.rows.remove(id) {
                inner.keys.remove(&(row.provider, row.idempotency_key));
                inner.attempts.retain(|a| a.event_id != *id);
            }
        }
        std::future::ready(Ok(doomed.len() as u64)).boxed()
    }

    fn counts(&self) -> BoxFuture<'_, Result<Counts, StoreError>> {
        let inner = self.lock();
        let mut counts = Counts::default();
        for row in inner.rows.values() {
            counts.add(row.state, 1);
        }
        std::future::ready(Ok(counts)).boxed()
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        let row = self.lock().rows.get(&id).cloned();
        std::future::ready(Ok(row)).boxed()
    }

    fn find(
        &self,
        provider: String,
        idempotency_key: String,
    ) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        let inner = self.lock();
        let row = inner.keys.get(&(provider, idempotency_key)).and_then(|id| inner.rows.get(id)).cloned();
        std::future::ready(Ok(row)).boxed()
    }
}

/// Back to ready, now, with a fresh attempt budget.
fn reset(row: &mut StoredEvent, now: DateTime<Utc>) {
    row.state = State::Ready;
    row.attempts = 0;
    row.available_at = now;
    row.lease_until = None;
    row.finished_at = None;
}
