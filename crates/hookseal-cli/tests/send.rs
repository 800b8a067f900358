//! `hookseal send` against receivers the tests run on 127.0.0.1:0.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use common::*;
use hookseal_core::{ProviderId, samples};
use tokio::runtime::Runtime;

/// One request as the test receiver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hit {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A receiver answering a script of statuses (the last one repeats), recording every request.
struct Endpoint {
    addr: SocketAddr,
    hits: mpsc::Receiver<Hit>,
    _runtime: Runtime,
}

impl Endpoint {
    fn start(statuses: &[u16]) -> Self {
        Self::start_answering(statuses, "test receiver")
    }

    /// Like [`start`](Self::start), answering `answer` as the response body.
    fn start_answering(statuses: &[u16], answer: &str) -> Self {
        let answer = answer.to_owned();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, hits) = mpsc::channel();
        let script: Arc<(Vec<u16>, AtomicUsize)> = Arc::new((statuses.to_vec(), AtomicUsize::new(0)));
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (tx, script, answer) = (tx.clone(), Arc::clone(&script), answer.clone());
            async move {
                let headers = headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                let _ = tx.send(Hit { path: uri.path().to_owned(), headers, body: body.to_vec() });
                let n = script.1.fetch_add(1, Ordering::SeqCst);
                let status = script.0[n.min(script.0.len() - 1)];
                (StatusCode::from_u16(status).unwrap(), answer)
            }
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self { addr, hits, _runtime: runtime }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far (the command has exited: all of them have arrived).
    fn hits(&self) -> Vec<Hit> {
        self.hits.try_iter().collect()
    }
}

/// Parses `attempt N: OUTCOME STATUS in MS ms...`, checking the number.
fn attempt_line(line: &str, number: u32) -> (String, String) {
    let rest = line.strip_prefix(&format!("attempt {number}: ")).unwrap_or_else(|| panic!("{line:?}"));
    let (outcome, rest) = rest.split_once(' ').unwrap();
    let (status, rest) = rest.split_once(" in ").unwrap_or_else(|| panic!("{line:?} has no latency"));
    let (millis, _) = rest.split_once(" ms").unwrap_or_else(|| panic!("{line:?} has no latency"));
    let millis: u64 = millis.parse().unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert!(millis < DEADLINE.as_millis() as u64, "{line:?}");
    (outcome.to_owned(), status.to_owned())
}

fn send(provider: ProviderId, url: &str, what: &[&str]) -> Output {
    run(hookseal_with_secret().args(["send", "--provider", provider.name(), "--url", url]).args(what))
}

fn check_delivered(provider: ProviderId, hit: &Hit, path: &str, body: &[u8]) {
    assert_eq!(hit.path, path);
    assert_eq!(hit.body, body, "{provider}: not byte for byte");
    assert_eq!(header(&hit.headers, "content-type"), Some("application/json"));
    assert_eq!(verify_request(provider, &hit.headers, &hit.body), summary(provider, body));
    let user_agent = (provider == ProviderId::Toran).then_some("Toran-Webhook/1.0");
    assert_eq!(header(&hit.headers, "user-agent"), user_agent, "{provider}");
    for (name, sender) in [("x-tuco-timestamp", ProviderId::Tuco), ("x-webhook-timestamp", ProviderId::ConnectGain)] {
        match header(&hit.headers, name) {
            Some(value) => {
                assert_eq!(provider, sender, "{provider} sent {name}");
                let at: chrono::DateTime<chrono::Utc> = value.parse().unwrap_or_else(|e| panic!("{value:?}: {e}"));
                let age = chrono::Utc::now() - at;
                assert!(age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::seconds(60), "{value}");
            }
            None => assert_ne!(provider, sender, "{provider} lacks {name}"),
        }
    }
}

