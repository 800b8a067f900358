//! Watching a rotation (`VerifiedWebhook` tells which secret matched) and
//! rejection context (`Webhook<P, R>` with `R: FromRejection` gets the provider
//! and the route), as in hookseal-axum.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, ResponseError, web};
use hookseal_actix::{
    FromRejection, RejectionContext, VerifiedBody, VerifiedWebhook, Webhook, WebhookConfig, WebhookRejection,
};
use hookseal_core::{ProviderId, Secret, Signer, Toran, Verifier, WebhookEvent, samples};

fn toran_request(uri: &str, secret: &str) -> TestRequest {
    let body = samples::test_event(ProviderId::Toran).body;
    let signature = Signer::new(&Secret::new(secret).unwrap(), ProviderId::Toran.scheme().format()).sign(body);
    TestRequest::post()
        .uri(uri)
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("X-Toran-Signature", signature))
        .set_payload(body)
}

async fn key_of(webhook: VerifiedWebhook<Toran>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {:?}", webhook.event.name(), webhook.key))
}

#[actix_web::test]
async fn verified_webhook_says_which_secret_matched() {
    let verifier = Verifier::<Toran>::with_secrets([Secret::new("new").unwrap(), Secret::new("old").unwrap()]).unwrap();
    let app =
        test::init_service(App::new().app_data(web::Data::new(verifier)).route("/toran", web::post().to(key_of))).await;
    for (secret, expected) in [("new", "lead.test Secret(0)"), ("old", "lead.test Secret(1)")] {
        let (status, body) = common::send(&app, toran_request("/toran", secret).to_request()).await;
        assert_eq!((status.as_u16(), body.as_ref()), (200, expected.as_bytes()), "{secret}");
    }
    let (status, body) = common::send(&app, toran_request("/toran", "older").to_request()).await;
    assert_eq!((status.as_u16(), body.as_ref()), (401, b"invalid signature".as_slice()));
}

/// A rejection type that answers with where the request went and why.
#[derive(Debug)]
struct Refused(StatusCode, String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        self.0
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.0).body(self.1.clone())
    }
}

impl FromRejection for Refused {
    fn from_rejection(rejection: WebhookRejection, context: &RejectionContext<'_>) -> Self {
        Self(
            rejection.status(),
            format!("{} {} {} {}", context.method, context.path, context.provider, rejection.body_text()),
        )
    }
}

#[actix_web::test]
async fn a_custom_rejection_type_gets_the_provider_and_the_route() {
    async fn typed(_: Webhook<Toran, Refused>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    async fn raw(_: VerifiedBody<Toran, Refused>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let small = web::Data::new(Verifier::<Toran>::new(Secret::new("s").unwrap()).body_limit(64));
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/hooks/toran")
                    .app_data(web::Data::new(Verifier::<Toran>::new(Secret::new("s").unwrap())))
                    .route(web::post().to(typed)),
            )
            .service(web::resource("/hooks/raw").app_data(small).route(web::post().to(raw)))
            // An error handler, where registered, takes precedence over `R`.
            .service(
                web::resource("/hooks/handled")
                    .app_data(web::Data::new(Verifier::<Toran>::new(Secret::new("s").unwrap())))
                    .app_data(WebhookConfig::new().error_handler(|rejection, _| {
                        actix_web::error::InternalError::from_response(rejection, HttpResponse::ImATeapot().finish())
                            .into()
                    }))
                    .route(web::post().to(typed)),
            ),
    )
    .await;
    let (status, body) = common::send(&app, toran_request("/hooks/toran", "not-s").to_request()).await;
    assert_eq!((status.as_u16(), body.as_ref()), (401, b"POST /hooks/toran toran invalid signature".as_slice()));
    let (status, body) = common::send(&app, toran_request("/hooks/raw", "s").to_request()).await;
    assert_eq!((status.as_u16(), body.as_ref()), (413, b"POST /hooks/raw toran body too large".as_slice()));
    let (status, _) = common::send(&app, toran_request("/hooks/handled", "not-s").to_request()).await;
    assert_eq!(status.as_u16(), 418);
}
