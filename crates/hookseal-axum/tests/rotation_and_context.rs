//! Watching a rotation (`VerifiedWebhook` tells which secret matched) and
//! rejection context (`FromRejection` gets the provider and the route).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{post as request, read, sign_with};
use hookseal_axum::{FromRejection, RejectionContext, VerifiedWebhook, Webhook, WebhookRejection};
use hookseal_core::{KeyMatch, ProviderId, Secret, Toran, Verifier, WebhookEvent, samples};
use tower::ServiceExt;

fn toran_request(uri: &str, secret: &str) -> http::Request<axum::body::Body> {
    let sample = samples::test_event(ProviderId::Toran);
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Toran-Signature".to_owned(), sign_with(ProviderId::Toran, secret, sample.body)),
    ];
    request(uri, &headers, sample.body)
}

#[tokio::test]
async fn verified_webhook_says_which_secret_matched() {
    let verifier = Verifier::<Toran>::with_secrets([Secret::new("new").unwrap(), Secret::new("old").unwrap()]).unwrap();
    let app = Router::new()
        .route(
            "/toran",
            post(
                |webhook: VerifiedWebhook<Toran>| async move { format!("{} {:?}", webhook.event.name(), webhook.key) },
            ),
        )
        .with_state(verifier);
    for (secret, expected) in [("new", "lead.test Secret(0)"), ("old", "lead.test Secret(1)")] {
        let (status, _, text) = read(app.clone().oneshot(toran_request("/toran", secret)).await.unwrap()).await;
        assert_eq!((status, text.as_str()), (200, expected), "{secret}");
    }
    let (status, _, text) = read(app.oneshot(toran_request("/toran", "older")).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (401, "invalid signature"));
}

#[tokio::test]
async fn verified_webhook_holds_the_same_event_as_webhook() {
    let verifier = Verifier::<Toran>::new(Secret::new("s").unwrap());
    let app = Router::new()
        .route(
            "/toran",
            post(|webhook: VerifiedWebhook<Toran>| async move {
                let (event, key) = webhook.into_parts();
                assert_eq!(key, KeyMatch::Secret(0));
                assert_eq!(
                    event,
                    hookseal_core::toran::Event::from_slice(samples::test_event(ProviderId::Toran).body).unwrap()
                );
                "same"
            }),
        )
        .with_state(verifier);
    let (status, _, text) = read(app.oneshot(toran_request("/toran", "s")).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (200, "same"));
}

/// A rejection type that answers with where the request went and why.
struct Refused(StatusCode, String);

impl FromRejection for Refused {
    fn from_rejection(rejection: WebhookRejection, context: &RejectionContext<'_>) -> Self {
        Self(
            rejection.status(),
            format!("{} {} {} {}", context.method, context.path, context.provider, rejection.body_text()),
        )
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

#[tokio::test]
async fn a_custom_rejection_type_gets_the_provider_and_the_route() {
    let verifier = Verifier::<Toran>::new(Secret::new("s").unwrap()).body_limit(64);
    let app = Router::new()
        .route("/hooks/raw", post(|_: VerifiedWebhook<Toran, Refused>| async { "ok" }))
        .with_state(verifier);
    // A signature problem, found after reading the body.
    let verifier_limit_ok = Verifier::<Toran>::new(Secret::new("s").unwrap());
    let small = Router::new()
        .route("/hooks/toran", post(|_: Webhook<Toran, Refused>| async { "ok" }))
        .with_state(verifier_limit_ok);
    let (status, _, text) = read(small.oneshot(toran_request("/hooks/toran", "not-s")).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (401, "POST /hooks/toran toran invalid signature"));
    // A body over the limit, refused before it is read.
    let (status, _, text) = read(app.oneshot(toran_request("/hooks/raw", "s")).await.unwrap()).await;
    assert_eq!((status, text.as_str()), (413, "POST /hooks/raw toran body too large"));
}
