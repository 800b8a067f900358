//! A 10 MiB body is refused with 413 without being buffered: from its
//! `Content-Length` before a byte is read, or, streamed without one, as soon
//! as the running total passes the limit. Each test counts the bytes the
//! extractor pulled from the payload, so buffering the body would fail it.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::{Payload, Service as _};
use actix_web::error::PayloadError;
use actix_web::test::TestRequest;
use actix_web::{App, FromRequest, HttpMessage as _, HttpResponse, HttpServer, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, stream};
use hookseal_actix::{Webhook, WebhookRejection};
use hookseal_core::{DEFAULT_BODY_LIMIT, Toran, Verifier};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const TEN_MIB: usize = 10 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

type BoxedPayload = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// A 10 MiB body produced lazily in `CHUNK`s, counting the bytes pulled from it.
fn counted_ten_mib(pulled: Arc<AtomicUsize>) -> Payload {
    let chunks = stream::iter((0..TEN_MIB / CHUNK).map(|_| Ok(Bytes::from(vec![b' '; CHUNK]))));
    let counted = chunks.inspect(move |chunk: &Result<Bytes, PayloadError>| {
        if let Ok(chunk) = chunk {
            pulled.fetch_add(chunk.len(), Ordering::SeqCst);
        }
    });
    Payload::from(Box::pin(counted) as BoxedPayload)
}

fn rejection_of(result: Result<Webhook<Toran>, actix_web::Error>) -> WebhookRejection {
    let err = result.expect_err("a 10 MiB body is refused");
    err.as_error::<WebhookRejection>().expect("the default answer is a WebhookRejection").clone()
}

#[actix_web::test]
async fn a_declared_ten_mib_body_is_refused_before_reading_anything() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let (req, _) = TestRequest::post()
        .insert_header(("Content-Length", TEN_MIB.to_string()))
        .insert_header(("X-Toran-Signature", common::sign::<Toran>(b"")))
        .app_data(web::Data::new(Verifier::<Toran>::new(common::secret())))
        .to_http_parts();
    let mut payload = counted_ten_mib(pulled.clone());
    let rejection = rejection_of(Webhook::<Toran>::from_request(&req, &mut payload).await);
    assert_eq!(rejection, WebhookRejection::BodyTooLarge { limit: DEFAULT_BODY_LIMIT });
    assert_eq!(rejection.status().as_u16(), 413);
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "nothing was read");
}

#[actix_web::test]
async fn an_undeclared_ten_mib_stream_is_refused_once_past_the_limit() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let (req, _) = TestRequest::post()
        .insert_header(("X-Toran-Signature", common::sign::<Toran>(b"")))
        .app_data(web::Data::new(Verifier::<Toran>::new(common::secret())))
        .to_http_parts();
    assert!(req.headers().get("content-length").is_none());
    let mut payload = counted_ten_mib(pulled.clone());
    let rejection = rejection_of(Webhook::<Toran>::from_request(&req, &mut payload).await);
    assert_eq!(rejection, WebhookRejection::BodyTooLarge { limit: DEFAULT_BODY_LIMIT });
    // Reading stopped at the first chunk past the limit.
    assert_eq!(pulled.load(Ordering::SeqCst), DEFAULT_BODY_LIMIT + CHUNK);
}

/// A real server whose middleware counts every body byte the handler's extractor pulls.
fn counting_server(consumed: Arc<AtomicUsize>) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    async fn handler(_: Webhook<Toran>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let server = HttpServer::new(move || {
        let consumed = consumed.clone();
        App::new()
            .app_data(web::Data::new(Verifier::<Toran>::new(common::secret())))
            .wrap_fn(move |mut req, srv| {
                let consumed = consumed.clone();
                let counted = req.take_payload().inspect(move |chunk| {
                    if let Ok(chunk) = chunk {
                        consumed.fetch_add(chunk.len(), Ordering::SeqCst);
                    }
                });
                req.set_payload(Payload::from(Box::pin(counted) as BoxedPayload));
                srv.call(req)
            })
            .route("/webhooks/toran", web::post().to(handler))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

/// Reads from `stream` until the status line and headers of a response have arrived.
async fn read_response_head(stream: &mut tokio::net::tcp::OwnedReadHalf) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buf).await.expect("the server answers");
        assert!(read > 0, "connection closed before a response: {}", String::from_utf8_lossy(&head));
        head.extend_from_slice(&buf[..read]);
        assert!(head.len() < 64 * 1024, "response head too long");
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn request_head(extra: &str) -> String {
    format!(
        "POST /webhooks/toran HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-Toran-Signature: {}\r\n{extra}\r\n",
        common::sign::<Toran>(b"")
    )
}

#[actix_web::test]
async fn over_http_a_declared_ten_mib_body_is_answered_413_without_sending_it() {
    let consumed = Arc::new(AtomicUsize::new(0));
    let (addr, handle) = counting_server(consumed.clone());
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // Only the head is sent: a server waiting for the body would never answer.
    write.write_all(request_head(&format!("Content-Length: {TEN_MIB}\r\n")).as_bytes()).await.unwrap();
    let head = tokio::time::timeout(Duration::from_secs(10), read_response_head(&mut read))
        .await
        .expect("answered without waiting for the body");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert_eq!(consumed.load(Ordering::SeqCst), 0);
    drop((read, write));
    handle.stop(true).await;
}

#[actix_web::test]
async fn over_http_a_chunked_ten_mib_body_is_refused_once_past_the_limit() {
    let consumed = Arc::new(AtomicUsize::new(0));
    let (addr, handle) = counting_server(consumed.clone());
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let sent = sent.clone();
        actix_web::rt::spawn(async move {
            write.write_all(request_head("Transfer-Encoding: chunked\r\n").as_bytes()).await?;
            let chunk = [format!("{CHUNK:x}\r\n").into_bytes(), vec![b' '; CHUNK], b"\r\n".to_vec()].concat();
            for _ in 0..TEN_MIB / CHUNK {
                write.write_all(&chunk).await?;
                sent.fetch_add(CHUNK, Ordering::SeqCst);
            }
            write.write_all(b"0\r\n\r\n").await?;
            Ok::<_, std::io::Error>(write)
        })
    };
    let head = tokio::time::timeout(Duration::from_secs(20), read_response_head(&mut read))
        .await
        .expect("the server answers while the body is still being sent");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let consumed = consumed.load(Ordering::SeqCst);
    assert!(consumed > DEFAULT_BODY_LIMIT, "the limit was reached by reading: {consumed}");
    assert!(consumed <= DEFAULT_BODY_LIMIT + 256 * 1024, "read well past the limit: {consumed} bytes");
    sender.abort();
    drop(read);
    handle.stop(true).await;
}
