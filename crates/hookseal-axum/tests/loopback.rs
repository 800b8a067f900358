//! Real HTTP over loopback: every sample signed like its provider, posted with
//! reqwest to a real axum server, arrives as the typed event; and a 10 MiB body
//! is refused with `413` without the server reading it.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::routing::post;
use common::{DEADLINE, secret, signed_headers};
use futures_util::StreamExt;
use hookseal_axum::receiver::{Outcome, Receiver};
use hookseal_axum::{DEFAULT_DRAIN_LIMIT, Webhook};
use hookseal_core::samples::{self, Sample};
use hookseal_core::{
    ConnectGain, DEFAULT_BODY_LIMIT, Provider, ProviderId, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;
use tower::util::MapRequestLayer;

/// Serves `app` on a port of 127.0.0.1 chosen by the system; the listener is bound before this returns.
async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// What the handlers send back: the provider, and its typed event (as `Box<dyn Any>`).
type Received = (ProviderId, Box<dyn Any + Send>);

#[derive(Clone)]
struct AppState {
    tocc: Verifier<Tocc>,
    toran: Verifier<Toran>,
    zapito: Verifier<Zapito>,
    tuco: Verifier<Tuco>,
    connectgain: Verifier<ConnectGain>,
    received: mpsc::UnboundedSender<Received>,
}

macro_rules! from_state {
    ($($field:ident: $provider:ty),*) => {$(
        impl FromRef<AppState> for Verifier<$provider> {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}

from_state!(tocc: Tocc, toran: Toran, zapito: Zapito, tuco: Tuco, connectgain: ConnectGain);

async fn capture<P: Provider>(State(state): State<AppState>, Webhook(event): Webhook<P>) -> &'static str
where
    Verifier<P>: FromRef<AppState>,
{
    let provider: ProviderId = P::NAME.parse().unwrap();
    state.received.send((provider, Box::new(event))).unwrap();
    "received"
}

/// Asserts that `received` is the `P::Event` the core parses from the sample's exact bytes.
fn assert_same_event<P: Provider>(received: Box<dyn Any + Send>, sample: &Sample) {
    let event = received.downcast::<P::Event>().unwrap_or_else(|_| panic!("{}: not a {} event", sample.name, P::NAME));
    assert_eq!(*event, P::Event::from_slice(sample.body).unwrap(), "{} {}", sample.provider, sample.name);
    assert_eq!(event.name(), sample.event);
    assert_eq!(event.is_test(), sample.is_test);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(DEADLINE).build().unwrap()
}

#[tokio::test]
async fn every_sample_round_trips_over_http_as_its_typed_event() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let state = AppState {
        tocc: Verifier::new(secret()),
        toran: Verifier::new(secret()),
        zapito: Verifier::new(secret()),
        tuco: Verifier::new(secret()),
        connectgain: Verifier::new(secret()),
        received: tx,
    };
    let app = Router::new()
        .route("/tocc", post(capture::<Tocc>))
        .route("/toran", post(capture::<Toran>))
        .route("/zapito", post(capture::<Zapito>))
        .route("/tuco", post(capture::<Tuco>))
        .route("/connectgain", post(capture::<ConnectGain>))
        .with_state(state);
    let addr = serve(app).await;
    let client = client();

    let all = samples::all();
    assert!(all.len() >= 31, "only {} samples", all.len());
    for sample in all {
        let mut request = client.post(format!("http://{addr}/{}", sample.provider.name())).body(sample.body);
        for (name, value) in signed_headers(sample.provider, sample.event, sample.body) {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{} {}", sample.provider, sample.name);
        assert_eq!(response.text().await.unwrap(), "received");

        let (provider, event) = timeout(DEADLINE, rx.recv()).await.unwrap().unwrap();
        assert_eq!(provider, sample.provider);
        match provider {
            ProviderId::Tocc => assert_same_event::<Tocc>(event, sample),
            ProviderId::Toran => assert_same_event::<Toran>(event, sample),
            ProviderId::Zapito => assert_same_event::<Zapito>(event, sample),
            ProviderId::Tuco => assert_same_event::<Tuco>(event, sample),
            ProviderId::ConnectGain => assert_same_event::<ConnectGain>(event, sample),
            other => panic!("unexpected provider {other}"),
        }
    }

    // A request that does not verify never reaches the handler.
    let sample = samples::test_event(ProviderId::Toran);
    let mut request = client.post(format!("http://{addr}/toran")).body([sample.body, b" "].concat());
    for (name, value) in signed_headers(sample.provider, sample.event, sample.body) {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.text().await.unwrap(), "invalid signature");
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn the_reference_receiver_answers_real_requests() {
    let addr = serve(Receiver::new(&secret()).router()).await;
    let client = client();
    for provider in ProviderId::ALL {
        let sample = samples::test_event(provider);
        let mut request = client.post(format!("http://{addr}/webhooks/{provider}")).body(sample.body);
        for (name, value) in signed_headers(provider, sample.event, sample.body) {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{provider}");
        let answer: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(answer["provider"], provider.name());
        assert_eq!(answer["event"], sample.event);
        assert_eq!(answer["test"], true);
    }
    let response = client.post(format!("http://{addr}/webhooks/nobody")).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 404);
}

const TEN_MIB: usize = 10 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The reference receiver, counting the body bytes the server reads and reporting each outcome.
async fn counting_receiver() -> (SocketAddr, Arc<AtomicUsize>, std::sync::mpsc::Receiver<Outcome>) {
    let consumed = Arc::new(AtomicUsize::new(0));
    let counter = consumed.clone();
    let (tx, outcomes) = std::sync::mpsc::channel();
    let app = Receiver::new(&secret()).on_outcome(move |outcome| tx.send(outcome).unwrap()).router().layer(
        MapRequestLayer::new(move |request: Request| {
            let counter = counter.clone();
            request.map(|body| {
                Body::from_stream(body.into_data_stream().inspect(move |frame| {
                    if let Ok(bytes) = frame {
                        counter.fetch_add(bytes.len(), Ordering::SeqCst);
                    }
                }))
            })
        }),
    );
    (serve(app).await, consumed, outcomes)
}

/// The head of a Toran webhook request, with `framing` (a `Content-Length` or `Transfer-Encoding` line).
fn request_head(framing: &str) -> String {
    let signature = format!("sha256={}", "0".repeat(64));
    format!(
        "POST /webhooks/toran HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-Toran-Event: lead.captured\r\nX-Toran-Signature: {signature}\r\n{framing}\r\n\r\n"
    )
}

/// Reads a response's head and returns its status code.
async fn read_status(stream: &mut (impl AsyncReadExt + Unpin)) -> u16 {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        assert!(head.len() < 64 * 1024, "no end to the response head");
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "connection closed before a response: {:?}", String::from_utf8_lossy(&head));
        head.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&head);
    text.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("bad response: {text}"))
}

#[tokio::test]
async fn a_declared_ten_mib_body_is_refused_before_a_byte_of_it_is_sent() {
    let (addr, consumed, outcomes) = counting_receiver().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request_head(&format!("Content-Length: {TEN_MIB}")).as_bytes()).await.unwrap();
    // Not one body byte is sent: a server that read the body first would never answer.
    let status = timeout(DEADLINE, read_status(&mut stream)).await.expect("no answer before the body was sent");
    assert_eq!(status, 413);
    assert_eq!(consumed.load(Ordering::SeqCst), 0);
    match outcomes.try_recv().unwrap() {
        Outcome::Rejected { status: 413, reason, .. } => {
            assert_eq!(reason, format!("request body exceeds the {DEFAULT_BODY_LIMIT} byte limit"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_ten_mib_body_is_refused_while_the_client_is_still_sending() {
    let (addr, consumed, outcomes) = counting_receiver().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let (release, released) = oneshot::channel::<()>();

    // The client streams a 10 MiB chunked body but, once past the limit, holds the
    // rest back until it has the answer: a server that buffered the whole body
    // before answering would wait forever, and the test would time out.
    let sent_by_writer = sent.clone();
    let client = tokio::spawn(async move {
        writer.write_all(request_head("Transfer-Encoding: chunked").as_bytes()).await?;
        let chunk = vec![b' '; CHUNK];
        let mut released = Some(released);
        while sent_by_writer.load(Ordering::SeqCst) < TEN_MIB {
            if sent_by_writer.load(Ordering::SeqCst) >= DEFAULT_BODY_LIMIT + 4 * CHUNK
                && let Some(released) = released.take()
            {
                let _ = released.await;
            }
            writer.write_all(format!("{CHUNK:x}\r\n").as_bytes()).await?;
            writer.write_all(&chunk).await?;
            writer.write_all(b"\r\n").await?;
            sent_by_writer.fetch_add(CHUNK, Ordering::SeqCst);
        }
        writer.write_all(b"0\r\n\r\n").await
    });

    let status = timeout(DEADLINE, read_status(&mut reader)).await.expect("no answer while the body was incomplete");
    assert_eq!(status, 413);
    let sent_at_answer = sent.load(Ordering::SeqCst);
    assert!(sent_at_answer < TEN_MIB, "the whole body was sent before the answer");
    // The limit was found by reading (no Content-Length); what is read past it is drained, not kept.
    let read_by_server = consumed.load(Ordering::SeqCst);
    assert!(read_by_server > DEFAULT_BODY_LIMIT, "the server read only {read_by_server} bytes");
    match outcomes.try_recv().unwrap() {
        Outcome::Rejected { status: 413, reason, .. } => {
            assert_eq!(reason, format!("request body exceeds the {DEFAULT_BODY_LIMIT} byte limit"));
        }
        other => panic!("{other:?}"),
    }

    // Let the client send the rest: the server drains at most DEFAULT_DRAIN_LIMIT more bytes of
    // it (so that the answer is not lost to a reset), then closes; either way the client ends.
    drop(release);
    drop(reader);
    let _ = timeout(DEADLINE, client).await.expect("the client never ended");
    let read_by_server = consumed.load(Ordering::SeqCst);
    assert!(
        read_by_server <= DEFAULT_BODY_LIMIT + CHUNK + DEFAULT_DRAIN_LIMIT + CHUNK,
        "the server read {read_by_server} bytes for a 1 MiB limit and an 8 MiB drain"
    );
}
