//! Hostile clients against the reference receiver served by a real axum
//! server on 127.0.0.1: slow bodies, a flood of forged requests, absurdly
//! nested JSON, huge numbers, megabyte strings, duplicate keys, and odd bytes
//! in header values. Every case asserts the exact status (and, for the
//! receiver's own answers, the fixed body text), and that the server still
//! answers a valid request afterwards.
//!
//! Requests with odd bytes are written on raw TCP, byte for byte: an HTTP
//! client would refuse to send them. Statuses come from two places, and the
//! tests tell them apart with the receiver's observer, which sees every
//! request that reaches the extractor: hyper's parser answers `400` itself for
//! bytes HTTP forbids in a header value (controls other than tab), before any
//! hookseal code runs; everything else is answered by the receiver.
//!
//! What each hostile input gets, and why (every provider, unless named):
//!
//! | input | status | why |
//! |---|---|---|
//! | headers, then a stalled or dribbled body | `408` `body read timed out`, connection closed | the read timeout is a deadline on the whole body |
//! | 1000 concurrent forged signatures | `401` `invalid signature` each | valid requests among and after them still get `200` |
//! | 100k-deep arrays or objects: the whole body, a typed field, an unknown event | `400` `invalid body` | serde_json stops at depth 128 (an unknown event is read into a JSON value); a typed field refuses the wrong type at once |
//! | 100k-deep value in an open map (Toran `metadata`, ConnectGain `data`) | `400` | the map keeps JSON values: recursion limit |
//! | 100k-deep value in a field the schema does not read | `200` | serde skips it with a heap stack, not recursion; the event is valid |
//! | `1e400`, `-1e400`, 400-digit integers in a number field or an unknown event | `400` | beyond `f64`: "number out of range" |
//! | a 300-digit integer there | `200` | it fits an `f64` (the nearest one is kept) |
//! | a number where the schema wants a string | `400` | wrong type |
//! | a 1 MiB string (typed field, ignored field, unknown event) in a 2 MiB limit | `200` | valid JSON within the limit; over the limit is `413` |
//! | the event name, or a typed field, twice | `400` | the schema refuses a repeated field, even with equal values |
//! | a key the schema does not read twice; any key twice in an unknown event or an open map | `200` | skipped, or serde_json's rule: the last value wins |
//! | `\x01`, NUL or DEL in a header value | `400` from the HTTP parser | HTTP forbids them; no hookseal code runs |
//! | `0xff` or non-ASCII UTF-8 in the signature | `401` `malformed signature` | not hex |
//! | `0xff` or non-ASCII UTF-8 in the event header (valid signature) | `400` `event header does not match body` | it cannot name the body's event |
//! | tabs and spaces around a signature | `200` | HTTP trims them |
//!
//! `tests/abuse.rs` of `hookseal-actix` runs the same cases against actix-web.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Extension, Router};
use futures_util::{StreamExt as _, stream};
use hookseal_axum::receiver::{Outcome, Receiver};
use hookseal_axum::{Webhook, WebhookConfig};
use hookseal_core::samples::{self, Sample};
use hookseal_core::{ProviderId, Secret, Signer, Toran, Verifier};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const SECRET: &str = "whsec_abuse_7c1d";
/// The deadline for any single thing a test waits on.
const DEADLINE: Duration = Duration::from_secs(10);
/// The receiver's body limit here: room for a 1 MiB string and its event.
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// How deep the nested JSON goes.
const DEPTH: usize = 100_000;
/// The read timeout of the slow-body tests.
const READ_TIMEOUT: Duration = Duration::from_millis(300);
/// The read timeout while valid requests are sent next to a stalled one: long
/// enough for them to be answered first even on a loaded machine.
const STALL_TIMEOUT: Duration = Duration::from_secs(1);
/// A slow client must be cut off well within this.
const CUT_OFF_WITHIN: Duration = Duration::from_secs(5);

/// Header names and values; a value may hold any bytes.
type Headers = Vec<(String, Vec<u8>)>;

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

// ---------------------------------------------------------------- the server

/// A running server and the outcomes its receiver reports.
struct Server {
    addr: SocketAddr,
    outcomes: mpsc::Receiver<Outcome>,
}

