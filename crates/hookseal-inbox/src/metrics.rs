//! The inbox's metrics through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`), so any exporter (Prometheus, StatsD, OpenTelemetry, …)
//! receives them. Without the feature nothing is recorded and nothing is linked.
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | [`INGESTS`] `hookseal_inbox_ingests_total` | counter | `provider`, `outcome` | one per [`Inbox::ingest`](crate::Inbox::ingest) (so per [`accept`](crate::Inbox::accept) that passed verification): `stored` (a new event, ready), `duplicate` (a redelivery of a stored event: answered `2xx`, nothing new stored), `dead_lettered` (a new authentic body the typed parse refused, stored dead), `unavailable` (the store failed or timed out: the `503`s) |
//! | [`SETTLEMENTS`] `hookseal_inbox_settlements_total` | counter | `provider`, `outcome` | one per settled attempt of a worker ([`Worker`](crate::Worker) or [`AnyWorker`](crate::AnyWorker)): `done`, `retry` (failed, to be retried after a backoff), `dead` (failed on the last attempt, or the stored body no longer parses), `fenced` (finished after losing the claim: nothing changed) |
//! | [`HANDLER_SECONDS`] `hookseal_inbox_handler_seconds` | histogram | `provider` | how long each handler (or the gateway's forward) ran, one per attempt that reached it, in seconds |
//! | [`EVENTS`] `hookseal_inbox_events` | gauge | `state` | events in each state (`ready`, `running`, `done`, `dead`), from [`Inbox::counts`](crate::Inbox::counts), set by each refresh (below) |
//!
//! `provider` is the provider's short name (`toran`, …, a scheme's, or your
//! own provider's `NAME`): the name the event was stored under, which comes
//! from code or configuration, never from the request. The label sets are
//! small and fixed: nothing from a request's content becomes a label.
//!
//! The gauges are not live: they are set from one `counts()` query (a
//! `GROUP BY state` over the table) by [`Inbox::refresh_gauges`](crate::Inbox::refresh_gauges),
//! which [`Inbox::run_sweeper`](crate::Inbox::run_sweeper) calls after each sweep, and which
//! [`Inbox::run_gauges`](crate::Inbox::run_gauges) calls on a period of your choice (one query
//! per period, never more: a slow store delays the next refresh instead of piling them up).
//! Run `run_gauges` when the sweep interval (hourly in the gateway) is too coarse.
//!
//! ```
//! # #[cfg(feature = "metrics")]
//! # async fn demo() {
//! use std::time::Duration;
//! use hookseal_inbox::{Inbox, MemoryStore, metrics};
//!
//! metrics::describe();
//! let inbox = Inbox::new(MemoryStore::new());
//! tokio::spawn(inbox.clone().run_gauges(Duration::from_secs(15)));
//! # }
//! ```

use crate::query::AttemptOutcome;

/// The ingest counter: labels `provider` and `outcome`
/// (`stored`, `duplicate`, `dead_lettered`, `unavailable`).
pub const INGESTS: &str = "hookseal_inbox_ingests_total";

/// The settlement counter: labels `provider` and `outcome` (`done`, `retry`, `dead`, `fenced`).
pub const SETTLEMENTS: &str = "hookseal_inbox_settlements_total";

/// The handler (or forward) latency histogram, per attempt, in seconds: label `provider`.
pub const HANDLER_SECONDS: &str = "hookseal_inbox_handler_seconds";

/// The events-per-state gauge: label `state` (`ready`, `running`, `done`, `dead`).
pub const EVENTS: &str = "hookseal_inbox_events";

/// Registers the metrics' descriptions and units with the installed recorder.
#[cfg(feature = "metrics")]
pub fn describe() {
    metrics::describe_counter!(
        INGESTS,
        metrics::Unit::Count,
        "Verified webhooks the inbox was asked to store, by provider and outcome (stored, duplicate, dead_lettered, unavailable)"
    );
    metrics::describe_counter!(
        SETTLEMENTS,
        metrics::Unit::Count,
        "Settled inbox worker attempts, by provider and outcome (done, retry, dead, fenced)"
    );
    metrics::describe_histogram!(
        HANDLER_SECONDS,
        metrics::Unit::Seconds,
        "Time an inbox handler (or forward) ran, per attempt, by provider"
    );
    metrics::describe_gauge!(
        EVENTS,
        metrics::Unit::Count,
        "Inbox events per state (ready, running, done, dead), as of the last refresh"
    );
}

/// What an ingest did, as its `outcome` label.
#[cfg(feature = "metrics")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ingest {
    Stored,
    Duplicate,
    DeadLettered,
    Unavailable,
}

#[cfg(feature = "metrics")]
impl Ingest {
    /// The outcome of storing a row (`dead_letter`: stored dead), given what the store answered.
    pub(crate) fn of(dead_letter: bool, answer: Option<&crate::Ingested>) -> Self {
        match answer {
            None => Self::Unavailable,
            Some(ingested) if !ingested.inserted => Self::Duplicate,
            Some(_) if dead_letter => Self::DeadLettered,
            Some(_) => Self::Stored,
        }
    }

    const fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::DeadLettered => "dead_lettered",
            Self::Unavailable => "unavailable",
        }
    }
}

/// Counts one ingest of `provider`'s event.
#[cfg(feature = "metrics")]
pub(crate) fn ingested(provider: &str, outcome: Ingest) {
    metrics::counter!(INGESTS, "provider" => provider.to_owned(), "outcome" => outcome.as_str()).increment(1);
}

/// The `outcome` label of a settlement.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const fn outcome(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Done => "done",
        AttemptOutcome::Retry => "retry",
        AttemptOutcome::Dead => "dead",
        AttemptOutcome::Fenced => "fenced",
    }
}

/// Counts one settled attempt of `provider`'s event.
pub(crate) fn settled(provider: &str, result: AttemptOutcome) {
    #[cfg(feature = "metrics")]
    metrics::counter!(SETTLEMENTS, "provider" => provider.to_owned(), "outcome" => outcome(result)).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (provider, result);
}

/// Runs `handler`, recording how long it took under `provider`.
pub(crate) async fn timed<T>(provider: &str, handler: impl Future<Output = T>) -> T {
    #[cfg(feature = "metrics")]
    {
        let started = std::time::Instant::now();
        let result = handler.await;
        metrics::histogram!(HANDLER_SECONDS, "provider" => provider.to_owned()).record(started.elapsed().as_secs_f64());
        result
    }
    #[cfg(not(feature = "metrics"))]
    {
        let _ = provider;
        handler.await
    }
}

/// Sets the per-state gauges from `counts`.
#[cfg(feature = "metrics")]
pub(crate) fn gauges(counts: &crate::Counts) {
    use crate::State;
    for (state, n) in [
        (State::Ready, counts.ready),
        (State::Running, counts.running),
        (State::Done, counts.done),
        (State::Dead, counts.dead),
    ] {
        // Precision is lost only above 2^53 events.
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!(EVENTS, "state" => state.as_str()).set(n as f64);
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_documented_ones() {
        let ingests: Vec<_> =
            [Ingest::Stored, Ingest::Duplicate, Ingest::DeadLettered, Ingest::Unavailable].map(Ingest::as_str).into();
        assert_eq!(ingests, ["stored", "duplicate", "dead_lettered", "unavailable"]);
        let settled: Vec<_> =
            [AttemptOutcome::Done, AttemptOutcome::Retry, AttemptOutcome::Dead, AttemptOutcome::Fenced]
                .map(outcome)
                .into();
        assert_eq!(settled, ["done", "retry", "dead", "fenced"]);
    }
}
