//! `hookseal sign --scheme` and `hookseal verify --scheme/--provider -H`: the
//! ready schemes from the command line, round trip, and every refusal.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::*;
use hookseal_core::{Message, ProviderId, Scheme, Secret, Signer};

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;

fn with_secret(secret: &str) -> Command {
    let mut command = hookseal();
    command.env("HOOKSEAL_SECRET", secret);
    command
}

/// `-H` arguments for every line `sign` printed.
fn header_args(lines: &[String]) -> Vec<String> {
    lines.iter().flat_map(|line| ["-H".to_owned(), line.clone()]).collect()
}

#[test]
fn sign_prints_the_published_standard_webhooks_vector() {
    let body = temp_file("sw.json", SW_BODY);
    let out = run(with_secret(SW_SECRET)
        .args([
            "sign",
            "--scheme",
            "standard-webhooks",
            "--id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "--timestamp",
            "1614265330",
            "--body",
        ])
        .arg(&body));
    out.assert_success();
    let lines = out.lines();
    for expected in [
        "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp: 1614265330",
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ] {
        assert!(lines.iter().any(|l| l == expected), "{expected} not in {lines:#?}");
    }
    // And verifies, as of its own time, from exactly what sign printed.
    let verified = run(with_secret(SW_SECRET)
        .args(["verify", "--scheme", "standard-webhooks", "--at", "1614265330"])
        .args(header_args(&lines))
        .arg("--body")
        .arg(&body));
    verified.assert_success();
    let json: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(json, serde_json::json!({"test": 2432232314_u64}));
    assert!(verified.stderr.contains("idempotency key: msg_p5jXN8AQM9LWM0D4loKWxJek"), "{}", verified.stderr);
}

