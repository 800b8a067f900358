//! After an early `413`, the rest of the body is drained in the background
//! (so that the answer reaches a client still sending), and the drain is
//! bounded: it stops past the drain limit, at the drain timeout (tokio's
//! paused clock, no sleeping), and never starts for `Expect: 100-continue`.
//! The client's side of the body is a channel: the drain has stopped when
//! the channel is closed.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::{Extension, Router};
use bytes::Bytes;
use hookseal_axum::{VerifiedBody, WebhookConfig};
use hookseal_core::{Toran, Verifier};
use tokio::sync::mpsc;
use tower::ServiceExt;

const LIMIT: usize = 16;

fn app(config: WebhookConfig) -> Router {
    Router::new()
        .route("/toran", post(|_: VerifiedBody<Toran>| async { "seen" }))
        .layer(Extension(config))
        .with_state(Verifier::<Toran>::new(common::secret()).body_limit(LIMIT))
}

/// A body fed through a channel, as a client would send it.
fn channel_body() -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
    });
    (tx, Body::from_stream(stream))
}

/// A Toran request over the limit, declared (`Content-Length`) or found while reading.
async fn refused(config: WebhookConfig, declared: bool, expect_continue: bool) -> mpsc::Sender<Bytes> {
    let (tx, body) = channel_body();
    let mut request = http::Request::post("/toran").header("X-Toran-Signature", format!("sha256={}", "0".repeat(64)));
    if declared {
        request = request.header("Content-Length", "1000");
    }
    if expect_continue {
        request = request.header("Expect", "100-continue");
    }
    let response = if declared {
        app(config).oneshot(request.body(body).unwrap()).await.unwrap()
    } else {
        let call = tokio::spawn(app(config).oneshot(request.body(body).unwrap()));
        tx.send(Bytes::from(vec![b' '; LIMIT + 1])).await.unwrap();
        call.await.unwrap().unwrap()
    };
    assert_eq!(response.status(), 413);
    tx
}

/// Lets the spawned drain run until it waits for more.
async fn settle() {
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_declared_body_over_the_limit_is_drained_up_to_the_drain_limit_then_dropped() {
    let tx = refused(WebhookConfig::new().drain_limit(10), true, false).await;
    // Within the drain limit, the client can keep sending.
    tx.send(Bytes::from_static(b"12345")).await.unwrap();
    tx.send(Bytes::from_static(b"12345")).await.unwrap();
    settle().await;
    assert!(!tx.is_closed(), "the drain stopped within its limit");
    // Past it, the drain stops and lets go of the body.
    tx.send(Bytes::from_static(b"1")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), tx.closed()).await.expect("the drain never stopped");
}

#[tokio::test(start_paused = true)]
async fn a_body_found_over_the_limit_while_reading_is_drained_too() {
    let tx = refused(WebhookConfig::new().drain_limit(4), false, false).await;
    tx.send(Bytes::from_static(b"1234")).await.unwrap();
    settle().await;
    assert!(!tx.is_closed(), "the drain stopped within its limit");
    tx.send(Bytes::from_static(b"5")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), tx.closed()).await.expect("the drain never stopped");
}

#[tokio::test(start_paused = true)]
async fn the_drain_gives_up_at_its_timeout() {
    let tx = refused(WebhookConfig::new().drain_timeout(Duration::from_secs(3)), true, false).await;
    settle().await;
    tokio::time::advance(Duration::from_millis(2900)).await;
    settle().await;
    assert!(!tx.is_closed(), "the drain stopped before its timeout");
    tokio::time::advance(Duration::from_millis(200)).await;
    settle().await;
    assert!(tx.is_closed(), "the drain outlived its timeout");
}

#[tokio::test(start_paused = true)]
async fn nothing_is_drained_with_a_zero_limit_or_for_expect_100_continue() {
    let tx = refused(WebhookConfig::new().drain_limit(0), true, false).await;
    settle().await;
    assert!(tx.is_closed());
    let tx = refused(WebhookConfig::new(), true, true).await;
    settle().await;
    assert!(tx.is_closed(), "a client waiting for 100 Continue sends no body: nothing to drain");
}

#[tokio::test(start_paused = true)]
async fn without_a_config_the_defaults_drain() {
    assert_eq!(WebhookConfig::new().get_drain_limit(), hookseal_axum::DEFAULT_DRAIN_LIMIT);
    assert_eq!(WebhookConfig::new().get_drain_timeout(), hookseal_axum::DEFAULT_DRAIN_TIMEOUT);
    let tx = refused(WebhookConfig::default(), true, false).await;
    tx.send(Bytes::from(vec![0; 64 * 1024])).await.unwrap();
    settle().await;
    assert!(!tx.is_closed());
}
