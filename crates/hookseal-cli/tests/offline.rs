//! `hookseal events`, `sign`, `verify` and `--help`, and every failure that needs no network.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, SubsecRound, Utc};
use common::*;
use hookseal_core::{ConnectGain, Provider, ProviderId, Tocc, Toran, Tuco, WebhookEvent, Zapito, samples};

const SUBCOMMANDS: [&str; 5] = ["listen", "send", "sign", "verify", "events"];

// ---------------------------------------------------------------- events

#[test]
fn events_lists_every_provider_and_every_sample() {
    let out = run(hookseal().arg("events"));
    out.assert_success();
    let mut lines = out.lines();
    // The listing ends with a blank line and the legend of the bracketed names.
    let legend = lines.pop().unwrap();
    assert!(legend.starts_with("[name]: a sample with its own name"), "{legend:?}");
    assert!(legend.contains("--event"), "{legend:?}");
    assert_eq!(lines.pop().as_deref(), Some(""));
    let headings: Vec<&String> = lines.iter().filter(|l| !l.starts_with(' ')).collect();
    let expected: Vec<String> =
        ProviderId::ALL.iter().map(|p| format!("{} ({})", p.name(), p.display_name())).collect();
    assert_eq!(headings, expected.iter().collect::<Vec<_>>());
    assert_eq!(lines.len(), ProviderId::ALL.len() + samples::all().len(), "{lines:#?}");
    // Under each heading, that provider's samples, in order, the test event marked once.
    let mut rest = lines.iter();
    for provider in ProviderId::ALL {
        assert_eq!(rest.next().unwrap(), &format!("{} ({})", provider.name(), provider.display_name()));
        for sample in samples::for_provider(provider) {
            let line = rest.next().unwrap();
            assert!(line.starts_with("  "), "{line:?}");
            assert!(line.contains(sample.event), "{line:?} lacks {}", sample.event);
            if sample.name != sample.event {
                assert!(line.contains(&format!("[{}]", sample.name)), "{line:?} lacks {}", sample.name);
            }
            assert_eq!(line.ends_with("(test event)"), sample.is_test, "{line:?}");
        }
    }
    assert!(rest.next().is_none());
}

#[test]
fn events_for_one_provider_lists_only_its_events() {
    for provider in ProviderId::ALL {
        let out = run(hookseal().args(["events", "--provider", provider.name()]));
        out.assert_success();
        let mut lines = out.lines();
        // The legend follows only a listing with bracketed names.
        let bracketed = samples::for_provider(provider).any(|s| s.name != s.event);
        if bracketed {
            assert!(lines.pop().unwrap().starts_with("[name]: "), "{provider}");
            assert_eq!(lines.pop().as_deref(), Some(""), "{provider}");
        }
        assert!(!lines.iter().any(|l| l.starts_with("[name]")), "{provider}: {lines:#?}");
        assert_eq!(lines[0], format!("{} ({})", provider.name(), provider.display_name()));
        assert_eq!(lines.len(), 1 + samples::for_provider(provider).count(), "{lines:#?}");
        assert!(lines[1..].iter().all(|l| l.starts_with("  ")), "{lines:#?}");
        for event in provider.events() {
            assert!(lines[1..].iter().any(|l| l.trim_start().starts_with(event)), "{provider}: {event} missing");
        }
        // The short flag works too.
        let short = run(hookseal().args(["events", "-p", provider.name()]));
        assert_eq!(short.assert_success().stdout, out.stdout);
    }
}

#[test]
fn events_event_prints_the_sample_payload() {
    for sample in samples::all() {
        let out = run(hookseal().args(["events", "--provider", sample.provider.name(), "--event", sample.name]));
        out.assert_success();
        let expected = samples::find(sample.provider, sample.name).unwrap();
        assert_eq!(expected, sample, "sample names are unique per provider");
        // Byte for byte (no newline added when it is not a terminal), so a
        // saved copy signs as the sample does.
        assert_eq!(out.stdout, expected.body, "{} {}", sample.provider, sample.name);
        // It is the provider's JSON and parses as its event.
        assert_eq!(summary(sample.provider, &out.stdout).event, sample.event);
    }
}

#[test]
fn events_event_by_event_name_prints_its_first_sample() {
    let out = run(hookseal().args(["events", "-p", "zapito", "--event", "lead.handoff"]));
    out.assert_success();
    let sample = samples::find(ProviderId::Zapito, "lead.handoff").unwrap();
    assert!(!sample.is_test);
    assert_eq!(out.stdout, sample.body);
}

