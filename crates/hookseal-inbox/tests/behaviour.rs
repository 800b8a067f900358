//! One behaviour suite, run against the three backends: memory, a real SQLite
//! file, and a real PostgreSQL database (created and dropped per test).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{lead, signed, t0, toran, tuco};
use futures_util::future::{BoxFuture, join_all};
use hookseal_core::{Toran, WebhookEvent};
use hookseal_inbox::{
    AcceptError, Backoff, Claim, ClaimRequest, Clock, Counts, Inbox, Ingested, ManualClock, NewEvent, ReplayFilter,
    State, Store, StoreError, StoredEvent, Worker,
};

fn inbox<S: Store + Clone>(store: &S, clock: &ManualClock) -> Inbox {
    Inbox::builder(store.clone()).clock(clock.clone()).build()
}

async fn accept(inbox: &Inbox, id: &str) -> hookseal_inbox::Receipt {
    let body = lead(id);
    inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap()
}

fn counts(ready: u64, running: u64, done: u64, dead: u64) -> (u64, u64, u64, u64) {
    (ready, running, done, dead)
}

fn tuple(c: Counts) -> (u64, u64, u64, u64) {
    (c.ready, c.running, c.done, c.dead)
}

async fn stores_raw_bytes_and_metadata<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    // Odd but valid JSON spacing and key order: stored byte for byte.
    let body = br#"{ "event":"message.reply","timestamp":"2026-04-15T12:00:00Z",  "workspaceId":"org_abc123","data":{"messageId":"msg_xyz789","message":"Yes!"}}"#;
    let mut headers = signed::<hookseal_core::Tuco>(body, "message.reply");
    headers.push(("X-Tuco-Timestamp".into(), "2026-04-15T12:00:01Z".into()));
    let receipt = inbox.accept(&tuco(), &headers, body).await.unwrap();
    assert!(receipt.inserted && !receipt.dead_lettered);
    let row = inbox.get(receipt.id).await.unwrap().unwrap();
    assert_eq!(row.body, body.to_vec());
    assert_eq!(row.provider, "tuco");
    assert_eq!(row.event_name, "message.reply");
    assert_eq!(row.idempotency_key, "msg_xyz789:message.reply");
    assert_eq!(row.event_header.as_deref(), Some("message.reply"));
    assert_eq!(row.timestamp_header.as_deref(), Some("2026-04-15T12:00:01Z"));
    assert_eq!(row.received_at, t0());
    assert_eq!(row.state, State::Ready);
    assert_eq!(row.times_seen, 1);
    assert_eq!(inbox.find("tuco", "msg_xyz789:message.reply").await.unwrap().unwrap().id, receipt.id);
}

async fn duplicate_is_counted_not_stored<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let first = accept(&inbox, "lead-1").await;
    clock.advance(Duration::from_secs(30));
    let again = accept(&inbox, "lead-1").await;
    assert!(first.inserted);
    assert!(!again.inserted);
    assert_eq!((again.id, again.times_seen), (first.id, 2));
    let row = inbox.get(first.id).await.unwrap().unwrap();
    assert_eq!(row.received_at, t0());
    assert_eq!(row.last_seen_at, t0() + chrono::TimeDelta::seconds(30));
    assert_eq!(inbox.counts().await.unwrap().total(), 1);
    // Another provider's event with the same key is a different event.
    let other = accept(&inbox, "lead-2").await;
    assert!(other.inserted && other.id != first.id);
}

async fn concurrent_duplicates_store_once<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let receipts = join_all((0..20).map(|_| accept(&inbox, "lead-race"))).await;
    assert_eq!(receipts.iter().filter(|r| r.inserted).count(), 1);
    assert!(receipts.iter().all(|r| r.id == receipts[0].id));
    let mut seen: Vec<i64> = receipts.iter().map(|r| r.times_seen).collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<_>>());
    assert_eq!(inbox.counts().await.unwrap().total(), 1);
}

