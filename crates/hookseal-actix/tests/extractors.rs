//! The extractors and the reference receiver, driven through actix's test service:
//! every rejection and the status it maps to, and every success.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, error, web};
use bytes::Bytes;
use common::{SECRET, secret, send, sign, signed};
use hookseal_actix::{VerifiedBody, Webhook, WebhookConfig, WebhookJson, WebhookRejection, receiver};
use hookseal_core::{Error, Provider, ProviderId, Secret, Signer, Toran, Tuco, Verifier, WebhookEvent, samples, toran};

const TORAN_BODY: &str = r#"{"event":"lead.captured","lead_id":"4f7c2a8e-1b3d-4c5e-9f60-7a8b9c0d1e2f","widget_id":"w-1","name":"Ana","email":"ana@example.com","phone":null,"score":87,"tier":"hot","source":"https://example.com/pricing","timestamp":"2026-05-04T10:15:30Z","metadata":{"notes":"call me"}}"#;

const TORAN: &str = "/webhooks/toran";

macro_rules! receiver_app {
    () => {
        test::init_service(App::new().configure(receiver::configure(&secret()))).await
    };
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(body)))
}

#[actix_web::test]
async fn every_sample_is_acknowledged_with_its_summary() {
    let app = receiver_app!();
    for sample in samples::all() {
        let mut req = TestRequest::post().uri(&format!("/webhooks/{}", sample.provider.name()));
        for header in common::provider_headers(sample) {
            req = req.insert_header(header);
        }
        let (status, body) = send(&app, req.set_payload(sample.body).to_request()).await;
        assert_eq!(status, StatusCode::OK, "{} {}: {}", sample.provider, sample.name, String::from_utf8_lossy(&body));
        let key = with_provider!(sample.provider, P => {
            <P as Provider>::Event::from_slice(sample.body).unwrap().idempotency_key().into_owned()
        });
        assert_eq!(
            json(&body),
            serde_json::json!({
                "provider": sample.provider.name(),
                "event": sample.event,
                "test": sample.is_test,
                "idempotency_key": key,
            }),
            "{} {}",
            sample.provider,
            sample.name
        );
    }
}

#[actix_web::test]
async fn a_missing_signature_is_401() {
    let app = receiver_app!();
    let req = TestRequest::post().uri(TORAN).set_payload(TORAN_BODY);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("missing signature")));
}

#[actix_web::test]
async fn every_malformed_signature_is_401() {
    let app = receiver_app!();
    let good = sign::<Toran>(TORAN_BODY.as_bytes());
    let hex = good.strip_prefix("sha256=").unwrap();
    let malformed = [
        String::new(),
        hex.to_owned(),                          // Toran requires the prefix
        format!("sha256={}", &hex[..63]),        // too short
        format!("sha256={hex}0"),                // too long
        format!("sha256=zz{}", &hex[2..]),       // not hex
        format!("sha1={hex}"),                   // wrong prefix
        format!("sha256=sha256={}", &hex[14..]), // prefix twice, right length
    ];
    for value in malformed {
        let req = TestRequest::post().uri(TORAN).insert_header(("X-Toran-Signature", value.as_str()));
        let (status, body) = send(&app, req.set_payload(TORAN_BODY).to_request()).await;
        assert_eq!((status, body), (StatusCode::UNAUTHORIZED, Bytes::from("malformed signature")), "{value:?}");
    }
    // Tuco takes bare hex only: a prefixed value is malformed there.
    let tuco_body = samples::test_event(ProviderId::Tuco).body;
    let prefixed = format!("sha256={}", sign::<Tuco>(tuco_body));
    let req = TestRequest::post().uri("/webhooks/tuco").insert_header(("X-Tuco-Signature", prefixed));
    assert_eq!(
        send(&app, req.set_payload(tuco_body).to_request()).await,
        (StatusCode::UNAUTHORIZED, Bytes::from("malformed signature"))
    );
}

