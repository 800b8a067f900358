//! The SQLite backend: one file, WAL, `synchronous=FULL`, a busy timeout.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, FutureExt as _};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row as _, Sqlite, Transaction};

use crate::clock::{add, to_micros};
use crate::error::StoreError;
use crate::record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, State, StoredEvent};
use crate::sql::{Merged, decode_event};
use crate::store::{LOST_ON_LAST_ATTEMPT, Store};

/// How long a connection waits for SQLite's write lock before giving up: 5 s.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite [`Store`], the embedded default: one database file in WAL mode
/// with `synchronous=FULL` (a commit is on disk before it is acknowledged) and
/// a busy timeout, migrated on open.
///
/// Writes take SQLite's write lock up front (`BEGIN IMMEDIATE`), so they queue
/// on the busy timeout instead of failing; the [`Inbox`](crate::Inbox)'s group
/// commit makes concurrent ingests share one transaction.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, and applies the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the file cannot be opened or migrated.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(Self::options(path), 4).await
    }

    /// The connect options [`open`](Self::open) uses: create if missing, WAL,
    /// `synchronous=FULL`, [`DEFAULT_BUSY_TIMEOUT`], foreign keys on.
    #[must_use]
    pub fn options(path: impl AsRef<Path>) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(DEFAULT_BUSY_TIMEOUT)
            .foreign_keys(true)
            .statement_cache_capacity(STATEMENT_CACHE)
    }

    /// Opens with your own options and pool size, and applies the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be opened or migrated.
    pub async fn open_with(options: SqliteConnectOptions, max_connections: u32) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            // A local file does not go stale: no ping before every use (it costs a round trip to
            // the connection's thread on every commit).
            .test_before_acquire(false)
            .acquire_timeout(DEFAULT_BUSY_TIMEOUT)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// Opens an SQLite URL such as `sqlite://inbox.db` with [`options`](Self::options)' settings.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the URL is invalid or the database cannot be opened or migrated.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(DEFAULT_BUSY_TIMEOUT)
            .statement_cache_capacity(STATEMENT_CACHE);
        Self::open_with(options, 4).await
    }

    /// Uses an existing pool (your application's), applying the migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError::Migrate`] if the migrations cannot be applied.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        migrator().run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool: for your own queries and for transactional handlers.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Stores a batch in one round trip to the connection's thread: `BEGIN
    /// IMMEDIATE`, the upserts and `COMMIT` are one multi-statement query, so
    /// the answer comes once the commit (and its fsync) is done. Runs as a task
    /// of its own ([`Store::ingest_batch`]), so that a caller giving up cannot
    /// cut it between `BEGIN` and `COMMIT`; on any error the transaction is
    /// rolled back before the connection goes back to the pool.
    async fn ingest(&self, rows: Vec<NewEvent>) -> Result<Vec<Ingested>, StoreError> {
        let merged = Merged::new(rows);
        let mut returned = Vec::with_capacity(merged.rows.len());
        // At most MAX_TRANSACTION_ROWS a transaction, to stay under SQLite's parameter limit
        // whatever `max_batch` is (each row is answered once its own transaction commits).
        for chunk in merged.rows.chunks(MAX_TRANSACTION_ROWS) {
            let sql = batch_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for row in chunk {
                let event = &row.event;
                query = query
                    .bind(&event.provider)
                    .bind(&event.idempotency_key)
                    .bind(&event.event_name)
                    .bind(&event.body)
                    .bind(&event.event_header)
                    .bind(&event.timestamp_header)
                    .bind(row.received_at_us)
                    .bind(row.last_seen_at_us)
                    .bind(row.state.as_str())
                    .bind(&event.dead_letter)
                    .bind((row.state == State::Dead).then_some(row.received_at_us))
                    .bind(crate::query::encode_headers(&event.headers))
                    .bind(row.times_seen);
            }
            let mut conn = self.pool.acquire().await?;
            match query.fetch_all(&mut *conn).await {
                Ok(rows) => returned.extend(rows),
                Err(err) => {
                    // Whatever ran of the batch is undone; "no transaction is active" is fine too.
                    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                    return Err(err.into());
                }
            }
        }
        merged.answers_from(&returned)
    }

    async fn claim_now(&self, request: ClaimRequest) -> Result<Vec<Claim>, StoreError> {
        let now = to_micros(request.now);
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE hookseal_inbox_events SET state = 'dead', last_error = ?1, finished_at_us = ?2, lease_until_us = NULL \
             WHERE provider = ?3 AND state = 'running' AND lease_until_us <= ?2 AND attempts >= ?4",
        )
        .bind(LOST_ON_LAST_ATTEMPT)
        .bind(now)
        .bind(&request.provider)
        .bind(i64::from(request.max_attempts))
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "UPDATE hookseal_inbox_events SET state = 'running', lease_token = lease_token + 1, \
             attempts = attempts + 1, lease_until_us = ?3 \
             WHERE id IN (SELECT id FROM hookseal_inbox_events WHERE provider = ?1 AND \
             ((state = 'ready' AND available_at_us <= ?2) OR (state = 'running' AND lease_until_us <= ?2)) \
             ORDER BY available_at_us, id LIMIT ?4) \
             RETURNING *",
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

/// The migrations shipped for SQLite (applied by every `open`), for running them yourself.
///
/// Versions are dated (`20261201000001_…`) so they do not collide with yours,
/// and the migrator ignores migrations it does not know (yours); give your own
/// migrator [`set_ignore_missing`](sqlx::migrate::Migrator::set_ignore_missing)
/// if it shares the database.
#[must_use]
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.set_ignore_missing(true);
    migrator
}