async fn unparseable_body_is_dead_lettered<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let body = br#"{"event":"lead.captured","lead_id":42}"#;
    let receipt = inbox.accept(&toran(), &signed::<Toran>(body, "lead.captured"), body).await.unwrap();
    assert!(receipt.dead_lettered && receipt.inserted);
    let row = inbox.get(receipt.id).await.unwrap().unwrap();
    assert_eq!(row.state, State::Dead);
    assert_eq!(row.body, body.to_vec());
    assert_eq!(row.event_name, "lead.captured", "taken from the unsigned event header");
    assert!(row.idempotency_key.starts_with("sha256:") && row.idempotency_key.len() == 7 + 64);
    assert!(row.last_error.as_deref().unwrap().starts_with("body did not parse"), "{:?}", row.last_error);
    // The same bytes again: a duplicate, not a second dead letter.
    let again = inbox.accept(&toran(), &signed::<Toran>(body, "lead.captured"), body).await.unwrap();
    assert_eq!((again.id, again.inserted), (receipt.id, false));

    // A forged request is refused and nothing is stored.
    let mut forged = lead("lead-x");
    let headers = signed::<Toran>(&forged, "lead.captured");
    forged[20] ^= 1;
    let err = inbox.accept(&toran(), &headers, &forged).await.unwrap_err();
    assert!(matches!(err, AcceptError::Rejected(_)));
    assert_eq!(err.status(), 401);
    // An event header contradicting the signed body is refused (400), not stored.
    let body = lead("lead-y");
    let err = inbox.accept(&toran(), &signed::<Toran>(&body, "lead.test"), &body).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(inbox.counts().await.unwrap().total(), 1);
}

async fn nul_in_a_key_does_not_poison_a_batch<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    // JSON may carry NUL as \u0000; PostgreSQL text cannot. Batched with clean rows, all are stored.
    let odd = lead("a\\u0000b");
    let results = join_all((0..8).map(|n| {
        let inbox = inbox.clone();
        let odd = odd.clone();
        async move {
            let body = if n == 3 { odd } else { lead(&format!("clean-{n}")) };
            inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await
        }
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(inbox.counts().await.unwrap().ready, 8);
    let id = results[3].as_ref().unwrap().id;
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!(row.body, odd, "the body is kept byte for byte");
    assert!(inbox.find("toran", "a\0b").await.unwrap().is_some());
    assert!(!inbox.accept(&toran(), &signed::<Toran>(&odd, "lead.captured"), &odd).await.unwrap().inserted);
}

async fn worker_handles_and_marks_done<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let receipt = accept(&inbox, "lead-ok").await;
    let seen = Mutex::new(Vec::new());
    let worker = Worker::<Toran>::new(inbox.clone());
    let report = worker
        .run_once(|job| {
            seen.lock().unwrap().push((job.event.name().to_owned(), job.raw.clone(), job.key.clone(), job.attempt));
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!((report.claimed, report.done), (1, 1));
    assert_eq!(*seen.lock().unwrap(), vec![("lead.captured".to_owned(), lead("lead-ok"), "lead-ok".to_owned(), 1)]);
    let row = inbox.get(receipt.id).await.unwrap().unwrap();
    assert_eq!((row.state, row.finished_at), (State::Done, Some(t0())));
    assert_eq!(worker.run_once(|_| async { Ok(()) }).await.unwrap().claimed, 0);
    // A worker for another provider never sees Toran's events.
    accept(&inbox, "lead-2").await;
    let tuco = Worker::<hookseal_core::Tuco>::new(inbox.clone());
    assert_eq!(tuco.run_once(|_| async { Ok(()) }).await.unwrap().claimed, 0);
}

async fn failures_back_off_then_dead_then_replay<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = accept(&inbox, "lead-fail").await.id;
    let base = Duration::from_secs(10);
    let backoff = Backoff::new(base, Duration::from_secs(25)).seeded(42);
    let worker = Worker::<Toran>::new(inbox.clone()).max_attempts(3).backoff(backoff.clone());
    let calls = AtomicU32::new(0);
    let failing = |_job| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>("downstream CRM said 502".into()) }
    };
    for attempt in 1..=2u32 {
        let report = worker.run_once(failing).await.unwrap();
        assert_eq!((report.claimed, report.retried), (1, 1), "attempt {attempt}");
        let row = inbox.get(id).await.unwrap().unwrap();
        assert_eq!((row.state, row.attempts), (State::Ready, attempt));
        assert_eq!(row.last_error.as_deref(), Some("downstream CRM said 502"));
        let gap = (row.available_at - clock.now()).to_std().unwrap();
        assert!(gap <= backoff.ceiling(attempt), "gap {gap:?} over the ceiling for attempt {attempt}");
        // Not claimable before its time (unless the jitter drew zero).
        if !gap.is_zero() {
            assert_eq!(worker.run_once(failing).await.unwrap().claimed, 0);
        }
        clock.set(row.available_at);
    }
    let report = worker.run_once(failing).await.unwrap();
    assert_eq!((report.claimed, report.dead), (1, 1));
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (State::Dead, 3));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(worker.run_once(failing).await.unwrap().claimed, 0, "dead events are not retried");

    // Replay: only the matching dead events come back, and run once.
    assert_eq!(inbox.replay_dead(Some("toran"), Some("lead.test")).await.unwrap(), 0);
    assert_eq!(inbox.replay_dead(Some("tuco"), None).await.unwrap(), 0);
    assert_eq!(inbox.replay_dead(Some("toran"), Some("lead.captured")).await.unwrap(), 1);
    let ok = AtomicU32::new(0);
    let report = worker
        .run_once(|job| {
            assert_eq!(job.attempt, 1, "a replay starts a fresh attempt budget");
            ok.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(worker.run_once(|_| async { Ok(()) }).await.unwrap().claimed, 0);
    assert_eq!(ok.load(Ordering::SeqCst), 1);
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Done);
}

