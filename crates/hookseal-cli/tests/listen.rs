//! `hookseal listen`, driven over loopback by the sender crate and by `hookseal send`.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;

use common::*;
use hookseal_core::env::var_name;
use hookseal_core::{ProviderId, Secret, Signer, samples};
use hookseal_sender::{Delivery, DeliveryLog, EndpointPolicy, Sender};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn sender() -> Sender {
    Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(PATIENCE).build().unwrap()
}

/// Posts `body` with `headers`, exactly as given; returns the status and the response text.
fn post(rt: &Runtime, url: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    rt.block_on(async {
        let mut request = client().post(url).body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    })
}

/// The delivery of `sample`'s body, signed with [`SECRET`], to the listener.
fn delivery(listen: &Listen, provider: ProviderId, body: &[u8]) -> Delivery {
    Delivery::builder(provider, listen.url(provider.name())).secret(secret()).json(body.to_vec()).unwrap()
}

fn response_json(log: &DeliveryLog) -> serde_json::Value {
    let attempt = log.last_attempt().unwrap();
    serde_json::from_slice(&attempt.response_body).unwrap_or_else(|e| panic!("{}: {e}", attempt.response_text()))
}

/// Tampers with a signed body: one letter changed, same length, still JSON.
fn tamper(body: &[u8]) -> Vec<u8> {
    let at = body.iter().rposition(u8::is_ascii_alphabetic).unwrap();
    let mut tampered = body.to_vec();
    tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
    tampered
}

const STOPPING: &str = "stopping: waiting for the requests in flight (Ctrl-C again to stop at once)";

