//! `Inboxed<P>` through real axum servers on 127.0.0.1: 2xx only once stored,
//! duplicates answered and counted, refusals with their statuses, `503` when
//! the store is down, and the issue's proof 1: 50 concurrent deliveries of one
//! event through two receivers sharing PostgreSQL store one row, all answered
//! 2xx, and are handled once.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use hookseal_axum::inbox::{self, Inbox, MemoryStore, PgStore, SqliteStore, State, Worker};
use hookseal_core::{Provider, Secret, Signer, Toran, Verifier};
use hookseal_inbox::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use hookseal_inbox::sqlx::{ConnectOptions as _, Connection as _, Executor as _};

const SECRET: &str = "whsec_axum_inbox";

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

async fn serve(inbox: Inbox) -> SocketAddr {
    let app = Router::new()
        .route("/webhooks/toran", post(inbox::store::<Toran>))
        .with_state(App { toran: Verifier::new(Secret::new(SECRET).unwrap()).body_limit(4096), inbox });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn lead(id: &str) -> Vec<u8> {
    format!(r#"{{"event":"lead.captured","lead_id":"{id}","widget_id":"w","email":"a@example.com","timestamp":"2026-05-06T14:22:31Z","metadata":{{}}}}"#).into_bytes()
}

fn signature(body: &[u8]) -> String {
    Signer::new(&Secret::new(SECRET).unwrap(), Toran::SCHEME.format()).sign(body)
}

async fn post_to(
    client: &reqwest::Client,
    addr: SocketAddr,
    body: Vec<u8>,
    signature: &str,
    event: &str,
) -> (u16, String) {
    let response = client
        .post(format!("http://{addr}/webhooks/toran"))
        .header("X-Toran-Signature", signature)
        .header("X-Toran-Event", event)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_before_answering_and_refuses_what_it_must() {
    let dir = std::env::temp_dir().join(format!("hookseal_axum_inbox_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inbox = Inbox::new(SqliteStore::open(dir.join("inbox.db")).await.unwrap());
    let addr = serve(inbox.clone()).await;
    let client = reqwest::Client::new();
    let body = lead("lead-1");
    let sig = signature(&body);

    assert_eq!(post_to(&client, addr, body.clone(), &sig, "lead.captured").await, (200, "stored".into()));
    // Answered, so committed: the row is there, byte for byte.
    let row = inbox.find("toran", "lead-1").await.unwrap().unwrap();
    assert_eq!((row.body.clone(), row.state), (body.clone(), State::Ready));
    assert_eq!(post_to(&client, addr, body.clone(), &sig, "lead.captured").await, (200, "duplicate".into()));
    assert_eq!(inbox.find("toran", "lead-1").await.unwrap().unwrap().times_seen, 2);

    // Authentic but unparseable: stored dead-lettered, and acknowledged.
    let odd = br#"{"event":"lead.captured","lead_id":[]}"#.to_vec();
    assert_eq!(post_to(&client, addr, odd.clone(), &signature(&odd), "lead.captured").await.0, 200);
    assert_eq!(inbox.counts().await.unwrap().dead, 1);

    // Refusals keep Webhook<P>'s statuses and texts, and store nothing.
    assert_eq!(
        post_to(&client, addr, body.clone(), &signature(b"another body"), "lead.captured").await,
        (401, "invalid signature".into())
    );
    let other = lead("lead-2");
    assert_eq!(
        post_to(&client, addr, other.clone(), &signature(&other), "lead.test").await,
        (400, "event header does not match body".into())
    );
    let huge = vec![b' '; 5000];
    assert_eq!(post_to(&client, addr, huge.clone(), &signature(&huge), "lead.captured").await.0, 413);
    assert_eq!(inbox.counts().await.unwrap().total(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn store_down_is_503_with_retry_after() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap();
    let addr = serve(Inbox::new(PgStore::from_pool_unmigrated(pool))).await;
    let body = lead("lead-down");
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/toran"))
        .header("X-Toran-Signature", signature(&body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(response.text().await.unwrap(), "webhook store unavailable, retry later");
}

#[tokio::test]
async fn memory_inbox_works_through_the_extractor() {
    let inbox = Inbox::new(MemoryStore::new());
    let addr = serve(inbox.clone()).await;
    let body = lead("lead-mem");
    let sig = signature(&body);
    assert_eq!(post_to(&reqwest::Client::new(), addr, body, &sig, "lead.captured").await.0, 200);
    assert_eq!(inbox.counts().await.unwrap().ready, 1);
}

/// A database of this test's own, dropped at the end.
struct PgTestDb {
    name: String,
    admin: String,
}

impl PgTestDb {
    async fn create() -> (Self, PgConnectOptions) {
        let admin = std::env::var("HOOKSEAL_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("hookseal_axum_inbox_{}_{nanos}", std::process::id());
        let mut conn = PgConnectOptions::from_str(&admin)
            .unwrap()
            .connect()
            .await
            .unwrap_or_else(|err| panic!("PostgreSQL test server at {admin} is required: {err}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        conn.close().await.unwrap();
        let options = PgConnectOptions::from_str(&admin).unwrap().database(&name);
        (Self { name, admin }, options)
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnectOptions::from_str(&admin).unwrap().connect().await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            });
        })
        .join();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proof_1_fifty_concurrent_deliveries_through_two_receivers_one_row_one_run() {
    let (_db, options) = PgTestDb::create().await;
    // Two replicas: each its own pool, inbox and server, one shared database.
    let a = Inbox::builder(PgStore::connect_with(options.clone(), 8).await.unwrap()).parallel_commits(8).build();
    let b = Inbox::builder(PgStore::connect_with(options.clone(), 8).await.unwrap()).parallel_commits(8).build();
    let addrs = [serve(a.clone()).await, serve(b.clone()).await];
    let body = lead("lead-shared");
    let sig = signature(&body);
    let client = reqwest::Client::new();
    let answers = futures_util::future::join_all((0..50).map(|n| {
        let (client, body, sig) = (client.clone(), body.clone(), sig.clone());
        async move { post_to(&client, addrs[n % 2], body, &sig, "lead.captured").await }
    }))
    .await;
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, text)| text == "stored").count(), 1);
    let counts = a.counts().await.unwrap();
    assert_eq!(counts.total(), 1);
    assert_eq!(a.find("toran", "lead-shared").await.unwrap().unwrap().times_seen, 50);

    // A worker on each replica: the event is handled once.
    let runs = AtomicU32::new(0);
    for inbox in [&a, &b, &a, &b] {
        Worker::<Toran>::new(inbox.clone())
            .run_once(|_| {
                runs.fetch_add(1, Ordering::SeqCst);
                async { Ok(()) }
            })
            .await
            .unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(b.counts().await.unwrap().done, 1);
}
