//! The behaviour suite's query part, run against the three backends: listing
//! with filters and keyset pages, stored request headers, attempt history,
//! per-minute rates, and the provider-agnostic worker.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{t0, toran};
use hookseal_inbox::{
    AnyWorker, AttemptOutcome, Backoff, HandlerError, Inbox, ListQuery, MAX_ERROR_LEN, MAX_HEADERS, MAX_PAGE,
    ManualClock, NewEvent, Settlement, State, Store, Verdict, keep_headers,
};

fn inbox<S: Store + Clone>(store: &S, clock: &ManualClock) -> Inbox {
    Inbox::builder(store.clone()).clock(clock.clone()).build()
}

fn row(provider: &str, event: &str, key: &str, at: chrono::DateTime<chrono::Utc>) -> NewEvent {
    NewEvent {
        provider: provider.to_owned(),
        event_name: event.to_owned(),
        idempotency_key: key.to_owned(),
        body: format!(r#"{{"key":"{key}"}}"#).into_bytes(),
        event_header: None,
        timestamp_header: None,
        received_at: at,
        dead_letter: None,
        headers: Vec::new(),
    }
}

async fn put(inbox: &Inbox, provider: &str, event: &str, key: &str) -> i64 {
    inbox.ingest(row(provider, event, key, inbox.now())).await.unwrap().id
}

fn ids(page: &hookseal_inbox::Page) -> Vec<i64> {
    page.events.iter().map(|e| e.id).collect()
}

async fn list_newest_first_with_filters<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let a1 = put(&inbox, "toran", "lead.captured", "alpha-1").await;
    let a2 = put(&inbox, "toran", "lead.updated", "alpha-2").await;
    let b1 = put(&inbox, "tuco", "message.reply", "beta-1").await;
    let mut dead = row("github", "push", "gamma-1", inbox.now());
    dead.dead_letter = Some("body did not parse: nope".into());
    let g1 = inbox.ingest(dead).await.unwrap().id;

    let all = inbox.list(ListQuery::new()).await.unwrap();
    assert_eq!(ids(&all), vec![g1, b1, a2, a1], "newest first");
    assert_eq!(all.next, None);
    let first = &all.events[3];
    assert_eq!(
        (first.provider.as_str(), first.event_name.as_str(), first.idempotency_key.as_str()),
        ("toran", "lead.captured", "alpha-1")
    );
    assert_eq!((first.state, first.attempts, first.times_seen, first.received_at), (State::Ready, 0, 1, t0()));
    assert_eq!(first.body_len, br#"{"key":"alpha-1"}"#.len() as u64);
    assert_eq!(first.last_tried_at, None);
    assert_eq!(all.events[0].last_error.as_deref(), Some("body did not parse: nope"));

    assert_eq!(ids(&inbox.list(ListQuery::new().provider("toran")).await.unwrap()), vec![a2, a1]);
    assert_eq!(ids(&inbox.list(ListQuery::new().state(State::Dead)).await.unwrap()), vec![g1]);
    assert_eq!(ids(&inbox.list(ListQuery::new().event_name("lead.updated")).await.unwrap()), vec![a2]);
    assert_eq!(ids(&inbox.list(ListQuery::new().key_contains("alpha")).await.unwrap()), vec![a2, a1]);
    assert_eq!(ids(&inbox.list(ListQuery::new().key_contains("-1")).await.unwrap()), vec![g1, b1, a1]);
    // Taken literally: SQL wildcards match nothing here.
    assert!(inbox.list(ListQuery::new().key_contains("%")).await.unwrap().events.is_empty());
    assert!(inbox.list(ListQuery::new().key_contains("_")).await.unwrap().events.is_empty());
    // An empty search is no filter.
    assert_eq!(inbox.list(ListQuery::new().key_contains("")).await.unwrap().events.len(), 4);
    let both = ListQuery::new().provider("toran").state(State::Ready).key_contains("2");
    assert_eq!(ids(&inbox.list(both).await.unwrap()), vec![a2]);
    assert!(inbox.list(ListQuery::new().provider("nobody")).await.unwrap().events.is_empty());
}

async fn keyset_pages_cover_everything_once<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let mut stored = Vec::new();
    for n in 0..7 {
        stored.push(put(&inbox, "toran", "lead.captured", &format!("k-{n}")).await);
    }
    stored.reverse();
    let mut seen = Vec::new();
    let mut query = ListQuery::new().limit(3);
    let mut pages = 0;
    loop {
        let page = inbox.list(query.clone()).await.unwrap();
        pages += 1;
        assert!(page.events.len() <= 3);
        seen.extend(ids(&page));
        match page.next {
            Some(cursor) => query = query.before(cursor),
            None => break,
        }
        assert!(pages < 10, "pagination must end");
    }
    assert_eq!(seen, stored);
    assert_eq!(pages, 3);
    // A page that ends exactly at the last event says there is no next one.
    let exact = inbox.list(ListQuery::new().limit(7)).await.unwrap();
    assert_eq!((exact.events.len(), exact.next), (7, None));
    // Page sizes are bounded both ways.
    assert_eq!(inbox.list(ListQuery::new().limit(0)).await.unwrap().events.len(), 1);
    assert_eq!(ListQuery::new().limit(u32::MAX).page_size(), MAX_PAGE);
}

