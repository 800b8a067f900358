//! The schema is shipped as versioned migrations applied on open (idempotently),
//! and the SQLite file is opened in WAL mode with synchronous=FULL and a busy timeout.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use hookseal_inbox::sqlx::{self, Row as _};
use hookseal_inbox::{PgStore, SqliteStore};

/// Every migration the crate ships, in order: the events table, then the query columns and attempt history.
const VERSIONS: [i64; 2] = [20_261_201_000_001, 20_261_201_000_002];

#[tokio::test]
async fn sqlite_pragmas_and_migrations() {
    let dir = common::TempDir::new();
    let path = dir.file("inbox.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let journal: String = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap().get(0);
    let synchronous: i64 = sqlx::query("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap().get(0);
    let busy: i64 = sqlx::query("PRAGMA busy_timeout").fetch_one(&mut *conn).await.unwrap().get(0);
    assert_eq!((journal.as_str(), synchronous, busy), ("wal", 2, 5000), "WAL, FULL (2), 5 s");
    drop(conn);
    drop(store);
    // Opening again applies nothing twice.
    let store = SqliteStore::open(&path).await.unwrap();
    let versions: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, VERSIONS);
}

#[tokio::test]
async fn postgres_migrations_coexist_with_the_applications() {
    let db = common::PgTestDb::create().await;
    let pool = db.pool(2).await;
    // The application's own migration history, with a version hookseal does not know.
    sqlx::query(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, \
         execution_time BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations VALUES (1, 'app', now(), true, '\\x00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    let store = PgStore::from_pool(pool.clone()).await.unwrap();
    drop(store);
    PgStore::from_pool(pool.clone()).await.unwrap();
    let versions: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, VERSIONS[0], VERSIONS[1]]);
    let unique: bool =
        sqlx::query("SELECT indisunique FROM pg_index WHERE indexrelid = 'hookseal_inbox_events_dedupe'::regclass")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
    assert!(unique);
}

/// A batch that fails half way (here a trigger refuses its second row) stores
/// nothing of it, and leaves no transaction open on the pooled connection:
/// the next batch, on the same single connection, commits.
#[tokio::test]
async fn sqlite_failed_batch_is_rolled_back_and_the_connection_reused() {
    use hookseal_inbox::Store as _;
    let dir = common::TempDir::new();
    let store = SqliteStore::open_with(SqliteStore::options(dir.file("inbox.db")), 1).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON hookseal_inbox_events WHEN NEW.idempotency_key = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let failed = store.ingest_batch(vec![row("a-first"), row("boom"), row("c-last")]).await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(store.find("toran".into(), "a-first".into()).await.unwrap().is_none(), "rolled back");
    let next = store.ingest_batch(vec![row("a-first"), row("d-next")]).await.unwrap();
    assert!(next.iter().all(|ingested| ingested.inserted && ingested.times_seen == 1), "{next:?}");
    assert_eq!(store.counts().await.unwrap().ready, 2);
}

/// A batch larger than SQLite's parameter limit allows in one statement
/// (3,000 rows of 13 parameters: 39,000 > 32,766) is stored whole.
#[tokio::test]
async fn sqlite_batch_beyond_the_parameter_limit_is_stored() {
    use hookseal_inbox::{NewEvent, Store as _};
    let dir = common::TempDir::new();
    let store = SqliteStore::open(dir.file("inbox.db")).await.unwrap();
    let rows: Vec<NewEvent> = (0..3000).map(|n| row(&format!("lead-{n}"))).collect();
    let answers = store.ingest_batch(rows).await.unwrap();
    assert_eq!(answers.len(), 3000);
    assert!(answers.iter().all(|a| a.inserted && a.times_seen == 1));
    let ids: std::collections::HashSet<i64> = answers.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 3000);
    assert_eq!(store.counts().await.unwrap().ready, 3000);
}

/// A Toran row for the store tests, keyed `key`.
fn row(key: &str) -> hookseal_inbox::NewEvent {
    hookseal_inbox::NewEvent {
        provider: "toran".into(),
        event_name: "lead.captured".into(),
        idempotency_key: key.into(),
        body: b"{}".to_vec(),
        event_header: None,
        timestamp_header: None,
        received_at: common::t0(),
        dead_letter: None,
        headers: Vec::new(),
    }
}
