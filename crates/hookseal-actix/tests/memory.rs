//! What one request can make the server hold: about one body-limit-sized
//! buffer, whatever the framing. A real server on loopback receives an
//! authentic 1,000,000-byte body sent chunked in one-byte chunks (a million
//! frames); the process's peak resident memory (`VmHWM`, reset just before)
//! must grow by a few times the body, not by the ~38 MiB that keeping every
//! frame as its own `Bytes` took.
//!
//! Alone in its test binary, so no other test's allocations count.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use actix_web::{App, HttpServer};
use hookseal_actix::receiver::Receiver;
use hookseal_core::samples::Sample;
use hookseal_core::{ProviderId, samples};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The body size: just under the default 1 MiB limit.
const BODY: usize = 1_000_000;

/// The most the peak resident memory may grow while the request is served.
const MAX_GROWTH: u64 = 6 * 1024 * 1024;

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    let kib: u64 = line.trim_start_matches(field).trim().trim_end_matches("kB").trim().parse().unwrap();
    kib * 1024
}

/// Resets the peak resident memory to the current one (Linux `clear_refs`, value 5).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// Every header Toran sends with `body`, signed.
fn signed_headers(sample: &Sample, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("X-Toran-Signature".to_owned(), common::sign_as(ProviderId::Toran, body)),
        ("X-Toran-Event".to_owned(), sample.event.to_owned()),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ]
}

/// A Toran test event padded with trailing spaces (still the same JSON) to [`BODY`] bytes.
fn big_body() -> (Vec<(String, String)>, Vec<u8>) {
    let sample = samples::test_event(ProviderId::Toran);
    let mut body = sample.body.to_vec();
    body.resize(BODY, b' ');
    (signed_headers(sample, &body), body)
}

/// Posts `body` to `path` chunked, one byte per chunk, and returns the status.
async fn post_one_byte_chunks(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // A thousand one-byte chunks per write: the server still parses a million chunks.
    let mut wire = Vec::with_capacity(6 * 1000);
    for piece in body.chunks(1000) {
        wire.clear();
        for byte in piece {
            wire.extend_from_slice(b"1\r\n");
            wire.push(*byte);
            wire.extend_from_slice(b"\r\n");
        }
        stream.write_all(&wire).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    while !response.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before a response: {:?}", String::from_utf8_lossy(&response));
        response.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&response);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

#[actix_web::test]
async fn a_million_one_byte_chunks_hold_about_one_body_of_memory() {
    let receiver = Receiver::new(&common::secret());
    let server = HttpServer::new(move || App::new().configure(receiver.config()))
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    // A small request first, to start the runtime's threads and the server's task; not the big
    // one: memory it freed would stay resident in the allocator and hide the growth measured.
    let deadline = Duration::from_secs(120);
    let sample = samples::test_event(ProviderId::Toran);
    let small = signed_headers(sample, sample.body);
    assert_eq!(
        timeout(deadline, post_one_byte_chunks(addr, "/webhooks/toran", &small, sample.body)).await.unwrap(),
        200
    );
    let (headers, body) = big_body();
    reset_peak();
    let before = status_bytes("VmRSS:");
    assert_eq!(timeout(deadline, post_one_byte_chunks(addr, "/webhooks/toran", &headers, &body)).await.unwrap(), 200);
    let growth = status_bytes("VmHWM:").saturating_sub(before);
    eprintln!("peak resident memory grew by {} KiB for a {BODY}-byte body", growth / 1024);
    assert!(growth <= MAX_GROWTH, "serving a {BODY}-byte body in one-byte chunks grew the peak by {growth} bytes");
    handle.stop(true).await;
}