async fn headers_are_kept_without_credentials<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let body = common::lead("lead-h");
    let mut request = common::signed::<hookseal_core::Toran>(&body, "lead.captured");
    request.push(("Authorization".into(), "Bearer hunter2".into()));
    request.push(("Cookie".into(), "session=s3cret".into()));
    request.push(("User-Agent".into(), "Toran-Webhooks/1.0".into()));
    let mut new = inbox.prepare(&toran(), &request, &body).unwrap();
    new.headers = keep_headers(request.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let id = inbox.ingest(new).await.unwrap().id;
    let stored = inbox.get(id).await.unwrap().unwrap();
    let names: Vec<&str> = stored.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["x-toran-signature", "x-toran-event", "user-agent"]);
    assert!(stored.headers.contains(&("user-agent".into(), "Toran-Webhooks/1.0".into())));
    assert!(!format!("{:?}", stored.headers).contains("hunter2"));
    assert!(!format!("{:?}", stored.headers).contains("s3cret"));

    // Bounded: many or huge headers are cut.
    let many: Vec<(String, String)> = (0..200).map(|n| (format!("x-h{n}"), "v".repeat(10))).collect();
    let kept = keep_headers(many.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    assert_eq!(kept.len(), MAX_HEADERS);
    let huge = [("x-big", vec![b'a'; 100_000]), ("x-small", b"ok".to_vec())];
    let kept = keep_headers(huge.iter().map(|(n, v)| (*n, v.as_slice())));
    assert!(kept.is_empty(), "a header past the byte bound ends the list");
    // A row without headers reads back with none.
    let bare = put(&inbox, "toran", "lead.captured", "no-headers").await;
    assert!(inbox.get(bare).await.unwrap().unwrap().headers.is_empty());
}

async fn attempts_are_recorded_with_last_tried<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = put(&inbox, "github", "push", "delivery-1").await;
    let worker = AnyWorker::new(inbox.clone(), ["github"])
        .max_attempts(3)
        .backoff(Backoff::new(Duration::from_secs(10), Duration::from_secs(10)).seeded(1));
    let calls = Arc::new(AtomicU32::new(0));
    let handler = {
        let calls = Arc::clone(&calls);
        move |job: hookseal_inbox::AnyJob| {
            let calls = Arc::clone(&calls);
            async move {
                assert_eq!(job.raw, br#"{"key":"delivery-1"}"#.to_vec());
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err::<(), HandlerError>("x".repeat(5000).into())
                } else {
                    Ok(())
                }
            }
        }
    };
    clock.advance(Duration::from_secs(1));
    let first = worker.run_once(&handler).await.unwrap();
    assert_eq!((first.claimed, first.retried), (1, 1));
    let listed = inbox.list(ListQuery::new()).await.unwrap().events.remove(0);
    assert_eq!(listed.last_tried_at, Some(t0() + chrono::TimeDelta::seconds(1)));
    assert_eq!(listed.state, State::Ready);
    clock.advance(Duration::from_secs(11));
    let second = worker.run_once(&handler).await.unwrap();
    assert_eq!((second.claimed, second.done), (1, 1));

    let history = inbox.attempts(id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].attempt, history[0].outcome), (1, AttemptOutcome::Retry));
    assert_eq!(history[0].started_at, t0() + chrono::TimeDelta::seconds(1));
    assert_eq!(history[0].error.as_ref().unwrap().len(), MAX_ERROR_LEN, "error text is bounded");
    assert_eq!((history[1].attempt, history[1].outcome, history[1].error.as_deref()), (2, AttemptOutcome::Done, None));
    assert_eq!(history[1].finished_at, t0() + chrono::TimeDelta::seconds(12));
    let listed = inbox.list(ListQuery::new()).await.unwrap().events.remove(0);
    assert_eq!((listed.state, listed.attempts), (State::Done, 2));
    assert_eq!(listed.last_tried_at, Some(t0() + chrono::TimeDelta::seconds(12)));
    assert!(inbox.attempts(id + 1000).await.unwrap().is_empty());

    // Purged with its event.
    clock.advance(Duration::from_secs(40 * 24 * 3600));
    assert_eq!(inbox.purge(10).await.unwrap(), 1);
    assert!(inbox.attempts(id).await.unwrap().is_empty());
}

