//! A durable Toran receiver on axum and SQLite: every webhook is stored and
//! committed before it is acknowledged, and a background worker upserts each
//! lead into a `leads` table of the same database, in the same transaction as
//! the event's done-mark, so each lead is applied exactly once.
//!
//! ```sh
//! HOOKSEAL_SECRET=whsec_... cargo run --example inbox --features inbox
//! ```
//!
//! `HOOKSEAL_ADDR` sets the listening address (default `127.0.0.1:3000`),
//! `HOOKSEAL_INBOX_DB` the database file (default `inbox.db`). `POST
//! /webhooks/toran` answers `200 stored` (or `200 duplicate` for a
//! redelivery), `401`/`400`/`413` as `Webhook<P>` does, and `503` if the
//! database cannot take the event.

use std::process::ExitCode;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use hookseal::axum::inbox::{self, Inbox};
use hookseal::inbox::{SqliteStore, Worker, sqlx};
use hookseal::{Secret, Toran, Verifier, toran};

#[derive(Clone)]
struct App {
    toran: Verifier<Toran>,
    inbox: Inbox,
}

impl FromRef<App> for Verifier<Toran> {
    fn from_ref(app: &App) -> Self {
        app.toran.clone()
    }
}

impl FromRef<App> for Inbox {
    fn from_ref(app: &App) -> Self {
        app.inbox.clone()
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(secret) = std::env::var("HOOKSEAL_SECRET").ok().and_then(|secret| Secret::new(secret).ok()) else {
        eprintln!("error: HOOKSEAL_SECRET is not set (or empty); set it to Toran's webhook signing secret");
        return ExitCode::from(2);
    };
    let addr = std::env::var("HOOKSEAL_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let path = std::env::var("HOOKSEAL_INBOX_DB").unwrap_or_else(|_| "inbox.db".to_owned());
    match run(secret, &addr, &path).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(secret: Secret, addr: &str, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    // One SQLite file (WAL, synchronous=FULL), migrated on open; the app's own table beside the inbox's.
    let store = SqliteStore::open(path).await?;
    let pool = store.pool().clone();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS leads (lead_id TEXT PRIMARY KEY, email TEXT, score REAL, applied INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let inbox = Inbox::new(store);

    let worker = Worker::<Toran>::new(inbox.clone());
    tokio::spawn(async move {
        let upsert = |job: hookseal::inbox::Job<toran::Event>, mut tx: sqlx::Transaction<'static, sqlx::Sqlite>| async move {
            if let toran::Event::LeadCaptured(lead) = &job.event {
                sqlx::query(
                    "INSERT INTO leads (lead_id, email, score, applied) VALUES (?1, ?2, ?3, 1) \
                     ON CONFLICT (lead_id) DO UPDATE SET email = excluded.email, score = excluded.score, \
                     applied = leads.applied + 1",
                )
                .bind(&lead.lead_id)
                .bind(&lead.email)
                .bind(lead.score)
                .execute(&mut *tx)
                .await?;
                eprintln!("lead {} applied (attempt {})", lead.lead_id, job.attempt);
            }
            // The done-mark is written in `tx` before it commits: both or neither.
            Ok(tx)
        };
        worker.run_tx(&pool, upsert, std::future::pending()).await;
    });

    let app = Router::new()
        .route("/webhooks/toran", post(inbox::store::<Toran>))
        .with_state(App { toran: Verifier::new(secret), inbox });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{addr}/webhooks/toran (inbox: {path})");
    axum::serve(listener, app).await?;
    Ok(())
}
