//! Verify + parse of a realistic 1 KiB request of each provider, beside the
//! lower bound and the hand-rolled pattern (see `common/mod.rs`), and the
//! "owned bound": the lower bound parsing into `String`s instead of borrowing,
//! which tells how much of ours is the price of owned events.
//!
//! Ours is `Verifier::verify_event_at` with a fixed `now` and the default
//! configuration (no replay window), so no clock read is measured: it is
//! `verify` + `P::Event::from_slice` + the event-header check. `verify_event`
//! would add one `Utc::now()` (a vDSO call, tens of ns).
//!
//! Run: `cargo bench -p hookseal-core --bench verify_parse` (wall time; set
//! `HOOKSEAL_BENCH_CLOCK=cpu` for thread CPU time); `benches/compare.sh` prints the ratios.

mod clock;
mod common;

use std::hint::black_box;

use chrono::{DateTime, Utc};
use common::{Request, hand_rolled, lower_bound, owned_shapes, prekeyed, secret, shapes};
use criterion::measurement::Measurement;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use hookseal_core::{ConnectGain, Provider, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).expect("in range")
}

/// Benches ours and both hand-rolled variants for provider `P`; the lower
/// bound is benched by the caller (its shape borrows from the body).
fn ours_and_hand_rolled<P: Provider, M: Measurement>(
    group: &mut BenchmarkGroup<'_, M>,
    request: &Request,
    expected_event: &str,
) {
    let verifier = Verifier::<P>::new(secret());
    let event = verifier.verify_event_at(&request.headers, &request.body, now()).expect("the bench request is valid");
    assert_eq!(event.name(), expected_event, "{}: parsed as the wrong event", request.provider);
    assert!(hand_rolled(None, request, &request.body).is_some());
    let key = prekeyed();

    group.bench_with_input(BenchmarkId::new("hookseal", request.provider), request, |b, r| {
        b.iter(|| verifier.verify_event_at(black_box(&r.headers), black_box(&r.body), now()))
    });
    group.bench_with_input(BenchmarkId::new("hand_rolled", request.provider), request, |b, r| {
        b.iter(|| hand_rolled(None, black_box(r), black_box(&r.body)))
    });
    group.bench_with_input(BenchmarkId::new("hand_rolled_prekeyed", request.provider), request, |b, r| {
        b.iter(|| hand_rolled(Some(&key), black_box(r), black_box(&r.body)))
    });
}

macro_rules! provider {
    ($group:expr, $provider:ty, $request:expr, $shape:ident, $event:literal) => {{
        let request = $request;
        let key = prekeyed();
        assert!(lower_bound::<shapes::$shape<'_>>(&key, &request, &request.body), "lower bound must accept");
        assert!(lower_bound::<owned_shapes::$shape>(&key, &request, &request.body), "owned bound must accept");
        $group.bench_with_input(BenchmarkId::new("lower_bound", request.provider), &request, |b, r| {
            b.iter(|| lower_bound::<shapes::$shape<'_>>(&key, black_box(r), black_box(&r.body)))
        });
        $group.bench_with_input(BenchmarkId::new("owned_bound", request.provider), &request, |b, r| {
            b.iter(|| lower_bound::<owned_shapes::$shape>(&key, black_box(r), black_box(&r.body)))
        });
        ours_and_hand_rolled::<$provider, _>(&mut $group, &request, $event);
    }};
}

fn verify_parse<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("verify_parse");
    group.throughput(Throughput::Bytes(common::BODY_LEN as u64));
    provider!(group, Tocc, common::tocc(), Tocc, "conversation.escalated");
    provider!(group, Toran, common::toran(), Toran, "lead.captured");
    provider!(group, Zapito, common::zapito(), Zapito, "lead.handoff");
    provider!(group, Tuco, common::tuco(), Tuco, "message.reply");
    provider!(group, ConnectGain, common::connectgain(), ConnectGain, "message.received");
    group.finish();
}

clock::main!(verify_parse);