#[actix_web::test]
async fn a_repeated_signature_header_is_401_even_if_both_are_valid() {
    let app = receiver_app!();
    let good = sign::<Toran>(TORAN_BODY.as_bytes());
    let req = TestRequest::post()
        .uri(TORAN)
        .append_header(("X-Toran-Signature", good.as_str()))
        .append_header(("x-toran-signature", good.as_str()))
        .set_payload(TORAN_BODY);
    assert_eq!(
        send(&app, req.to_request()).await,
        (StatusCode::UNAUTHORIZED, Bytes::from("duplicate signature header"))
    );
}

#[actix_web::test]
async fn a_wrong_secret_or_a_changed_byte_is_401() {
    let app = receiver_app!();
    let other =
        Signer::new(&Secret::new("another secret").unwrap(), Toran::SCHEME.format()).sign(TORAN_BODY.as_bytes());
    let req = TestRequest::post().uri(TORAN).insert_header(("X-Toran-Signature", other)).set_payload(TORAN_BODY);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("invalid signature")));

    let good = sign::<Toran>(TORAN_BODY.as_bytes());
    let tampered = TORAN_BODY.replace("\"score\":87", "\"score\":97");
    assert_ne!(tampered, TORAN_BODY);
    let req = TestRequest::post().uri(TORAN).insert_header(("X-Toran-Signature", good)).set_payload(tampered);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("invalid signature")));
}

