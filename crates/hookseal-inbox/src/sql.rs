//! What the two SQL backends share: row decoding and error plumbing.

use crate::clock::from_micros;
use crate::record::{NewEvent, StoredEvent};

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

/// Sorts a batch by dedupe key (so that concurrent batches lock keys in the
/// same order and cannot deadlock), remembering where each row came from.
pub(crate) fn sorted(rows: Vec<NewEvent>) -> Vec<(usize, NewEvent)> {
    let mut rows: Vec<_> = rows.into_iter().enumerate().collect();
    rows.sort_by(|(_, a), (_, b)| (&a.provider, &a.idempotency_key).cmp(&(&b.provider, &b.idempotency_key)));
    rows
}
