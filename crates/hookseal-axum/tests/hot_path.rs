//! The reference receiver does no work on the hot path that nobody reads:
//! serving a verified request with no observer allocates no more than a
//! hand-written handler on the same extractor that answers the same JSON
//! (so it does not re-render the event with `to_json`, or copy the fields
//! an observer would get). Allocations are counted with `stats_alloc`'s
//! counting allocator (the workspace forbids the `unsafe` of writing one);
//! alone in its test binary, so no other test's allocations count.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::alloc::System;
use std::borrow::Cow;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Extension, Json, Router};
use common::signed_sample;
use hookseal_axum::receiver::Receiver;
use hookseal_axum::{Webhook, WebhookConfig};
use hookseal_core::{ProviderId, Toran, Verifier, WebhookEvent, samples};
use http_body_util::BodyExt;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::ServiceExt;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The receiver's `200` answer, borrowed from the event: what a careful handler writes.
#[derive(serde::Serialize)]
struct Answer<'a> {
    provider: &'static str,
    event: &'a str,
    test: bool,
    idempotency_key: Cow<'a, str>,
}

/// A hand-written receiver route for Toran on the same extractor, with the receiver's layers.
fn by_hand() -> Router {
    Router::new()
        .route(
            "/webhooks/toran",
            post(|Webhook(event): Webhook<Toran>| async move {
                let answer = Answer {
                    provider: "toran",
                    event: event.name(),
                    test: event.is_test(),
                    idempotency_key: event.idempotency_key(),
                };
                Json(answer).into_response()
            }),
        )
        .route("/webhooks/{provider}", post(|| async { "unknown provider" }))
        .layer(DefaultBodyLimit::disable())
        .layer(Extension(WebhookConfig::new()))
        .with_state(Verifier::<Toran>::new(common::secret()))
}

/// The fewest allocations (and reallocations) serving `sample` with `app` took over a few
/// runs, and the answer.
fn allocations(runtime: &tokio::runtime::Runtime, app: &Router, sample: &samples::Sample) -> (u64, Vec<u8>) {
    let mut fewest = u64::MAX;
    let mut answer = Vec::new();
    for _ in 0..5 {
        let app = app.clone();
        let request: http::Request<Body> = signed_sample("/webhooks/toran", sample);
        let region = Region::new(GLOBAL);
        let body = runtime.block_on(async move {
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), 200);
            response.into_body().collect().await.unwrap().to_bytes()
        });
        let change = region.change();
        fewest = fewest.min(u64::try_from(change.allocations + change.reallocations).unwrap());
        answer = body.to_vec();
    }
    (fewest, answer)
}

#[test]
fn a_verified_request_with_no_observer_allocates_no_more_than_a_careful_handler() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sample = samples::find(ProviderId::Toran, "lead.captured").unwrap();
    let receiver = Receiver::new(&common::secret()).router();
    let (hand, hand_answer) = allocations(&runtime, &by_hand(), sample);
    let (ours, our_answer) = allocations(&runtime, &receiver, sample);
    eprintln!("allocations per request: receiver {ours}, by hand {hand}");
    assert_eq!(our_answer, hand_answer, "not the same answer");
    assert!(ours <= hand, "the receiver allocated {ours} times per request, a careful handler {hand}");
}
