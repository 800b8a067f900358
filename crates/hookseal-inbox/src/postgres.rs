//! The PostgreSQL backend: the shared store for several replicas.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, FutureExt as _};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row as _, Transaction};

use crate::clock::{add, to_micros};
use crate::error::StoreError;
use crate::record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, State, StoredEvent};
use crate::sql::{Merged, MergedRow, decode_event};
use crate::store::{LOST_ON_LAST_ATTEMPT, Store};

/// How long ingest waits for a pooled connection before answering `503`: 5 s.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The PostgreSQL [`Store`]: the shared store for several replicas, migrated on open.
///
/// Dedupe is the unique index with `INSERT … ON CONFLICT … DO UPDATE`, so two
/// replicas storing the same delivery at once store it once; claims use
/// `FOR UPDATE SKIP LOCKED`, so workers on every replica share the events.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db`) with a pool of 8, and applies the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the server cannot be reached or the migrations fail.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        Self::connect_with(options, 8).await
    }

    /// Connects with your own options and pool size, and applies the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the server cannot be reached or the migrations fail.
    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(DEFAULT_ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool (your application's), applying the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the migrations cannot be applied.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        migrator().run(&pool).await?;
        Ok(Self { pool })
    }

    /// Uses a pool without touching the database now (nor migrating): for a
    /// pool made with `connect_lazy`, when the schema is known to be there.
    #[must_use]
    pub fn from_pool_unmigrated(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool: for your own queries and for transactional handlers.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn ingest(&self, rows: Vec<NewEvent>) -> Result<Vec<Ingested>, StoreError> {
        // PostgreSQL text holds no NUL: replaced before merging, so keys compare as stored.
        let rows = rows.into_iter().map(pg_text).collect();
        let merged = Merged::new(rows);
        let mut columns = UpsertColumns::with_capacity(merged.rows.len());
        for row in &merged.rows {
            columns.push(row);
        }
        // One statement for the whole batch, its rows in key order (see `Merged`): on its
        // own it is one transaction, committed (and flushed) before the server answers.
        let returned = sqlx::query(
            "INSERT INTO hookseal_inbox_events (provider, idempotency_key, event_name, body, event_header, \
             timestamp_header, received_at_us, last_seen_at_us, state, available_at_us, last_error, finished_at_us, \
             headers, times_seen) \
             SELECT p, k, e, b, eh, th, r, ls, s, r, le, f, h, n FROM UNNEST($1::text[], $2::text[], $3::text[], \
             $4::bytea[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::int8[], \
             $12::text[], $13::int8[]) WITH ORDINALITY AS t(p, k, e, b, eh, th, r, ls, s, le, f, h, n, o) ORDER BY o \
             ON CONFLICT (provider, idempotency_key) DO UPDATE SET \
             times_seen = hookseal_inbox_events.times_seen + excluded.times_seen, \
             last_seen_at_us = GREATEST(hookseal_inbox_events.last_seen_at_us, excluded.last_seen_at_us) \
             RETURNING id, times_seen, provider, idempotency_key",
        )
        .bind(columns.provider)
        .bind(columns.key)
        .bind(columns.event_name)
        .bind(columns.body)
        .bind(columns.event_header)
        .bind(columns.timestamp_header)
        .bind(columns.received)
        .bind(columns.last_seen)
        .bind(columns.state)
        .bind(columns.last_error)
        .bind(columns.finished)
        .bind(columns.headers)
        .bind(columns.times_seen)
        .fetch_all(&self.pool)
        .await?;
        merged.answers_from(&returned)
    }

    async fn claim_now(&self, request: ClaimRequest) -> Result<Vec<Claim>, StoreError> {
        let now = to_micros(request.now);
        let mut tx = self.begin().await?;
        sqlx::query(
            "WITH lost AS (SELECT id FROM hookseal_inbox_events WHERE provider = $3 AND state = 'running' \
             AND lease_until_us <= $2 AND attempts >= $4 FOR UPDATE SKIP LOCKED) \
             UPDATE hookseal_inbox_events e SET state = 'dead', last_error = $1, finished_at_us = $2, \
             lease_until_us = NULL FROM lost WHERE e.id = lost.id",
        )
        .bind(LOST_ON_LAST_ATTEMPT)
        .bind(now)
        .bind(&request.provider)
        .bind(i64::from(request.max_attempts))
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "WITH next AS (SELECT id FROM hookseal_inbox_events WHERE provider = $1 AND \
             ((state = 'ready' AND available_at_us <= $2) OR (state = 'running' AND lease_until_us <= $2)) \
             ORDER BY available_at_us, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             UPDATE hookseal_inbox_events e SET state = 'running', lease_token = e.lease_token + 1, \
             attempts = e.attempts + 1, lease_until_us = $3 FROM next WHERE e.id = next.id \
             RETURNING e.*",
        )
        .bind(&request.provider)
        .bind(now)
        .bind(to_micros(add(request.now, request.lease)))
        .bind(i64::from(request.limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut claims = rows
            .iter()
            .map(|row| decode_event!(row).map(|event| Claim { token: event.lease_token, event }))
            .collect::<Result<Vec<_>, _>>()?;
        claims.sort_by_key(|c| (c.event.available_at, c.event.id));
        Ok(claims)
    }
}

/// The migrations shipped for PostgreSQL (applied by every `open`), for running them yourself.
///
/// Versions are dated (`20261201000001_…`) so they do not collide with yours,
/// and the migrator ignores migrations it does not know (yours); give your own
/// migrator [`set_ignore_missing`](sqlx::migrate::Migrator::set_ignore_missing)
/// if it shares the database.
#[must_use]
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

fn fenced(result: sqlx::postgres::PgQueryResult) -> bool {
    result.rows_affected() == 1
}

impl Store for PgStore {
    fn list(&self, query: crate::ListQuery) -> BoxFuture<'_, Result<crate::Page, StoreError>> {
        crate::postgres_query::list(&self.pool, query).boxed()
    }

    fn attempts(&self, id: i64) -> BoxFuture<'_, Result<Vec<crate::Attempt>, StoreError>> {
        crate::postgres_query::attempts(&self.pool, id).boxed()
    }

    fn settle(&self, settlement: crate::Settlement) -> BoxFuture<'_, Result<bool, StoreError>> {
        crate::postgres_query::settle(&self.pool, settlement).boxed()
    }

    fn rate(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<crate::RatePoint>, StoreError>> {
        crate::postgres_query::rate(&self.pool, since, until).boxed()
    }

    fn ingest_batch(&self, rows: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>> {
        self.ingest(rows).boxed()
    }

    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        self.claim_now(request).boxed()
    }

    fn heartbeat(&self, id: i64, token: i64, lease_until: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        async move {
            let done = sqlx::query(
                "UPDATE hookseal_inbox_events SET lease_until_us = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'",
            )
            .bind(to_micros(lease_until))
            .bind(id)
            .bind(token)
            .execute(&self.pool)
            .await?;
            Ok(fenced(done))
        }
        .boxed()
    }

    fn complete(&self, id: i64, token: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        async move {
            let mut conn = self.pool.acquire().await?;
            Ok(mark_done(&mut conn, id, token, now).await?)
        }
        .boxed()
    }

    fn fail(
        &self,
        id: i64,
        token: i64,
        error: String,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        async move {
            let done = match retry_at {
                Some(at) => sqlx::query(
                    "UPDATE hookseal_inbox_events SET state = 'ready', available_at_us = $1, last_error = $2, \
                     lease_until_us = NULL WHERE id = $3 AND lease_token = $4 AND state = 'running'",
                )
                .bind(to_micros(at)),
                None => sqlx::query(
                    "UPDATE hookseal_inbox_events SET state = 'dead', finished_at_us = $1, last_error = $2, \
                     lease_until_us = NULL WHERE id = $3 AND lease_token = $4 AND state = 'running'",
                )
                .bind(to_micros(now)),
            }
            .bind(text(error))
            .bind(id)
            .bind(token)
            .execute(&self.pool)
            .await?;
            Ok(fenced(done))
        }
        .boxed()
    }

    fn replay(&self, id: i64, now: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        async move {
            let done = sqlx::query(
                "UPDATE hookseal_inbox_events SET state = 'ready', attempts = 0, available_at_us = $1, \
                 lease_until_us = NULL, finished_at_us = NULL WHERE id = $2 AND state IN ('dead', 'done')",
            )
            .bind(to_micros(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
            Ok(fenced(done))
        }
        .boxed()
    }

    fn replay_dead(&self, filter: ReplayFilter, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>> {
        async move {
            let done = sqlx::query(
                "UPDATE hookseal_inbox_events SET state = 'ready', attempts = 0, available_at_us = $1, \
                 lease_until_us = NULL, finished_at_us = NULL WHERE state = 'dead' \
                 AND ($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR event_name = $3)",
            )
            .bind(to_micros(now))
            .bind(filter.provider.map(text))
            .bind(filter.event_name.map(text))
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected())
        }
        .boxed()
    }

    fn purge_done(&self, before: DateTime<Utc>, limit: u32) -> BoxFuture<'_, Result<u64, StoreError>> {
        async move {
            let done = sqlx::query(
                "DELETE FROM hookseal_inbox_events WHERE id IN (SELECT id FROM hookseal_inbox_events \
                 WHERE state = 'done' AND finished_at_us < $1 ORDER BY finished_at_us LIMIT $2)",
            )
            .bind(to_micros(before))
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected())
        }
        .boxed()
    }

    fn counts(&self) -> BoxFuture<'_, Result<Counts, StoreError>> {
        async move {
            let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM hookseal_inbox_events GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
            let mut counts = Counts::default();
            for row in rows {
                let state: String = row.try_get("state")?;
                let n: i64 = row.try_get("n")?;
                counts.add(state.parse().map_err(StoreError::Database)?, u64::try_from(n).unwrap_or(0));
            }
            Ok(counts)
        }
        .boxed()
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        async move {
            let row = sqlx::query("SELECT * FROM hookseal_inbox_events WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|row| decode_event!(&row)).transpose()?)
        }
        .boxed()
    }

    fn find(
        &self,
        provider: String,
        idempotency_key: String,
    ) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        async move {
            let row = sqlx::query("SELECT * FROM hookseal_inbox_events WHERE provider = $1 AND idempotency_key = $2")
                .bind(text(provider))
                .bind(text(idempotency_key))
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|row| decode_event!(&row)).transpose()?)
        }
        .boxed()
    }
}