#[actix_web::test]
async fn the_signature_is_checked_over_the_exact_bytes_not_a_reserialization() {
    let app = receiver_app!();
    // Same JSON value, other layout: signed as sent, it verifies; its compact form's signature does not.
    let spaced = TORAN_BODY.replace(",\"", ", \"").replace("{\"", "{ \"");
    let (status, _) = send(&app, signed::<Toran>(TORAN, spaced.clone()).to_request()).await;
    assert_eq!(status, StatusCode::OK);
    let compact_signature = sign::<Toran>(TORAN_BODY.as_bytes());
    let req =
        TestRequest::post().uri(TORAN).insert_header(("X-Toran-Signature", compact_signature)).set_payload(spaced);
    assert_eq!(send(&app, req.to_request()).await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_authentic_but_unusable_body_is_400() {
    let app = receiver_app!();
    let not_json = "{\"event\":\"lead.captured\",";
    let wrong_schema = TORAN_BODY.replace("\"score\":87", "\"score\":\"high\"");
    let missing_field = r#"{"event":"lead.captured","timestamp":"2026-05-04T10:15:30Z"}"#;
    let not_utf8: &[u8] = b"{\"event\":\"lead.captured\xff\"}";
    for body in [Bytes::from(not_json), Bytes::from(wrong_schema), Bytes::from(missing_field), Bytes::from(not_utf8)] {
        let (status, text) = send(&app, signed::<Toran>(TORAN, body.clone()).to_request()).await;
        assert_eq!((status, text), (StatusCode::BAD_REQUEST, Bytes::from("invalid body")), "{body:?}");
    }
}

#[actix_web::test]
async fn an_event_header_that_disagrees_with_the_signed_body_is_400() {
    let app = receiver_app!();
    let req = signed::<Toran>(TORAN, TORAN_BODY).insert_header(("X-Toran-Event", "lead.test"));
    assert_eq!(
        send(&app, req.to_request()).await,
        (StatusCode::BAD_REQUEST, Bytes::from("event header does not match body"))
    );
    // The matching header is accepted.
    let req = signed::<Toran>(TORAN, TORAN_BODY).insert_header(("X-Toran-Event", "lead.captured"));
    assert_eq!(send(&app, req.to_request()).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn a_body_over_the_default_limit_is_413() {
    let app = receiver_app!();
    let limit = hookseal_core::DEFAULT_BODY_LIMIT;
    // Authentic JSON, padded with whitespace to just over the limit.
    let mut body = TORAN_BODY.as_bytes().to_vec();
    body.resize(limit + 1, b' ');
    let (status, text) = send(&app, signed::<Toran>(TORAN, body.clone()).to_request()).await;
    assert_eq!((status, text), (StatusCode::PAYLOAD_TOO_LARGE, Bytes::from("body too large")));
    // At the limit exactly, it is accepted.
    body.truncate(limit);
    assert_eq!(send(&app, signed::<Toran>(TORAN, body).to_request()).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn an_unknown_provider_is_404_and_a_get_is_405() {
    let app = receiver_app!();
    let (status, body) = send(&app, signed::<Toran>("/webhooks/stripe", TORAN_BODY).to_request()).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, Bytes::from("unknown provider")));
    let (status, _) = send(&app, TestRequest::get().uri(TORAN).to_request()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn a_route_without_its_verifier_is_500() {
    async fn handler(_: Webhook<Toran>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    // A verifier for another provider does not count.
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Tuco>::new(secret()))).route(TORAN, web::post().to(handler)),
    )
    .await;
    let (status, body) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    assert_eq!((status, body), (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from("webhook receiver is not configured")));
}

#[actix_web::test]
async fn a_missing_verifier_says_which_verifier_type_is_missing() {
    async fn handler(webhook: Result<Webhook<Toran>, actix_web::Error>) -> HttpResponse {
        let err = webhook.err().unwrap();
        let rejection = err.as_error::<WebhookRejection>().unwrap();
        HttpResponse::Ok().body(rejection.to_string())
    }
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Tuco>::new(secret()))).route(TORAN, web::post().to(handler)),
    )
    .await;
    let (_, body) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    let message = String::from_utf8(body.to_vec()).unwrap();
    let verifier = std::any::type_name::<Verifier<Toran>>();
    assert!(verifier.ends_with("Verifier<hookseal_core::provider::Toran>"), "{verifier}");
    assert!(message.starts_with(&format!("no `{verifier}` for provider `toran` in app_data")), "{message}");
    assert!(message.contains(&format!("`web::Data<{verifier}>`")), "{message}");
}

async fn echo_lead_id(Webhook(event): Webhook<Toran>) -> HttpResponse {
    match event {
        toran::Event::LeadCaptured(lead) => HttpResponse::Ok().body(lead.lead_id),
        other => HttpResponse::Conflict().body(other.name().to_owned()),
    }
}

#[actix_web::test]
async fn a_plain_verifier_in_app_data_works_too() {
    let app = test::init_service(
        App::new().app_data(Verifier::<Toran>::new(secret())).route(TORAN, web::post().to(echo_lead_id)),
    )
    .await;
    let (status, body) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    assert_eq!((status, body), (StatusCode::OK, Bytes::from("4f7c2a8e-1b3d-4c5e-9f60-7a8b9c0d1e2f")));
}

#[actix_web::test]
async fn secret_rotation_accepts_either_secret() {
    let verifier = Verifier::<Toran>::with_secrets([Secret::new("the new one").unwrap(), secret()]).unwrap();
    let app =
        test::init_service(App::new().app_data(web::Data::new(verifier)).route(TORAN, web::post().to(echo_lead_id)))
            .await;
    let (status, _) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    assert_eq!(status, StatusCode::OK);
}

async fn echo_raw(VerifiedBody(body): VerifiedBody<Tuco>) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

#[actix_web::test]
async fn verified_body_hands_over_the_exact_bytes_unparsed() {
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Tuco>::new(secret()))).route("/raw", web::post().to(echo_raw)),
    )
    .await;
    // Not JSON at all: VerifiedBody does not parse, so an authentic body passes byte for byte.
    let body: &[u8] = b"  {\"event\" :\"message.reply\", \"x\": \"\\u00e9\xc3\xa9\" }\n\x00\xff";
    let (status, echoed) = send(&app, signed::<Tuco>("/raw", body).to_request()).await;
    assert_eq!((status, echoed), (StatusCode::OK, Bytes::from_static(body)));

    let mut forged = body.to_vec();
    forged[3] ^= 0x20;
    let req =
        TestRequest::post().uri("/raw").insert_header(("X-Tuco-Signature", sign::<Tuco>(body))).set_payload(forged);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("invalid signature")));
    let req = TestRequest::post().uri("/raw").set_payload(body);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("missing signature")));
}

