//! `Verifier::verify` (signature only) beside raw SHA-256 of the same bytes.
//!
//! The body is borrowed as is, so verify can only reach the hash's speed if
//! it copies nothing and SHA-NI is in use (sha2 detects it at run time). A
//! pre-keyed HMAC is measured too: the same work with nothing of ours around it.
//!
//! Run: `cargo bench -p hookseal-core --bench verify` (wall time; set
//! `HOOKSEAL_BENCH_CLOCK=cpu` for thread CPU time); `benches/compare.sh` prints the ratios.

use std::hint::black_box;

mod clock;

use criterion::measurement::Measurement;
use criterion::{BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use hookseal_core::chrono::DateTime;
use hookseal_core::{Custom, Message, Provider, Scheme, Secret, Signer, Toran, Verifier};
use sha2::{Digest, Sha256};

const SECRET: &str = "whsec_bench_0123456789abcdefghijklmnopqrstuvwxyz";
const SIZES: [usize; 3] = [1024, 64 * 1024, 1024 * 1024];

/// A JSON-looking body of exactly `len` bytes (the content does not change the cost).
fn body(len: usize) -> Vec<u8> {
    let unit = br#"{"event":"lead.captured","notes":"Hi! We'd like a quote for 40 seats, ASAP."},"#;
    unit.iter().copied().cycle().take(len).collect()
}

fn verify<M: Measurement>(c: &mut Criterion<M>) {
    let secret = Secret::new(SECRET).expect("non-empty");
    let verifier = Verifier::<Toran>::new(secret.clone()).body_limit(2 * 1024 * 1024);
    let signer = Signer::new(&secret, Toran::SCHEME.format());
    let prekeyed = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("any key length");

    let mut group = c.benchmark_group("verify");
    for size in SIZES {
        let body = body(size);
        let signature = signer.sign(&body);
        let headers = [("Content-Type", "application/json"), ("X-Toran-Signature", signature.as_str())];
        assert!(verifier.verify(&headers, &body).is_ok(), "the bench request must verify");
        let tag = signer.mac(&body);

        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("hookseal", size), &body, |b, body| {
            b.iter(|| verifier.verify(black_box(&headers), black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("sha256", size), &body, |b, body| {
            b.iter(|| Sha256::digest(black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("hmac_prekeyed", size), &body, |b, body| {
            b.iter(|| {
                let mut mac = prekeyed.clone();
                mac.update(black_box(body));
                mac.verify_slice(black_box(&tag)).is_ok()
            })
        });
    }
    group.finish();
}

/// The ready schemes at 1 KiB, beside Toran's: the list parsing, the signed
/// id and timestamp and the window check cost next to nothing over the HMAC.
fn schemes<M: Measurement>(c: &mut Criterion<M>) {
    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = body(1024);
    let stamp = 1_767_225_600;
    let now = DateTime::from_timestamp(1_767_225_600, 0).expect("in range");
    let message = Message { id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"), timestamp: Some(stamp), event: Some("push") };
    let mut group = c.benchmark_group("verify_schemes");
    group.throughput(Throughput::Bytes(1024));
    for (name, scheme, secret) in [
        ("standard_webhooks", Scheme::STANDARD_WEBHOOKS, SW_SECRET),
        ("stripe", Scheme::STRIPE, SECRET),
        ("github", Scheme::GITHUB, SECRET),
    ] {
        let secret = scheme.secret(secret).expect("a valid secret");
        let headers = Signer::for_scheme(&secret, scheme).expect("readable").headers(&body, &message);
        let verifier = Verifier::<Custom>::new(secret).with_scheme(scheme);
        assert!(verifier.verify_at(&headers, &body, now).is_ok(), "the bench request must verify");
        group.bench_function(name, |b| b.iter(|| verifier.verify_at(black_box(&headers), black_box(&body), now)));
    }
    group.finish();
}

clock::main!(verify, schemes);