#[test]
fn events_unknown_event_fails_with_one_line() {
    let out = run(hookseal().args(["events", "--provider", "toran", "--event", "lead.nope"]));
    out.assert_failure("unknown event `lead.nope` for toran");
    assert!(out.stdout.is_empty());
}

#[test]
fn events_event_finds_the_provider_when_the_name_is_unique() {
    let cases = [
        ("lead.new", ProviderId::Tocc),
        ("lead.captured", ProviderId::Toran),
        ("lead.handoff.model_error", ProviderId::Zapito),
        ("message.reply", ProviderId::Tuco),
        ("webhook.test", ProviderId::ConnectGain),
    ];
    for (name, provider) in cases {
        let out = run(hookseal().args(["events", "--event", name]));
        out.assert_success();
        assert_eq!(out.stdout, samples::find(provider, name).unwrap().body, "{name}");
    }
    // Every name that only one provider has works without --provider.
    for sample in samples::all() {
        let owners = ProviderId::ALL.iter().filter(|&&p| samples::find(p, sample.name).is_some()).count();
        if owners == 1 {
            let out = run(hookseal().args(["events", "--event", sample.name]));
            assert_eq!(out.assert_success().stdout, sample.body, "{}", sample.name);
        }
    }
}

#[test]
fn events_event_names_the_providers_when_the_name_is_ambiguous() {
    run(hookseal().args(["events", "--event", "message.sent"]))
        .assert_failure("event `message.sent` is sent by several providers (tuco, connectgain): pass --provider");
    run(hookseal().args(["events", "--event", "test"]))
        .assert_failure("event `test` is sent by several providers (tocc, zapito, tuco): pass --provider");
    let out = run(hookseal().args(["events", "--event", "message.sent", "-p", "connectgain"]));
    assert_eq!(out.assert_success().stdout, samples::find(ProviderId::ConnectGain, "message.sent").unwrap().body);
    let out = run(hookseal().args(["events", "--event", "lead.nope"]));
    out.assert_failure("unknown event `lead.nope` (see `hookseal events`)");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------- sign

/// Checks `sign`'s output for `body` (`before..=after` brackets the run).
fn check_signed_headers(
    provider: ProviderId,
    out: &Output,
    body: &[u8],
    event: &str,
    before: DateTime<Utc>,
    after: DateTime<Utc>,
) {
    out.assert_success();
    let headers = parse_headers(&out.stdout_text());
    let scheme = provider.scheme();
    assert_eq!(header(&headers, "Content-Type"), Some("application/json"), "{provider}");
    assert_eq!(header(&headers, scheme.signature_header()), Some(signature(provider, body).as_str()), "{provider}");
    if let Some(name) = scheme.event_header() {
        assert_eq!(header(&headers, name), Some(event), "{provider}");
    }
    let user_agent = (provider == ProviderId::Toran).then_some("Toran-Webhook/1.0");
    assert_eq!(header(&headers, "User-Agent"), user_agent, "{provider}");
    for (timestamp_header, sender) in
        [("X-Tuco-Timestamp", ProviderId::Tuco), ("X-Webhook-Timestamp", ProviderId::ConnectGain)]
    {
        match header(&headers, timestamp_header) {
            Some(value) => {
                assert_eq!(provider, sender, "{provider} sent {timestamp_header}");
                let at: DateTime<Utc> = value.parse().unwrap_or_else(|e| panic!("{value:?}: {e}"));
                assert!(value.ends_with('Z'), "{value:?}");
                assert!(before.trunc_subsecs(3) <= at && at <= after, "{value} not within {before}..{after}");
            }
            None => assert_ne!(provider, sender, "{provider} lacks {timestamp_header}"),
        }
    }
    // The printed headers are what the provider's verifier accepts for these bytes.
    assert_eq!(verify_request(provider, &headers, body).event, event);
}

#[test]
fn sign_prints_the_provider_headers_for_the_exact_bytes_from_a_file_and_from_stdin() {
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        // The sample as is, and with trailing bytes that a JSON parser ignores but the HMAC does not.
        let padded = [sample.body, b" \r\n\t\n"].concat();
        let mut signatures = Vec::new();
        for body in [sample.body.to_vec(), padded] {
            let path = temp_file("body.json", &body);
            let before = Utc::now();
            let from_file =
                run(hookseal_with_secret().args(["sign", "--provider", provider.name(), "--body"]).arg(&path));
            let from_stdin =
                run_with(hookseal_with_secret().args(["sign", "-p", provider.name()]), Some(&body), DEADLINE);
            let after = Utc::now();
            check_signed_headers(provider, &from_file, &body, sample.event, before, after);
            check_signed_headers(provider, &from_stdin, &body, sample.event, before, after);
            signatures.push(signature(provider, &body));
        }
        assert_ne!(signatures[0], signatures[1], "{provider}: the trailing bytes are signed");
    }
}

