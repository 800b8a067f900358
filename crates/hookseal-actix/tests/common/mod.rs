//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use bytes::Bytes;
use hookseal_core::samples::Sample;
use hookseal_core::{Provider, ProviderId, Secret, Signer};

/// The shared secret of every test.
pub const SECRET: &str = "whsec_actix_tests_3f9a61";

pub fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

/// The signature header value `P` would send for `body`.
pub fn sign<P: Provider>(body: &[u8]) -> String {
    Signer::new(&secret(), P::SCHEME.format()).sign(body)
}

/// The signature header value `provider` would send for `body`.
pub fn sign_as(provider: ProviderId, body: &[u8]) -> String {
    Signer::new(&secret(), provider.scheme().format()).sign(body)
}

/// Every header the provider sends with `sample`, signed with [`SECRET`].
pub fn provider_headers(sample: &Sample) -> Vec<(&'static str, String)> {
    let scheme = sample.provider.scheme();
    let mut headers = vec![
        (scheme.signature_header(), sign_as(sample.provider, sample.body)),
        ("Content-Type", "application/json".to_owned()),
    ];
    if let Some(event_header) = scheme.event_header() {
        headers.push((event_header, sample.event.to_owned()));
    }
    match sample.provider {
        ProviderId::Toran => headers.push(("User-Agent", "Toran-Webhook/1.0".to_owned())),
        ProviderId::Tuco => headers.push(("X-Tuco-Timestamp", "2026-04-15T12:00:00Z".to_owned())),
        ProviderId::ConnectGain => headers.push(("X-Webhook-Timestamp", "2024-01-15T10:30:00Z".to_owned())),
        _ => {}
    }
    headers
}

/// A `POST` of `body` to `path`, signed for `P` (no event header).
pub fn signed<P: Provider>(path: &str, body: impl Into<Bytes>) -> TestRequest {
    let body = body.into();
    TestRequest::post()
        .uri(path)
        .insert_header((P::SCHEME.signature_header(), sign::<P>(&body)))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body)
}

/// Sends `req` through `app` and returns the status and the body.
pub async fn send<S, R, B>(app: &S, req: R) -> (StatusCode, Bytes)
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, req).await;
    let status = response.status();
    (status, test::read_body(response).await)
}

/// Runs `$body` with `$p` naming the provider type of the runtime `$id`.
#[macro_export]
macro_rules! with_provider {
    ($id:expr, $p:ident => $body:expr) => {
        match $id {
            hookseal_core::ProviderId::Tocc => {
                type $p = hookseal_core::Tocc;
                $body
            }
            hookseal_core::ProviderId::Toran => {
                type $p = hookseal_core::Toran;
                $body
            }
            hookseal_core::ProviderId::Zapito => {
                type $p = hookseal_core::Zapito;
                $body
            }
            hookseal_core::ProviderId::Tuco => {
                type $p = hookseal_core::Tuco;
                $body
            }
            hookseal_core::ProviderId::ConnectGain => {
                type $p = hookseal_core::ConnectGain;
                $body
            }
            other => panic!("no provider type for {other}"),
        }
    };
}
