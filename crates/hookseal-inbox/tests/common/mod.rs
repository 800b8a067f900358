//! Shared test fixtures: signed requests, a fixed clock, a temporary SQLite
//! file, and a PostgreSQL database of the test's own (created and dropped).
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use hookseal_core::{Provider, Secret, Signer, Toran, Tuco, Verifier};
use hookseal_inbox::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use hookseal_inbox::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use hookseal_inbox::{MemoryStore, PgStore, SqliteStore};

pub const SECRET: &str = "whsec_inbox_tests";

pub fn t0() -> DateTime<Utc> {
    "2026-05-06T14:22:31Z".parse().unwrap()
}

pub fn toran() -> Verifier<Toran> {
    Verifier::new(Secret::new(SECRET).unwrap())
}

pub fn tuco() -> Verifier<Tuco> {
    Verifier::new(Secret::new(SECRET).unwrap())
}

/// A Toran `lead.captured` body for `lead_id`.
pub fn lead(lead_id: &str) -> Vec<u8> {
    format!(
        r#"{{"event":"lead.captured","lead_id":"{lead_id}","widget_id":"w-1","name":"Ada","email":"ada@example.com","score":87,"tier":"hot","timestamp":"2026-05-06T14:22:31Z","metadata":{{"notes":"hi"}}}}"#
    )
    .into_bytes()
}

/// The headers a provider would send for `body`.
pub fn signed<P: Provider>(body: &[u8], event: &str) -> Vec<(String, String)> {
    let secret = Secret::new(SECRET).unwrap();
    let signature = Signer::new(&secret, P::SCHEME.format()).sign(body);
    let prefix = match P::NAME {
        "connectgain" => "Webhook".to_owned(),
        name => {
            let mut name = name.to_owned();
            name[..1].make_ascii_uppercase();
            name
        }
    };
    vec![(format!("X-{prefix}-Signature"), signature), (format!("X-{prefix}-Event"), event.to_owned())]
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}_{}_{}_{}", std::process::id(), nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("hookseal_inbox"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server tests use: `HOOKSEAL_TEST_DATABASE_URL`, or the local default.
pub fn admin_url() -> String {
    std::env::var("HOOKSEAL_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of this test's own on the test server, dropped (with its
/// connections) when this goes out of scope. A missing server fails the test.
pub struct PgTestDb {
    pub name: String,
    pub options: PgConnectOptions,
    admin: String,
}

impl PgTestDb {
    pub async fn create() -> Self {
        Self::create_on(&admin_url()).await
    }

    pub async fn create_on(admin: &str) -> Self {
        let name = unique("hookseal_inbox_test");
        let mut conn = PgConnectOptions::from_str(admin)
            .unwrap()
            .connect()
            .await
            .unwrap_or_else(|err| panic!("PostgreSQL test server at {admin} is required: {err}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        conn.close().await.unwrap();
        let options = PgConnectOptions::from_str(admin).unwrap().database(&name);
        Self { name, options, admin: admin.to_owned() }
    }

    pub async fn store(&self) -> PgStore {
        PgStore::connect_with(self.options.clone(), 8).await.unwrap()
    }

    pub async fn pool(&self, size: u32) -> hookseal_inbox::sqlx::PgPool {
        PgPoolOptions::new().max_connections(size).connect_with(self.options.clone()).await.unwrap()
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropping needs async I/O: do it on a runtime of its own, off the test's.
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

pub async fn memory() -> (MemoryStore, ()) {
    (MemoryStore::new(), ())
}

pub async fn sqlite() -> (SqliteStore, TempDir) {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.file("inbox.db")).await.unwrap();
    (store, dir)
}

pub async fn postgres() -> (PgStore, PgTestDb) {
    let db = PgTestDb::create().await;
    let store = db.store().await;
    (store, db)
}
