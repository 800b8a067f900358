//! What the two SQL backends share: row decoding and error plumbing.

use crate::clock::{from_micros, to_micros};
use crate::error::StoreError;
use crate::record::{Ingested, NewEvent, State, StoredEvent};

/// Decodes one `hookseal_inbox_events` row (all columns) from either backend.
macro_rules! decode_event {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        (|| -> Result<crate::record::StoredEvent, sqlx::Error> {
            let state: String = row.try_get("state")?;
            let attempts: i64 = row.try_get("attempts")?;
            crate::sql::assemble(
                crate::sql::Columns {
                    id: row.try_get("id")?,
                    provider: row.try_get("provider")?,
                    idempotency_key: row.try_get("idempotency_key")?,
                    event_name: row.try_get("event_name")?,
                    body: row.try_get("body")?,
                    event_header: row.try_get("event_header")?,
                    timestamp_header: row.try_get("timestamp_header")?,
                    received_at_us: row.try_get("received_at_us")?,
                    last_seen_at_us: row.try_get("last_seen_at_us")?,
                    times_seen: row.try_get("times_seen")?,
                    attempts,
                    available_at_us: row.try_get("available_at_us")?,
                    lease_token: row.try_get("lease_token")?,
                    lease_until_us: row.try_get("lease_until_us")?,
                    last_error: row.try_get("last_error")?,
                    finished_at_us: row.try_get("finished_at_us")?,
                    headers: row.try_get("headers")?,
                },
                &state,
            )
        })()
    }};
}
pub(crate) use decode_event;

/// The raw columns of a row.
pub(crate) struct Columns {
    pub(crate) id: i64,
    pub(crate) provider: String,
    pub(crate) idempotency_key: String,
    pub(crate) event_name: String,
    pub(crate) body: Vec<u8>,
    pub(crate) event_header: Option<String>,
    pub(crate) timestamp_header: Option<String>,
    pub(crate) received_at_us: i64,
    pub(crate) last_seen_at_us: i64,
    pub(crate) times_seen: i64,
    pub(crate) attempts: i64,
    pub(crate) available_at_us: i64,
    pub(crate) lease_token: i64,
    pub(crate) lease_until_us: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) finished_at_us: Option<i64>,
    pub(crate) headers: Option<String>,
}

pub(crate) fn assemble(c: Columns, state: &str) -> Result<StoredEvent, sqlx::Error> {
    Ok(StoredEvent {
        id: c.id,
        provider: c.provider,
        event_name: c.event_name,
        idempotency_key: c.idempotency_key,
        body: c.body,
        event_header: c.event_header,
        timestamp_header: c.timestamp_header,
        received_at: from_micros(c.received_at_us),
        last_seen_at: from_micros(c.last_seen_at_us),
        times_seen: c.times_seen,
        state: state.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        attempts: u32::try_from(c.attempts).unwrap_or(u32::MAX),
        available_at: from_micros(c.available_at_us),
        lease_token: c.lease_token,
        lease_until: c.lease_until_us.map(from_micros),
        last_error: c.last_error,
        finished_at: c.finished_at_us.map(from_micros),
        headers: crate::query::decode_headers(c.headers.as_deref()),
    })
}

/// A group-commit batch with each dedupe key once, sorted by key (so that
/// concurrent batches lock keys in the same order and cannot deadlock), ready
/// for one multi-row upsert.
pub(crate) struct Merged {
    /// One row per distinct (provider, idempotency key): the first caller's,
    /// with `last_seen_at_us` the latest of its callers'.
    pub(crate) rows: Vec<MergedRow>,
    /// For each row, the callers (their places in the batch) it answers, in arrival order.
    callers: Vec<Vec<usize>>,
}

/// One distinct row of a [`Merged`] batch.
pub(crate) struct MergedRow {
    pub(crate) event: NewEvent,
    pub(crate) state: State,
    pub(crate) received_at_us: i64,
    pub(crate) last_seen_at_us: i64,
    /// How many callers of the batch delivered it (the row's `times_seen` increment).
    pub(crate) times_seen: i64,
}

impl Merged {
    /// Merges a batch (each element one caller's row).
    pub(crate) fn new(rows: Vec<NewEvent>) -> Self {
        let len = rows.len();
        let mut order: Vec<(usize, NewEvent)> = rows.into_iter().enumerate().collect();
        // Stable: callers of one key stay in arrival order.
        order.sort_by(|(_, a), (_, b)| (&a.provider, &a.idempotency_key).cmp(&(&b.provider, &b.idempotency_key)));
        let mut merged = Self { rows: Vec::with_capacity(len), callers: Vec::with_capacity(len) };
        for (at, event) in order {
            let received = to_micros(event.received_at);
            if let Some(last) = merged.rows.last_mut()
                && (&last.event.provider, &last.event.idempotency_key) == (&event.provider, &event.idempotency_key)
            {
                last.times_seen += 1;
                last.last_seen_at_us = last.last_seen_at_us.max(received);
                if let Some(callers) = merged.callers.last_mut() {
                    callers.push(at);
                }
                continue;
            }
            let state = if event.dead_letter.is_some() { State::Dead } else { State::Ready };
            merged.rows.push(MergedRow {
                event,
                state,
                received_at_us: received,
                last_seen_at_us: received,
                times_seen: 1,
            });
            merged.callers.push(vec![at]);
        }
        merged
    }

    /// The place of the row with this key.
    fn find(&self, provider: &str, idempotency_key: &str) -> Option<usize> {
        self.rows
            .binary_search_by(|row| {
                (row.event.provider.as_str(), row.event.idempotency_key.as_str()).cmp(&(provider, idempotency_key))
            })
            .ok()
    }

    /// Each caller's answer, from the rows the upsert returned (`id`,
    /// `times_seen`, `provider`, `idempotency_key`, in any order; either backend).
    pub(crate) fn answers_from<R: sqlx::Row>(&self, returned: &[R]) -> Result<Vec<Ingested>, StoreError>
    where
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'n> &'n str: sqlx::ColumnIndex<R>,
    {
        let mut found = vec![None; self.rows.len()];
        for row in returned {
            let provider: String = row.try_get("provider")?;
            let key: String = row.try_get("idempotency_key")?;
            if let Some(at) = self.find(&provider, &key) {
                found[at] = Some((row.try_get("id")?, row.try_get("times_seen")?));
            }
        }
        self.answers(&found)
    }

    /// Each caller's answer, from the (id, times_seen) the upsert returned for
    /// each row (`found[i]` for `rows[i]`): the first caller of a key created
    /// the row if `times_seen` is its callers' count; the others are redeliveries.
    fn answers(&self, found: &[Option<(i64, i64)>]) -> Result<Vec<Ingested>, StoreError> {
        let callers = self.callers.iter().map(Vec::len).sum();
        let mut out = vec![Ingested { id: 0, inserted: false, times_seen: 0 }; callers];
        for ((row, callers), found) in self.rows.iter().zip(&self.callers).zip(found) {
            let Some((id, total)) = *found else {
                return Err(StoreError::Database("the upsert returned no row for an event of the batch".into()));
            };
            let before = total - row.times_seen;
            for (nth, &at) in callers.iter().enumerate() {
                let times_seen = before + 1 + i64::try_from(nth).unwrap_or(i64::MAX);
                out[at] = Ingested { id, inserted: nth == 0 && before == 0, times_seen };
            }
        }
        Ok(out)
    }
}
