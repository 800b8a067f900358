//! Loopback receivers for the sender's tests: every one binds 127.0.0.1:0.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hookseal_core::{Provider, Verifier};
use hookseal_sender::{SleepFuture, Sleeper};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The longest any test waits for anything.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One request as the receiver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count()
    }
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// What the scripted receiver answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, empty body.
    Status(u16),
    /// This status, these headers, this body.
    Full { status: u16, headers: Vec<(&'static str, String)>, body: Vec<u8> },
    /// Never answers: the handler awaits a future that never completes.
    Hang,
    /// Answers this status and the first part of a body, then never finishes it.
    HangBody { status: u16, first: Vec<u8> },
}

#[derive(Clone)]
struct Scripted {
    replies: Arc<Mutex<Vec<Reply>>>,
    hits: mpsc::UnboundedSender<Hit>,
}

async fn scripted(State(state): State<Scripted>, uri: axum::http::Uri, headers: HeaderMap, body: Bytes) -> Response {
    let _ = state.hits.send(Hit { path: uri.path().to_owned(), headers: pairs(&headers), body });
    let reply = {
        let mut replies = state.replies.lock().unwrap();
        // The last reply repeats forever.
        if replies.len() > 1 { replies.remove(0) } else { replies[0].clone() }
    };
    match reply {
        Reply::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
        Reply::Full { status, headers, body } => {
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().append(HeaderName::from_static(name), HeaderValue::from_str(&value).unwrap());
            }
            response
        }
        Reply::Hang => std::future::pending().await,
        Reply::HangBody { status, first } => {
            let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(first))])
                .chain(futures_util::stream::pending());
            (StatusCode::from_u16(status).unwrap(), axum::body::Body::from_stream(chunks)).into_response()
        }
    }
}

/// A receiver that records every request and answers from a script.
pub struct ScriptedServer {
    pub addr: SocketAddr,
    hits: mpsc::UnboundedReceiver<Hit>,
}

impl ScriptedServer {
    /// Starts a receiver answering `replies` in order, then the last one forever.
    pub async fn start(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty());
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Scripted { replies: Arc::new(Mutex::new(replies)), hits: tx };
        let router = Router::new().fallback(scripted).with_state(state);
        let addr = serve(router).await;
        Self { addr, hits: rx }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits (boundedly) for the next request.
    pub async fn next_hit(&mut self) -> Hit {
        tokio::time::timeout(PATIENCE, self.hits.recv()).await.expect("a request within the patience").unwrap()
    }

    /// Waits for exactly `count` requests, then checks that no other one was recorded.
    pub async fn hits(&mut self, count: usize) -> Vec<Hit> {
        let mut hits = Vec::with_capacity(count);
        for _ in 0..count {
            hits.push(self.next_hit().await);
        }
        assert!(self.hits.try_recv().is_err(), "more than {count} requests");
        hits
    }

    /// Checks that no request arrived (call after the send under test returned).
    pub fn assert_no_hits(&mut self) {
        assert!(self.hits.try_recv().is_err(), "a request arrived");
    }
}

/// Serves `router` on 127.0.0.1:0 in the background; returns its address.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// What the verifying receiver saw: the request, and what `Verifier<P>` made of it.
pub struct Verified<P: Provider> {
    pub hit: Hit,
    pub result: Result<P::Event, hookseal_core::Error>,
}

struct VerifyState<P: Provider> {
    verifier: Verifier<P>,
    seen: mpsc::UnboundedSender<Verified<P>>,
}

impl<P: Provider> Clone for VerifyState<P> {
    fn clone(&self) -> Self {
        Self { verifier: self.verifier.clone(), seen: self.seen.clone() }
    }
}

async fn verifying<P: Provider>(
    State(state): State<VerifyState<P>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    // The core alone: the received headers and the raw bytes.
    let result = state.verifier.verify_event(&headers, &body);
    let status = match &result {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(err) => StatusCode::from_u16(err.status()).unwrap(),
    };
    let _ =
        state.seen.send(Verified { hit: Hit { path: uri.path().to_owned(), headers: pairs(&headers), body }, result });
    status
}

/// A receiver built on the core only: verifies every request with `verifier`.
pub struct VerifyingServer<P: Provider> {
    pub addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Verified<P>>,
}

impl<P: Provider> VerifyingServer<P> {
    pub async fn start(verifier: Verifier<P>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let router = Router::new().fallback(verifying::<P>).with_state(VerifyState { verifier, seen: tx });
        let addr = serve(router).await;
        Self { addr, seen: rx }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/{}", self.addr, P::NAME)
    }

    pub async fn next(&mut self) -> Verified<P> {
        tokio::time::timeout(PATIENCE, self.seen.recv()).await.expect("a request within the patience").unwrap()
    }

    pub fn assert_idle(&mut self) {
        assert!(self.seen.try_recv().is_err(), "an unexpected request arrived");
    }
}

/// Records the delays asked for and returns at once: no test waits for a backoff.
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper(Arc<Mutex<Vec<Duration>>>);

impl RecordingSleeper {
    pub fn delays(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.0.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}
