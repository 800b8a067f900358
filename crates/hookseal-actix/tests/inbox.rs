//! `Inboxed<P>` through actix-web's test service: 2xx only once stored,
//! duplicates answered and counted, refusals with their statuses, `503` when
//! the store is down, `500` when no inbox is configured.

#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use hookseal_actix::inbox::{self, Inbox, PgStore, SqliteStore, State};
use hookseal_core::{Provider, Secret, Signer, Toran, Verifier};
use hookseal_inbox::sqlx::postgres::PgPoolOptions;

const SECRET: &str = "whsec_actix_inbox";

fn lead(id: &str) -> Vec<u8> {
    format!(r#"{{"event":"lead.captured","lead_id":"{id}","widget_id":"w","email":"a@example.com","timestamp":"2026-05-06T14:22:31Z","metadata":{{}}}}"#).into_bytes()
}

fn signature(body: &[u8]) -> String {
    Signer::new(&Secret::new(SECRET).unwrap(), Toran::SCHEME.format()).sign(body)
}

fn request(body: &[u8], signature: &str, event: &str) -> TestRequest {
    TestRequest::post()
        .uri("/webhooks/toran")
        .insert_header(("X-Toran-Signature", signature))
        .insert_header(("X-Toran-Event", event))
        .set_payload(body.to_vec())
}

fn verifier() -> web::Data<Verifier<Toran>> {
    web::Data::new(Verifier::<Toran>::new(Secret::new(SECRET).unwrap()).body_limit(4096))
}

#[actix_web::test]
async fn stores_before_answering_and_refuses_what_it_must() {
    let dir = std::env::temp_dir().join(format!("hookseal_actix_inbox_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inbox = Inbox::new(SqliteStore::open(dir.join("inbox.db")).await.unwrap());
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(inbox.clone()))
            .app_data(verifier())
            .route("/webhooks/toran", web::post().to(inbox::store::<Toran>)),
    )
    .await;
    let body = lead("lead-1");
    let sig = signature(&body);
    let answer = |status: u16, text: &str| (status, text.to_owned());
    let call = |req: TestRequest| async {
        let response = test::call_service(&app, req.to_request()).await;
        let status = response.status().as_u16();
        (status, String::from_utf8(test::read_body(response).await.to_vec()).unwrap())
    };
    assert_eq!(call(request(&body, &sig, "lead.captured")).await, answer(200, "stored"));
    let row = inbox.find("toran", "lead-1").await.unwrap().unwrap();
    assert_eq!((row.body.clone(), row.state), (body.clone(), State::Ready));
    assert_eq!(call(request(&body, &sig, "lead.captured")).await, answer(200, "duplicate"));
    assert_eq!(inbox.find("toran", "lead-1").await.unwrap().unwrap().times_seen, 2);

    let odd = br#"{"event":"lead.captured","lead_id":{}}"#;
    assert_eq!(call(request(odd, &signature(odd), "lead.captured")).await.0, 200);
    assert_eq!(inbox.counts().await.unwrap().dead, 1);

    assert_eq!(call(request(&body, &signature(b"other"), "lead.captured")).await, answer(401, "invalid signature"));
    let other = lead("lead-2");
    assert_eq!(
        call(request(&other, &signature(&other), "lead.test")).await,
        answer(400, "event header does not match body")
    );
    let huge = vec![b' '; 5000];
    assert_eq!(call(request(&huge, &signature(&huge), "lead.captured")).await.0, 413);
    assert_eq!(inbox.counts().await.unwrap().total(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn store_down_is_503_and_missing_inbox_is_500() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap();
    let down = Inbox::new(PgStore::from_pool_unmigrated(pool));
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(down))
            .app_data(verifier())
            .route("/webhooks/toran", web::post().to(inbox::store::<Toran>)),
    )
    .await;
    let body = lead("lead-down");
    let response = test::call_service(&app, request(&body, &signature(&body), "lead.captured").to_request()).await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    assert_eq!(test::read_body(response).await, "webhook store unavailable, retry later");

    let bare = test::init_service(
        App::new().app_data(verifier()).route("/webhooks/toran", web::post().to(inbox::store::<Toran>)),
    )
    .await;
    let response = test::call_service(&bare, request(&body, &signature(&body), "lead.captured").to_request()).await;
    assert_eq!(response.status().as_u16(), 500);
}