#[derive(serde::Deserialize)]
struct MyLead {
    lead_id: String,
    score: Option<u8>,
}

async fn my_lead(WebhookJson(lead): WebhookJson<Toran, MyLead>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {:?}", lead.lead_id, lead.score))
}

#[actix_web::test]
async fn webhook_json_parses_into_the_users_type_after_verifying() {
    let app = test::init_service(
        App::new().app_data(web::Data::new(Verifier::<Toran>::new(secret()))).route("/mine", web::post().to(my_lead)),
    )
    .await;
    let (status, body) = send(&app, signed::<Toran>("/mine", TORAN_BODY).to_request()).await;
    assert_eq!((status, body), (StatusCode::OK, Bytes::from("4f7c2a8e-1b3d-4c5e-9f60-7a8b9c0d1e2f Some(87)")));

    // Authentic but not the user's shape: 400.
    let (status, body) = send(&app, signed::<Toran>("/mine", r#"{"score":87}"#).to_request()).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, Bytes::from("invalid body")));

    // The signature is checked before parsing.
    let req = TestRequest::post()
        .uri("/mine")
        .insert_header(("X-Toran-Signature", sign::<Toran>(b"something else")))
        .set_payload(TORAN_BODY);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::UNAUTHORIZED, Bytes::from("invalid signature")));
}

/// The error handler of the tests: `422` with `{"status": <original>, "error": <text>}`.
fn as_json(rejection: WebhookRejection, req: &HttpRequest) -> actix_web::Error {
    let response = HttpResponse::UnprocessableEntity().json(serde_json::json!({
        "status": rejection.status().as_u16(),
        "error": rejection.body_text(),
        "path": req.path(),
    }));
    error::InternalError::from_response(rejection, response).into()
}

#[actix_web::test]
async fn a_custom_error_handler_replaces_every_rejection() {
    let app = test::init_service(
        App::new()
            .app_data(WebhookConfig::new().error_handler(as_json))
            .app_data(web::Data::new(Verifier::<Toran>::new(secret())))
            .route(TORAN, web::post().to(echo_lead_id)),
    )
    .await;
    let cases = [
        (TestRequest::post().uri(TORAN).set_payload(TORAN_BODY), 401, "missing signature"),
        (signed::<Toran>(TORAN, "{not json"), 400, "invalid body"),
        (signed::<Toran>(TORAN, vec![b' '; hookseal_core::DEFAULT_BODY_LIMIT + 1]), 413, "body too large"),
    ];
    for (req, original, text) in cases {
        let (status, body) = send(&app, req.to_request()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json(&body), serde_json::json!({"status": original, "error": text, "path": TORAN}));
    }
    // An authentic request still reaches the handler.
    assert_eq!(send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn config_as_web_data_is_found_too() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(WebhookConfig::new().limit(8).error_handler(as_json)))
            .app_data(web::Data::new(Verifier::<Toran>::new(secret())))
            .route(TORAN, web::post().to(echo_lead_id)),
    )
    .await;
    let (status, body) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&body)["status"], 413);
}

async fn raw_len(VerifiedBody(body): VerifiedBody<Tuco>) -> HttpResponse {
    HttpResponse::Ok().body(body.len().to_string())
}

