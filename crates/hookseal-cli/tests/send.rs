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
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, hits) = mpsc::channel();
        let script: Arc<(Vec<u16>, AtomicUsize)> = Arc::new((statuses.to_vec(), AtomicUsize::new(0)));
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (tx, script) = (tx.clone(), Arc::clone(&script));
            async move {
                let headers = headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                let _ = tx.send(Hit { path: uri.path().to_owned(), headers, body: body.to_vec() });
                let n = script.1.fetch_add(1, Ordering::SeqCst);
                let status = script.0[n.min(script.0.len() - 1)];
                (StatusCode::from_u16(status).unwrap(), "test receiver")
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