#[test]
fn send_test_delivers_every_provider_test_event_and_prints_the_attempt() {
    for provider in ProviderId::ALL {
        let endpoint = Endpoint::start(&[200]);
        let path = format!("/hooks/{}", provider.name());
        let url = endpoint.url(&path);
        let out = send(provider, &url, &["--test"]);
        out.assert_success();
        let sample = samples::test_event(provider);
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert_eq!(attempt_line(&lines[0], 1), ("sent".to_owned(), "200".to_owned()));
        assert_eq!(lines[1], format!("delivered {provider} {} to {url}", sample.event));
        let hits = endpoint.hits();
        assert_eq!(hits.len(), 1, "{provider}");
        check_delivered(provider, &hits[0], &path, sample.body);
    }
}

#[test]
fn send_event_delivers_the_named_sample() {
    for sample in samples::all().iter().filter(|s| !s.is_test) {
        let endpoint = Endpoint::start(&[204]);
        let out = send(sample.provider, &endpoint.url("/in"), &["--event", sample.name]);
        out.assert_success();
        assert_eq!(attempt_line(&out.lines()[0], 1), ("sent".to_owned(), "204".to_owned()));
        let hits = endpoint.hits();
        assert_eq!(hits.len(), 1);
        check_delivered(sample.provider, &hits[0], "/in", sample.body);
    }
}

#[test]
fn send_body_delivers_the_file_byte_for_byte() {
    let sample = samples::find(ProviderId::Tuco, "message.failed").unwrap();
    let body = [b"\n  ", sample.body, b"  \n"].concat();
    let path = temp_file("body.json", &body);
    let endpoint = Endpoint::start(&[200]);
    let out = send(ProviderId::Tuco, &endpoint.url("/t"), &["--body", path.to_str().unwrap()]);
    out.assert_success();
    let hits = endpoint.hits();
    assert_eq!(hits.len(), 1);
    check_delivered(ProviderId::Tuco, &hits[0], "/t", &body);
}

#[test]
fn send_retries_a_5xx_as_the_provider_does_and_prints_each_attempt() {
    for provider in [ProviderId::Tocc, ProviderId::Toran] {
        let endpoint = Endpoint::start(&[500, 200]);
        let out = send(provider, &endpoint.url("/r"), &["--test"]);
        out.assert_success();
        let lines = out.lines();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(attempt_line(&lines[0], 1), ("failed".to_owned(), "500".to_owned()));
        assert_eq!(attempt_line(&lines[1], 2), ("sent".to_owned(), "200".to_owned()));
        assert!(lines[2].starts_with(&format!("delivered {provider} ")), "{lines:#?}");
        let hits = endpoint.hits();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0], hits[1], "a retry resends the identical request");
    }
}

