//! A store that is down or too slow gets a 503, never a 2xx.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{lead, signed, toran};
use futures_util::future::{BoxFuture, pending};
use hookseal_core::Toran;
use hookseal_inbox::sqlx::postgres::PgPoolOptions;
use hookseal_inbox::{
    AcceptError, Claim, ClaimRequest, Counts, Inbox, Ingested, NewEvent, PgStore, ReplayFilter, Store, StoreError,
    StoredEvent,
};

#[tokio::test]
async fn postgres_down_answers_503() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap();
    let inbox = Inbox::new(PgStore::from_pool_unmigrated(pool));
    let body = lead("lead-down");
    let err = inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap_err();
    assert!(matches!(err, AcceptError::Store(_)), "{err:?}");
    assert_eq!(err.status(), 503);
    // A bad signature is still a 401, not a 503: verification comes first.
    let err = inbox.accept(&toran(), &signed::<Toran>(b"{}", "x"), &body).await.unwrap_err();
    assert_eq!(err.status(), 401);
}

/// A store that never answers.
struct Stalled;

impl Store for Stalled {
    fn ingest_batch(&self, _: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>> {
        Box::pin(pending())
    }
    fn claim(&self, _: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        Box::pin(pending())
    }
    fn heartbeat(&self, _: i64, _: i64, _: chrono::DateTime<chrono::Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(pending())
    }
    fn complete(&self, _: i64, _: i64, _: chrono::DateTime<chrono::Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(pending())
    }
    fn fail(
        &self,
        _: i64,
        _: i64,
        _: String,
        _: Option<chrono::DateTime<chrono::Utc>>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(pending())
    }
    fn replay(&self, _: i64, _: chrono::DateTime<chrono::Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(pending())
    }
    fn replay_dead(&self, _: ReplayFilter, _: chrono::DateTime<chrono::Utc>) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(pending())
    }
    fn purge_done(&self, _: chrono::DateTime<chrono::Utc>, _: u32) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(pending())
    }
    fn counts(&self) -> BoxFuture<'_, Result<Counts, StoreError>> {
        Box::pin(pending())
    }
    fn get(&self, _: i64) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        Box::pin(pending())
    }
    fn find(&self, _: String, _: String) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        Box::pin(pending())
    }
}

#[tokio::test(start_paused = true)]
async fn slow_store_times_out_with_503() {
    let inbox = Inbox::builder(Stalled).ingest_timeout(Duration::from_millis(800)).build();
    let body = lead("lead-slow");
    let err = inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap_err();
    assert_eq!(err, AcceptError::Store(StoreError::Timeout(Duration::from_millis(800))));
    assert_eq!(err.status(), 503);
}
