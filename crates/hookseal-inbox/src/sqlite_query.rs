//! The SQLite side of the query API: listing, attempt history, settlement with history, rates.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use crate::clock::{from_micros, to_micros};
use crate::error::StoreError;
use crate::query::{
    Attempt, AttemptOutcome, EventSummary, ListQuery, MAX_RATE_MINUTES, Page, RatePoint, Settlement, Verdict, minute_of,
};
use crate::record::State;

pub(crate) async fn list(pool: &sqlx::SqlitePool, query: ListQuery) -> Result<Page, StoreError> {
    let size = query.page_size();
    let rows = sqlx::query(
        "SELECT e.id, e.provider, e.event_name, e.idempotency_key, e.state, e.attempts, e.times_seen, \
         e.received_at_us, e.finished_at_us, e.last_error, length(e.body) AS body_len, \
         (SELECT MAX(a.started_at_us) FROM hookseal_inbox_attempts a WHERE a.event_id = e.id) AS last_tried_us \
         FROM hookseal_inbox_events e \
         WHERE (?1 IS NULL OR e.provider = ?1) AND (?2 IS NULL OR e.state = ?2) \
         AND (?3 IS NULL OR e.event_name = ?3) AND (?4 IS NULL OR instr(e.idempotency_key, ?4) > 0) \
         AND (?5 IS NULL OR e.id < ?5) \
         ORDER BY e.id DESC LIMIT ?6",
    )
    .bind(query.provider)
    .bind(query.state.map(State::as_str))
    .bind(query.event_name)
    .bind(query.key_contains)
    .bind(query.before_id)
    .bind(i64::from(size) + 1)
    .fetch_all(pool)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let state: String = row.try_get("state")?;
        let attempts: i64 = row.try_get("attempts")?;
        let body_len: i64 = row.try_get("body_len")?;
        events.push(EventSummary {
            id: row.try_get("id")?,
            provider: row.try_get("provider")?,
            event_name: row.try_get("event_name")?,
            idempotency_key: row.try_get("idempotency_key")?,
            state: state.parse().map_err(StoreError::Database)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            times_seen: row.try_get("times_seen")?,
            received_at: from_micros(row.try_get("received_at_us")?),
            last_tried_at: row.try_get::<Option<i64>, _>("last_tried_us")?.map(from_micros),
            finished_at: row.try_get::<Option<i64>, _>("finished_at_us")?.map(from_micros),
            last_error: row.try_get("last_error")?,
            body_len: u64::try_from(body_len).unwrap_or(0),
        });
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let next = if events.len() > size {
        events.truncate(size);
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Page { events, next })
}

pub(crate) async fn attempts(pool: &sqlx::SqlitePool, id: i64) -> Result<Vec<Attempt>, StoreError> {
    let rows = sqlx::query(
        "SELECT event_id, attempt, started_at_us, finished_at_us, outcome, error FROM hookseal_inbox_attempts \
         WHERE event_id = ?1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let attempt: i64 = row.try_get("attempt")?;
            let outcome: String = row.try_get("outcome")?;
            Ok(Attempt {
                event_id: row.try_get("event_id")?,
                attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                started_at: from_micros(row.try_get("started_at_us")?),
                finished_at: from_micros(row.try_get("finished_at_us")?),
                outcome: AttemptOutcome::parse(&outcome)
                    .ok_or_else(|| StoreError::Database(format!("unknown attempt outcome `{outcome}`")))?,
                error: row.try_get("error")?,
            })
        })
        .collect()
}

pub(crate) async fn settle(pool: &sqlx::SqlitePool, s: Settlement) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let now = to_micros(s.finished_at);
    let applied = match s.verdict {
        Verdict::Done => sqlx::query(
            "UPDATE hookseal_inbox_events SET state = 'done', finished_at_us = ?1, lease_until_us = NULL \
             WHERE id = ?2 AND lease_token = ?3 AND state = 'running'",
        )
        .bind(now)
        .bind(s.id)
        .bind(s.token),
        Verdict::RetryAt(at) => sqlx::query(
            "UPDATE hookseal_inbox_events SET state = 'ready', available_at_us = ?1, last_error = ?4, \
             lease_until_us = NULL WHERE id = ?2 AND lease_token = ?3 AND state = 'running'",
        )
        .bind(to_micros(at))
        .bind(s.id)
        .bind(s.token)
        .bind(s.error.clone()),
        Verdict::Dead => sqlx::query(
            "UPDATE hookseal_inbox_events SET state = 'dead', finished_at_us = ?1, last_error = ?4, \
             lease_until_us = NULL WHERE id = ?2 AND lease_token = ?3 AND state = 'running'",
        )
        .bind(now)
        .bind(s.id)
        .bind(s.token)
        .bind(s.error.clone()),
    }
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let outcome = if applied { s.outcome() } else { AttemptOutcome::Fenced };
    sqlx::query(
        "INSERT INTO hookseal_inbox_attempts (event_id, attempt, started_at_us, finished_at_us, outcome, error) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM hookseal_inbox_events WHERE id = ?1)",
    )
    .bind(s.id)
    .bind(i64::from(s.attempt))
    .bind(to_micros(s.started_at))
    .bind(now)
    .bind(outcome.as_str())
    .bind(s.error)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(applied)
}

pub(crate) async fn rate(
    pool: &sqlx::SqlitePool,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<RatePoint>, StoreError> {
    let end = minute_of(to_micros(until)).saturating_add(60_000_000);
    let floor = end.saturating_sub(i64::from(MAX_RATE_MINUTES) * 60_000_000);
    let start = minute_of(to_micros(since)).max(floor);
    let rows = sqlx::query(
        "SELECT provider, received_at_us - (received_at_us % 60000000) AS minute, COUNT(*) AS n \
         FROM hookseal_inbox_events WHERE received_at_us >= ?1 AND received_at_us < ?2 \
         GROUP BY provider, minute ORDER BY minute, provider",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let n: i64 = row.try_get("n")?;
            Ok(RatePoint {
                provider: row.try_get("provider")?,
                minute: from_micros(row.try_get("minute")?),
                count: u64::try_from(n).unwrap_or(0),
            })
        })
        .collect()
}
