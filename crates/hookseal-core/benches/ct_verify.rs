//! A dudect-style statistical timing test of `Verifier::verify`.
//!
//! Two classes of wrong signatures for the same body, interleaved at random:
//!
//! - **A**: the first 31 MAC bytes are right, the last one is wrong;
//! - **B**: all 32 bytes are wrong.
//!
//! Both are well-formed lowercase hex of the same length. Wrong bytes are the
//! right ones XOR `0x11`, which changes every hex digit but keeps it a digit
//! or a letter, so hex decoding sees the same kind of characters in both
//! classes and only the comparison can tell them apart. If verification time
//! depended on how many leading bytes are right, Welch's t between the two
//! classes' timings would grow with the number of samples; `|t| < 4.5` means
//! no leak is detectable at that sample size.
//!
//! `null_control` gives both classes the same signature A: whatever `|t|` it
//! reaches is noise (a shared, loaded machine shows some), the floor to read
//! `verify_timing` against.
//!
//! `naive_compare_control` runs the same classes through the same HMAC and hex
//! decoding, followed by a byte-by-byte comparison that stops at the first
//! difference: the kind of comparison this test exists to catch. Its large
//! `|t|` shows the harness can see a leak of that size.
//!
//! Run: `cargo bench -p hookseal-core --bench ct_verify` (about a minute;
//! `HOOKSEAL_CT_SAMPLES` sets the samples per bench, default 5 000 000).
//! Add `-- verify_timing` to run one bench only, `-- --continuous verify_timing`
//! to keep sampling it until interrupted.

use std::hint::black_box;

use dudect_bencher::ctbench::{BenchMetadata, BenchName, BenchOpts, run_benches_console};
use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner};
use hookseal_core::{Provider, Secret, SignatureFormat, Signer, Toran, Verifier};

const SECRET: &str = "whsec_ct_0123456789abcdef";
const BODY: &[u8] = br#"{"event":"lead.captured","lead_id":"L1","widget_id":"w1","timestamp":"2026-07-01T12:00:00Z"}"#;

fn samples() -> usize {
    std::env::var("HOOKSEAL_CT_SAMPLES").ok().and_then(|n| n.parse().ok()).unwrap_or(5_000_000)
}

/// The two header values: class A (last byte wrong) and class B (all wrong).
fn wrong_signatures() -> (String, String) {
    let right = Signer::new(&Secret::new(SECRET).expect("non-empty"), Toran::SCHEME.format()).mac(BODY);
    let mut last_wrong = right;
    last_wrong[31] ^= 0x11;
    let all_wrong = right.map(|byte| byte ^ 0x11);
    let format = Toran::SCHEME.format();
    let (a, b) = (format.encode(&last_wrong), format.encode(&all_wrong));
    assert_eq!((a.len(), b.len()), (71, 71));
    (a, b)
}

/// Random class order, decided before timing starts.
fn classes(rng: &mut BenchRng) -> Vec<Class> {
    (0..samples()).map(|_| if rng.random::<bool>() { Class::Left } else { Class::Right }).collect()
}

fn verify_timing(runner: &mut CtRunner, rng: &mut BenchRng) {
    let verifier = Verifier::<Toran>::new(Secret::new(SECRET).expect("non-empty"));
    let (a, b) = wrong_signatures();
    let mut value = [0u8; 71];
    for class in classes(rng) {
        // Both classes are read from the same buffer, filled before timing,
        // so that where a string lives in memory cannot tell them apart.
        value.copy_from_slice(pick(class, &a, &b).as_bytes());
        let headers = [("X-Toran-Signature", &value[..])];
        runner.run_one(class, || verifier.verify(black_box(&headers), black_box(BODY)).is_err());
    }
}

fn pick<'s>(class: Class, a: &'s str, b: &'s str) -> &'s str {
    match class {
        Class::Left => a,
        Class::Right => b,
    }
}

/// Both classes are class A (from two equal strings): there is nothing to
/// find, so its `|t|` is the noise floor of this harness on this machine.
fn null_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    let verifier = Verifier::<Toran>::new(Secret::new(SECRET).expect("non-empty"));
    let (a, _) = wrong_signatures();
    let a_again = a.clone();
    let mut value = [0u8; 71];
    for class in classes(rng) {
        value.copy_from_slice(pick(class, &a, &a_again).as_bytes());
        let headers = [("X-Toran-Signature", &value[..])];
        runner.run_one(class, || verifier.verify(black_box(&headers), black_box(BODY)).is_err());
    }
}

/// What a hand-rolled verifier does: the same MAC and decoding, then `==` byte by byte.
fn naive_verify(signer: &Signer, header: &[u8]) -> bool {
    let Ok(tag) = SignatureFormat::Sha256Prefixed.decode(header) else {
        return false;
    };
    let mac = signer.mac(black_box(BODY));
    for (x, y) in mac.iter().zip(tag.iter()) {
        if black_box(x) != black_box(y) {
            return false;
        }
    }
    true
}

fn naive_compare_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    let signer = Signer::new(&Secret::new(SECRET).expect("non-empty"), Toran::SCHEME.format());
    let (a, b) = wrong_signatures();
    let mut value = [0u8; 71];
    for class in classes(rng) {
        value.copy_from_slice(pick(class, &a, &b).as_bytes());
        runner.run_one(class, || naive_verify(&signer, black_box(&value)));
    }
}

/// dudect-bencher's own `main` macro refuses the `--bench` flag that `cargo
/// bench` passes; this one ignores it. Arguments: an optional name filter, and
/// `--continuous` to sample the first matching bench until interrupted.
fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| arg != "--bench").collect();
    let opts = BenchOpts {
        continuous: args.iter().any(|arg| arg == "--continuous"),
        filter: args.iter().find(|arg| !arg.starts_with("--")).cloned(),
        file_out: None,
    };
    let benches = vec![
        BenchMetadata { name: BenchName("verify_timing"), seed: Some(0x5eed_0001), benchfn: verify_timing },
        BenchMetadata { name: BenchName("null_control"), seed: Some(0x5eed_0003), benchfn: null_control },
        BenchMetadata {
            name: BenchName("naive_compare_control"),
            seed: Some(0x5eed_0002),
            benchfn: naive_compare_control,
        },
    ];
    run_benches_console(opts, benches)
}
