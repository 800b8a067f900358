//! A small stand-in gateway over an SQLite inbox, for the dashboard's browser tests
//! (until `hookseal listen --store --forward-to` exists on this branch).
//!
//! `cargo run -p hookseal-dashboard --example demo_gateway -- PATH ADDR`, with
//! `HOOKSEAL_SECRET` set: it verifies and stores `POST /webhooks/{provider}`
//! (as sent by `hookseal send`) and runs a worker that "forwards" each event to an
//! in-process downstream. The downstream refuses bodies containing `refuse-me`
//! (one attempt only: they go dead) until `POST /control/accept`;
//! `GET /control/forwarded` lists the idempotency keys it accepted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use hookseal_core::{ConnectGain, Provider, Secret, Tocc, Toran, Tuco, Verifier, Zapito};
use hookseal_inbox::{AnyJob, AnyWorker, HandlerError, Inbox, SqliteStore, keep_headers};

#[derive(Clone)]
struct Demo {
    inbox: Inbox,
    secret: Secret,
    refuse: Arc<AtomicBool>,
    forwarded: Arc<Mutex<Vec<String>>>,
}

async fn accept<P: Provider>(demo: &Demo, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
    let verifier = Verifier::<P>::new(demo.secret.clone());
    let mut row = match demo.inbox.prepare(&verifier, headers, body) {
        Ok(row) => row,
        Err(err) => return (StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST), format!("{err}\n")),
    };
    // Keep the request headers (no credentials), as the gateway does.
    row.headers = keep_headers(headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())));
    match demo.inbox.ingest(row).await {
        Ok(ingested) => (StatusCode::OK, format!("stored #{}\n", ingested.id)),
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, format!("{err}\n")),
    }
}

async fn webhook(
    State(demo): State<Demo>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    match provider.as_str() {
        "tocc" => accept::<Tocc>(&demo, &headers, &body).await,
        "toran" => accept::<Toran>(&demo, &headers, &body).await,
        "zapito" => accept::<Zapito>(&demo, &headers, &body).await,
        "tuco" => accept::<Tuco>(&demo, &headers, &body).await,
        "connectgain" => accept::<ConnectGain>(&demo, &headers, &body).await,
        _ => (StatusCode::NOT_FOUND, "unknown provider\n".to_owned()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(addr)) = (args.next(), args.next()) else {
        return Err("usage: demo_gateway PATH ADDR".into());
    };
    let secret = Secret::new(std::env::var("HOOKSEAL_SECRET")?).map_err(|_| "empty secret")?;
    let inbox = Inbox::new(SqliteStore::open(&path).await?);
    let demo =
        Demo { inbox: inbox.clone(), secret, refuse: Arc::new(AtomicBool::new(true)), forwarded: Arc::default() };
    let worker = AnyWorker::new(inbox, ["tocc", "toran", "zapito", "tuco", "connectgain"])
        .max_attempts(1)
        .idle_poll(Duration::from_millis(100));
    let (refuse, forwarded) = (Arc::clone(&demo.refuse), Arc::clone(&demo.forwarded));
    tokio::spawn(async move {
        let handler = move |job: AnyJob| {
            let refuse = Arc::clone(&refuse);
            let forwarded = Arc::clone(&forwarded);
            async move {
                let body = String::from_utf8_lossy(&job.raw);
                if refuse.load(Ordering::SeqCst) && body.contains("refuse-me") {
                    return Err(HandlerError::from("downstream answered 500 Internal Server Error"));
                }
                forwarded.lock().unwrap_or_else(PoisonError::into_inner).push(job.key.clone());
                Ok(())
            }
        };
        worker.run(handler, std::future::pending(), Duration::from_secs(1)).await;
    });
    let app = Router::new()
        .route("/webhooks/{provider}", post(webhook))
        .route(
            "/control/accept",
            post(|State(demo): State<Demo>| async move {
                demo.refuse.store(false, Ordering::SeqCst);
                "accepting\n"
            }),
        )
        .route(
            "/control/forwarded",
            get(|State(demo): State<Demo>| async move {
                let keys = demo.forwarded.lock().unwrap_or_else(PoisonError::into_inner).clone();
                axum::Json(keys)
            }),
        )
        .with_state(demo);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("demo gateway on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