async fn expired_lease_is_reclaimed_and_stale_worker_fenced<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = accept(&inbox, "lead-lease").await.id;
    let lease = Duration::from_secs(30);
    let stale = Worker::<Toran>::new(inbox.clone()).lease(lease);
    let claims = stale.claim().await.unwrap();
    assert_eq!(claims.len(), 1);
    let old = claims[0].token;
    // Within the lease nobody else gets it.
    clock.advance(Duration::from_secs(29));
    assert!(stale.claim().await.unwrap().is_empty());
    clock.advance(Duration::from_secs(2));
    let fresh = Worker::<Toran>::new(inbox.clone()).lease(lease);
    let tokens = Mutex::new(Vec::new());
    let report = fresh
        .run_once(|job| {
            tokens.lock().unwrap().push((job.token(), job.attempt));
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(report.done, 1);
    let (new, attempt) = tokens.lock().unwrap()[0];
    assert!(new > old);
    assert_eq!(attempt, 2);
    let before = inbox.get(id).await.unwrap().unwrap();
    // The stale worker wakes up: every move it makes is refused.
    let now = clock.now();
    assert!(!inbox.store().heartbeat(id, old, now + chrono::TimeDelta::hours(1)).await.unwrap());
    assert!(!inbox.store().complete(id, old, now).await.unwrap());
    assert!(!inbox.store().fail(id, old, "late".into(), None, now).await.unwrap());
    assert_eq!(inbox.get(id).await.unwrap().unwrap(), before);
    assert_eq!(before.state, State::Done);
}

async fn heartbeat_extends_the_lease<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = accept(&inbox, "lead-long").await.id;
    let worker = Worker::<Toran>::new(inbox.clone()).lease(Duration::from_secs(30));
    let claim = worker.claim().await.unwrap().remove(0);
    clock.advance(Duration::from_secs(20));
    let until = clock.now() + chrono::TimeDelta::seconds(30);
    assert!(inbox.store().heartbeat(id, claim.token, until).await.unwrap());
    clock.advance(Duration::from_secs(20)); // 40 s after the claim, 20 s after the heartbeat
    assert!(worker.claim().await.unwrap().is_empty(), "the extended lease still holds");
    clock.advance(Duration::from_secs(11));
    assert_eq!(worker.claim().await.unwrap().len(), 1, "now it has expired");
    assert!(!inbox.store().complete(id, claim.token, clock.now()).await.unwrap());
}