#[test]
fn a_non_2xx_endpoint_is_a_one_line_failure() {
    /// (provider, statuses answered, extra arguments, attempts expected, final status)
    type Case = (ProviderId, &'static [u16], &'static [&'static str], u32, u16);
    let cases: [Case; 6] = [
        (ProviderId::Tuco, &[500], &[], 1, 500),
        (ProviderId::ConnectGain, &[502], &[], 1, 502),
        (ProviderId::Toran, &[503], &[], 2, 503),
        (ProviderId::Tocc, &[500], &["--no-retry"], 1, 500),
        // Zapito waits 30 s before its retry: --no-retry makes one attempt.
        (ProviderId::Zapito, &[500], &["--no-retry"], 1, 500),
        // A 4xx is final: not retried even where the provider retries.
        (ProviderId::Tocc, &[400], &[], 1, 400),
    ];
    for (provider, script, extra, attempts, status) in cases {
        let endpoint = Endpoint::start(script);
        let started = Instant::now();
        let out = send(provider, &endpoint.url("/fail"), &[&["--test"][..], extra].concat());
        assert!(started.elapsed() < Duration::from_secs(20), "{provider}: waited for a retry");
        out.assert_failure(&format!("delivery failed after {attempts} attempt(s): endpoint answered {status}"));
        let lines = out.lines();
        assert_eq!(lines.len(), attempts as usize, "{provider}: {lines:#?}");
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(attempt_line(line, i as u32 + 1), ("failed".to_owned(), status.to_string()));
            // The response body the sender logged is shown.
            assert!(line.ends_with(" ms, response: test receiver"), "{line:?}");
        }
        assert_eq!(endpoint.hits().len(), attempts as usize, "{provider}");
    }
}

#[test]
fn a_redirect_is_not_followed_and_fails() {
    let endpoint = Endpoint::start(&[307]);
    let out = send(ProviderId::Tuco, &endpoint.url("/moved"), &["--test"]);
    out.assert_failure("endpoint answered 307");
    assert_eq!(endpoint.hits().len(), 1);
}

#[test]
fn an_unreachable_url_is_a_one_line_failure() {
    for (provider, attempts) in [(ProviderId::Tuco, 1), (ProviderId::Toran, 2)] {
        let url = format!("http://{}/nobody", refused_addr());
        let out = send(provider, &url, &["--test"]);
        out.assert_failure(&format!("delivery failed after {attempts} attempt(s): connection failed"));
        let lines = out.lines();
        assert_eq!(lines.len(), attempts, "{lines:#?}");
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(attempt_line(line, i as u32 + 1), ("failed".to_owned(), "no response".to_owned()));
            assert!(line.contains("(connection failed: "), "{line:?}");
        }
    }
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts connections and holds them open, never answering.
    runtime.spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let out = send(ProviderId::Tuco, &format!("http://{addr}/stall"), &["--test"]);
    let elapsed = started.elapsed();
    out.assert_failure("delivery failed after 1 attempt(s): timed out after 5000 ms");
    assert!(elapsed >= Duration::from_secs(5) && elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn bad_urls_are_refused_before_any_request() {
    let cases = [
        ("ftp://127.0.0.1/x", "invalid endpoint URL: scheme `ftp` is not http or https"),
        ("not a url", "invalid endpoint URL"),
        ("http://", "invalid endpoint URL"),
        // A development tool allows loopback, not the rest of the private network.
        ("http://10.0.0.1/", "endpoint address 10.0.0.1 is private"),
        ("http://169.254.169.254/latest/meta-data", "endpoint address 169.254.169.254 is link-local"),
    ];
    for (url, message) in cases {
        let out = send(ProviderId::Tuco, url, &["--test"]);
        out.assert_failure(message);
        assert!(out.stdout.is_empty(), "{url}: {}", out.stdout_text());
    }
}

#[test]
fn send_refuses_unknown_events_and_unusable_bodies() {
    let url = format!("http://{}/", refused_addr());
    send(ProviderId::Toran, &url, &["--event", "lead.nope"]).assert_failure("unknown event `lead.nope` for toran");
    let not_json = temp_file("body.json", b"this is not json");
    send(ProviderId::Toran, &url, &["--body", not_json.to_str().unwrap()]).assert_failure("body is not a valid event");
    let missing = temp_path("missing.json");
    send(ProviderId::Toran, &url, &["--body", missing.to_str().unwrap()]).assert_failure("cannot read body file");
    let big = temp_file("big.json", &vec![b' '; hookseal_core::DEFAULT_BODY_LIMIT + 1]);
    send(ProviderId::Toran, &url, &["--body", big.to_str().unwrap()])
        .assert_failure("body exceeds the 1048576 byte limit");
}

#[test]
fn send_needs_exactly_one_of_event_test_and_body() {
    let url = format!("http://{}/", refused_addr());
    let out = send(ProviderId::Tocc, &url, &[]);
    out.assert_usage_error("the following required arguments were not provided");
    assert!(out.stderr.contains("--event") && out.stderr.contains("--test") && out.stderr.contains("--body"));
    send(ProviderId::Tocc, &url, &["--test", "--event", "lead.new"]).assert_usage_error("cannot be used with");
    send(ProviderId::Tocc, &url, &["--test", "--body", "x.json"]).assert_usage_error("cannot be used with");
    run(hookseal_with_secret().args(["send", "-p", "tocc", "--test"])).assert_usage_error("--url");
}

// ---------------------------------------------------------------- response bodies, --fresh, --header, --dry-run

#[test]
fn a_failed_send_shows_the_response_body_bounded_and_safe_for_a_terminal() {
    let hostile =
        format!("\u{1b}[2J\u{1b}]0;pwned\u{7}bad signature\r\nattempt 2: sent 200\u{202e}{}", "x".repeat(5000));
    let endpoint = Endpoint::start_answering(&[401], &hostile);
    let out = send(ProviderId::Tuco, &endpoint.url("/in"), &["--test"]);
    out.assert_failure("delivery failed after 1 attempt(s): endpoint answered 401");
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "a hostile body must not add lines: {lines:#?}");
    let line = &lines[0];
    assert_eq!(attempt_line(line, 1), ("failed".to_owned(), "401".to_owned()));
    let (_, shown) = line.split_once(", response: ").unwrap_or_else(|| panic!("no response body in {line:?}"));
    assert!(
        shown.starts_with(r"\u{1b}[2J\u{1b}]0;pwned\u{7}bad signature\r\nattempt 2: sent 200\u{202e}xxx"),
        "{shown:?}"
    );
    assert!(!line.chars().any(|c| c.is_control() || c == '\u{202e}'), "{line:?}");
    assert!(shown.ends_with('…'), "a long body is cut: {shown:?}");
    assert!(shown.chars().count() <= 300, "{} chars shown", shown.chars().count());
}

#[test]
fn a_successful_attempt_does_not_show_the_response_body() {
    let endpoint = Endpoint::start_answering(&[500, 200], "all good");
    let out = send(ProviderId::Toran, &endpoint.url("/in"), &["--test"]);
    out.assert_success();
    let lines = out.lines();
    assert!(lines[0].ends_with(", response: all good"), "{lines:#?}");
    assert!(!lines[1].contains("response:"), "{lines:#?}");
}

/// Verifies with `provider`'s verifier, a 60 s replay window and the clock.
fn verify_now(provider: ProviderId, headers: &[(String, String)], body: &[u8]) -> Result<String, String> {
    use hookseal_core::{ConnectGain, Provider, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito};
    fn check<P: Provider>(headers: &[(String, String)], body: &[u8]) -> Result<String, String> {
        let verifier = Verifier::<P>::new(secret()).replay_window(Duration::from_secs(60));
        let event = verifier.verify_event(&headers.to_vec(), body).map_err(|e| e.to_string())?;
        Ok(event.name().to_owned())
    }
    match provider {
        ProviderId::Tocc => check::<Tocc>(headers, body),
        ProviderId::Toran => check::<Toran>(headers, body),
        ProviderId::Zapito => check::<Zapito>(headers, body),
        ProviderId::Tuco => check::<Tuco>(headers, body),
        ProviderId::ConnectGain => check::<ConnectGain>(headers, body),
        other => panic!("no verifier for {other}"),
    }
}

#[test]
fn send_fresh_passes_a_replay_window_that_the_bundled_sample_fails() {
    for provider in ProviderId::ALL {
        let endpoint = Endpoint::start(&[200]);
        send(provider, &endpoint.url("/f"), &["--test", "--fresh"]).assert_success();
        send(provider, &endpoint.url("/f"), &["--test"]).assert_success();
        let hits = endpoint.hits();
        assert_eq!(hits.len(), 2);
        let sample = samples::test_event(provider);
        let (fresh, bundled) = (&hits[0], &hits[1]);
        assert_ne!(fresh.body, sample.body, "{provider}: --fresh sent the bundled bytes");
        assert_eq!(bundled.body, sample.body);
        assert_eq!(verify_now(provider, &fresh.headers, &fresh.body), Ok(sample.event.to_owned()), "{provider}");
        let stale = verify_now(provider, &bundled.headers, &bundled.body).unwrap_err();
        assert!(stale.contains("old, over the 60 s window"), "{provider}: {stale}");
        assert_eq!(summary(provider, &fresh.body).test, sample.is_test);
    }
    let endpoint = Endpoint::start(&[200]);
    send(ProviderId::Zapito, &endpoint.url("/f"), &["--event", "lead.handoff.model_error", "--fresh"]).assert_success();
    let hit = &endpoint.hits()[0];
    assert_eq!(verify_now(ProviderId::Zapito, &hit.headers, &hit.body), Ok("lead.handoff".to_owned()));
    assert!(String::from_utf8_lossy(&hit.body).contains("model_error"));
}

#[test]
fn send_fresh_needs_a_bundled_sample() {
    let url = format!("http://{}/", refused_addr());
    send(ProviderId::Tocc, &url, &["--body", "x.json", "--fresh"]).assert_usage_error("cannot be used with");
}

#[test]
fn send_header_adds_each_header_after_the_providers_own() {
    let endpoint = Endpoint::start(&[200]);
    let out = send(
        ProviderId::Toran,
        &endpoint.url("/h"),
        &["--test", "-H", "X-Trace: 42", "--header", "X-Trace: 43", "--header", "X-Tenant:acme"],
    );
    out.assert_success();
    let hit = &endpoint.hits()[0];
    let traces: Vec<&str> = hit.headers.iter().filter(|(n, _)| n == "x-trace").map(|(_, v)| v.as_str()).collect();
    assert_eq!(traces, ["42", "43"]);
    assert_eq!(header(&hit.headers, "x-tenant"), Some("acme"));
    check_delivered(ProviderId::Toran, hit, "/h", samples::test_event(ProviderId::Toran).body);
}

#[test]
fn send_header_refuses_what_is_not_a_header() {
    let url = format!("http://{}/", refused_addr());
    send(ProviderId::Toran, &url, &["--test", "--header", "no colon"]).assert_usage_error("expected `Name: value`");
    send(ProviderId::Toran, &url, &["--test", "--header", ": v"]).assert_usage_error("the header name is empty");
    let out = send(ProviderId::Toran, &url, &["--test", "--header", "Bad Name: x"]);
    out.assert_failure("invalid header `Bad Name`");
    assert!(out.stdout.is_empty());
}

#[test]
fn send_dry_run_prints_the_request_as_curl_and_sends_nothing() {
    let endpoint = Endpoint::start(&[200]);
    let url = endpoint.url("/dry?x=1");
    let sample = samples::find(ProviderId::Toran, "lead.captured").unwrap();
    let out = send(ProviderId::Toran, &url, &["--event", "lead.captured", "--dry-run", "-H", "X-Trace: 7"]);
    out.assert_success();
    // Exactly what the sender would send (Toran has no timestamp header: it is deterministic).
    let expected = hookseal_sender::Delivery::builder(ProviderId::Toran, url.as_str())
        .secret(secret())
        .header("X-Trace", "7")
        .json(sample.body)
        .unwrap()
        .to_curl();
    assert_eq!(out.stdout_text(), format!("{expected}\n"));
    let text = out.stdout_text();
    assert!(text.starts_with("curl -sS -X POST "), "{text}");
    assert!(text.contains(&format!("'X-Toran-Signature: {}'", signature(ProviderId::Toran, sample.body))), "{text}");
    assert!(text.trim_end().ends_with(&format!("'{url}'")), "{text}");
    assert!(endpoint.hits().is_empty(), "--dry-run sent a request");
    // No network at all: an unreachable URL is fine.
    let nobody = format!("http://{}/x", refused_addr());
    send(ProviderId::Tuco, &nobody, &["--test", "--fresh", "--dry-run"]).assert_success();
}

#[test]
fn send_event_finds_the_provider_when_the_event_is_unique() {
    let endpoint = Endpoint::start(&[200]);
    let url = endpoint.url("/auto");
    let out = run(hookseal_with_secret().args(["send", "--url", &url, "--event", "lead.captured"]));
    out.assert_success();
    assert_eq!(out.lines().last().unwrap(), &format!("delivered toran lead.captured to {url}"));
    let hits = endpoint.hits();
    assert_eq!(hits.len(), 1);
    check_delivered(
        ProviderId::Toran,
        &hits[0],
        "/auto",
        samples::find(ProviderId::Toran, "lead.captured").unwrap().body,
    );

    run(hookseal_with_secret().args(["send", "--url", &url, "--event", "message.sent"]))
        .assert_failure("event `message.sent` is sent by several providers (tuco, connectgain): pass --provider");
    run(hookseal_with_secret().args(["send", "--url", &url, "--test"])).assert_usage_error("--provider");
    run(hookseal_with_secret().args(["send", "--url", &url, "--body", "x.json"])).assert_usage_error("--provider");
    assert!(endpoint.hits().is_empty());
}
