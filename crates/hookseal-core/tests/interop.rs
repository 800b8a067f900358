//! Interoperability with independent implementations: the PyPI packages
//! `standardwebhooks` and `stripe` (pinned in `tests/interop/requirements.txt`).
//!
//! The test setup creates a throwaway virtualenv under Cargo's target
//! directory (`target/tmp/interop-venv-<hash of the requirements>`), installs
//! the packages there with pip, and reuses it while the requirements are
//! unchanged. Their signatures must verify here, ours must verify there, and
//! their own test suites' negative cases are tried one by one on both sides.
//!
//! Nothing is skipped: without `python3`, or when the install fails, every
//! test here fails with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hookseal_core::{Error, KeyMatch, Message, Scheme, Secret, Signer, StandardWebhooks, Stripe, Verifier};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REQUIREMENTS: &str = include_str!("interop/requirements.txt");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/peer.py");
/// The longest the setup or one peer run may take.
const DEADLINE: Duration = Duration::from_secs(600);

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_test_secret_for_interop_0123456789";

/// Runs `command` to completion within [`DEADLINE`], feeding it `stdin`.
fn run(command: &mut Command, stdin: &[u8]) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {command:?}: {err} (is python3 installed?)"));
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let started = Instant::now();
    // Bounded: poll the child until it exits or the deadline passes.
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{command:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn check(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The virtualenv's python, creating and installing it on first use.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let key = hex::encode(&Sha256::digest(REQUIREMENTS.as_bytes())[..8]);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let venv = root.join(format!("interop-venv-{key}"));
        let python = venv.join("bin").join("python");
        if venv.join(".ready").exists() && python.exists() {
            return python;
        }
        // Built aside and moved into place whole, so a half-built venv is never reused.
        let staging = root.join(format!("interop-venv-{key}.staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&root).unwrap();
        check(&run(Command::new("python3").arg("-m").arg("venv").arg(&staging), b""), "python3 -m venv");
        let requirements = staging.join("requirements.txt");
        std::fs::write(&requirements, REQUIREMENTS).unwrap();
        let install = run(
            Command::new(staging.join("bin").join("python"))
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r"])
                .arg(&requirements),
            b"",
        );
        check(&install, "pip install (PyPI must be reachable)");
        std::fs::write(staging.join(".ready"), REQUIREMENTS).unwrap();
        if std::fs::rename(&staging, &venv).is_err() {
            // Another run finished first: use its copy.
            let _ = std::fs::remove_dir_all(&staging);
            assert!(venv.join(".ready").exists(), "cannot move the virtualenv into {}", venv.display());
        }
        python
    })
}

/// Sends `cases` to the Python peer and returns its answers, one per case.
fn peer(cases: &[Value]) -> Vec<Value> {
    let output = run(Command::new(python()).arg(PEER), serde_json::to_vec(cases).unwrap().as_slice());
    check(&output, "the Python peer");
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());
    answers
}

/// Now, after the virtualenv is ready (so that both sides' clocks agree to
/// within the peer's run time, well inside the margins below).
fn now() -> DateTime<Utc> {
    python();
    Utc::now()
}

/// How far outside the 300 s windows the stale and future cases are: room
/// for the seconds between our clock reading and the peer's.
const MARGIN: u64 = 30;

fn unix(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap()
}

const BODIES: [&str; 4] = [
    r#"{"type":"invoice.paid","data":{"id":12345}}"#,
    r#"{"test": 2432232314}"#,
    "{\"type\":\"message.sent\",\"text\":\"caf\u{e9} \u{1f600} \\u00e9 \\\"quoted\\\"\"}",
    "{}",
];

// ------------------------------------------------------ Standard Webhooks

fn sw_headers(id: &str, stamp: &str, signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), id.into()),
        ("webhook-timestamp".into(), stamp.into()),
        ("webhook-signature".into(), signature.into()),
    ]
}

fn ours_sw(headers: &[(String, String)], body: &str, at: DateTime<Utc>) -> Result<KeyMatch, Error> {
    Verifier::<StandardWebhooks>::new(Secret::new(SW_SECRET).unwrap()).verify_at(&headers, body.as_bytes(), at)
}

fn our_sw_signature(id: &str, stamp: u64, body: &str) -> String {
    let signer =
        Signer::for_scheme(&Scheme::STANDARD_WEBHOOKS.secret(SW_SECRET).unwrap(), Scheme::STANDARD_WEBHOOKS).unwrap();
    signer.signature(body.as_bytes(), &Message { id: Some(id), timestamp: Some(stamp), event: None })
}

