//! The `metrics` feature: what ingests, settlements, handlers and gauge
//! refreshes record, on the memory store and on a real SQLite file.
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{lead, signed, t0, toran};
use hookseal_core::Toran;
use hookseal_inbox::{AnyWorker, Backoff, HandlerError, Inbox, ManualClock, Store, Worker, metrics};
use metrics_facade::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

extern crate metrics as metrics_facade;

/// Keeps every operation as `kind name{label=value,...} what`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Handle(Capture, String);

impl Capture {
    fn handle(&self, kind: &str, key: &Key) -> Arc<Handle> {
        let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        Arc::new(Handle(self.clone(), format!("{kind} {}{{{}}}", key.name(), labels.join(","))))
    }

    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    /// Takes what was recorded so far, sorted (concurrent handlers finish in any order).
    fn take(&self) -> Vec<String> {
        let mut lines = std::mem::take(&mut *self.0.lock().unwrap());
        lines.sort();
        lines
    }
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.0.push(format!("{} +{value}", self.1));
    }
    fn absolute(&self, value: u64) {
        self.0.push(format!("{} ={value}", self.1));
    }
}

impl GaugeFn for Handle {
    fn increment(&self, value: f64) {
        self.0.push(format!("{} +{value}", self.1));
    }
    fn decrement(&self, value: f64) {
        self.0.push(format!("{} -{value}", self.1));
    }
    fn set(&self, value: f64) {
        self.0.push(format!("{} ={value}", self.1));
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        assert!(value.is_finite() && value >= 0.0, "{value}");
        self.0.push(self.1.clone());
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.push(format!("describe counter {} {unit:?} {}", key.as_str(), !description.is_empty()));
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.push(format!("describe gauge {} {unit:?} {}", key.as_str(), !description.is_empty()));
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.push(format!("describe histogram {} {unit:?} {}", key.as_str(), !description.is_empty()));
    }
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle("counter", key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle("gauge", key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle("histogram", key))
    }
}

fn ingest(outcome: &str) -> String {
    format!("counter hookseal_inbox_ingests_total{{provider=toran,outcome={outcome}}} +1")
}

fn settled(outcome: &str) -> String {
    format!("counter hookseal_inbox_settlements_total{{provider=toran,outcome={outcome}}} +1")
}

const TIMED: &str = "histogram hookseal_inbox_handler_seconds{provider=toran}";

fn gauges(ready: u64, running: u64, done: u64, dead: u64) -> Vec<String> {
    let mut lines: Vec<String> = [("ready", ready), ("running", running), ("done", done), ("dead", dead)]
        .iter()
        .map(|(state, n)| format!("gauge hookseal_inbox_events{{state={state}}} ={n}"))
        .collect();
    lines.sort();
    lines
}

fn sorted(lines: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut lines: Vec<String> = lines.into_iter().collect();
    lines.sort();
    lines
}

async fn accept(inbox: &Inbox, body: &[u8]) -> hookseal_inbox::Receipt {
    inbox.accept(&toran(), &signed::<Toran>(body, "lead.captured"), body).await.unwrap()
}

/// Ingests, worker settlements (retry, done, dead), handler latency, a fenced
/// settlement and the gauges, in that order, on `store`.
async fn records_the_inbox_life<S: Store + Clone>(store: S) {
    let capture = Capture::default();
    let _local = metrics_facade::set_default_local_recorder(&capture);
    let clock = ManualClock::new(t0());
    let inbox = Inbox::builder(store).clock(clock.clone()).build();

    // Stored, then the same delivery again (duplicate), then an authentic body that does not parse.
    let body = lead("lead-a");
    assert!(accept(&inbox, &body).await.inserted);
    assert!(!accept(&inbox, &body).await.inserted);
    let unparseable = br#"{"event":"lead.captured","lead_id":42}"#;
    assert!(accept(&inbox, unparseable).await.dead_lettered);
    assert_eq!(capture.take(), sorted([ingest("stored"), ingest("duplicate"), ingest("dead_lettered")]));
    // A rejection is no ingest: nothing was stored or asked of the store.
    assert!(inbox.accept(&toran(), &signed::<Toran>(b"{}", "x"), &body).await.is_err());
    assert_eq!(capture.take(), Vec::<String>::new());

    // Lead b always fails, lead a fails once: two retries, then done and dead.
    assert!(accept(&inbox, &lead("lead-b")).await.inserted);
    capture.take();
    let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(2));
    let worker = Worker::<Toran>::new(inbox.clone()).max_attempts(2).backoff(backoff);
    let handler = |job: hookseal_inbox::Job<_>| async move {
        let fails = job.key.contains("lead-b") || job.attempt == 1;
        if fails { Err(HandlerError::from("downstream said no")) } else { Ok(()) }
    };
    let report = worker.run_once(handler).await.unwrap();
    assert_eq!((report.claimed, report.retried), (2, 2));
    assert_eq!(capture.take(), sorted([settled("retry"), settled("retry"), TIMED.into(), TIMED.into()]));
    clock.advance(Duration::from_secs(3));
    let report = worker.run_once(handler).await.unwrap();
    assert_eq!((report.done, report.dead), (1, 1));
    assert_eq!(capture.take(), sorted([settled("done"), settled("dead"), TIMED.into(), TIMED.into()]));

    // A handler that outlives its lease: another worker takes the event over, the late answer is fenced.
    assert!(accept(&inbox, &lead("lead-c")).await.inserted);
    let any = AnyWorker::new(inbox.clone(), ["toran"]).lease(Duration::from_secs(10));
    let other = any.clone();
    let late = clock.clone();
    let report = any
        .run_once(move |_job| {
            let (other, late) = (other.clone(), late.clone());
            async move {
                late.advance(Duration::from_secs(11));
                assert_eq!(other.claim(1).await.unwrap().len(), 1);
                Ok(())
            }
        })
        .await
        .unwrap();
    assert_eq!(report.fenced, 1);
    assert_eq!(capture.take(), sorted([ingest("stored"), settled("fenced"), TIMED.into()]));

    // The gauges: a (done), b and the unparseable body (dead), c (running, under the second claim).
    let counts = inbox.refresh_gauges().await.unwrap();
    assert_eq!((counts.ready, counts.running, counts.done, counts.dead), (0, 1, 1, 2));
    assert_eq!(capture.take(), gauges(0, 1, 1, 2));
}