#[actix_web::test]
async fn a_limit_registered_on_one_resource_applies_there_only() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Verifier::<Tuco>::new(secret())))
            .service(web::resource("/small").app_data(WebhookConfig::new().limit(64)).route(web::post().to(raw_len)))
            .service(web::scope("/tiny").app_data(WebhookConfig::new().limit(16)).route("", web::post().to(raw_len)))
            .route("/large", web::post().to(raw_len)),
    )
    .await;
    let at_limit = vec![b'x'; 64];
    let over = vec![b'x'; 65];
    assert_eq!(
        send(&app, signed::<Tuco>("/small", at_limit.clone()).to_request()).await,
        (StatusCode::OK, "64".into())
    );
    assert_eq!(
        send(&app, signed::<Tuco>("/small", over.clone()).to_request()).await,
        (StatusCode::PAYLOAD_TOO_LARGE, Bytes::from("body too large"))
    );
    assert_eq!(send(&app, signed::<Tuco>("/large", over.clone()).to_request()).await, (StatusCode::OK, "65".into()));
    assert_eq!(send(&app, signed::<Tuco>("/tiny", vec![b'x'; 17]).to_request()).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(send(&app, signed::<Tuco>("/tiny", vec![b'x'; 16]).to_request()).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn the_smaller_of_the_config_and_verifier_limits_applies() {
    let verifier = web::Data::new(Verifier::<Tuco>::new(secret()).body_limit(32));
    let app = test::init_service(
        App::new()
            .app_data(verifier)
            .service(web::resource("/config-larger").app_data(WebhookConfig::new().limit(1000)).to(raw_len))
            .service(web::resource("/config-smaller").app_data(WebhookConfig::new().limit(10)).to(raw_len)),
    )
    .await;
    assert_eq!(send(&app, signed::<Tuco>("/config-larger", vec![b'x'; 32]).to_request()).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, signed::<Tuco>("/config-larger", vec![b'x'; 33]).to_request()).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(send(&app, signed::<Tuco>("/config-smaller", vec![b'x'; 10]).to_request()).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, signed::<Tuco>("/config-smaller", vec![b'x'; 11]).to_request()).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[actix_web::test]
async fn several_providers_share_one_app() {
    async fn tuco(Webhook(event): Webhook<Tuco>) -> HttpResponse {
        HttpResponse::Ok().body(format!("tuco {}", event.name()))
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Verifier::<Toran>::new(secret())))
            .app_data(web::Data::new(Verifier::<Tuco>::new(Secret::new("tuco's own secret").unwrap())))
            .route(TORAN, web::post().to(echo_lead_id))
            .route("/webhooks/tuco", web::post().to(tuco)),
    )
    .await;
    let (status, _) = send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    assert_eq!(status, StatusCode::OK);
    // Tuco's verifier has its own secret: the shared one is refused there.
    let tuco_body = samples::test_event(ProviderId::Tuco).body;
    let (status, _) = send(&app, signed::<Tuco>("/webhooks/tuco", tuco_body).to_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let own = Signer::new(&Secret::new("tuco's own secret").unwrap(), Tuco::SCHEME.format()).sign(tuco_body);
    let req = TestRequest::post().uri("/webhooks/tuco").insert_header(("X-Tuco-Signature", own)).set_payload(tuco_body);
    assert_eq!(send(&app, req.to_request()).await, (StatusCode::OK, Bytes::from("tuco message.sent")));
}

#[actix_web::test]
async fn the_receiver_reports_every_outcome() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let receiver = receiver::Receiver::new(&secret())
        .body_limit(600)
        .on_outcome(move |outcome| tx.lock().unwrap().send(outcome).unwrap());
    let app = test::init_service(App::new().configure(receiver.config())).await;

    send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await;
    match rx.try_recv().unwrap() {
        receiver::Outcome::Accepted(summary) => {
            assert_eq!(summary.provider, ProviderId::Toran);
            assert_eq!(summary.event, "lead.captured");
            assert_eq!(summary.idempotency_key, "4f7c2a8e-1b3d-4c5e-9f60-7a8b9c0d1e2f");
            assert_eq!(toran::Event::from_slice(&summary.json).unwrap(), toran::Event::from_json(TORAN_BODY).unwrap());
        }
        other => panic!("unexpected {other:?}"),
    }
    send(&app, signed::<Toran>(TORAN, vec![b' '; 601]).to_request()).await;
    match rx.try_recv().unwrap() {
        receiver::Outcome::Rejected { provider, status, reason } => {
            assert_eq!((provider, status), (Some(ProviderId::Toran), 413));
            assert!(reason.contains("600 byte limit"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    send(&app, TestRequest::post().uri("/webhooks/nope").set_payload("x").to_request()).await;
    match rx.try_recv().unwrap() {
        receiver::Outcome::Rejected { provider, status, reason } => {
            assert_eq!((provider, status), (None, 404));
            assert_eq!(reason, "unknown provider `nope`");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(rx.try_recv().is_err(), "one outcome per request");
}

#[actix_web::test]
async fn the_receiver_ignores_an_app_wide_config() {
    let app = test::init_service(
        App::new()
            .app_data(WebhookConfig::new().limit(8).error_handler(as_json))
            .configure(receiver::configure(&secret())),
    )
    .await;
    assert_eq!(send(&app, signed::<Toran>(TORAN, TORAN_BODY).to_request()).await.0, StatusCode::OK);
}

#[test]
fn rejections_map_to_their_status_and_a_fixed_safe_text() {
    let cases = [
        (WebhookRejection::Verification(Error::SignatureMismatch), 401, "invalid signature"),
        (
            WebhookRejection::Verification(Error::MissingSignature { header: "X-Toran-Signature" }),
            401,
            "missing signature",
        ),
        (WebhookRejection::Verification(Error::BodyTooLarge { limit: 5 }), 413, "body too large"),
        (WebhookRejection::Verification(Error::MissingTimestamp), 400, "missing timestamp"),
        (WebhookRejection::BodyTooLarge { limit: 5 }, 413, "body too large"),
        (WebhookRejection::BodyRead, 400, "could not read body"),
        (
            WebhookRejection::MissingVerifier { provider: "toran", verifier: "Verifier<Toran>" },
            500,
            "webhook receiver is not configured",
        ),
        (WebhookRejection::Timeout { after: Duration::from_millis(250) }, 408, "body read timed out"),
    ];
    for (rejection, status, text) in cases {
        assert_eq!(rejection.status().as_u16(), status, "{rejection}");
        assert_eq!(rejection.body_text(), text);
        let response = actix_web::ResponseError::error_response(&rejection);
        assert_eq!(response.status().as_u16(), status);
        // Only a timed-out read closes the connection (the rest of the body may still be coming).
        assert_eq!(response.head().keep_alive(), status != 408, "{rejection}");
        assert!(!rejection.to_string().contains(SECRET));
    }
    assert_eq!(
        WebhookRejection::Verification(Error::SignatureMismatch).verification_error(),
        Some(&Error::SignatureMismatch)
    );
    assert_eq!(WebhookRejection::BodyRead.verification_error(), None);
    assert_eq!(
        WebhookRejection::Timeout { after: Duration::from_millis(250) }.to_string(),
        "the request body did not arrive in full within 250ms"
    );
}

#[test]
fn config_debug_shows_the_limit_not_the_handler() {
    let config = WebhookConfig::new().limit(42).read_timeout(Duration::from_secs(3)).error_handler(as_json);
    assert_eq!(
        format!("{config:?}"),
        r#"WebhookConfig { limit: Some(42), read_timeout: 3s, error_handler: Some("<fn>") }"#
    );
    assert_eq!(config.get_limit(), Some(42));
    assert_eq!(config.get_read_timeout(), Duration::from_secs(3));
    assert_eq!(WebhookConfig::default().get_limit(), None);
    assert_eq!(WebhookConfig::default().get_read_timeout(), hookseal_actix::DEFAULT_READ_TIMEOUT);
}

#[test]
fn receiver_debug_does_not_leak_the_secret() {
    let printed = format!("{:?}", receiver::Receiver::new(&secret()));
    assert!(printed.contains("redacted"), "{printed}");
    assert!(!printed.contains(SECRET), "{printed}");
}