async fn stale_settlement_is_fenced_and_recorded<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = put(&inbox, "toran", "lead.captured", "fence-1").await;
    let worker = AnyWorker::new(inbox.clone(), ["toran"]).lease(Duration::from_secs(5));
    let stale = worker.claim(1).await.unwrap().remove(0);
    clock.advance(Duration::from_secs(6));
    let fresh = worker.claim(1).await.unwrap().remove(0);
    assert_ne!(stale.token, fresh.token);
    let late = Settlement::new(id, stale.token, 1, t0(), inbox.now(), Verdict::Done, None);
    assert!(!inbox.store().settle(late).await.unwrap(), "fenced");
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Running);
    let good = Settlement::new(id, fresh.token, 2, inbox.now(), inbox.now(), Verdict::Dead, Some("gave up".into()));
    assert!(inbox.store().settle(good).await.unwrap());
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!((row.state, row.last_error.as_deref()), (State::Dead, Some("gave up")));
    let outcomes: Vec<_> = inbox.attempts(id).await.unwrap().iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, vec![AttemptOutcome::Fenced, AttemptOutcome::Dead]);
}

async fn rate_counts_per_minute_per_provider<S: Store + Clone>(store: S) {
    // t0 is 14:22:31: minutes start at 14:22:00.
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    put(&inbox, "toran", "lead.captured", "r-1").await;
    put(&inbox, "tuco", "message.reply", "r-2").await;
    clock.advance(Duration::from_secs(20)); // 14:22:51
    put(&inbox, "toran", "lead.captured", "r-3").await;
    clock.advance(Duration::from_secs(20)); // 14:23:11
    put(&inbox, "toran", "lead.captured", "r-4").await;
    clock.advance(Duration::from_secs(180)); // 14:26:11
    let minute = |m: u32| -> chrono::DateTime<chrono::Utc> { format!("2026-05-06T14:{m:02}:00Z").parse().unwrap() };
    let points: Vec<_> = inbox.rate(10).await.unwrap().into_iter().map(|p| (p.provider, p.minute, p.count)).collect();
    assert_eq!(
        points,
        vec![("toran".into(), minute(22), 2), ("tuco".into(), minute(22), 1), ("toran".into(), minute(23), 1)]
    );
    // A window of the last 4 minutes (14:23 to 14:26) leaves 14:22 out.
    let recent: Vec<_> = inbox.rate(4).await.unwrap().into_iter().map(|p| (p.minute, p.count)).collect();
    assert_eq!(recent, vec![(minute(23), 1)]);
}

