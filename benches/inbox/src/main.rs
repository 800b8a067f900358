//! Durable ingest, measured side by side in one run (see benches/inbox.sh).
//!
//! Every configuration serves `POST /webhooks/toran` on 127.0.0.1 (axum) and
//! is driven by `CONCURRENCY` client tasks posting distinct signed Toran
//! lead.captured requests for `DURATION` seconds; each request's time to its
//! 2xx is recorded. Rows:
//!
//! | row | receiver | store |
//! |---|---|---|
//! | `plain` | `Webhook<Toran>` (verify + parse, answers 200) | none |
//! | `sqlite-group` | `Inboxed<Toran>` | SQLite file, group commit (the default) |
//! | `sqlite-single` | `Inboxed<Toran>` | SQLite file, `max_batch(1)`: one commit per request |
//! | `pg-group` | `Inboxed<Toran>` | PostgreSQL, pool of 8, 2 group commits at once (`PG_PARALLEL`; 2 did best here: more in flight make each batch smaller) |
//! | `pg-single` | `Inboxed<Toran>` | PostgreSQL, pool of 8, `max_batch(1)`: one INSERT transaction per request |
//!
//! Any non-2xx answer aborts the run.

use std::net::SocketAddr;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use hookseal_axum::Webhook;
use hookseal_axum::inbox::{self, Inbox};
use hookseal_core::{Provider, Secret, Signer, Toran, Verifier};
use hookseal_inbox::sqlx::postgres::PgConnectOptions;
use hookseal_inbox::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use hookseal_inbox::{PgStore, SqliteStore};

const SECRET: &str = "whsec_inbox_bench";

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

fn verifier() -> Verifier<Toran> {
    Verifier::new(Secret::new(SECRET).expect("non-empty"))
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

fn inbox_app(inbox: Inbox) -> Router {
    Router::new().route("/webhooks/toran", post(inbox::store::<Toran>)).with_state(App { toran: verifier(), inbox })
}

fn plain_app() -> Router {
    Router::new()
        .route("/webhooks/toran", post(|Webhook(_event): Webhook<Toran>| async { "ok" }))
        .with_state(verifier())
}

struct Row {
    name: &'static str,
    requests: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

/// Drives `addr` with `concurrency` tasks for `duration`; every request a new lead id.
async fn drive(name: &'static str, addr: SocketAddr, concurrency: usize, duration: Duration) -> Row {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let secret = Secret::new(SECRET).expect("non-empty");
    let signer = Arc::new(Signer::new(&secret, Toran::SCHEME.format()));
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks = (0..concurrency).map(|_| {
        let (client, signer, next) = (client.clone(), Arc::clone(&signer), Arc::clone(&next));
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = format!(
                    r#"{{"event":"lead.captured","lead_id":"{name}-{n}","widget_id":"w","name":"Ada","email":"ada@example.com","score":87,"tier":"hot","timestamp":"2026-05-06T14:22:31Z","metadata":{{"notes":"bench"}}}}"#
                );
                let signature = signer.sign(body.as_bytes());
                let sent = Instant::now();
                let response = client
                    .post(format!("http://{addr}/webhooks/toran"))
                    .header("X-Toran-Signature", signature)
                    .header("X-Toran-Event", "lead.captured")
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                let _ = response.bytes().await;
                assert!(status.is_success(), "{name}: answered {status}");
                latencies.push(sent.elapsed());
            }
            latencies
        })
    });
    let mut all: Vec<Duration> = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        all.extend(task.expect("client task"));
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or_default();
    Row { name, requests: all.len() as u64, seconds, p50: at(0.50), p99: at(0.99) }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let duration = Duration::from_secs(env("DURATION", 10));
    let concurrency = env("CONCURRENCY", 64) as usize;
    let pool = env("PG_POOL", 8) as u32;
    let admin = std::env::var("HOOKSEAL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let dir = std::env::temp_dir().join(format!("hookseal_inbox_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // ROWS="sqlite-group plain" runs only those rows (for profiling one).
    let only = std::env::var("ROWS").ok();
    let wanted = |row: &str| only.as_deref().is_none_or(|rows| rows.split_whitespace().any(|r| r == row));
    let mut rows = Vec::new();
    if wanted("plain") {
        rows.push(drive("plain", serve(plain_app()).await, concurrency, duration).await);
    }
    if wanted("sqlite-group") {
        let group = Inbox::new(SqliteStore::open(dir.join("group.db")).await.expect("sqlite"));
        rows.push(drive("sqlite-group", serve(inbox_app(group)).await, concurrency, duration).await);
    }
    if wanted("sqlite-single") {
        let single =
            Inbox::builder(SqliteStore::open(dir.join("single.db")).await.expect("sqlite")).max_batch(1).build();
        rows.push(drive("sqlite-single", serve(inbox_app(single)).await, concurrency, duration).await);
    }

    // PostgreSQL: a database of this run's own, dropped at the end.
    let name = format!("hookseal_inbox_bench_{}", std::process::id());
    let mut admin_conn = PgConnectOptions::from_str(&admin).expect("url").connect().await.expect("PostgreSQL");
    admin_conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
    let options = PgConnectOptions::from_str(&admin).expect("url").database(&name);
    if wanted("pg-group") {
        let store = PgStore::connect_with(options.clone(), pool).await.expect("pg");
        let group = Inbox::builder(store).parallel_commits(env("PG_PARALLEL", 2) as usize).build();
        rows.push(drive("pg-group", serve(inbox_app(group)).await, concurrency, duration).await);
    }
    if wanted("pg-single") {
        let store = PgStore::connect_with(options, pool).await.expect("pg");
        let single = Inbox::builder(store).max_batch(1).parallel_commits(pool as usize).build();
        rows.push(drive("pg-single", serve(inbox_app(single)).await, concurrency, duration).await);
    }

    println!("| row | requests | req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    let rate = |row: &Row| row.requests as f64 / row.seconds;
    for row in &rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} |",
            row.name,
            row.requests,
            rate(row),
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3
        );
    }
    let by = |name: &str| rows.iter().find(|row| row.name == name).map(rate).unwrap_or(f64::NAN);
    println!();
    println!("sqlite-group / sqlite-single = {:.2}x (target >= 15x)", by("sqlite-group") / by("sqlite-single"));
    println!("pg-group / pg-single = {:.2}x (target >= 3x)", by("pg-group") / by("pg-single"));
    println!("sqlite-group / plain = {:.2}", by("sqlite-group") / by("plain"));
    println!("pg-group / plain = {:.2}", by("pg-group") / by("plain"));

    let _ = admin_conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
    let _ = admin_conn.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
