//! What the tests share: the secret, signing like each provider, and requests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // not every test file uses every helper

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use hookseal_core::samples::Sample;
use hookseal_core::{ProviderId, Secret, Signer};
use http::Request;
use http_body_util::BodyExt;

/// A named request (headers and body) and the status and text it must get.
pub type Case = (&'static str, Vec<(String, String)>, Vec<u8>, u16, &'static str);

/// The secret every test server verifies with.
pub const SECRET: &str = "whsec_axum_tests_5f0c";

/// The deadline for anything a test waits on.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

/// The signature header value `provider` would send for `body`, with `secret`.
pub fn sign_with(provider: ProviderId, secret: &str, body: &[u8]) -> String {
    Signer::new(&Secret::new(secret).unwrap(), provider.scheme().format()).sign(body)
}

/// The signature header value `provider` would send for `body`, with [`SECRET`].
pub fn sign(provider: ProviderId, body: &[u8]) -> String {
    sign_with(provider, SECRET, body)
}

/// The headers `provider` sends with `body` (signature left out), naming `event`.
pub fn provider_headers(provider: ProviderId, event: &str) -> Vec<(String, String)> {
    let scheme = provider.scheme();
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if let Some(event_header) = scheme.event_header() {
        headers.push((event_header.to_owned(), event.to_owned()));
    }
    match provider {
        ProviderId::Toran => headers.push(("User-Agent".to_owned(), "Toran-Webhook/1.0".to_owned())),
        ProviderId::Tuco => headers.push(("X-Tuco-Timestamp".to_owned(), "2026-04-15T12:00:00Z".to_owned())),
        ProviderId::ConnectGain => {
            headers.push(("X-Webhook-Timestamp".to_owned(), "2026-04-15T12:00:00Z".to_owned()));
        }
        _ => {}
    }
    headers
}

/// Every header `provider` sends with `body`, signature included.
pub fn signed_headers(provider: ProviderId, event: &str, body: &[u8]) -> Vec<(String, String)> {
    let mut headers = provider_headers(provider, event);
    headers.push((provider.scheme().signature_header().to_owned(), sign(provider, body)));
    headers
}

/// A `POST` to `uri` with `headers` and `body`.
pub fn post(uri: &str, headers: &[(String, String)], body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::post(uri);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body.into()).unwrap()
}

/// A sample, posted and signed exactly as its provider would, to `uri`.
pub fn signed_sample(uri: &str, sample: &Sample) -> Request<Body> {
    post(uri, &signed_headers(sample.provider, sample.event, sample.body), sample.body)
}

/// The response's status, content type and body text.
pub async fn read(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, String::from_utf8(body.to_vec()).unwrap())
}