#[test]
fn sign_reads_the_secret_file_first_line_and_prefers_it_to_the_environment() {
    let body = samples::find(ProviderId::Toran, "lead.captured").unwrap().body;
    let body_path = temp_file("body.json", body);
    for contents in [format!("{SECRET}\n"), format!("{SECRET}\r\nsecond line ignored\n"), SECRET.to_owned()] {
        let secret_path = temp_file("secret", contents.as_bytes());
        let out = run(hookseal()
            .env("HOOKSEAL_SECRET", "a-different-secret")
            .args(["sign", "-p", "toran", "--body"])
            .arg(&body_path)
            .arg("--secret-file")
            .arg(&secret_path));
        out.assert_success();
        let headers = parse_headers(&out.stdout_text());
        assert_eq!(header(&headers, "X-Toran-Signature"), Some(signature(ProviderId::Toran, body).as_str()));
    }
}

#[test]
fn sign_refuses_a_body_that_is_not_an_event() {
    for body in [&b"not json"[..], b"{}", b""] {
        let out = run_with(hookseal_with_secret().args(["sign", "-p", "tocc"]), Some(body), DEADLINE);
        out.assert_failure("body is not a valid event");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn sign_refuses_a_body_over_the_limit_from_stdin_and_from_a_file() {
    let big = vec![b' '; hookseal_core::DEFAULT_BODY_LIMIT + 1];
    let out = run_with(hookseal_with_secret().args(["sign", "-p", "tuco"]), Some(&big), DEADLINE);
    out.assert_failure("body exceeds the 1048576 byte limit");
    let path = temp_file("big.json", &big);
    run(hookseal_with_secret().args(["sign", "-p", "tuco", "--body"]).arg(&path))
        .assert_failure("body exceeds the 1048576 byte limit");
}

#[test]
fn sign_reports_an_unreadable_body_file() {
    let missing = temp_path("missing.json");
    run(hookseal_with_secret().args(["sign", "-p", "tuco", "--body"]).arg(&missing))
        .assert_failure("cannot read body file");
}

// ---------------------------------------------------------------- verify

fn verify_round_trip<P: Provider>(provider: ProviderId) {
    assert_eq!(P::NAME, provider.name());
    for sample in samples::for_provider(provider) {
        let signature = signature(provider, sample.body);
        let path = temp_file("body.json", sample.body);
        let expected = P::Event::from_slice(sample.body).unwrap();
        let with_header = run(hookseal_with_secret()
            .args([
                "verify",
                "--provider",
                P::NAME,
                "--signature",
                &signature,
                "--event-header",
                sample.event,
                "--body",
            ])
            .arg(&path));
        let without_header = run_with(
            hookseal_with_secret().args(["verify", "-p", P::NAME, "--signature", &signature]),
            Some(sample.body),
            DEADLINE,
        );
        for out in [with_header, without_header] {
            out.assert_success();
            let event = P::Event::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", out.stdout_text()));
            assert_eq!(event, expected, "{} {}", P::NAME, sample.name);
            let note = format!("authentic {} {} (test: {}", P::NAME, sample.event, sample.is_test);
            assert!(out.stderr.starts_with(&note), "{:?} lacks {note:?}", out.stderr);
            assert!(out.stderr.contains(&*expected.idempotency_key()), "{}", out.stderr);
        }
    }
}

#[test]
fn verify_prints_the_typed_event_for_every_sample() {
    verify_round_trip::<Tocc>(ProviderId::Tocc);
    verify_round_trip::<Toran>(ProviderId::Toran);
    verify_round_trip::<Zapito>(ProviderId::Zapito);
    verify_round_trip::<Tuco>(ProviderId::Tuco);
    verify_round_trip::<ConnectGain>(ProviderId::ConnectGain);
}

#[test]
fn verify_accepts_what_sign_printed() {
    let body = samples::find(ProviderId::ConnectGain, "deal.stage.changed").unwrap().body;
    let signed = run_with(hookseal_with_secret().args(["sign", "-p", "connectgain"]), Some(body), DEADLINE);
    let headers = parse_headers(&signed.assert_success().stdout_text());
    let sig = header(&headers, "X-Webhook-Signature").unwrap();
    let event = header(&headers, "X-Webhook-Event").unwrap();
    let out = run_with(
        hookseal_with_secret().args(["verify", "-p", "connectgain", "--signature", sig, "--event-header", event]),
        Some(body),
        DEADLINE,
    );
    out.assert_success();
    assert_eq!(summary(ProviderId::ConnectGain, &out.stdout), summary(ProviderId::ConnectGain, body));
}

#[test]
fn verify_rejects_a_tampered_body() {
    for provider in ProviderId::ALL {
        let body = samples::test_event(provider).body;
        let signature = signature(provider, body);
        // Same length, still valid JSON: one character of the event's data changed.
        let text = std::str::from_utf8(body).unwrap();
        let at = text.rfind(|c: char| c.is_ascii_alphabetic()).unwrap();
        let mut tampered = body.to_vec();
        tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
        assert_ne!(tampered, body);
        let out = run_with(
            hookseal_with_secret().args(["verify", "-p", provider.name(), "--signature", &signature]),
            Some(&tampered),
            DEADLINE,
        );
        out.assert_failure("rejected (401)");
        assert!(out.stdout.is_empty(), "{provider}: printed an event for a tampered body");
    }
}

#[test]
fn verify_rejects_the_wrong_secret_and_a_malformed_signature() {
    let body = samples::test_event(ProviderId::Tocc).body;
    let good = signature(ProviderId::Tocc, body);
    let wrong_secret = temp_file("secret", b"another-secret\n");
    let out = run_with(
        hookseal().args(["verify", "-p", "tocc", "--signature", &good, "--secret-file"]).arg(&wrong_secret),
        Some(body),
        DEADLINE,
    );
    out.assert_failure("rejected (401)");
    for bad in ["", "sha256=", "not-a-signature", &good[..good.len() - 1], &format!("{good}0")] {
        let out = run_with(
            hookseal_with_secret().args(["verify", "-p", "tocc", &format!("--signature={bad}")]),
            Some(body),
            DEADLINE,
        );
        out.assert_failure("rejected (401)");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn verify_rejects_an_event_header_that_disagrees_with_the_body_with_400() {
    let body = samples::find(ProviderId::Tuco, "message.reply").unwrap().body;
    let sig = signature(ProviderId::Tuco, body);
    let out = run_with(
        hookseal_with_secret().args(["verify", "-p", "tuco", "--signature", &sig, "--event-header", "message.sent"]),
        Some(body),
        DEADLINE,
    );
    out.assert_failure("rejected (400)");
    assert!(out.stdout.is_empty());
}

#[test]
fn verify_rejects_an_authentic_body_that_is_not_an_event_with_400() {
    let body = b"{\"not\": \"an event\"}";
    let sig = signature(ProviderId::Zapito, body);
    let out =
        run_with(hookseal_with_secret().args(["verify", "-p", "zapito", "--signature", &sig]), Some(body), DEADLINE);
    out.assert_failure("rejected (400)");
}

#[test]
fn verify_refuses_a_body_over_the_limit() {
    let big = vec![b' '; hookseal_core::DEFAULT_BODY_LIMIT + 1];
    let sig = signature(ProviderId::Toran, &big);
    let out =
        run_with(hookseal_with_secret().args(["verify", "-p", "toran", "--signature", &sig]), Some(&big), DEADLINE);
    out.assert_failure("body exceeds the 1048576 byte limit");
    let path = temp_file("big.json", &big);
    run(hookseal_with_secret().args(["verify", "-p", "toran", "--signature", &sig, "--body"]).arg(&path))
        .assert_failure("body exceeds the 1048576 byte limit");
}

#[test]
fn verify_needs_a_signature() {
    run(hookseal_with_secret().args(["verify", "-p", "toran"])).assert_usage_error("--signature");
}

// ---------------------------------------------------------------- secrets

/// A command of each subcommand that needs a secret, with `extra` arguments
/// (everything else valid; `send` aims at a port nobody listens on).
fn secret_commands(extra: &[&str]) -> Vec<std::process::Command> {
    let body = temp_file("body.json", samples::test_event(ProviderId::Toran).body);
    let url = format!("http://{}/", refused_addr());
    let mut commands = Vec::new();
    let mut sign = hookseal();
    sign.args(["sign", "-p", "toran", "--body"]).arg(&body).args(extra);
    commands.push(sign);
    let mut verify = hookseal();
    verify.args(["verify", "-p", "toran", "--signature", "0", "--body"]).arg(&body).args(extra);
    commands.push(verify);
    let mut send = hookseal();
    send.args(["send", "-p", "toran", "--test", "--url", &url]).args(extra);
    commands.push(send);
    let mut listen = hookseal();
    listen.args(["listen", "--addr", "127.0.0.1:0"]).args(extra);
    commands.push(listen);
    commands
}

#[test]
fn no_secret_is_a_one_line_failure_for_every_subcommand_that_needs_one() {
    for mut command in secret_commands(&[]) {
        let out = run(&mut command);
        // `listen` asks for one secret per provider first (see tests/listen.rs).
        let listen = command.get_args().next().is_some_and(|arg| arg == "listen");
        out.assert_failure(if listen {
            "no secret for tocc, toran, zapito, tuco, connectgain: set HOOKSEAL_SECRET_TOCC"
        } else {
            "no secret: set HOOKSEAL_SECRET or pass --secret-file PATH"
        });
        assert!(out.stdout.is_empty(), "{command:?} printed {}", out.stdout_text());
    }
}

#[test]
fn an_empty_secret_is_refused() {
    for mut command in secret_commands(&[]) {
        run(command.env("HOOKSEAL_SECRET", "")).assert_failure("the secret is empty");
    }
    for contents in [&b""[..], b"\n", b"\r\n", b"\nthe secret on line two\n"] {
        let path = temp_file("secret", contents);
        for mut command in secret_commands(&["--secret-file", path.to_str().unwrap()]) {
            run(&mut command).assert_failure("the secret is empty");
        }
    }
}

#[test]
fn an_unreadable_secret_file_is_a_one_line_failure() {
    let missing = temp_path("no-such-secret");
    let directory = temp_path("a-directory");
    std::fs::create_dir_all(&directory).unwrap();
    let not_utf8 = temp_file("secret", b"\xff\xfe s\x00e\x00c\x00\n");
    let too_big = temp_file("secret", &vec![b'k'; 64 * 1024 + 1]);
    for path in [&missing, &directory, &not_utf8, &too_big] {
        for mut command in secret_commands(&["--secret-file", path.to_str().unwrap()]) {
            // The environment would supply a secret: the unreadable file must not fall back to it.
            let out = run(command.env("HOOKSEAL_SECRET", SECRET));
            out.assert_failure(&format!("cannot read secret file {}", path.display()));
            assert!(out.stdout.is_empty());
        }
    }
}

#[cfg(unix)]
#[test]
fn an_endless_secret_file_is_refused_without_reading_it_all() {
    let out = run_with(
        hookseal().args(["sign", "-p", "tuco", "--secret-file", "/dev/zero"]),
        None,
        std::time::Duration::from_secs(10),
    );
    out.assert_failure("cannot read secret file /dev/zero: larger than");
}

#[cfg(unix)]
#[test]
fn a_secret_that_is_not_unicode_is_refused_without_echoing_it() {
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(b"secret-\xff-value");
    let out = run_with(hookseal().env("HOOKSEAL_SECRET", value).args(["sign", "-p", "tuco"]), Some(b"{}"), DEADLINE);
    out.assert_failure("HOOKSEAL_SECRET is not valid Unicode");
    assert!(!out.stderr.contains("secret-"), "{}", out.stderr);
}

#[test]
fn there_is_no_secret_argument() {
    for subcommand in ["listen", "send", "sign", "verify"] {
        for args in [&["--secret", SECRET][..], &[&format!("--secret={SECRET}")]] {
            let out = run(hookseal_with_secret().arg(subcommand).args(args));
            out.assert_usage_error("unexpected argument '--secret");
        }
    }
    let out = run(hookseal_with_secret().args(["sign", "-p", "toran", "--secret", SECRET]));
    out.assert_usage_error("unexpected argument '--secret'");
}

// ---------------------------------------------------------------- usage errors

#[test]
fn an_unknown_provider_is_a_usage_error_naming_the_choices() {
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["sign", "-p", "stripe"],
        vec!["verify", "-p", "stripe", "--signature", "x"],
        vec!["send", "-p", "stripe", "--test", "--url", "http://127.0.0.1:9/"],
        vec!["events", "-p", "stripe"],
        vec!["events", "--provider", "stripe", "--event", "lead.new"],
    ];
    commands.push(vec!["events", "-p", ""]);
    commands.push(vec!["events", "-p", "custom"]);
    for args in commands {
        let out = run(hookseal_with_secret().args(&args));
        out.assert_usage_error("--provider");
        assert!(out.stderr.contains("tocc, toran, zapito, tuco, connectgain"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn unknown_subcommands_and_flags_are_usage_errors() {
    // Without a subcommand, clap shows the short help on stderr, as a usage error.
    let out = run(&mut hookseal());
    assert_eq!(out.status.code(), Some(2));
    assert_no_panic(&out.stderr);
    assert!(out.stderr.contains("Usage: hookseal <COMMAND>"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    run(hookseal().arg("frobnicate")).assert_usage_error("unrecognized subcommand 'frobnicate'");
    run(hookseal().args(["events", "--verbose"])).assert_usage_error("unexpected argument '--verbose'");
    run(hookseal().args(["listen", "--addr", "not-an-address"])).assert_usage_error("--addr");
    run(hookseal().args(["listen", "--max-body", "lots"])).assert_usage_error("--max-body");
}

// ---------------------------------------------------------------- help

#[test]
fn help_works_for_the_command_and_every_subcommand() {
    let out = run(hookseal().arg("--help"));
    out.assert_success();
    let text = out.stdout_text();
    for subcommand in SUBCOMMANDS {
        assert!(text.contains(subcommand), "top-level help lacks {subcommand}");
    }
    assert!(text.contains("HOOKSEAL_SECRET"), "{text}");

    let options: [(&str, &[&str]); 5] = [
        ("listen", &["--addr", "--max-body", "--quiet", "--secret-file"]),
        (
            "send",
            &[
                "--provider",
                "--url",
                "--event",
                "--test",
                "--body",
                "--fresh",
                "--header",
                "--dry-run",
                "--no-retry",
                "--secret-file",
            ],
        ),
        ("sign", &["--provider", "--body", "--secret-file"]),
        ("verify", &["--provider", "--signature", "--event-header", "--body", "--secret-file"]),
        ("events", &["--provider", "--event"]),
    ];
    for (subcommand, flags) in options {
        for help in ["--help", "-h"] {
            let out = run(hookseal().args([subcommand, help]));
            out.assert_success();
            let text = out.stdout_text();
            assert!(text.contains(&format!("Usage: hookseal {subcommand}")), "{text}");
            for flag in flags {
                assert!(text.contains(flag), "`hookseal {subcommand} {help}` lacks {flag}:\n{text}");
            }
            assert!(!text.contains("--secret "), "{text}");
        }
        let out = run(hookseal().args(["help", subcommand]));
        out.assert_success();
        assert!(out.stdout_text().contains(&format!("Usage: hookseal {subcommand}")));
    }
    let version = run(hookseal().arg("--version"));
    assert_eq!(version.assert_success().stdout_text(), format!("hookseal {}\n", env!("CARGO_PKG_VERSION")));
}

// ---------------------------------------------------------------- closed output

/// Standard output whose reader is already gone.
#[cfg(unix)]
fn closed_stdout() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[cfg(unix)]
#[test]
fn a_closed_standard_output_stops_the_command_without_a_panic() {
    let body = temp_file("body.json", samples::test_event(ProviderId::Tuco).body);
    let sig = signature(ProviderId::Tuco, samples::test_event(ProviderId::Tuco).body);
    let commands: [&[&str]; 4] = [
        &["events"],
        &["events", "-p", "tuco", "--event", "test"],
        &["sign", "-p", "tuco", "--body", body.to_str().unwrap()],
        &["verify", "-p", "tuco", "--signature", &sig, "--body", body.to_str().unwrap()],
    ];
    for args in commands {
        let mut command = hookseal_with_secret();
        command.args(args).stdin(std::process::Stdio::null()).stdout(closed_stdout());
        command.stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut stderr = String::new();
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            stderr
        });
        let status = wait_with_deadline(&mut child, DEADLINE);
        let stderr = reader.join().unwrap();
        assert_no_panic(&stderr);
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("hookseal: "), "{args:?}: a broken pipe is not worth a message: {stderr}");
    }
}