#[tokio::test]
async fn memory_records_the_inbox_life() {
    records_the_inbox_life(hookseal_inbox::MemoryStore::new()).await;
}

#[tokio::test]
async fn sqlite_records_the_inbox_life() {
    let (store, _dir) = common::sqlite().await;
    records_the_inbox_life(store).await;
}

#[tokio::test]
async fn sqlite_down_counts_unavailable_ingests() {
    let capture = Capture::default();
    let _local = metrics_facade::set_default_local_recorder(&capture);
    let (store, _dir) = common::sqlite().await;
    let inbox = Inbox::new(store.clone());
    assert!(accept(&inbox, &lead("lead-up")).await.inserted);
    store.pool().close().await;
    let body = lead("lead-down");
    let err = inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap_err();
    assert_eq!(err.status(), 503);
    assert_eq!(capture.take(), sorted([ingest("stored"), ingest("unavailable")]));
    // A failed refresh sets no gauge.
    assert!(inbox.refresh_gauges().await.is_err(), "a closed pool fails");
    assert_eq!(capture.take(), Vec::<String>::new());
}

#[tokio::test]
async fn the_sweeper_refreshes_the_gauges() {
    let capture = Capture::default();
    let _local = metrics_facade::set_default_local_recorder(&capture);
    let inbox = Inbox::new(hookseal_inbox::MemoryStore::new());
    accept(&inbox, &lead("lead-s")).await;
    capture.take();
    // The first tick is immediate: one sweep, then the gauges; the task is then stopped.
    let sweeper = tokio::spawn(inbox.clone().run_sweeper(Duration::from_secs(3600), 10));
    for _ in 0..1000 {
        if capture.0.lock().unwrap().len() >= 4 {
            break;
        }
        tokio::task::yield_now().await;
    }
    sweeper.abort();
    assert_eq!(capture.take(), gauges(1, 0, 0, 0));
}

#[test]
fn describe_gives_help_and_units() {
    let capture = Capture::default();
    metrics_facade::with_local_recorder(&capture, metrics::describe);
    assert_eq!(
        capture.take(),
        sorted([
            "describe counter hookseal_inbox_ingests_total Some(Count) true".to_owned(),
            "describe counter hookseal_inbox_settlements_total Some(Count) true".to_owned(),
            "describe gauge hookseal_inbox_events Some(Count) true".to_owned(),
            "describe histogram hookseal_inbox_handler_seconds Some(Seconds) true".to_owned(),
        ])
    );
    assert_eq!(
        [metrics::INGESTS, metrics::SETTLEMENTS, metrics::HANDLER_SECONDS, metrics::EVENTS],
        [
            "hookseal_inbox_ingests_total",
            "hookseal_inbox_settlements_total",
            "hookseal_inbox_handler_seconds",
            "hookseal_inbox_events"
        ]
    );
}

#[tokio::test]
async fn sqlite_transactional_handler_is_timed_and_settled() {
    let capture = Capture::default();
    let _local = metrics_facade::set_default_local_recorder(&capture);
    let (store, _dir) = common::sqlite().await;
    let pool = store.pool().clone();
    let inbox = Inbox::new(store);
    accept(&inbox, &lead("lead-tx")).await;
    capture.take();
    let worker = Worker::<Toran>::new(inbox.clone());
    let report = worker.run_once_tx(&pool, |_job, tx| async move { Ok(tx) }).await.unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(capture.take(), sorted([settled("done"), TIMED.into()]));
}
