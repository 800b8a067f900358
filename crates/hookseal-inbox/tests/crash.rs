//! The crash proofs, with real processes:
//!
//! - proof 2: a worker process SIGKILLed mid-handler (inside its transaction,
//!   after its write): its lease expires, another worker finishes the event,
//!   the stale token changes nothing, and the effect is committed once (on
//!   PostgreSQL and on SQLite);
//! - proof 4: N acknowledged events survive the kill of the process holding
//!   the SQLite file, and a PostgreSQL crash-restart (`pg_ctl stop -m
//!   immediate`, then start), with ingest answering 503 while it is down. The
//!   restarted server is a private cluster this test creates (initdb) on a
//!   free port, so the shared server other tests use is never disturbed.
//!
//! This binary has no libtest harness: run bare, it is the parent and runs
//! every proof; with `HOOKSEAL_CRASH_ROLE` set, it is a child process.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{lead, signed, t0, toran};
use hookseal_core::Toran;
use hookseal_inbox::sqlx::{self, Row as _};
use hookseal_inbox::{Clock as _, Inbox, ManualClock, PgStore, SqliteStore, State, Worker};

const LEASE: Duration = Duration::from_secs(30);
const ACKED: usize = 20;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if let Ok(role) = std::env::var("HOOKSEAL_CRASH_ROLE") {
        runtime.block_on(child(&role));
        return;
    }
    let proofs: [(&str, fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>); 4] = [
        ("proof_2_sigkilled_worker_postgres", || Box::pin(sigkilled_worker_postgres())),
        ("proof_2_sigkilled_worker_sqlite", || Box::pin(sigkilled_worker_sqlite())),
        ("proof_4_sqlite_holder_killed", || Box::pin(sqlite_holder_killed())),
        ("proof_4_postgres_restarted", || Box::pin(postgres_restarted())),
    ];
    println!("running {} tests", proofs.len());
    for (name, proof) in proofs {
        print!("test {name} ... ");
        std::io::stdout().flush().unwrap();
        runtime.block_on(proof());
        println!("ok");
    }
    println!("\ntest result: ok. {} passed; 0 failed", proofs.len());
}

// ---------------------------------------------------------------- children

async fn child(role: &str) {
    let target = std::env::var("HOOKSEAL_CRASH_TARGET").unwrap();
    match role {
        "worker-pg" => {
            let store = PgStore::connect(&target).await.unwrap();
            let pool = store.pool().clone();
            hang_in_handler(Inbox::builder(store).clock(ManualClock::new(t0())).build(), &pool).await;
        }
        "worker-sqlite" => {
            let store = SqliteStore::open(&target).await.unwrap();
            let pool = store.pool().clone();
            hang_in_handler(Inbox::builder(store).clock(ManualClock::new(t0())).build(), &pool).await;
        }
        "ingest-sqlite" => {
            let inbox = Inbox::new(SqliteStore::open(&target).await.unwrap());
            // Ingest until killed; announce each event once it is acknowledged.
            for n in 0.. {
                let key = format!("lead-{n}");
                let body = lead(&key);
                inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await.unwrap();
                println!("acked {key}");
                std::io::stdout().flush().unwrap();
            }
        }
        other => panic!("unknown role {other}"),
    }
}

/// Claims the event, applies its effect inside the transaction, reports, and never commits.
async fn hang_in_handler<DB>(inbox: Inbox, pool: &sqlx::Pool<DB>)
where
    DB: hookseal_inbox::TxDatabase,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    Worker::<Toran>::new(inbox)
        .lease(LEASE)
        .run_once_tx(pool, |job, mut tx| async move {
            apply(&mut tx, &job.key).await.unwrap();
            println!("claimed {} {}", job.id, job.token());
            std::io::stdout().flush().unwrap();
            std::future::pending::<()>().await;
            Ok(tx)
        })
        .await
        .unwrap();
}

// ---------------------------------------------------------------- helpers