async fn a_long_handler_extends_its_lease<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    accept(&inbox, "lead-slow").await;
    let lease = Duration::from_secs(30);
    let worker = Worker::<Toran>::new(inbox.clone()).lease(lease);
    let other = Worker::<Toran>::new(inbox.clone()).lease(lease);
    let (clock_in, other) = (clock.clone(), &other);
    let report = worker
        .run_once(|job| {
            let clock = clock_in.clone();
            async move {
                clock.advance(Duration::from_secs(25));
                assert!(job.heartbeat().await?, "still ours: extended");
                clock.advance(Duration::from_secs(25)); // 50 s after the claim
                assert!(other.claim().await?.is_empty(), "the extended lease holds");
                clock.advance(Duration::from_secs(10)); // 35 s after the heartbeat
                assert_eq!(other.claim().await?.len(), 1, "expired: taken over");
                assert!(!job.heartbeat().await?, "fenced: no longer ours");
                Ok(())
            }
        })
        .await
        .unwrap();
    assert_eq!((report.claimed, report.done, report.fenced), (1, 0, 1));
}

async fn lost_on_last_attempt_is_dead<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = accept(&inbox, "lead-poison").await.id;
    let worker = Worker::<Toran>::new(inbox.clone()).lease(Duration::from_secs(5)).max_attempts(1);
    assert_eq!(worker.claim().await.unwrap().len(), 1);
    clock.advance(Duration::from_secs(6));
    assert!(worker.claim().await.unwrap().is_empty());
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!(row.state, State::Dead);
    assert!(row.last_error.unwrap().contains("lease expired"));
}

async fn replay_one_event<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = accept(&inbox, "lead-replay").await.id;
    assert!(!inbox.replay(id).await.unwrap(), "a ready event is not replayed");
    let worker = Worker::<Toran>::new(inbox.clone());
    let claim = worker.claim().await.unwrap().remove(0);
    assert!(!inbox.replay(id).await.unwrap(), "a running event is not replayed");
    assert!(inbox.store().complete(id, claim.token, clock.now()).await.unwrap());
    assert!(inbox.replay(id).await.unwrap());
    assert!(!inbox.replay(id + 1000).await.unwrap());
    let runs = AtomicU32::new(0);
    let report = worker
        .run_once(|_| {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!((report.done, runs.load(Ordering::SeqCst)), (1, 1));
}

async fn retention_purges_old_done_in_bounded_batches<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    for n in 0..5 {
        accept(&inbox, &format!("lead-old-{n}")).await;
    }
    let worker = Worker::<Toran>::new(inbox.clone());
    assert_eq!(worker.run_once(|_| async { Ok(()) }).await.unwrap().done, 5);
    let dead = inbox.accept(&toran(), &signed::<Toran>(b"{}", "x"), b"{}").await.unwrap();
    assert!(dead.dead_lettered);
    clock.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(inbox.purge(10).await.unwrap(), 0, "kept for 30 days");
    // Within the window, a redelivery is still a duplicate.
    assert!(!accept(&inbox, "lead-old-0").await.inserted);
    clock.advance(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(inbox.purge(2).await.unwrap(), 2, "bounded by the batch limit");
    assert_eq!(inbox.purge(10).await.unwrap(), 3);
    assert_eq!(tuple(inbox.counts().await.unwrap()), counts(0, 0, 0, 1), "dead events are kept");
}

async fn counts_per_state<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    assert_eq!(tuple(inbox.counts().await.unwrap()), counts(0, 0, 0, 0));
    for n in 0..4 {
        accept(&inbox, &format!("lead-{n}")).await;
    }
    inbox.accept(&toran(), &signed::<Toran>(b"[]", "x"), b"[]").await.unwrap();
    let worker = Worker::<Toran>::new(inbox.clone()).batch(1);
    worker.run_once(|_| async { Ok(()) }).await.unwrap();
    worker.claim().await.unwrap();
    assert_eq!(tuple(inbox.counts().await.unwrap()), counts(2, 1, 1, 1));
}