/// The most rows one transaction carries: its one upsert statement has 13
/// parameters a row, far below SQLite's 32,766. (One statement, not several:
/// sqlx numbers the parameters of a multi-statement query across statements,
/// and binds a later statement's unused numbers positionally.)
const MAX_TRANSACTION_ROWS: usize = 1024;

/// How many statements each connection keeps prepared: one batch text per
/// batch size seen, beside the other queries.
const STATEMENT_CACHE: usize = 300;

/// `BEGIN IMMEDIATE; INSERT … ON CONFLICT … RETURNING …; …; COMMIT` for a
/// batch of `rows` rows, built once per size (the sizes are bounded by the
/// inbox's largest batch).
fn batch_sql(rows: usize) -> std::sync::Arc<str> {
    static BUILT: std::sync::Mutex<Vec<Option<std::sync::Arc<str>>>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if built.len() <= rows {
        built.resize(rows + 1, None);
    }
    std::sync::Arc::clone(built[rows].get_or_insert_with(|| build_batch_sql(rows).into()))
}

fn build_batch_sql(rows: usize) -> String {
    let mut sql = String::from(
        "BEGIN IMMEDIATE; INSERT INTO hookseal_inbox_events (provider, idempotency_key, event_name, body, \
         event_header, timestamp_header, received_at_us, last_seen_at_us, state, available_at_us, last_error, \
         finished_at_us, headers, times_seen) VALUES ",
    );
    for row in 0..rows {
        let p = row * 13;
        if row > 0 {
            sql.push_str(", ");
        }
        // available_at is the received time (parameter 7 again).
        sql.push_str(&format!(
            "(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7,
            p + 8,
            p + 9,
            p + 7,
            p + 10,
            p + 11,
            p + 12,
            p + 13
        ));
    }
    sql.push_str(
        " ON CONFLICT (provider, idempotency_key) DO UPDATE SET \
         times_seen = hookseal_inbox_events.times_seen + excluded.times_seen, \
         last_seen_at_us = max(hookseal_inbox_events.last_seen_at_us, excluded.last_seen_at_us) \
         RETURNING id, times_seen, provider, idempotency_key; COMMIT;",
    );
    sql
}

fn fenced(result: sqlx::sqlite::SqliteQueryResult) -> bool {
    result.rows_affected() == 1
}

impl Store for SqliteStore {
    fn list(&self, query: crate::ListQuery) -> BoxFuture<'_, Result<crate::Page, StoreError>> {
        crate::sqlite_query::list(&self.pool, query).boxed()
    }

    fn attempts(&self, id: i64) -> BoxFuture<'_, Result<Vec<crate::Attempt>, StoreError>> {
        crate::sqlite_query::attempts(&self.pool, id).boxed()
    }

    fn settle(&self, settlement: crate::Settlement) -> BoxFuture<'_, Result<bool, StoreError>> {
        crate::sqlite_query::settle(&self.pool, settlement).boxed()
    }

    fn rate(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<crate::RatePoint>, StoreError>> {
        crate::sqlite_query::rate(&self.pool, since, until).boxed()
    }

    fn ingest_batch(&self, rows: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>> {
        // A task of its own: dropping this future (a commit timeout) must not cut the
        // multi-statement transaction in two and leave it open on a pooled connection.
        let store = self.clone();
        async move { tokio::spawn(async move { store.ingest(rows).await }).await.unwrap_or(Err(StoreError::Closed)) }
            .boxed()
    }

    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        self.claim_now(request).boxed()
    }

    fn heartbeat(&self, id: i64, token: i64, lease_until: DateTime<Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        async move {
            let done = sqlx::query(
                "UPDATE hookseal_inbox_events SET lease_until_us = ?1 WHERE id = ?2 AND lease_token = ?3 AND state = 'running'",
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
                    "UPDATE hookseal_inbox_events SET state = 'ready', available_at_us = ?1, last_error = ?2, \
                     lease_until_us = NULL WHERE id = ?3 AND lease_token = ?4 AND state = 'running'",
                )
                .bind(to_micros(at)),
                None => sqlx::query(
                    "UPDATE hookseal_inbox_events SET state = 'dead', finished_at_us = ?1, last_error = ?2, \
                     lease_until_us = NULL WHERE id = ?3 AND lease_token = ?4 AND state = 'running'",
                )
                .bind(to_micros(now)),
            }
            .bind(error)
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
                "UPDATE hookseal_inbox_events SET state = 'ready', attempts = 0, available_at_us = ?1, \
                 lease_until_us = NULL, finished_at_us = NULL WHERE id = ?2 AND state IN ('dead', 'done')",
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
                "UPDATE hookseal_inbox_events SET state = 'ready', attempts = 0, available_at_us = ?1, \
                 lease_until_us = NULL, finished_at_us = NULL WHERE state = 'dead' \
                 AND (?2 IS NULL OR provider = ?2) AND (?3 IS NULL OR event_name = ?3)",
            )
            .bind(to_micros(now))
            .bind(filter.provider)
            .bind(filter.event_name)
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
                 WHERE state = 'done' AND finished_at_us < ?1 ORDER BY finished_at_us LIMIT ?2)",
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
            let row = sqlx::query("SELECT * FROM hookseal_inbox_events WHERE id = ?1")
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
            let row = sqlx::query("SELECT * FROM hookseal_inbox_events WHERE provider = ?1 AND idempotency_key = ?2")
                .bind(provider)
                .bind(idempotency_key)
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
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    token: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE hookseal_inbox_events SET state = 'done', finished_at_us = ?1, lease_until_us = NULL \
         WHERE id = ?2 AND lease_token = ?3 AND state = 'running'",
    )
    .bind(to_micros(now))
    .bind(id)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(fenced(done))
}