async fn apply<DB>(tx: &mut sqlx::Transaction<'static, DB>, key: &str) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(
        "INSERT INTO leads (lead_id, applied) VALUES ($1, 1) ON CONFLICT (lead_id) DO UPDATE SET applied = leads.applied + 1",
    )
    .bind(key.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A child process of this binary in `role`, and its stdout lines.
fn spawn(role: &str, target: &str) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("HOOKSEAL_CRASH_ROLE", role)
        .env("HOOKSEAL_CRASH_TARGET", target)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn next_line(lines: &mpsc::Receiver<String>) -> String {
    lines.recv_timeout(Duration::from_secs(60)).expect("the child process reports within 60 s")
}

/// SIGKILL (std's `kill` sends SIGKILL on Unix), then reap.
fn sigkill(mut child: Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, it did not exit");
}

async fn accept(inbox: &Inbox, key: &str) -> Result<hookseal_inbox::Receipt, hookseal_inbox::AcceptError> {
    let body = lead(key);
    inbox.accept(&toran(), &signed::<Toran>(&body, "lead.captured"), &body).await
}

// ---------------------------------------------------------------- proof 2

async fn after_the_kill<DB>(inbox: &Inbox, pool: &sqlx::Pool<DB>, clock: &ManualClock, id: i64, stale: i64)
where
    DB: hookseal_inbox::TxDatabase,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let row = inbox.get(id).await.unwrap().unwrap();
    assert_eq!((row.state, row.lease_token), (State::Running, stale), "the dead worker's claim is still there");
    let worker = Worker::<Toran>::new(inbox.clone()).lease(LEASE);
    let apply_it = |job: hookseal_inbox::Job<hookseal_core::toran::Event>, mut tx| async move {
        apply(&mut tx, &job.key).await?;
        Ok(tx)
    };
    // Before the lease expires nobody takes the event over.
    clock.set(t0() + chrono::TimeDelta::seconds(29));
    assert_eq!(worker.run_once_tx(pool, apply_it).await.unwrap().claimed, 0);
    clock.set(t0() + chrono::TimeDelta::seconds(31));
    let report = worker.run_once_tx(pool, apply_it).await.unwrap();
    assert_eq!((report.claimed, report.done), (1, 1));
    // The killed worker's completion, were it to arrive now, is fenced.
    let done = inbox.get(id).await.unwrap().unwrap();
    assert!(!inbox.store().complete(id, stale, clock.now()).await.unwrap());
    assert!(!inbox.store().heartbeat(id, stale, clock.now()).await.unwrap());
    assert_eq!(inbox.get(id).await.unwrap().unwrap(), done);
    assert_eq!(done.state, State::Done);
    let applied: i64 = sqlx::query::<DB>("SELECT applied FROM leads WHERE lead_id = $1")
        .bind("lead-kill".to_owned())
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(applied, 1, "the effect is committed once");
}

fn claimed(lines: &mpsc::Receiver<String>) -> (i64, i64) {
    let line = next_line(lines);
    let mut parts = line.strip_prefix("claimed ").expect("a claim report").split(' ');
    (parts.next().unwrap().parse().unwrap(), parts.next().unwrap().parse().unwrap())
}

async fn sigkilled_worker_postgres() {
    let db = common::PgTestDb::create().await;
    let clock = ManualClock::new(t0());
    let store = db.store().await;
    let pool = store.pool().clone();
    sqlx::query("CREATE TABLE leads (lead_id TEXT PRIMARY KEY, applied BIGINT NOT NULL)").execute(&pool).await.unwrap();
    let inbox = Inbox::builder(store).clock(clock.clone()).build();
    let id = accept(&inbox, "lead-kill").await.unwrap().id;
    let url = format!("{}/{}", common::admin_url().rsplit_once('/').unwrap().0, db.name);
    let (child, lines) = spawn("worker-pg", &url);
    let (claimed_id, stale) = claimed(&lines);
    assert_eq!(claimed_id, id);
    sigkill(child);
    after_the_kill(&inbox, &pool, &clock, id, stale).await;
}

