//! Counts heap allocations (with a counting global allocator) of:
//!
//! * `Verifier::verify`: must be **zero**, for valid and rejected requests,
//!   with headers as name/value pairs and as an `http::HeaderMap`, at 1 KiB,
//!   64 KiB and 1 MiB. The binary exits non-zero otherwise.
//! * verify + parse (`verify_event_at`) of each provider's 1 KiB request
//!   (`common/mod.rs`), beside the lower bound, the owned bound and the
//!   hand-rolled pattern. Counts include reallocations (serde_json grows a
//!   scratch buffer for each string with escapes).
//!
//! The workspace forbids `unsafe_code`, and a counting allocator needs an
//! `unsafe impl GlobalAlloc`, so the counting wrapper comes from the
//! `stats_alloc` crate (a dev-dependency); this file only installs it.
//!
//! Run: `cargo bench -p hookseal-core --bench allocs`. Lines starting with
//! `alloc\t` are read by `benches/compare.sh`.

mod common;

use std::alloc::System;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use common::{Request, hand_rolled, lower_bound, owned_shapes, prekeyed, secret, shapes};
use hookseal_core::{ConnectGain, Provider, Signer, Tocc, Toran, Tuco, Verifier, Zapito};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations (including reallocations) made while `f` runs; the result is
/// dropped after counting. Runs `f` once first so one-time set-up is not counted,
/// and checks the count is the same on three more runs.
fn count<R>(mut f: impl FnMut() -> R) -> usize {
    drop(f());
    let mut counts = [0usize; 3];
    for slot in &mut counts {
        let region = Region::new(GLOBAL);
        let out = f();
        let stats = region.change();
        drop(out);
        *slot = stats.allocations + stats.reallocations;
    }
    assert!(counts.iter().all(|&n| n == counts[0]), "allocation count varies between runs: {counts:?}");
    counts[0]
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).expect("in range")
}

fn header_map(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        let name = http::HeaderName::from_bytes(name.as_bytes()).expect("valid name");
        map.append(name, http::HeaderValue::from_str(value).expect("valid value"));
    }
    map
}

/// Every `verify` count for one provider's request; returns the failures.
fn verify_counts<P: Provider>(request: &Request) -> Vec<String> {
    let verifier = Verifier::<P>::new(secret()).body_limit(2 * 1024 * 1024);
    let signer = Signer::new(&secret(), P::SCHEME.format());
    let signature_header = P::SCHEME.signature_header();
    let mut failures = Vec::new();
    let mut check = |what: String, n: usize| {
        println!("alloc\tverify\t{what}\t{n}");
        if n != 0 {
            failures.push(format!("{what}: {n} allocations"));
        }
    };

    for size in [1024usize, 64 * 1024, 1024 * 1024] {
        let mut body = request.body.clone();
        body.resize(size, b' ');
        let mut headers = request.headers.clone();
        for (name, value) in &mut headers {
            if *name == signature_header {
                *value = signer.sign(&body);
            }
        }
        let map = header_map(&headers);
        assert!(verifier.verify(&headers, &body).is_ok() && verifier.verify(&map, &body).is_ok());
        check(format!("{} pairs {size}", request.provider), count(|| verifier.verify(&headers, &body)));
        check(format!("{} HeaderMap {size}", request.provider), count(|| verifier.verify(&map, &body)));
    }

    // Rejections allocate nothing either.
    let body = &request.body;
    let mut forged = body.clone();
    forged[10] ^= 1;
    assert!(verifier.verify(&request.headers, &forged).is_err());
    check(format!("{} mismatch", request.provider), count(|| verifier.verify(&request.headers, &forged)));
    let unsigned: Vec<_> = request.headers.iter().filter(|(n, _)| *n != signature_header).cloned().collect();
    check(format!("{} missing", request.provider), count(|| verifier.verify(&unsigned, body)));
    let mut malformed = request.headers.clone();
    malformed.iter_mut().filter(|(n, _)| *n == signature_header).for_each(|(_, v)| v.truncate(20));
    check(format!("{} malformed", request.provider), count(|| verifier.verify(&malformed, body)));
    failures
}

/// verify + parse counts for one provider: ours, the lower bound, hand-rolled.
fn parse_counts<P: Provider>(request: &Request, lower: usize, owned: usize) {
    let verifier = Verifier::<P>::new(secret());
    let ours = count(|| verifier.verify_event_at(&request.headers, &request.body, now()).expect("valid"));
    let hand = count(|| hand_rolled(None, request, &request.body).expect("valid"));
    println!("alloc\tverify_parse\thookseal\t{}\t{ours}", request.provider);
    println!("alloc\tverify_parse\tlower_bound\t{}\t{lower}", request.provider);
    println!("alloc\tverify_parse\towned_bound\t{}\t{owned}", request.provider);
    println!("alloc\tverify_parse\thand_rolled\t{}\t{hand}", request.provider);
}

macro_rules! provider {
    ($failures:ident, $provider:ty, $request:expr, $shape:ident) => {{
        let request = $request;
        $failures.extend(verify_counts::<$provider>(&request));
        let key = prekeyed();
        let lower = count(|| assert!(lower_bound::<shapes::$shape<'_>>(&key, &request, &request.body)));
        let owned = count(|| assert!(lower_bound::<owned_shapes::$shape>(&key, &request, &request.body)));
        parse_counts::<$provider>(&request, lower, owned);
    }};
}

fn main() -> ExitCode {
    let mut failures = Vec::new();
    provider!(failures, Tocc, common::tocc(), Tocc);
    provider!(failures, Toran, common::toran(), Toran);
    provider!(failures, Zapito, common::zapito(), Zapito);
    provider!(failures, Tuco, common::tuco(), Tuco);
    provider!(failures, ConnectGain, common::connectgain(), ConnectGain);
    if failures.is_empty() {
        println!("verify allocated 0 times in every case");
        ExitCode::SUCCESS
    } else {
        eprintln!("verify allocated:\n  {}", failures.join("\n  "));
        ExitCode::FAILURE
    }
}