/// Marks a claimed event done on `conn` (a transaction's connection, for
/// transactional handlers); `false` if fenced.
pub(crate) async fn mark_done(
    conn: &mut sqlx::PgConnection,
    id: i64,
    token: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE hookseal_inbox_events SET state = 'done', finished_at_us = $1, lease_until_us = NULL \
         WHERE id = $2 AND lease_token = $3 AND state = 'running'",
    )
    .bind(to_micros(now))
    .bind(id)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(fenced(done))
}

/// A batch as one array per column, for `UNNEST`.
struct UpsertColumns {
    provider: Vec<String>,
    key: Vec<String>,
    event_name: Vec<String>,
    body: Vec<Vec<u8>>,
    event_header: Vec<Option<String>>,
    timestamp_header: Vec<Option<String>>,
    received: Vec<i64>,
    last_seen: Vec<i64>,
    state: Vec<&'static str>,
    last_error: Vec<Option<String>>,
    finished: Vec<Option<i64>>,
    headers: Vec<Option<String>>,
    times_seen: Vec<i64>,
}

impl UpsertColumns {
    fn with_capacity(rows: usize) -> Self {
        Self {
            provider: Vec::with_capacity(rows),
            key: Vec::with_capacity(rows),
            event_name: Vec::with_capacity(rows),
            body: Vec::with_capacity(rows),
            event_header: Vec::with_capacity(rows),
            timestamp_header: Vec::with_capacity(rows),
            received: Vec::with_capacity(rows),
            last_seen: Vec::with_capacity(rows),
            state: Vec::with_capacity(rows),
            last_error: Vec::with_capacity(rows),
            finished: Vec::with_capacity(rows),
            headers: Vec::with_capacity(rows),
            times_seen: Vec::with_capacity(rows),
        }
    }