async fn any_worker_serves_every_provider<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    for n in 0..3 {
        put(&inbox, "toran", "lead.captured", &format!("t-{n}")).await;
        put(&inbox, "stripe", "invoice.paid", &format!("s-{n}")).await;
    }
    put(&inbox, "other", "x", "not-served").await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let worker = AnyWorker::new(inbox.clone(), ["toran", "stripe"]).concurrency(4);
    let handler = {
        let seen = Arc::clone(&seen);
        move |job: hookseal_inbox::AnyJob| {
            let seen = Arc::clone(&seen);
            async move {
                assert_eq!(job.raw, format!(r#"{{"key":"{}"}}"#, job.key).into_bytes());
                seen.lock().unwrap().push(job.key);
                Ok::<(), HandlerError>(())
            }
        }
    };
    let first = worker.run_once(&handler).await.unwrap();
    assert_eq!(first.claimed, 4);
    let second = worker.run_once(&handler).await.unwrap();
    assert_eq!((second.claimed, second.done), (2, 2));
    assert_eq!(worker.run_once(&handler).await.unwrap().claimed, 0);
    let mut keys = seen.lock().unwrap().clone();
    keys.sort();
    assert_eq!(keys, vec!["s-0", "s-1", "s-2", "t-0", "t-1", "t-2"]);
    let counts = inbox.counts().await.unwrap();
    assert_eq!((counts.done, counts.ready), (6, 1));
}

async fn shutdown_gives_unfinished_events_back<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = put(&inbox, "toran", "lead.captured", "slow-1").await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let worker = AnyWorker::new(inbox.clone(), ["toran"]);
    let handler = move |_job: hookseal_inbox::AnyJob| {
        let started_tx = Arc::clone(&started_tx);
        async move {
            if let Some(tx) = started_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            std::future::pending::<Result<(), HandlerError>>().await
        }
    };
    // Shut down as soon as the handler is running; no grace: it is stopped and the event given back.
    let shutdown = async move {
        let _ = started_rx.await;
    };
    tokio::time::timeout(Duration::from_secs(30), worker.run(handler, shutdown, Duration::ZERO)).await.unwrap();
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (State::Ready, 1));
    assert_eq!(row.available_at, inbox.now(), "ready again at once");
    let history = inbox.attempts(id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, AttemptOutcome::Retry);
    assert!(history[0].error.as_deref().unwrap().contains("shutdown"));
}

async fn shutdown_lets_in_flight_finish<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let id = put(&inbox, "toran", "lead.captured", "finish-1").await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let slots = Arc::new(std::sync::Mutex::new((Some(started_tx), Some(release_rx))));
    let worker = AnyWorker::new(inbox.clone(), ["toran"]);
    let handler = move |_job: hookseal_inbox::AnyJob| {
        let slots = Arc::clone(&slots);
        async move {
            let (started, release) = {
                let mut slots = slots.lock().unwrap();
                (slots.0.take(), slots.1.take())
            };
            if let Some(tx) = started {
                let _ = tx.send(());
            }
            if let Some(rx) = release {
                let _ = rx.await;
            }
            Ok::<(), HandlerError>(())
        }
    };
    // Shutdown comes while the handler runs; the handler is released after it, within a long grace.
    let shutdown = async move {
        let _ = started_rx.await;
        let _ = release_tx.send(());
    };
    tokio::time::timeout(Duration::from_secs(30), worker.run(handler, shutdown, Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(inbox.get(id).await.unwrap().unwrap().state, State::Done);
}

async fn typed_worker_records_attempts_too<S: Store + Clone>(store: S) {
    let clock = ManualClock::new(t0());
    let inbox = inbox(&store, &clock);
    let body = common::lead("lead-typed");
    let id = inbox
        .accept(&toran(), &common::signed::<hookseal_core::Toran>(&body, "lead.captured"), &body)
        .await
        .unwrap()
        .id;
    let worker = hookseal_inbox::Worker::<hookseal_core::Toran>::new(inbox.clone())
        .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)).seeded(3));
    let fail = worker.run_once(|_job| async { Err::<(), HandlerError>("downstream said no".into()) }).await.unwrap();
    assert_eq!(fail.retried, 1);
    clock.advance(Duration::from_secs(2));
    let ok = worker.run_once(|_job| async { Ok::<(), HandlerError>(()) }).await.unwrap();
    assert_eq!(ok.done, 1);
    let history = inbox.attempts(id).await.unwrap();
    let got: Vec<_> = history.iter().map(|a| (a.attempt, a.outcome, a.error.clone(), a.started_at)).collect();
    assert_eq!(
        got,
        vec![
            (1, AttemptOutcome::Retry, Some("downstream said no".to_owned()), t0()),
            (2, AttemptOutcome::Done, None, t0() + chrono::TimeDelta::seconds(2)),
        ]
    );
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
    list_newest_first_with_filters,
    keyset_pages_cover_everything_once,
    headers_are_kept_without_credentials,
    attempts_are_recorded_with_last_tried,
    stale_settlement_is_fenced_and_recorded,
    rate_counts_per_minute_per_provider,
    any_worker_serves_every_provider,
    shutdown_gives_unfinished_events_back,
    shutdown_lets_in_flight_finish,
    typed_worker_records_attempts_too,
);