fn headers_json(headers: &[(String, String)]) -> Value {
    Value::Object(headers.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect())
}

#[test]
fn standard_webhooks_their_signatures_verify_here_and_ours_there() {
    let at = now();
    let stamp = unix(at);
    let mut cases = Vec::new();
    for (i, body) in BODIES.iter().enumerate() {
        cases.push(json!({"lib": "sw", "op": "sign", "secret": SW_SECRET, "id": format!("msg_{i}"), "timestamp": stamp, "body": body}));
    }
    // The published vector, signed by them too.
    cases.push(json!({"lib": "sw", "op": "sign", "secret": SW_SECRET, "id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "timestamp": 1_614_265_330, "body": r#"{"test": 2432232314}"#}));
    let answers = peer(&cases);
    for (i, body) in BODIES.iter().enumerate() {
        let theirs = answers[i]["signature"].as_str().unwrap();
        let id = format!("msg_{i}");
        assert_eq!(theirs, our_sw_signature(&id, stamp, body), "same signature for {body}");
        assert_eq!(ours_sw(&sw_headers(&id, &stamp.to_string(), theirs), body, at), Ok(KeyMatch::Secret(0)), "{body}");
    }
    assert_eq!(answers[BODIES.len()]["signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    // Ours, verified by them (their clock is now: the timestamp is fresh).
    let verify: Vec<Value> = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let id = format!("msg_ours_{i}");
            let headers = sw_headers(&id, &stamp.to_string(), &our_sw_signature(&id, stamp, body));
            json!({"lib": "sw", "op": "verify", "secret": SW_SECRET, "headers": headers_json(&headers), "body": body})
        })
        .collect();
    for (answer, body) in peer(&verify).iter().zip(BODIES) {
        assert_eq!(answer["ok"], true, "{body}: {answer}");
    }
}

#[test]
fn standard_webhooks_their_negative_cases_are_refused_on_both_sides() {
    let at = now();
    let stamp = unix(at);
    let body = BODIES[0];
    let id = "msg_neg";
    let good = our_sw_signature(id, stamp, body);
    let without = |name: &str| -> Vec<(String, String)> {
        sw_headers(id, &stamp.to_string(), &good).into_iter().filter(|(n, _)| n != name).collect()
    };
    // (name, headers, body, secret)
    type Case<'a> = (&'a str, Vec<(String, String)>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("missing id", without("webhook-id"), body, SW_SECRET),
        ("missing timestamp", without("webhook-timestamp"), body, SW_SECRET),
        ("missing signature", without("webhook-signature"), body, SW_SECRET),
        ("invalid timestamp", sw_headers(id, "hello", &good), body, SW_SECRET),
        ("invalid signature", sw_headers(id, &stamp.to_string(), "v1,dawfeoifkpqwoekfpqoekf"), body, SW_SECRET),
        (
            "old timestamp",
            sw_headers(id, &(stamp - 300 - MARGIN).to_string(), &our_sw_signature(id, stamp - 300 - MARGIN, body)),
            body,
            SW_SECRET,
        ),
        (
            "new timestamp",
            sw_headers(id, &(stamp + 300 + MARGIN).to_string(), &our_sw_signature(id, stamp + 300 + MARGIN, body)),
            body,
            SW_SECRET,
        ),
        ("other body", sw_headers(id, &stamp.to_string(), &good), BODIES[1], SW_SECRET),
        ("other id", sw_headers("msg_other", &stamp.to_string(), &good), body, SW_SECRET),
        ("other secret", sw_headers(id, &stamp.to_string(), &good), body, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ("only another version", sw_headers(id, &stamp.to_string(), &good.replace("v1,", "v2,")), body, SW_SECRET),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(_, headers, body, secret)| json!({"lib": "sw", "op": "verify", "secret": secret, "headers": headers_json(headers), "body": body}))
        .collect();
    for ((name, headers, body, secret), answer) in cases.iter().zip(peer(&requests)) {
        assert_eq!(answer["ok"], false, "theirs accepted {name}");
        let ours =
            Verifier::<StandardWebhooks>::new(Secret::new(*secret).unwrap()).verify_at(headers, body.as_bytes(), at);
        assert!(ours.is_err(), "ours accepted {name}");
    }

    // Their positive multi-signature case: one good v1 among others, both accept.
    let multi = format!(
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {good} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    );
    let headers = sw_headers(id, &stamp.to_string(), &multi);
    // And the secret with or without its prefix.
    let requests = [
        json!({"lib": "sw", "op": "verify", "secret": SW_SECRET, "headers": headers_json(&headers), "body": body}),
        json!({"lib": "sw", "op": "verify", "secret": &SW_SECRET[6..], "headers": headers_json(&headers), "body": body}),
    ];
    for answer in peer(&requests) {
        assert_eq!(answer["ok"], true, "{answer}");
    }
    assert_eq!(ours_sw(&headers, body, at), Ok(KeyMatch::Secret(0)));
    let unprefixed = Verifier::<StandardWebhooks>::new(Secret::new(&SW_SECRET[6..]).unwrap());
    assert_eq!(unprefixed.verify_at(&headers, body.as_bytes(), at), Ok(KeyMatch::Secret(0)));
}

// ------------------------------------------------------------------ Stripe

fn ours_stripe(header: &str, body: &str, secret: &str, at: DateTime<Utc>) -> Result<KeyMatch, Error> {
    Verifier::<Stripe>::new(Secret::new(secret).unwrap()).verify_at(
        &[("Stripe-Signature", header)],
        body.as_bytes(),
        at,
    )
}

fn our_stripe_header(body: &str, stamp: u64) -> String {
    let signer = Signer::for_scheme(&Secret::new(STRIPE_SECRET).unwrap(), Scheme::STRIPE).unwrap();
    signer.signature(body.as_bytes(), &Message { id: None, timestamp: Some(stamp), event: None })
}

#[test]
fn stripe_their_signatures_verify_here_and_ours_there() {
    let at = now();
    let stamp = unix(at);
    let sign: Vec<Value> = BODIES
        .iter()
        .map(|body| json!({"lib": "stripe", "op": "sign", "secret": STRIPE_SECRET, "timestamp": stamp, "body": body}))
        .collect();
    for (answer, body) in peer(&sign).iter().zip(BODIES) {
        let theirs = answer["header"].as_str().unwrap();
        assert_eq!(theirs, our_stripe_header(body, stamp), "same header for {body}");
        assert_eq!(ours_stripe(theirs, body, STRIPE_SECRET, at), Ok(KeyMatch::Secret(0)), "{body}");
    }
    let verify: Vec<Value> = BODIES
        .iter()
        .map(|body| {
            json!({"lib": "stripe", "op": "verify", "secret": STRIPE_SECRET, "header": our_stripe_header(body, stamp), "body": body, "tolerance": 300})
        })
        .collect();
    for (answer, body) in peer(&verify).iter().zip(BODIES) {
        assert_eq!(answer["ok"], true, "{body}: {answer}");
    }
}

#[test]
fn stripe_their_negative_cases_are_refused_on_both_sides() {
    let at = now();
    let stamp = unix(at);
    let body = BODIES[0];
    let good = our_stripe_header(body, stamp);
    let v1 = good.split_once(",v1=").unwrap().1.to_owned();
    let old = our_stripe_header(body, stamp - 300 - MARGIN);
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("malformed header", "i'm not even a real signature header".into(), body, STRIPE_SECRET),
        ("no timestamp", format!("v1={v1}"), body, STRIPE_SECRET),
        ("no signature of the expected scheme", format!("t={stamp},v0={v1}"), body, STRIPE_SECRET),
        ("no valid signature", format!("t={stamp},v1=bad_signature"), body, STRIPE_SECRET),
        ("timestamp outside the tolerance", old, body, STRIPE_SECRET),
        ("other body", good.clone(), BODIES[1], STRIPE_SECRET),
        ("other secret", good.clone(), body, "whsec_another_secret"),
        ("empty header", String::new(), body, STRIPE_SECRET),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(_, header, body, secret)| json!({"lib": "stripe", "op": "verify", "secret": secret, "header": header, "body": body, "tolerance": 300}))
        .collect();
    for ((name, header, body, secret), answer) in cases.iter().zip(peer(&requests)) {
        assert_eq!(answer["ok"], false, "theirs accepted {name}");
        assert!(ours_stripe(header, body, secret, at).is_err(), "ours accepted {name}");
    }
    // Their positive case: a valid signature beside a bad one, both accept.
    let with_bad = format!("{good},v1=bad_signature");
    let answer = &peer(&[
        json!({"lib": "stripe", "op": "verify", "secret": STRIPE_SECRET, "header": with_bad, "body": body, "tolerance": 300}),
    ])[0];
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(ours_stripe(&with_bad, body, STRIPE_SECRET, at), Ok(KeyMatch::Secret(0)));
}