    fn push(&mut self, row: &MergedRow) {
        let event = &row.event;
        self.provider.push(event.provider.clone());
        self.key.push(event.idempotency_key.clone());
        self.event_name.push(event.event_name.clone());
        self.body.push(event.body.clone());
        self.event_header.push(event.event_header.clone());
        self.timestamp_header.push(event.timestamp_header.clone());
        self.received.push(row.received_at_us);
        self.last_seen.push(row.last_seen_at_us);
        self.state.push(row.state.as_str());
        self.last_error.push(event.dead_letter.clone());
        self.finished.push((row.state == State::Dead).then_some(row.received_at_us));
        self.headers.push(crate::query::encode_headers(&event.headers));
        self.times_seen.push(row.times_seen);
    }
}

/// `row` with every text column NUL-free ([`text`]).
fn pg_text(mut row: NewEvent) -> NewEvent {
    row.provider = text(row.provider);
    row.idempotency_key = text(row.idempotency_key);
    row.event_name = text(row.event_name);
    row.event_header = row.event_header.map(text);
    row.timestamp_header = row.timestamp_header.map(text);
    row.dead_letter = row.dead_letter.map(text);
    row
}

/// PostgreSQL `text` cannot hold NUL: an authentic body may put `\u0000` in its
/// idempotency key, and one such row must not fail a whole group-commit batch.
/// NUL becomes U+FFFD in every text column (the body, `bytea`, is kept exact).
fn text(value: String) -> String {
    if value.contains('\0') { value.replace('\0', "\u{FFFD}") } else { value }
}
