//! Early answers reach the client: the actix reference receiver answers `404` (an
//! unknown provider) and `413` (a body over the limit) before it has read the
//! body, and Node.js's own `http` client, which writes the body after the
//! head, must get that status every time, not `EPIPE` or `ECONNRESET`.
//!
//! Needs `node` on the `PATH` (it fails, never skips, without it).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use hookseal_actix::receiver::Receiver;

/// The Node.js client script (one copy, kept with the axum adapter's tests).
const SCRIPT: &str = include_str!("../../hookseal-axum/tests/node/early_answers.js");

/// How many times each answer is tried.
const TRIES: usize = 40;

/// The receiver's body limit in these tests.
const LIMIT: usize = 64 * 1024;

/// Runs the Node client against `url` and returns its line per try.
fn node_statuses(url: &str, body_bytes: usize, framing: &str) -> Vec<String> {
    let script = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("early_answers.js");
    std::fs::write(&script, SCRIPT).unwrap();
    let mut child = Command::new("node")
        .arg(&script)
        .args([url, &body_bytes.to_string(), &TRIES.to_string(), framing])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (Node.js) must be installed to run this test");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the Node client did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "node failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_owned).collect()
}

/// Asserts that all [`TRIES`] got `status`.
fn assert_all(lines: &[String], status: &str) {
    assert_eq!(lines.len(), TRIES, "{lines:?}");
    let got = lines.iter().filter(|line| *line == status).count();
    assert_eq!(got, TRIES, "only {got} of {TRIES} tries got {status}: {lines:?}");
}

/// Serves the reference receiver on a thread of its own (with its own actix system).
fn serve() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let receiver = Receiver::new(&common::secret()).body_limit(LIMIT);
            let server = HttpServer::new(move || App::new().configure(receiver.config()))
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

#[test]
fn node_gets_every_404_for_an_unknown_provider() {
    let addr = serve();
    assert_all(&node_statuses(&format!("http://{addr}/webhooks/stripe"), 1024 * 1024, "length"), "404");
}

#[test]
fn node_gets_every_404_for_a_path_outside_the_receiver() {
    let addr = serve();
    assert_all(&node_statuses(&format!("http://{addr}/not/a/webhook"), 1024 * 1024, "length"), "404");
}

#[test]
fn node_gets_every_413_for_a_declared_body_over_the_limit() {
    let addr = serve();
    assert_all(&node_statuses(&format!("http://{addr}/webhooks/toran"), 32 * LIMIT, "length"), "413");
}

#[test]
fn node_gets_every_413_for_a_chunked_body_once_past_the_limit() {
    let addr = serve();
    assert_all(&node_statuses(&format!("http://{addr}/webhooks/toran"), 32 * LIMIT, "chunked"), "413");
}