impl Server {
    /// Serves `receiver` (with an observer added) on a port of 127.0.0.1 chosen by the system.
    async fn start(receiver: Receiver) -> Self {
        let (tx, outcomes) = mpsc::channel();
        let app = receiver
            .on_outcome(move |outcome| {
                let _ = tx.send(outcome);
            })
            .router();
        Self { addr: serve(app).await, outcomes }
    }

    /// The reference receiver with a 2 MiB body limit.
    async fn receiver() -> Self {
        Self::start(Receiver::new(&secret()).body_limit(BODY_LIMIT)).await
    }

    /// Posts on raw TCP and reads the whole answer.
    async fn post(&self, path: &str, headers: &[(String, Vec<u8>)], body: &[u8]) -> Reply {
        exchange(self.addr, &request(path, headers, body)).await
    }

    /// The outcome the receiver reported for the one request just answered.
    ///
    /// The observer runs before the response is sent, so it is already there.
    fn outcome(&self) -> Outcome {
        self.outcomes.try_recv().expect("the receiver reported no outcome")
    }

    /// Asserts that no request reached the receiver since the last outcome taken.
    fn assert_no_outcome(&self, case: &str) {
        if let Ok(outcome) = self.outcomes.try_recv() {
            panic!("{case}: the receiver saw the request: {outcome:?}");
        }
    }

    /// Asserts that the receiver still accepts a valid request from every provider.
    async fn assert_healthy(&self) {
        for provider in ProviderId::ALL {
            let sample = samples::test_event(provider);
            let reply = self.post(&path(provider), &signed(provider, sample.event, sample.body), sample.body).await;
            reply.assert_accepted(provider, sample.event, true);
            assert!(matches!(self.outcome(), Outcome::Accepted(_)));
        }
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

// ---------------------------------------------------------------- requests

fn path(provider: ProviderId) -> String {
    format!("/webhooks/{provider}")
}

fn sign_with(secret: &str, provider: ProviderId, body: &[u8]) -> String {
    Signer::new(&Secret::new(secret).unwrap(), provider.scheme().format()).sign(body)
}

/// The headers `provider` sends with `body` naming `event`, without the signature.
fn unsigned(provider: ProviderId, event: &[u8]) -> Headers {
    let scheme = provider.scheme();
    let mut headers = vec![("Content-Type".to_owned(), b"application/json".to_vec())];
    if let Some(name) = scheme.event_header() {
        headers.push((name.to_owned(), event.to_vec()));
    }
    match provider {
        ProviderId::Toran => headers.push(("User-Agent".to_owned(), b"Toran-Webhook/1.0".to_vec())),
        ProviderId::Tuco => headers.push(("X-Tuco-Timestamp".to_owned(), b"2026-04-15T12:00:00Z".to_vec())),
        ProviderId::ConnectGain => headers.push(("X-Webhook-Timestamp".to_owned(), b"2026-04-15T12:00:00Z".to_vec())),
        _ => {}
    }
    headers
}

/// Every header `provider` sends with `body` naming `event`, signed with `signature`.
fn with_signature(provider: ProviderId, event: &[u8], signature: &[u8]) -> Headers {
    let mut headers = unsigned(provider, event);
    headers.push((provider.scheme().signature_header().to_owned(), signature.to_vec()));
    headers
}

/// Every header `provider` sends with `body` naming `event`, correctly signed.
fn signed(provider: ProviderId, event: &str, body: &[u8]) -> Headers {
    with_signature(provider, event.as_bytes(), sign_with(SECRET, provider, body).as_bytes())
}

/// An HTTP/1.1 `POST` with a `Content-Length` and `Connection: close`, byte for byte.
fn request(path: &str, headers: &[(String, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut request = head(path, headers, body.len());
    request.extend_from_slice(body);
    request
}

fn head(path: &str, headers: &[(String, Vec<u8>)], content_length: usize) -> Vec<u8> {
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {content_length}\r\n")
            .into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

// ---------------------------------------------------------------- answers

#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a `200` whose JSON summary names `provider` and `event`.
    fn assert_accepted(&self, provider: ProviderId, event: &str, test: bool) {
        assert_eq!(self.status, 200, "{provider} {event}: {}", self.text());
        let summary: Value = serde_json::from_slice(&self.body).unwrap();
        assert_eq!(summary["provider"], provider.name());
        assert_eq!(summary["event"], event);
        assert_eq!(summary["test"], test);
        assert!(summary["idempotency_key"].as_str().is_some_and(|key| !key.is_empty()));
    }

    /// Asserts the receiver's own refusal: `status` with its fixed text.
    fn assert_refused(&self, status: u16, text: &str, case: &str) {
        assert_eq!((self.status, self.text().as_str()), (status, text), "{case}");
    }
}

/// Writes `request` on a new connection and reads the answer until the server closes it.
///
/// A failed write is not fatal: the server may answer and close before reading it all.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(request).await;
        read_reply(&mut stream).await
    };
    timeout(DEADLINE, exchange).await.expect("no complete answer within the deadline")
}

/// Reads until the server closes the connection (or resets it), then parses the answer.
async fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => raw.extend_from_slice(&buffer[..read]),
        }
        assert!(raw.len() < 16 * 1024 * 1024, "an endless answer");
    }
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    let rest = &raw[end + 4..];
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|line| line.strip_prefix("content-length:")).map(|n| n.trim().parse().unwrap());
    let body = if lower.contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        rest[..length.unwrap_or(rest.len()).min(rest.len())].to_vec()
    };
    Reply { status, head, body }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|window| window == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        body.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
    body
}