async fn sigkilled_worker_sqlite() {
    let dir = common::TempDir::new();
    let path = dir.file("inbox.db");
    let clock = ManualClock::new(t0());
    let store = SqliteStore::open(&path).await.unwrap();
    let pool = store.pool().clone();
    sqlx::query("CREATE TABLE leads (lead_id TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let inbox = Inbox::builder(store).clock(clock.clone()).build();
    let id = accept(&inbox, "lead-kill").await.unwrap().id;
    let (child, lines) = spawn("worker-sqlite", path.to_str().unwrap());
    let (claimed_id, stale) = claimed(&lines);
    assert_eq!(claimed_id, id);
    sigkill(child);
    after_the_kill(&inbox, &pool, &clock, id, stale).await;
}

// ---------------------------------------------------------------- proof 4

async fn all_present_then_processed(inbox: &Inbox, keys: &[String]) {
    for key in keys {
        let row = inbox.find("toran", key).await.unwrap().unwrap_or_else(|| panic!("acknowledged {key} was lost"));
        assert_eq!(row.body, lead(key));
    }
    let worker = Worker::<Toran>::new(inbox.clone()).batch(1000);
    let mut handled = Vec::new();
    let report = worker
        .run_once(|job| {
            handled.push(job.key.clone());
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(report.done, report.claimed);
    for key in keys {
        assert!(handled.contains(key), "{key} was not processed");
    }
}

async fn sqlite_holder_killed() {
    let dir = common::TempDir::new();
    let path = dir.file("inbox.db");
    // Create and migrate the file first, so that the child only ingests.
    drop(SqliteStore::open(&path).await.unwrap());
    let (child, lines) = spawn("ingest-sqlite", path.to_str().unwrap());
    let keys: Vec<String> = (0..ACKED).map(|_| next_line(&lines).strip_prefix("acked ").unwrap().to_owned()).collect();
    // Killed while it keeps ingesting: whatever it acknowledged must be on disk.
    sigkill(child);
    let inbox = Inbox::new(SqliteStore::open(&path).await.unwrap());
    all_present_then_processed(&inbox, &keys).await;
}

/// A private PostgreSQL cluster in a temporary directory, on a free port.
struct Cluster {
    dir: common::TempDir,
    port: u16,
}

impl Cluster {
    fn pg(&self, args: &[&str]) {
        let data = self.dir.file("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        run_as_postgres("pg_ctl", &all);
    }

    fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.0.display());
        let log = self.dir.file("server.log");
        self.pg(&["-w", "-t", "60", "-o", &options, "-l", log.to_str().unwrap(), "start"]);
    }

    fn crash(&self) {
        self.pg(&["-w", "-t", "60", "-m", "immediate", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.file("data");
        let _ = Command::new(if is_root() { "runuser" } else { "pg_ctl" })
            .args(if is_root() { vec!["-u", "postgres", "--", "pg_ctl"] } else { vec![] })
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|out| out.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// PostgreSQL's tools refuse to run as root: run them as `postgres` then.
fn run_as_postgres(tool: &str, args: &[&str]) {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", tool]);
        command
    } else {
        Command::new(tool)
    };
    let out = command.args(args).stdout(Stdio::null()).output().unwrap_or_else(|err| panic!("{tool}: {err}"));
    assert!(out.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

async fn postgres_restarted() {
    let dir = common::TempDir::new();
    if is_root() {
        let status = Command::new("chown").args(["postgres", dir.0.to_str().unwrap()]).status().unwrap();
        assert!(status.success());
    }
    let data = dir.file("data");
    run_as_postgres("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cluster = Cluster { dir, port };
    cluster.start();

    let inbox = Inbox::new(PgStore::connect(&cluster.url()).await.unwrap());
    let mut keys = Vec::new();
    for n in 0..ACKED {
        let key = format!("lead-{n}");
        assert!(accept(&inbox, &key).await.unwrap().inserted);
        keys.push(key);
    }
    // A crash: no shutdown checkpoint, recovery from the WAL on start.
    cluster.crash();
    let err = accept(&inbox, "lead-while-down").await.unwrap_err();
    assert_eq!(err.status(), 503, "{err:?}");
    drop(inbox);

    cluster.start();
    let inbox = Inbox::new(PgStore::connect(&cluster.url()).await.unwrap());
    assert!(inbox.find("toran", "lead-while-down").await.unwrap().is_none(), "a 503 stored nothing");
    all_present_then_processed(&inbox, &keys).await;
    assert_eq!(inbox.counts().await.unwrap().done, ACKED as u64);
    assert!(accept(&inbox, "lead-after").await.unwrap().inserted, "ingest works again");
}