/// Records the size of every batch it is given.
#[derive(Clone)]
struct Recording<S> {
    inner: S,
    batches: Arc<Mutex<Vec<usize>>>,
}

impl<S: Store> Store for Recording<S> {
    fn ingest_batch(&self, rows: Vec<NewEvent>) -> BoxFuture<'_, Result<Vec<Ingested>, StoreError>> {
        self.batches.lock().unwrap().push(rows.len());
        self.inner.ingest_batch(rows)
    }
    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        self.inner.claim(request)
    }
    fn heartbeat(
        &self,
        id: i64,
        token: i64,
        until: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.heartbeat(id, token, until)
    }
    fn complete(
        &self,
        id: i64,
        token: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.complete(id, token, now)
    }
    fn fail(
        &self,
        id: i64,
        token: i64,
        error: String,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.fail(id, token, error, retry_at, now)
    }
    fn replay(&self, id: i64, now: chrono::DateTime<chrono::Utc>) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.replay(id, now)
    }
    fn replay_dead(
        &self,
        filter: ReplayFilter,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.replay_dead(filter, now)
    }
    fn purge_done(&self, before: chrono::DateTime<chrono::Utc>, limit: u32) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.purge_done(before, limit)
    }
    fn counts(&self) -> BoxFuture<'_, Result<Counts, StoreError>> {
        self.inner.counts()
    }
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        self.inner.get(id)
    }
    fn find(&self, provider: String, key: String) -> BoxFuture<'_, Result<Option<StoredEvent>, StoreError>> {
        self.inner.find(provider, key)
    }
}

/// One batch straight to the store: more rows than one statement carries, keys
/// out of order, the same key several times in the batch and again in a later
/// batch. Each caller's answer is what storing them one by one would give.
async fn one_batch_with_repeated_keys_answers_each_caller<S: Store + Clone>(store: S) {
    let row = |key: &str, second: i64| NewEvent {
        provider: "toran".into(),
        event_name: "lead.captured".into(),
        idempotency_key: key.into(),
        body: format!("{{\"lead_id\":\"{key}\"}}").into_bytes(),
        event_header: Some("lead.captured".into()),
        timestamp_header: None,
        received_at: t0() + chrono::TimeDelta::seconds(second),
        dead_letter: None,
        headers: Vec::new(),
    };
    // 141 callers over 97 keys: key k appears once, or (every third) twice or three times, scattered.
    let mut keys: Vec<String> = Vec::new();
    for k in (0..97).rev() {
        keys.push(format!("k{k:03}"));
        if k % 3 == 0 {
            keys.insert(keys.len() / 2, format!("k{k:03}"));
        }
        if k % 9 == 0 {
            keys.insert(keys.len() / 3, format!("k{k:03}"));
        }
    }
    assert_eq!(keys.len(), 141);
    let batch: Vec<NewEvent> = keys.iter().enumerate().map(|(n, k)| row(k, n as i64)).collect();
    let answers = store.ingest_batch(batch).await.unwrap();
    assert_eq!(answers.len(), keys.len());
    let mut seen: std::collections::HashMap<&str, (i64, i64)> = std::collections::HashMap::new();
    for (key, answer) in keys.iter().zip(&answers) {
        let entry = seen.entry(key.as_str()).or_insert((answer.id, 0));
        entry.1 += 1;
        assert_eq!(answer.id, entry.0, "{key}: one id for every caller");
        assert_eq!(answer.times_seen, entry.1, "{key}: counted in arrival order");
        assert_eq!(answer.inserted, entry.1 == 1, "{key}: only its first caller created it");
    }
    assert_eq!(seen.len(), 97);
    let ids: std::collections::HashSet<i64> = seen.values().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 97, "distinct keys, distinct rows");
    // The first caller's row is stored; last_seen is the latest caller's.
    let stored = store.find("toran".into(), "k000".into()).await.unwrap().unwrap();
    let first = keys.iter().position(|k| k == "k000").unwrap() as i64;
    let last = keys.iter().rposition(|k| k == "k000").unwrap() as i64;
    assert_eq!(stored.times_seen, 3);
    assert_eq!(stored.received_at, t0() + chrono::TimeDelta::seconds(first));
    assert_eq!(stored.last_seen_at, t0() + chrono::TimeDelta::seconds(last));
    // A later batch: a redelivery of k000 (twice) and a new key.
    let later = store.ingest_batch(vec![row("k000", 500), row("new", 501), row("k000", 502)]).await.unwrap();
    assert_eq!((later[0].id, later[0].inserted, later[0].times_seen), (stored.id, false, 4));
    assert!(later[1].inserted && later[1].times_seen == 1 && !ids.contains(&later[1].id));
    assert_eq!((later[2].id, later[2].inserted, later[2].times_seen), (stored.id, false, 5));
}