// ---------------------------------------------------------------- bodies

/// The key a provider's body names its event with.
fn event_key(provider: ProviderId) -> &'static str {
    if provider == ProviderId::Tocc { "eventType" } else { "event" }
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

fn body_text(sample: &Sample) -> &'static str {
    std::str::from_utf8(sample.body).unwrap()
}

/// A (non-test) event of the provider, renamed to an event hookseal does not know.
fn unknown_event(provider: ProviderId) -> String {
    let sample = samples::for_provider(provider).find(|sample| !sample.is_test).unwrap();
    let key = event_key(provider);
    replace_once(body_text(sample), &format!(r#""{key}":"{}""#, sample.event), &format!(r#""{key}":"{UNKNOWN}""#))
}

const UNKNOWN: &str = "thing.unknown";

/// `body` with `"name":raw` added as its last top-level member.
fn add_last(body: &str, name: &str, raw: &str) -> String {
    let open = body.strip_suffix('}').unwrap();
    format!(r#"{open},"{name}":{raw}}}"#)
}

/// `body` with `"name":raw` added as its first top-level member, before the event name.
fn add_first(body: &str, name: &str, raw: &str) -> String {
    let rest = body.strip_prefix('{').unwrap();
    format!(r#"{{"{name}":{raw},{rest}"#)
}

/// A scalar field of the provider's test event that its schema types (`"name":value`, as sent).
fn typed_scalar(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::Tocc => r#""name":"Test Lead""#,
        ProviderId::Toran => r#""widget_id":"0299cd05-5ae7-445c-998c-3457fa87cd7d""#,
        ProviderId::Zapito => r#""contactName":"Test Contact""#,
        ProviderId::Tuco => r#""firstName":"Test""#,
        ProviderId::ConnectGain => r#""message":"This is a test webhook from ConnectGain""#,
        other => panic!("no field for {other}"),
    }
}

/// The provider's test event with its typed scalar set to `raw`.
fn set_typed(provider: ProviderId, raw: &str) -> String {
    let field = typed_scalar(provider);
    let name = field.split(':').next().unwrap();
    replace_once(body_text(samples::test_event(provider)), field, &format!("{name}:{raw}"))
}

fn deep_array(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_object(depth: usize) -> String {
    format!("{}null{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

fn digits(count: usize) -> String {
    format!("9{}", "0".repeat(count - 1))
}

/// Posts `body`, correctly signed as `provider` naming `event`.
async fn post_signed(server: &Server, provider: ProviderId, event: &str, body: &str) -> Reply {
    server.post(&path(provider), &signed(provider, event, body.as_bytes()), body.as_bytes()).await
}

// ---------------------------------------------------------------- 1. slow bodies

/// Sends the head of a Toran request declaring a 1000-byte body, and 10 bytes of it.
async fn stall(addr: SocketAddr, path: &str) -> TcpStream {
    let sample = samples::test_event(ProviderId::Toran);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&head(path, &signed(ProviderId::Toran, sample.event, sample.body), 1000)).await.unwrap();
    stream.write_all(&sample.body[..10]).await.unwrap();
    stream
}

/// Asserts that the stalled `stream` gets `408` with the fixed text, no sooner
/// than `after` and well within the cut-off, and is then closed.
async fn assert_cut_off(mut stream: TcpStream, since: Instant, after: Duration) {
    let reply = timeout(CUT_OFF_WITHIN, read_reply(&mut stream)).await.expect("the stalled request was never cut off");
    let waited = since.elapsed();
    reply.assert_refused(408, "body read timed out", "stalled body");
    assert!(reply.head.to_ascii_lowercase().contains("connection: close"), "{}", reply.head);
    assert!(waited >= after, "cut off after {waited:?}, before the {after:?} timeout");
}

/// A valid request, over HTTP with reqwest, while something else is going on.
async fn valid_request(client: &reqwest::Client, addr: SocketAddr, provider: ProviderId) -> (u16, Value) {
    let sample = samples::test_event(provider);
    let mut request = client.post(format!("http://{addr}{}", path(provider))).body(sample.body);
    for (name, value) in signed(provider, sample.event, sample.body) {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(DEADLINE).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_cut_off_with_408_while_valid_requests_are_answered() {
    let server = Server::start(Receiver::new(&secret()).read_timeout(STALL_TIMEOUT)).await;
    let client = client();

    let since = Instant::now();
    let stalled = stall(server.addr, "/webhooks/toran").await;
    // Meanwhile, on other connections, valid requests are answered at once.
    for provider in ProviderId::ALL {
        let (status, summary) = valid_request(&client, server.addr, provider).await;
        assert_eq!((status, &summary["provider"]), (200, &Value::from(provider.name())));
    }
    // None of them waited for the stalled one, which is still unanswered.
    assert!(since.elapsed() < STALL_TIMEOUT, "the valid requests took {:?}", since.elapsed());
    let mut peek = [0; 1];
    assert!(stalled.try_read(&mut peek).is_err_and(|err| err.kind() == std::io::ErrorKind::WouldBlock));

    assert_cut_off(stalled, since, STALL_TIMEOUT).await;
    let accepted = (0..5).map(|_| server.outcome()).filter(|o| matches!(o, Outcome::Accepted(_))).count();
    assert_eq!(accepted, 5);
    match server.outcome() {
        Outcome::Rejected { provider: Some(ProviderId::Toran), status: 408, reason } => {
            assert_eq!(reason, format!("the request body did not arrive in full within {STALL_TIMEOUT:?}"));
        }
        other => panic!("{other:?}"),
    }
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_body_is_cut_off_by_the_deadline_on_the_whole_read() {
    let server = Server::start(Receiver::new(&secret()).read_timeout(READ_TIMEOUT)).await;
    let sample = samples::test_event(ProviderId::Toran);
    let declared = 1000;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let since = Instant::now();
    writer
        .write_all(&head("/webhooks/toran", &signed(ProviderId::Toran, sample.event, sample.body), declared))
        .await
        .unwrap();

    // One byte every 20 ms, never idle for long: only a deadline on the whole
    // read stops it (an idle timeout of 300 ms would wait for all 1000, 20 s).
    let dribbler = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut sent = 0;
        while sent < declared {
            tick.tick().await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    });
    let mut raw = Vec::new();
    // Read until the server closes; a reset after the answer (bytes still arriving) is fine.
    let _ =
        timeout(CUT_OFF_WITHIN, reader.read_to_end(&mut raw)).await.expect("the dribbled request was never cut off");
    let waited = since.elapsed();
    let reply = parse_reply(&raw);
    reply.assert_refused(408, "body read timed out", "dribbled body");
    assert!(waited >= READ_TIMEOUT, "cut off after {waited:?}");
    drop(reader);
    let sent = timeout(DEADLINE, dribbler).await.unwrap().unwrap();
    assert!(sent < declared, "the whole body was sent");
    assert!(matches!(server.outcome(), Outcome::Rejected { status: 408, .. }));
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_extractor_route_takes_its_read_timeout_from_a_webhook_config_extension() {
    async fn toran(Webhook(_event): Webhook<Toran>) -> &'static str {
        "ok"
    }
    let app = Router::new()
        .route("/toran", post(toran))
        .layer(Extension(WebhookConfig::new().read_timeout(READ_TIMEOUT)))
        .with_state(Verifier::<Toran>::new(secret()));
    let addr = serve(app).await;

    let since = Instant::now();
    let stalled = stall(addr, "/toran").await;
    let sample = samples::test_event(ProviderId::Toran);
    let reply =
        exchange(addr, &request("/toran", &signed(ProviderId::Toran, sample.event, sample.body), sample.body)).await;
    assert_eq!((reply.status, reply.text().as_str()), (200, "ok"));
    assert_cut_off(stalled, since, READ_TIMEOUT).await;
}

#[test]
fn the_default_read_timeout_is_ten_seconds() {
    assert_eq!(WebhookConfig::default().get_read_timeout(), Duration::from_secs(10));
    assert_eq!(hookseal_axum::DEFAULT_READ_TIMEOUT, Duration::from_secs(10));
}

// ---------------------------------------------------------------- 2. a flood of forged requests

const FLOOD: usize = 1000;
const IN_FLIGHT: usize = 100;
/// Every this many forged requests, a valid one goes out among them.
const VALID_EVERY: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_forged_requests_are_all_401_and_valid_ones_still_pass() {
    let server = Server::receiver().await;
    let client = client();
    let addr = server.addr;

    // Item `i` is forged, except every `VALID_EVERY`th, which is valid and travels among the forged ones.
    let requests = (0..FLOOD + FLOOD / VALID_EVERY).map(|i| {
        let client = client.clone();
        async move {
            let provider = ProviderId::ALL[i % 5];
            if i % (VALID_EVERY + 1) == VALID_EVERY {
                return (true, valid_request(&client, addr, provider).await);
            }
            let sample = samples::test_event(provider);
            // Signed with the wrong secret, or the right one over other bytes: both mismatch.
            let signature = if i % 2 == 0 {
                sign_with("whsec_not_the_secret", provider, sample.body)
            } else {
                sign_with(SECRET, provider, b"{}")
            };
            let mut request = client.post(format!("http://{addr}{}", path(provider))).body(sample.body);
            for (name, value) in with_signature(provider, sample.event.as_bytes(), signature.as_bytes()) {
                request = request.header(name, value);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (false, (status, Value::from(response.text().await.unwrap())))
        }
    });
    let answers: Vec<_> =
        timeout(Duration::from_secs(60), stream::iter(requests).buffer_unordered(IN_FLIGHT).collect())
            .await
            .expect("the flood did not finish within 60 s");

    let (valid, forged): (Vec<_>, Vec<_>) = answers.into_iter().partition(|(valid, _)| *valid);
    assert_eq!(forged.len(), FLOOD);
    for (_, (status, text)) in &forged {
        assert_eq!((*status, text.as_str()), (401, Some("invalid signature")));
    }
    assert_eq!(valid.len(), FLOOD / VALID_EVERY);
    for (_, (status, summary)) in &valid {
        assert_eq!(*status, 200, "{summary}");
        assert_eq!(summary["test"], true);
        let provider: ProviderId = summary["provider"].as_str().unwrap().parse().unwrap();
        assert_eq!(summary["event"], samples::test_event(provider).event);
    }

    // The receiver saw exactly that, and it answers valid requests after the flood too.
    let outcomes: Vec<_> = server.outcomes.try_iter().collect();
    let refused = outcomes.iter().filter(|o| matches!(o, Outcome::Rejected { status: 401, .. })).count();
    let accepted = outcomes.iter().filter(|o| matches!(o, Outcome::Accepted(_))).count();
    assert_eq!((refused, accepted, outcomes.len()), (FLOOD, FLOOD / VALID_EVERY, FLOOD + FLOOD / VALID_EVERY));
    server.assert_healthy().await;
}

// ---------------------------------------------------------------- 3. deep nesting

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_nested_100k_deep_after_a_valid_signature_is_400_for_every_provider() {
    let server = Server::receiver().await;
    let (array, object) = (deep_array(DEPTH), deep_object(DEPTH));
    for provider in ProviderId::ALL {
        let event = samples::test_event(provider).event;
        // Each deep body has a shallow twin that is accepted: the nesting alone makes the 400.
        let cases: [(&str, String, String, &str); 5] = [
            ("the whole body", array.clone(), body_text(samples::test_event(provider)).to_owned(), event),
            ("a typed field, as arrays", set_typed(provider, &array), set_typed(provider, r#""x""#), event),
            ("a typed field, as objects", set_typed(provider, &object), set_typed(provider, r#""x""#), event),
            (
                "an unknown event (the raw fallback)",
                add_last(&unknown_event(provider), "x", &array),
                add_last(&unknown_event(provider), "x", "[[]]"),
                UNKNOWN,
            ),
            (
                "an unknown event, as objects",
                add_first(&unknown_event(provider), "x", &object),
                add_first(&unknown_event(provider), "x", r#"{"a":{}}"#),
                UNKNOWN,
            ),
        ];
        for (case, deep, shallow, event) in cases {
            let case = format!("{provider}: 100k-deep nesting in {case}");
            assert!(deep.len() >= 2 * DEPTH, "{case}");
            post_signed(&server, provider, event, &deep).await.assert_refused(400, "invalid body", &case);
            match server.outcome() {
                Outcome::Rejected { status: 400, reason, .. } => assert!(reason.len() < 1024, "{case}: {reason}"),
                other => panic!("{case}: {other:?}"),
            }
            post_signed(&server, provider, event, &shallow).await.assert_accepted(provider, event, event != UNKNOWN);
            let _ = server.outcome();
        }
    }
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_in_an_open_map_is_kept_as_sent_and_accepted() {
    let server = Server::receiver().await;
    // Toran's `metadata` and ConnectGain's `data` keep unknown keys as their
    // JSON text: serde_json skips the deep value with an explicit stack, not by
    // recursion, and keeps it whole, so the event is valid, hence 200.
    for (provider, map) in [(ProviderId::Toran, r#""metadata":{"#), (ProviderId::ConnectGain, r#""data":{"#)] {
        let sample = samples::test_event(provider);
        let deep = replace_once(body_text(sample), map, &format!(r#"{map}"deep":{},"#, deep_object(DEPTH)));
        post_signed(&server, provider, sample.event, &deep).await.assert_accepted(provider, sample.event, true);
        let _ = server.outcome();
    }
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_in_a_field_the_schema_ignores_is_skipped_and_accepted() {
    // serde skips a field it does not read with an explicit stack, not by
    // recursion, so the deep value costs no stack; the event is valid, hence 200.
    let server = Server::receiver().await;
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        let body = add_last(body_text(sample), "x", &deep_array(DEPTH));
        post_signed(&server, provider, sample.event, &body).await.assert_accepted(provider, sample.event, true);
        assert!(matches!(server.outcome(), Outcome::Accepted(_)));
    }
}

// ---------------------------------------------------------------- 4. numbers, strings, duplicates, header bytes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_beyond_f64_are_400_in_typed_fields_and_unknown_events() {
    let server = Server::receiver().await;
    let numeric = [
        (ProviderId::Tocc, "customer.returning", r#""daysSinceLast":47"#),
        (ProviderId::Toran, "lead.test", r#""score":50"#),
        // A guessed number (its type is not documented) is read in one pass as
        // an f64 too: a value beyond f64 is still refused (a known limit).
        (ProviderId::ConnectGain, "deal.created", r#""value":12500"#),
    ];
    let huge = ["1e400", "-1e400", "1.7976931348623159e308", &digits(400), &format!("-{}", digits(400))];
    for (provider, name, field) in numeric {
        let sample = samples::find(provider, name).unwrap();
        let key = field.split(':').next().unwrap();
        for number in huge {
            let body = replace_once(body_text(sample), field, &format!("{key}:{number}"));
            let case = format!("{provider} {key}: {}", &number[..number.len().min(24)]);
            post_signed(&server, provider, sample.event, &body).await.assert_refused(400, "invalid body", &case);
            assert!(matches!(server.outcome(), Outcome::Rejected { status: 400, .. }), "{case}");
        }
        // 300 digits still fit an f64 (about 9e299): a valid, if odd, number.
        let body = replace_once(body_text(sample), field, &format!("{key}:{}", digits(300)));
        post_signed(&server, provider, sample.event, &body).await.assert_accepted(
            provider,
            sample.event,
            sample.is_test,
        );
        let _ = server.outcome();
    }
    for provider in ProviderId::ALL {
        // Where the schema wants a string, any number is refused.
        let body = set_typed(provider, "1e400");
        let event = samples::test_event(provider).event;
        post_signed(&server, provider, event, &body).await.assert_refused(400, "invalid body", provider.name());
        let _ = server.outcome();
        // An unknown event is read into a JSON value, which has no room for them either.
        for number in huge {
            let body = add_last(&unknown_event(provider), "n", number);
            post_signed(&server, provider, UNKNOWN, &body).await.assert_refused(400, "invalid body", provider.name());
            let _ = server.outcome();
        }
        let body = add_last(&unknown_event(provider), "n", &digits(300));
        post_signed(&server, provider, UNKNOWN, &body).await.assert_accepted(provider, UNKNOWN, false);
        let _ = server.outcome();
    }
    server.assert_healthy().await;
}

/// A JSON string of at least 1 MiB once decoded (multi-byte UTF-8, escapes
/// and unicode escapes), and that string.
fn mebibyte_string() -> (String, String) {
    let unit = r#"ünïcödé \"quoted\" \n \u00e9 \\ "#;
    let decoded_unit: String = serde_json::from_str(&format!("\"{unit}\"")).unwrap();
    let json = format!("\"{}\"", unit.repeat((1024 * 1024_usize).div_ceil(decoded_unit.len())));
    let decoded: String = serde_json::from_str(&json).unwrap();
    assert!(decoded.len() >= 1024 * 1024);
    (json, decoded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mebibyte_strings_within_the_limit_are_valid_and_accepted() {
    let server = Server::receiver().await;
    let (big, decoded) = mebibyte_string();
    // The string as the event's wire JSON renders it (serde_json, like the core).
    let rendered = serde_json::to_string(&decoded).unwrap();
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        let cases = [
            ("a typed string field", set_typed(provider, &big), sample.event, true),
            ("an ignored field", add_last(body_text(sample), "x", &big), sample.event, true),
            ("an unknown event", add_last(&unknown_event(provider), "x", &big), UNKNOWN, false),
        ];
        for (case, body, event, test) in cases {
            assert!(body.len() > 1024 * 1024 && body.len() < BODY_LIMIT, "{case}");
            post_signed(&server, provider, event, &body).await.assert_accepted(provider, event, test);
            let Outcome::Accepted(summary) = server.outcome() else { panic!("{provider} {case}: not accepted") };
            let json = std::str::from_utf8(&summary.json).unwrap();
            match case {
                // An unknown key is kept as sent (issue 12), like the unknown event's raw JSON.
                "an ignored field" => assert!(json.contains(&format!("\"x\":{big}")), "{provider} {case}"),
                // The typed field holds the whole string; the unknown event keeps its raw JSON as sent.
                "a typed string field" => assert!(json.contains(&rendered), "{provider} {case}"),
                _ => assert!(json.contains(&big), "{provider} {case}"),
            }
        }
    }
    // Past the limit, the same is refused before it is read.
    let sample = samples::test_event(ProviderId::Toran);
    let body = add_last(body_text(sample), "x", &format!("{big},\"y\":{big}"));
    assert!(body.len() > BODY_LIMIT);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let headers = signed(ProviderId::Toran, sample.event, body.as_bytes());
    stream.write_all(&head("/webhooks/toran", &headers, body.len())).await.unwrap();
    let reply = timeout(DEADLINE, read_reply(&mut stream)).await.unwrap();
    reply.assert_refused(413, "body too large", "a 2 MiB body");
    assert!(matches!(server.outcome(), Outcome::Rejected { status: 413, .. }));
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_are_400_where_the_schema_reads_them_and_200_where_serde_accepts_them() {
    let server = Server::receiver().await;
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        let key = event_key(provider);
        let name = format!(r#""{key}":"{}""#, sample.event);
        let field = typed_scalar(provider);
        let refused = [
            // The same event name twice: the schema refuses a repeated field, even with equal values.
            ("the event name", replace_once(body_text(sample), &name, &format!("{name},{name}"))),
            ("a typed field", replace_once(body_text(sample), field, &format!("{field},{field}"))),
        ];
        for (case, body) in refused {
            let case = format!("{provider}: a duplicate key in {case}");
            post_signed(&server, provider, sample.event, &body).await.assert_refused(400, "invalid body", &case);
            match server.outcome() {
                Outcome::Rejected { status: 400, reason, .. } => {
                    assert!(reason.contains("duplicate"), "{case}: {reason}")
                }
                other => panic!("{case}: {other:?}"),
            }
        }
        // A key the schema does not read is skipped, every time it appears.
        let body = add_last(&add_last(body_text(sample), "x", "1"), "x", "2");
        post_signed(&server, provider, sample.event, &body).await.assert_accepted(provider, sample.event, true);
        let _ = server.outcome();
        // An unknown event is read as a JSON value, where the last value wins (serde_json's rule).
        let body = add_last(&add_last(&unknown_event(provider), "x", "1"), "x", "2");
        post_signed(&server, provider, UNKNOWN, &body).await.assert_accepted(provider, UNKNOWN, false);
        let _ = server.outcome();
    }
    // An open map keeps the last value of a repeated key, and accepts it.
    let toran = replace_once(body_text(samples::test_event(ProviderId::Toran)), r#""test":true"#, r#""k":1,"k":2"#);
    post_signed(&server, ProviderId::Toran, "lead.test", &toran).await.assert_accepted(
        ProviderId::Toran,
        "lead.test",
        true,
    );
    let _ = server.outcome();
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_bytes_in_header_values_get_a_clear_4xx() {
    let server = Server::receiver().await;
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        let event = sample.event.as_bytes();
        let good = sign_with(SECRET, provider, sample.body).into_bytes();
        let mut obs_text = good.clone();
        let last = obs_text.len() - 1;
        obs_text[last] = 0xff;

        // Bytes HTTP forbids in a header value: hyper's parser answers 400 itself; no hookseal code runs.
        let forbidden: [(&str, Headers); 4] = [
            ("\\x01 in the signature", with_signature(provider, event, &[&good[..8], b"\x01", &good[8..]].concat())),
            ("NUL in the signature", with_signature(provider, event, &[&good[..], b"\0"].concat())),
            ("DEL in the signature", with_signature(provider, event, &[b"\x7f", &good[..]].concat())),
            ("\\x01 in the event header", with_signature(provider, &[event, b"\x01"].concat(), &good)),
        ];
        for (case, headers) in forbidden {
            let reply = server.post(&path(provider), &headers, sample.body).await;
            assert_eq!(reply.status, 400, "{provider}: {case}: {}", reply.text());
            server.assert_no_outcome(&format!("{provider}: {case}"));
        }

        // Bytes HTTP allows (obs-text, UTF-8) reach the receiver: in a signature they are 401 ...
        let malformed: [(&str, Vec<u8>); 3] = [
            ("0xff in the signature", obs_text.clone()),
            ("non-ASCII UTF-8 in the signature", [&good[..good.len() - 2], "é".as_bytes()].concat()),
            ("a lone 0xff signature", b"\xff".to_vec()),
        ];
        for (case, signature) in malformed {
            let case = format!("{provider}: {case}");
            let reply = server.post(&path(provider), &with_signature(provider, event, &signature), sample.body).await;
            reply.assert_refused(401, "malformed signature", &case);
            assert!(matches!(server.outcome(), Outcome::Rejected { status: 401, .. }), "{case}");
        }
        // ... and, with a valid signature, in the event header they are 400: it does not name the body's event.
        let mismatched: [(&str, Vec<u8>); 3] = [
            ("0xff in the event header", [event, b"\xff"].concat()),
            ("non-ASCII UTF-8 in the event header", [event, "é".as_bytes()].concat()),
            ("only 0x80-0xff bytes in the event header", (0x80..=0xff).collect()),
        ];
        for (case, event_header) in mismatched {
            let case = format!("{provider}: {case}");
            let reply =
                server.post(&path(provider), &with_signature(provider, &event_header, &good), sample.body).await;
            reply.assert_refused(400, "event header does not match body", &case);
            assert!(matches!(server.outcome(), Outcome::Rejected { status: 400, .. }), "{case}");
        }
        // Tabs and spaces around a value are not part of it (HTTP trims them): still valid.
        let padded = [b"\t ", &good[..], b" \t"].concat();
        let reply = server.post(&path(provider), &with_signature(provider, event, &padded), sample.body).await;
        reply.assert_accepted(provider, sample.event, true);
        let _ = server.outcome();
    }
    server.assert_healthy().await;
}