#[test]
fn sign_then_verify_round_trips_for_every_scheme_now() {
    let body = temp_file("any.json", br#"{"id":"evt_1","type":"invoice.paid"}"#);
    for scheme in ["standard-webhooks", "github", "stripe"] {
        let secret = if scheme == "standard-webhooks" { SW_SECRET } else { "whsec_cli_test_secret" };
        let signed = run(with_secret(secret).args(["sign", "--scheme", scheme, "--body"]).arg(&body));
        signed.assert_success();
        let lines = signed.lines();
        let out = run(with_secret(secret)
            .args(["verify", "--scheme", scheme])
            .args(header_args(&lines))
            .arg("--body")
            .arg(&body));
        out.assert_success();
        assert!(out.stderr.contains(&format!("authentic {scheme} invoice.paid")), "{scheme}: {}", out.stderr);
        // One changed byte of the body: exit 1 with the reason.
        let forged = temp_file("forged.json", br#"{"id":"evt_2","type":"invoice.paid"}"#);
        run(with_secret(secret)
            .args(["verify", "--scheme", scheme])
            .args(header_args(&lines))
            .arg("--body")
            .arg(&forged))
        .assert_failure("rejected (401): signature does not match");
        // Another secret: exit 1.
        let other = if scheme == "standard-webhooks" { "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } else { "other" };
        run(with_secret(other).args(["verify", "--scheme", scheme]).args(header_args(&lines)).arg("--body").arg(&body))
            .assert_failure("rejected (401)");
    }
}

#[test]
fn github_takes_event_and_delivery_from_the_command_line() {
    let body = temp_file("gh.json", br#"{"action":"opened"}"#);
    let signed = run(with_secret("gh-secret")
        .args(["sign", "--scheme", "github", "--event", "issues", "--id", "d-1", "--body"])
        .arg(&body));
    signed.assert_success();
    let lines = signed.lines();
    assert!(lines.contains(&"X-GitHub-Event: issues".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"X-GitHub-Delivery: d-1".to_owned()), "{lines:#?}");
    // The signature is the one an independent signer computes.
    let expected = Signer::for_scheme(&Secret::new("gh-secret").unwrap(), Scheme::GITHUB)
        .unwrap()
        .signature(br#"{"action":"opened"}"#, &Message::default());
    assert!(lines.contains(&format!("X-Hub-Signature-256: {expected}")), "{lines:#?}");
    let out = run(with_secret("gh-secret")
        .args(["verify", "-s", "github"])
        .args(header_args(&lines))
        .arg("--body")
        .arg(&body));
    out.assert_success();
    assert!(out.stderr.contains("authentic github issues"), "{}", out.stderr);
    assert!(out.stderr.contains("idempotency key: d-1"), "{}", out.stderr);
}

#[test]
fn a_stale_or_malformed_scheme_request_is_refused_with_its_reason() {
    let body = temp_file("sw.json", SW_BODY);
    let sign = |extra: &[&str]| {
        let out = run(with_secret(SW_SECRET)
            .args(["sign", "--scheme", "standard-webhooks", "--id", "msg_1", "--timestamp", "1614265330"])
            .args(extra)
            .arg("--body")
            .arg(&body));
        out.assert_success();
        out.lines()
    };
    let lines = sign(&[]);
    // Now is years later: 400, too old.
    run(with_secret(SW_SECRET)
        .args(["verify", "--scheme", "standard-webhooks"])
        .args(header_args(&lines))
        .arg("--body")
        .arg(&body))
    .assert_failure("rejected (400): signed timestamp is");
    // A bare `v1,` in place of the signature: 401 malformed.
    let bare: Vec<String> = lines
        .iter()
        .map(|l| if l.starts_with("webhook-signature") { "webhook-signature: v1,".to_owned() } else { l.clone() })
        .collect();
    run(with_secret(SW_SECRET)
        .args(["verify", "--scheme", "standard-webhooks", "--at", "1614265330"])
        .args(header_args(&bare))
        .arg("--body")
        .arg(&body))
    .assert_failure("rejected (401): malformed signature in `webhook-signature`");
    // Without the id header: 401, named.
    let no_id: Vec<String> = lines.iter().filter(|l| !l.starts_with("webhook-id")).cloned().collect();
    run(with_secret(SW_SECRET)
        .args(["verify", "--scheme", "standard-webhooks", "--at", "1614265330"])
        .args(header_args(&no_id))
        .arg("--body")
        .arg(&body))
    .assert_failure("missing signed header `webhook-id`");
    // A short whsec secret: refused with the reason, never used as a key.
    run(with_secret("whsec_c2hvcnQ=")
        .args(["verify", "--scheme", "standard-webhooks"])
        .args(header_args(&lines))
        .arg("--body")
        .arg(&body))
    .assert_failure("at least 24 bytes");
    run(with_secret("whsec_c2hvcnQ=").args(["sign", "--scheme", "standard-webhooks", "--body"]).arg(&body))
        .assert_failure("at least 24 bytes");
    // A header argument that is not `Name: value`.
    run(with_secret(SW_SECRET)
        .args(["verify", "--scheme", "standard-webhooks", "-H", "no colon here", "--body"])
        .arg(&body))
    .assert_failure("-H needs `Name: value`");
}

#[test]
fn verify_provider_takes_headers_exactly_as_sign_prints_them() {
    for provider in ProviderId::ALL {
        let sample = hookseal_core::samples::for_provider(provider).next().unwrap();
        let body = temp_file("p.json", sample.body);
        let signed = run(hookseal_with_secret().args(["sign", "--provider", provider.name(), "--body"]).arg(&body));
        signed.assert_success();
        let out = run(hookseal_with_secret()
            .args(["verify", "--provider", provider.name()])
            .args(header_args(&signed.lines()))
            .arg("--body")
            .arg(&body));
        out.assert_success();
        assert!(out.stderr.contains(&format!("authentic {} {}", provider.name(), sample.event)), "{}", out.stderr);
        // The signature header alone is enough too.
        let signature = signature(provider, sample.body);
        let only = format!("{}: {signature}", provider.scheme().signature_header());
        run(hookseal_with_secret().args(["verify", "--provider", provider.name(), "-H", &only, "--body"]).arg(&body))
            .assert_success();
    }
}

#[test]
fn verify_needs_a_target_and_a_signature() {
    run(hookseal_with_secret().args(["verify", "-H", "X: y"])).assert_usage_error("--provider");
    run(hookseal_with_secret().args(["verify", "--scheme", "github"])).assert_usage_error("required");
    run(hookseal_with_secret().args(["verify", "--scheme", "nope", "-H", "X: y"])).assert_usage_error("nope");
    run(hookseal_with_secret().args(["sign", "--provider", "toran", "--id", "x"]))
        .assert_usage_error("cannot be used with");
    run(hookseal_with_secret().args(["verify", "--scheme", "github", "--signature", "x"]))
        .assert_usage_error("cannot be used with");
}