async fn group_commit_shares_transactions<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let batches = Arc::new(Mutex::new(Vec::new()));
    let recording = Recording { inner: store, batches: Arc::clone(&batches) };
    // A long linger and batches of 16: 64 concurrent ingests commit in exactly 4 transactions.
    let inbox = Inbox::builder(recording).clock(clock.clone()).max_batch(16).max_wait(Duration::from_secs(30)).build();
    let receipts = join_all((0..64).map(|n| {
        let inbox = inbox.clone();
        async move { accept(&inbox, &format!("lead-{}", n % 48)).await }
    }))
    .await;
    assert_eq!(*batches.lock().unwrap(), vec![16, 16, 16, 16]);
    assert_eq!(receipts.iter().filter(|r| r.inserted).count(), 48);
    assert_eq!(inbox.counts().await.unwrap().ready, 48);
}

macro_rules! suite {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (store, _guard) = crate::common::$backend().await;
                    super::$test(store).await;
                }
            )*
        }
    };
}

macro_rules! suites {
    ($($test:ident),* $(,)?) => {
        suite!(memory: $($test),*);
        suite!(sqlite: $($test),*);
        suite!(postgres: $($test),*);
    };
}

suites!(
    stores_raw_bytes_and_metadata,
    duplicate_is_counted_not_stored,
    concurrent_duplicates_store_once,
    unparseable_body_is_dead_lettered,
    nul_in_a_key_does_not_poison_a_batch,
    worker_handles_and_marks_done,
    failures_back_off_then_dead_then_replay,
    expired_lease_is_reclaimed_and_stale_worker_fenced,
    heartbeat_extends_the_lease,
    a_long_handler_extends_its_lease,
    lost_on_last_attempt_is_dead,
    replay_one_event,
    retention_purges_old_done_in_bounded_batches,
    counts_per_state,
    group_commit_shares_transactions,
    one_batch_with_repeated_keys_answers_each_caller,
);

#[tokio::test(start_paused = true)]
async fn the_sweeper_purges_in_bounded_batches() {
    let clock = ManualClock::new(t0());
    let store = hookseal_inbox::MemoryStore::new();
    let inbox = inbox(&store, &clock);
    for n in 0..5 {
        accept(&inbox, &format!("lead-{n}")).await;
    }
    let worker = Worker::<Toran>::new(inbox.clone());
    assert_eq!(worker.run_once(|_| async { Ok(()) }).await.unwrap().done, 5);
    clock.advance(Duration::from_secs(31 * 24 * 3600));
    let mut seen = Vec::new();
    let sweeper = tokio::spawn(inbox.clone().run_sweeper(Duration::from_secs(3600), 2));
    // Tokio's clock is paused: each sleep lets the sweeper's interval tick, instantly.
    for _ in 0..10 {
        let done = inbox.counts().await.unwrap().done;
        seen.push(done);
        if done == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    sweeper.abort();
    assert_eq!(inbox.counts().await.unwrap().done, 0, "done counts seen: {seen:?}");
}
