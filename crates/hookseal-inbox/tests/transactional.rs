//! Transactional completion on both SQL backends: the handler's writes and the
//! done-mark commit together, or not at all.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{lead, signed, t0, toran};
use hookseal_core::Toran;
use hookseal_inbox::sqlx::{self, Database, Pool, Row as _, Transaction};
use hookseal_inbox::{Clock as _, Inbox, ManualClock, State, Store, TxDatabase, Worker};
use tokio::sync::oneshot;

/// The handler's effect: count how many times each lead was applied.
async fn apply<DB>(tx: &mut Transaction<'static, DB>, key: &str) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(
        "INSERT INTO leads (lead_id, applied) VALUES ($1, 1) ON CONFLICT (lead_id) DO UPDATE SET applied = leads.applied + 1",
    )
    .bind(key.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn applied<DB>(pool: &Pool<DB>, key: &str) -> i64
where
    DB: Database,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    sqlx::query::<DB>("SELECT COALESCE(MAX(applied), 0) FROM leads WHERE lead_id = $1")
        .bind(key.to_owned())
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

macro_rules! tx_suite {
    ($name:ident, $db:ty, $setup:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn writes_and_done_mark_commit_together() {
                let (store, pool, _guard) = $setup.await;
                run_commit_together::<$db, _>(store, pool).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_between_write_and_commit_leaves_neither() {
                let (store, pool, _guard) = $setup.await;
                run_crash::<$db, _>(store, pool).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn stale_worker_writes_are_rolled_back() {
                let (store, pool, _guard) = $setup.await;
                run_stale::<$db, _>(store, pool).await;
            }
        }
    };
}

async fn setup_sqlite() -> (hookseal_inbox::SqliteStore, sqlx::SqlitePool, common::TempDir) {
    let (store, dir) = common::sqlite().await;
    let pool = store.pool().clone();
    sqlx::query("CREATE TABLE leads (lead_id TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    (store, pool, dir)
}

async fn setup_postgres() -> (hookseal_inbox::PgStore, sqlx::PgPool, common::PgTestDb) {
    let (store, db) = common::postgres().await;
    let pool = store.pool().clone();
    sqlx::query("CREATE TABLE leads (lead_id TEXT PRIMARY KEY, applied BIGINT NOT NULL)").execute(&pool).await.unwrap();
    (store, pool, db)
}

tx_suite!(sqlite, sqlx::Sqlite, setup_sqlite());
tx_suite!(postgres, sqlx::Postgres, setup_postgres());

async fn accepted(inbox: &Inbox, id: &str) -> i64 {
    let body = lead(id);
    inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap().id
}

async fn run_commit_together<DB, S>(store: S, pool: Pool<DB>)
where
    DB: TxDatabase,
    S: Store + Clone,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let clock = ManualClock::new(t0());
    let inbox = Inbox::builder(store).clock(clock.clone()).build();
    let id = accepted(&inbox, "lead-tx").await;
    let worker = Worker::<Toran>::new(inbox.clone());
    let report = worker
        .run_once_tx(&pool, |job, mut tx| async move {
            apply(&mut tx, &job.key).await?;
            Ok(tx)
        })
        .await
        .unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(applied(&pool, "lead-tx").await, 1);
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Done);

    // A failing handler: its write is rolled back with the failure.
    let id = accepted(&inbox, "lead-fails").await;
    let report = worker
        .run_once_tx(&pool, |job, mut tx| async move {
            apply(&mut tx, &job.key).await?;
            Err("the CRM refused it".into())
        })
        .await
        .unwrap();
    assert_eq!(report.retried, 1);
    assert_eq!(applied(&pool, "lead-fails").await, 0);
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Ready);
}

async fn run_crash<DB, S>(store: S, pool: Pool<DB>)
where
    DB: TxDatabase,
    S: Store + Clone,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let clock = ManualClock::new(t0());
    let inbox = Inbox::builder(store).clock(clock.clone()).build();
    let id = accepted(&inbox, "lead-crash").await;
    let lease = Duration::from_secs(30);
    // The handler writes, then its task dies before the commit (a panic stands in for the crash).
    let crashing = {
        let (inbox, pool) = (inbox.clone(), pool.clone());
        tokio::spawn(async move {
            Worker::<Toran>::new(inbox)
                .lease(lease)
                .run_once_tx(&pool, |job, mut tx| async move {
                    apply(&mut tx, &job.key).await?;
                    panic!("crash after the write, before the commit");
                    #[allow(unreachable_code)]
                    Ok(tx)
                })
                .await
        })
    };
    assert!(crashing.await.unwrap_err().is_panic());
    assert_eq!(applied(&pool, "lead-crash").await, 0, "the write died with its transaction");
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Running);
    clock.advance(lease + Duration::from_secs(1));
    let report = Worker::<Toran>::new(inbox.clone())
        .run_once_tx(&pool, |job, mut tx| async move {
            apply(&mut tx, &job.key).await?;
            Ok(tx)
        })
        .await
        .unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(applied(&pool, "lead-crash").await, 1, "the retry applied it once");
}

async fn run_stale<DB, S>(store: S, pool: Pool<DB>)
where
    DB: TxDatabase,
    S: Store + Clone,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let clock = ManualClock::new(t0());
    let inbox = Inbox::builder(store).clock(clock.clone()).build();
    let id = accepted(&inbox, "lead-stale").await;
    let lease = Duration::from_secs(30);
    let (go, wait) = oneshot::channel::<()>();
    let (claimed, on_claim) = oneshot::channel::<()>();
    let stale = {
        let (inbox, pool) = (inbox.clone(), pool.clone());
        tokio::spawn(async move {
            let (mut wait, mut claimed) = (Some(wait), Some(claimed));
            Worker::<Toran>::new(inbox)
                .lease(lease)
                .run_once_tx(&pool, move |job, mut tx| {
                    let (wait, claimed) = (wait.take().unwrap(), claimed.take().unwrap());
                    async move {
                        claimed.send(()).unwrap();
                        wait.await.unwrap(); // paused past its lease
                        apply(&mut tx, &job.key).await?;
                        Ok(tx)
                    }
                })
                .await
                .unwrap()
        })
    };
    on_claim.await.unwrap();
    clock.advance(lease + Duration::from_secs(1));
    let report = Worker::<Toran>::new(inbox.clone())
        .run_once_tx(&pool, |job, mut tx| async move {
            apply(&mut tx, &job.key).await?;
            Ok(tx)
        })
        .await
        .unwrap();
    assert_eq!(report.done, 1);
    go.send(()).unwrap();
    let late = stale.await.unwrap();
    assert_eq!((late.fenced, late.done), (1, 0));
    assert_eq!(applied(&pool, "lead-stale").await, 1, "the stale worker's write was rolled back");
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Done);
    let _ = clock.now();
}