fn assert_stopped(mut listen: Listen) {
    listen.interrupt();
    let (status, rest, stderr) = listen.finish();
    #[cfg(unix)]
    {
        assert!(status.success(), "Ctrl-C should stop it cleanly: {status:?}, stderr: {stderr}");
        assert_eq!(rest, [STOPPING, "stopped"], "stderr: {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    #[cfg(not(unix))]
    let _ = (status, rest, stderr);
}

#[test]
fn listen_verifies_every_provider_test_event_and_every_sample_sent_by_the_sender() {
    let mut listen = Listen::start(&[]);
    let rt = runtime();
    let sender = sender();
    for provider in ProviderId::ALL {
        let builder = Delivery::builder(provider, listen.url(provider.name())).secret(secret());
        let mut deliveries = vec![(builder.test_event().unwrap(), samples::test_event(provider).body)];
        for sample in samples::for_provider(provider) {
            deliveries.push((builder.json(sample.body).unwrap(), sample.body));
        }
        for (delivery, body) in deliveries {
            let log = rt.block_on(sender.send(&delivery)).unwrap();
            assert!(log.is_sent(), "{provider} {}: {log:?}", delivery.event());
            assert_eq!(log.attempts.len(), 1);
            assert_eq!(log.last_status(), Some(200));
            let expected = summary(provider, body);
            assert_eq!(
                response_json(&log),
                serde_json::json!({
                    "provider": provider.name(),
                    "event": expected.event,
                    "test": expected.test,
                    "idempotency_key": expected.idempotency_key,
                })
            );
            assert_eq!(
                listen.next_line(),
                format!(
                    "verified {provider} {} test={} idempotency_key={}",
                    expected.event, expected.test, expected.idempotency_key
                )
            );
        }
    }
    listen.assert_no_pending_line();
    // The sender's client still holds idle keep-alive connections: Ctrl-C must not wait on them.
    assert_stopped(listen);
}

#[test]
fn listen_rejects_tampered_and_misdirected_requests_with_the_right_status() {
    let mut listen = Listen::start(&[]);
    let rt = runtime();
    for provider in ProviderId::ALL {
        let name = provider.name();
        let sample = samples::test_event(provider);

        // The body changed after signing: 401.
        let (_, headers, body) = delivery(&listen, provider, sample.body).into_parts();
        let (status, text) = post(&rt, &listen.url(name), &headers, tamper(&body));
        assert_eq!(status, 401, "{provider}: {text}");
        let line = listen.next_line();
        assert!(line.starts_with(&format!("rejected {name} 401: ")), "{line:?}");

        // No signature at all: 401.
        let unsigned: Vec<_> =
            headers.iter().filter(|(n, _)| n != provider.scheme().signature_header()).cloned().collect();
        assert_eq!(unsigned.len(), headers.len() - 1);
        let (status, _) = post(&rt, &listen.url(name), &unsigned, body.to_vec());
        assert_eq!(status, 401, "{provider}");
        let line = listen.next_line();
        assert!(line.starts_with(&format!("rejected {name} 401: ")), "{line:?}");

        // Signed with another secret, through the sender: 401, and a 4xx is not retried.
        let wrong = Delivery::builder(provider, listen.url(name))
            .secret(Secret::new("not-the-listener-secret").unwrap())
            .json(sample.body)
            .unwrap();
        let log = rt.block_on(sender().send(&wrong)).unwrap();
        assert!(!log.is_sent());
        assert_eq!((log.attempts.len(), log.last_status()), (1, Some(401)), "{provider}");
        let line = listen.next_line();
        assert!(line.starts_with(&format!("rejected {name} 401: ")), "{line:?}");

        // Authentic, but the event header disagrees with the body: 400.
        let mislabelled = Delivery::builder(provider, listen.url(name))
            .secret(secret())
            .event_name("not.this.event")
            .json(sample.body)
            .unwrap();
        let log = rt.block_on(sender().send(&mislabelled)).unwrap();
        assert_eq!(log.last_status(), Some(400), "{provider}");
        let line = listen.next_line();
        assert!(line.starts_with(&format!("rejected {name} 400: ")), "{line:?}");

        // Sent to another provider's route: that provider's signature header is missing (401).
        let other =
            ProviderId::ALL.into_iter().find(|p| p.scheme().signature_header() != provider.scheme().signature_header());
        if let Some(other) = other {
            let (status, _) = post(&rt, &listen.url(other.name()), &headers, body.to_vec());
            assert_eq!(status, 401, "{provider} -> {other}");
            let line = listen.next_line();
            assert!(line.starts_with(&format!("rejected {other} 401: ")), "{line:?}");
        }
    }
    listen.assert_no_pending_line();
    assert_stopped(listen);
}

#[test]
fn listen_answers_404_for_an_unknown_provider() {
    let mut listen = Listen::start(&[]);
    let rt = runtime();
    let (_, headers, body) =
        delivery(&listen, ProviderId::Toran, samples::test_event(ProviderId::Toran).body).into_parts();
    let (status, text) = post(&rt, &listen.url("stripe"), &headers, body.to_vec());
    assert_eq!((status, text.as_str()), (404, "unknown provider"));
    assert_eq!(listen.next_line(), "rejected - 404: unknown provider `stripe`");
    assert_stopped(listen);
}

#[test]
fn listen_quiet_prints_no_line_per_request() {
    let listen = Listen::start(&["--quiet"]);
    let rt = runtime();
    let sample = samples::test_event(ProviderId::Zapito);
    let log = rt.block_on(sender().send(&delivery(&listen, ProviderId::Zapito, sample.body))).unwrap();
    assert_eq!(log.last_status(), Some(200));
    assert_eq!(response_json(&log)["event"], sample.event);
    let (_, headers, body) = delivery(&listen, ProviderId::Zapito, sample.body).into_parts();
    assert_eq!(post(&rt, &listen.url("zapito"), &headers, tamper(&body)).0, 401);
    assert_eq!(post(&rt, &listen.url("nobody"), &headers, body.to_vec()).0, 404);
    // Everything after the `listening on` line, up to exit: only `stopped`.
    assert_stopped(listen);
}

#[test]
fn listen_max_body_answers_413_above_the_limit() {
    let sample = samples::test_event(ProviderId::Toran);
    let limit = sample.body.len();
    let mut listen = Listen::start(&["--max-body", &limit.to_string()]);
    let rt = runtime();
    let sender = sender();

    // Exactly at the limit: accepted.
    let log = rt.block_on(sender.send(&delivery(&listen, ProviderId::Toran, sample.body))).unwrap();
    assert_eq!(log.last_status(), Some(200));
    assert!(listen.next_line().starts_with("verified toran lead.test "));

    // One byte over, authentic: 413, not retried.
    let over = [sample.body, b" "].concat();
    let log = rt.block_on(sender.send(&delivery(&listen, ProviderId::Toran, &over))).unwrap();
    assert_eq!((log.attempts.len(), log.last_status()), (1, Some(413)));
    let line = listen.next_line();
    assert!(line.starts_with("rejected toran 413: "), "{line:?}");

    // A bigger sample of another provider: 413 too.
    let bigger = samples::find(ProviderId::ConnectGain, "message.received").unwrap().body;
    assert!(bigger.len() > limit);
    let log = rt.block_on(sender.send(&delivery(&listen, ProviderId::ConnectGain, bigger))).unwrap();
    assert_eq!(log.last_status(), Some(413));
    let line = listen.next_line();
    assert!(line.starts_with("rejected connectgain 413: "), "{line:?}");
    listen.assert_no_pending_line();
    assert_stopped(listen);
}

#[test]
fn hookseal_send_delivers_to_hookseal_listen() {
    let mut listen = Listen::start(&[]);
    for provider in ProviderId::ALL {
        let out = run(hookseal_with_secret().args([
            "send",
            "-p",
            provider.name(),
            "--test",
            "--url",
            &listen.url(provider.name()),
        ]));
        out.assert_success();
        let expected = summary(provider, samples::test_event(provider).body);
        assert!(out.lines()[0].starts_with("attempt 1: sent 200 in "), "{:?}", out.lines());
        assert_eq!(
            listen.next_line(),
            format!("verified {provider} {} test=true idempotency_key={}", expected.event, expected.idempotency_key)
        );
    }
    // With another secret, `send` fails with the listener's 401.
    let wrong = temp_file("secret", b"another-secret\n");
    let out = run(hookseal()
        .args(["send", "-p", "tuco", "--event", "message.opened", "--url", &listen.url("tuco"), "--secret-file"])
        .arg(&wrong));
    out.assert_failure("delivery failed after 1 attempt(s): endpoint answered 401");
    assert!(listen.next_line().starts_with("rejected tuco 401: "));
    assert_stopped(listen);
}

/// Starts a request to `listen` whose body never finishes arriving, and
/// returns once the receiver is reading that body (it has answered the
/// request's `Expect: 100-continue`).
fn stalled_request(listen: &Listen) -> std::net::TcpStream {
    let mut stalled = std::net::TcpStream::connect(listen.addr).unwrap();
    stalled.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stalled,
        "POST /webhooks/toran HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\nExpect: 100-continue\r\n\r\n",
        listen.addr
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 1024, "{}", String::from_utf8_lossy(&head));
        std::io::Read::read_exact(&mut stalled, &mut byte).expect("an interim response");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 100 Continue\r\n"), "{}", String::from_utf8_lossy(&head));
    stalled.write_all(b"{\"event\"").unwrap();
    stalled.flush().unwrap();
    stalled
}

#[cfg(unix)]
#[test]
fn ctrl_c_right_after_the_listening_line_stops_it_cleanly() {
    // The first thing a user can do: the interrupt must be caught, not kill the process.
    for _ in 0..5 {
        assert_stopped(Listen::start(&[]));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_waits_for_a_request_in_flight_which_the_read_timeout_bounds() {
    let mut listen = Listen::start(&[]);
    let stalled = stalled_request(&listen);
    listen.interrupt();
    assert_eq!(listen.next_line(), STOPPING);
    // The stalled request ends with 408 at the read timeout (10 s); then it stops.
    let (status, rest, stderr) = listen.finish();
    assert!(status.success(), "{status:?}: {stderr}");
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert!(rest[0].starts_with("rejected toran 408: "), "{rest:?}");
    assert_eq!(rest[1], "stopped");
    drop(stalled);
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_stops_at_once_without_waiting_for_requests_in_flight() {
    let mut listen = Listen::start(&[]);
    let stalled = stalled_request(&listen);
    listen.interrupt();
    assert_eq!(listen.next_line(), STOPPING);
    listen.interrupt();
    let (status, rest, stderr) = listen.finish();
    // Not the graceful path (which would say `stopped` with exit 0 after the 408).
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(stderr, "hookseal: stopped without waiting for the requests in flight\n");
    drop(stalled);
}

#[test]
fn listen_fails_with_one_line_when_the_address_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(hookseal_with_provider_secrets().args(["listen", "--addr", &addr]));
    out.assert_failure(&format!("cannot listen on {addr}: "));
    assert!(out.stdout.is_empty());
    drop(taken);
}

#[cfg(unix)]
#[test]
fn listen_keeps_serving_when_its_standard_output_is_closed() {
    let mut child = hookseal_with_provider_secrets()
        .args(["listen", "--addr", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(addr, _)| addr.to_owned())
        .unwrap_or_else(|| panic!("{first:?}"));
    // The reader goes away (as `hookseal listen | head -1` would do).
    drop(stdout);
    let rt = runtime();
    for provider in ProviderId::ALL {
        let url = format!("http://{addr}/webhooks/{}", provider.name());
        let delivery = Delivery::builder(provider, url).secret(secret()).test_event().unwrap();
        let log = rt.block_on(sender().send(&delivery)).unwrap();
        assert_eq!(log.last_status(), Some(200), "{provider}: {log:?}");
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let status = wait_with_deadline(&mut child, DEADLINE);
    let stderr = stderr.join().unwrap();
    assert_no_panic(&stderr);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// The Node.js client of the adapters' early-answer tests (one copy, kept with hookseal-axum's).
const NODE_SCRIPT: &str = include_str!("../../hookseal-axum/tests/node/early_answers.js");

/// How many times each early answer is tried with Node's `http` client.
const NODE_TRIES: usize = 40;

/// Posts a `body_bytes` body to `url` [`NODE_TRIES`] times with Node.js's
/// `http` client (head first, body after it) and returns what each try got.
fn node_statuses(url: &str, body_bytes: usize) -> Vec<String> {
    let script = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("early_answers.js");
    std::fs::write(&script, NODE_SCRIPT).unwrap();
    let mut command = std::process::Command::new("node");
    command.arg(&script).args([url, &body_bytes.to_string(), &NODE_TRIES.to_string(), "length"]);
    let out = run(&mut command);
    assert!(out.status.success(), "node (Node.js) must be installed to run this test: {}", out.stderr);
    out.lines()
}

fn assert_all(lines: &[String], status: &str) {
    assert_eq!(lines.len(), NODE_TRIES, "{lines:?}");
    let got = lines.iter().filter(|line| *line == status).count();
    assert_eq!(got, NODE_TRIES, "only {got} of {NODE_TRIES} tries got {status}: {lines:?}");
}

#[test]
fn listen_early_404_and_413_reach_a_node_client_still_sending_the_body() {
    let limit = 64 * 1024;
    let listen = Listen::start(&["--quiet", "--max-body", &limit.to_string()]);
    assert_all(&node_statuses(&listen.url("stripe"), 1024 * 1024), "404");
    assert_all(&node_statuses(&listen.url("toran"), 32 * limit), "413");
    assert_stopped(listen);
}

/// Provider `provider`'s own secret in the per-provider tests.
fn own_secret(provider: ProviderId) -> String {
    format!("{SECRET}-{}", provider.name())
}

/// `hookseal` with a different secret for each provider, and no shared one.
fn hookseal_with_distinct_secrets() -> std::process::Command {
    let mut command = hookseal();
    for provider in ProviderId::ALL {
        command.env(var_name(provider), own_secret(provider));
    }
    command
}

type Headers = Vec<(String, String)>;

/// A Tuco `message.sent` as Tuco delivers it (signed with `secret`), and the same body with
/// the same signature moved to ConnectGain's header: a replay to the ConnectGain route.
fn tuco_and_its_replay_to_connectgain(secret: &str) -> (Headers, Headers, Vec<u8>) {
    let body = samples::find(ProviderId::Tuco, "message.sent").unwrap().body;
    let signature = Signer::new(&Secret::new(secret).unwrap(), ProviderId::Tuco.scheme().format()).sign(body);
    let tuco = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (ProviderId::Tuco.scheme().signature_header().to_owned(), signature.clone()),
    ];
    let replay = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (ProviderId::ConnectGain.scheme().signature_header().to_owned(), signature),
    ];
    (tuco, replay, body.to_vec())
}

#[test]
fn with_one_shared_secret_a_tuco_delivery_replayed_to_connectgain_verifies() {
    // The attack the per-provider secrets close: the same secret on both routes.
    let mut listen = Listen::start(&[]);
    let rt = runtime();
    let (_, replay, body) = tuco_and_its_replay_to_connectgain(SECRET);
    let (status, _) = post(&rt, &listen.url("connectgain"), &replay, body);
    assert_eq!(status, 200);
    assert!(listen.next_line().starts_with("verified connectgain message.sent "));
    assert_stopped(listen);
}

#[test]
fn with_per_provider_secrets_a_tuco_delivery_replayed_to_connectgain_is_refused() {
    let mut listen = Listen::start_with(hookseal_with_distinct_secrets(), &[]);
    let rt = runtime();
    let (tuco, replay, body) = tuco_and_its_replay_to_connectgain(&own_secret(ProviderId::Tuco));
    let (status, _) = post(&rt, &listen.url("tuco"), &tuco, body.clone());
    assert_eq!(status, 200, "on its own route, Tuco's delivery verifies");
    assert!(listen.next_line().starts_with("verified tuco message.sent "));
    let (status, text) = post(&rt, &listen.url("connectgain"), &replay, body);
    assert_eq!((status, text.as_str()), (401, "invalid signature"));
    assert!(listen.next_line().starts_with("rejected connectgain 401: "));
    // Every provider verifies with its own secret, and with no other's.
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        for (secret, expected) in [(own_secret(provider), 200), (SECRET.to_owned(), 401)] {
            let delivery = Delivery::builder(provider, listen.url(provider.name()))
                .secret(Secret::new(secret).unwrap())
                .json(sample.body)
                .unwrap();
            let (_, headers, body) = delivery.into_parts();
            assert_eq!(post(&rt, &listen.url(provider.name()), &headers, body.to_vec()).0, expected, "{provider}");
            listen.next_line();
        }
    }
    assert_stopped(listen);
}

#[test]
fn a_provider_variable_lists_several_secrets_for_a_rotation() {
    let mut command = hookseal_with_distinct_secrets();
    command.env(var_name(ProviderId::Toran), "toran-new \n toran-old");
    let mut listen = Listen::start_with(command, &[]);
    let rt = runtime();
    let sample = samples::test_event(ProviderId::Toran);
    for (secret, expected) in [("toran-new", 200), ("toran-old", 200), ("toran-older", 401)] {
        let delivery = Delivery::builder(ProviderId::Toran, listen.url("toran"))
            .secret(Secret::new(secret).unwrap())
            .json(sample.body)
            .unwrap();
        let (_, headers, body) = delivery.into_parts();
        assert_eq!(post(&rt, &listen.url("toran"), &headers, body.to_vec()).0, expected, "{secret}");
        listen.next_line();
    }
    assert_stopped(listen);
}

/// Stops `listen` and returns its standard error.
fn stopped_stderr(mut listen: Listen) -> String {
    listen.interrupt();
    let (status, _, stderr) = listen.finish();
    assert!(status.success() || cfg!(not(unix)), "{status:?}: {stderr}");
    stderr
}

#[test]
fn the_shared_hookseal_secret_is_only_a_fallback_and_is_warned_about() {
    // Only the shared secret: it serves every provider, with a warning naming all five.
    let listen = Listen::start_with(hookseal_with_secret(), &[]);
    let rt = runtime();
    let log = rt.block_on(sender().send(&delivery(
        &listen,
        ProviderId::Zapito,
        samples::test_event(ProviderId::Zapito).body,
    )));
    assert_eq!(log.unwrap().last_status(), Some(200));
    assert_eq!(
        stopped_stderr(listen),
        "hookseal: warning: tocc, toran, zapito, tuco, connectgain share one secret (HOOKSEAL_SECRET): a delivery \
         captured for one of them would verify on another's route; set HOOKSEAL_SECRET_TOCC, HOOKSEAL_SECRET_TORAN, \
         HOOKSEAL_SECRET_ZAPITO, HOOKSEAL_SECRET_TUCO, HOOKSEAL_SECRET_CONNECTGAIN instead\n"
    );

    // Own variables for two: the warning names the other three, which use the fallback.
    let mut command = hookseal_with_secret();
    command.env(var_name(ProviderId::Toran), own_secret(ProviderId::Toran));
    command.env(var_name(ProviderId::Tuco), own_secret(ProviderId::Tuco));
    let listen = Listen::start_with(command, &[]);
    let stderr = stopped_stderr(listen);
    assert!(stderr.starts_with("hookseal: warning: tocc, zapito, connectgain share one secret"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");

    // Every provider with its own: no warning.
    assert_eq!(stopped_stderr(Listen::start(&[])), "");
}

#[test]
fn listen_without_a_secret_for_every_provider_fails_with_one_line() {
    let mut command = hookseal();
    command.env(var_name(ProviderId::Toran), "x").args(["listen", "--addr", "127.0.0.1:0"]);
    run(&mut command).assert_failure(
        "no secret for tocc, zapito, tuco, connectgain: set HOOKSEAL_SECRET_TOCC, HOOKSEAL_SECRET_ZAPITO, \
         HOOKSEAL_SECRET_TUCO, HOOKSEAL_SECRET_CONNECTGAIN (or, not advised, one secret for all: HOOKSEAL_SECRET or \
         --secret-file PATH)",
    );
    let mut command = hookseal_with_provider_secrets();
    command.env(var_name(ProviderId::Zapito), "  ").args(["listen", "--addr", "127.0.0.1:0"]);
    run(&mut command).assert_failure("HOOKSEAL_SECRET_ZAPITO is set but holds no secret");
}
