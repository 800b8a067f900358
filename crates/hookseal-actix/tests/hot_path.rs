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

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, web};
use hookseal_actix::receiver::Receiver;
use hookseal_actix::{Webhook, WebhookConfig};
use hookseal_core::{ProviderId, Toran, Verifier, WebhookEvent, samples};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

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

async fn by_hand(Webhook(event): Webhook<Toran>) -> HttpResponse {
    HttpResponse::Ok().json(Answer {
        provider: "toran",
        event: event.name(),
        test: event.is_test(),
        idempotency_key: event.idempotency_key(),
    })
}

/// A request carrying `sample`, signed as Toran signs it.
fn request(sample: &samples::Sample) -> TestRequest {
    let mut request = TestRequest::post().uri("/webhooks/toran").set_payload(sample.body);
    for (name, value) in common::provider_headers(sample) {
        request = request.insert_header((name, value));
    }
    request
}

/// The fewest allocations (and reallocations) serving `sample` took over a few runs, and the answer.
macro_rules! allocations {
    ($app:expr, $sample:expr) => {{
        let mut fewest = u64::MAX;
        let mut answer = Vec::new();
        for _ in 0..5 {
            let request = request($sample).to_request();
            let region = Region::new(GLOBAL);
            let response = test::call_service(&$app, request).await;
            assert_eq!(response.status(), 200);
            let body = test::read_body(response).await;
            let change = region.change();
            fewest = fewest.min(u64::try_from(change.allocations + change.reallocations).unwrap());
            answer = body.to_vec();
        }
        (fewest, answer)
    }};
}

#[actix_web::test]
async fn a_verified_request_with_no_observer_allocates_no_more_than_a_careful_handler() {
    let sample = samples::find(ProviderId::Toran, "lead.captured").unwrap();
    let verifier = web::Data::new(Verifier::<Toran>::new(common::secret()));
    let hand = test::init_service(
        App::new().service(
            web::scope("/webhooks")
                .app_data(WebhookConfig::new())
                .service(web::resource("/toran").app_data(verifier).route(web::post().to(by_hand)))
                .service(web::resource("/{provider}").route(web::post().to(|| async { "unknown provider" }))),
        ),
    )
    .await;
    let receiver = Receiver::new(&common::secret());
    let ours = test::init_service(App::new().configure(receiver.config())).await;
    let (hand, hand_answer) = allocations!(hand, sample);
    let (ours, our_answer) = allocations!(ours, sample);
    eprintln!("allocations per request: receiver {ours}, by hand {hand}");
    assert_eq!(our_answer, hand_answer, "not the same answer");
    assert!(ours <= hand, "the receiver allocated {ours} times per request, a careful handler {hand}");
}
