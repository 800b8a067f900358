//! The gateway end to end, with real processes: the `hookseal` binary as the
//! gateway, and a downstream app in Python (`tests/gateway/downstream.py`) that
//! checks every forwarded request with the `standardwebhooks` library, refuses
//! each message's first deliveries on demand, and counts what it accepts.
//!
//! The Python packages go into a throwaway virtualenv under Cargo's target
//! directory (shared with the core's interop tests: same requirements, same
//! venv). PostgreSQL at `HOOKSEAL_TEST_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres), in a database of the test's
//! own. Nothing is skipped: a missing python3, PyPI or PostgreSQL fails.
//! Every wait polls observable state with a bounded deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hookseal_core::{Provider, Secret, Signer, Toran};
use hookseal_inbox::sqlx::postgres::PgConnectOptions;
use hookseal_inbox::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const REQUIREMENTS: &str = include_str!("gateway/requirements.txt");
const DOWNSTREAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gateway/downstream.py");
const FORWARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TORAN_SECRET: &str = "toran-gateway-test-secret";
/// The longest any wait in these tests may last.
const DEADLINE: Duration = Duration::from_secs(120);

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}_{}_{}_{}", std::process::id(), nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// Polls `check` until it gives `Some`, or panics after [`DEADLINE`] with `what`.
fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn run_to_end(command: &mut Command) -> std::process::Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|err| {
        panic!("cannot start {command:?}: {err}");
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            panic!("{command:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The virtualenv's python (created and installed on first use).
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let key = hex::encode(&Sha256::digest(REQUIREMENTS.as_bytes())[..8]);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let venv = root.join(format!("interop-venv-{key}"));
        let python = venv.join("bin").join("python");
        if venv.join(".ready").exists() && python.exists() {
            return python;
        }
        let staging = root.join(format!("interop-venv-{key}.staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&root).unwrap();
        run_to_end(Command::new("python3").arg("-m").arg("venv").arg(&staging));
        let requirements = staging.join("requirements.txt");
        std::fs::write(&requirements, REQUIREMENTS).unwrap();
        run_to_end(
            Command::new(staging.join("bin").join("python"))
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r"])
                .arg(&requirements),
        );
        std::fs::write(staging.join(".ready"), REQUIREMENTS).unwrap();
        if std::fs::rename(&staging, &venv).is_err() {
            let _ = std::fs::remove_dir_all(&staging);
            assert!(venv.join(".ready").exists(), "cannot move the virtualenv into {}", venv.display());
        }
        python
    })
}

/// A child process killed on drop, its standard output collected line by line.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(command: &mut Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn count(&self, needle: &str) -> usize {
        self.lines().iter().filter(|l| l.contains(needle)).count()
    }

    fn wait_line(&self, what: &str, pick: impl Fn(&str) -> Option<String>) -> String {
        until(what, || self.lines().iter().find_map(|l| pick(l)))
    }

    fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait (bounded) for the exit status.
    fn sigterm(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        run_to_end(Command::new("kill").args(["-TERM", &pid]));
        until("the gateway to exit", || self.child.try_wait().unwrap())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Downstream {
    _proc: Proc,
    url: String,
}

impl Downstream {
    fn start(refuse_first: u32) -> Self {
        Self::start_slow(refuse_first, 0.0)
    }

    /// A downstream whose every answer takes `delay` seconds.
    fn start_slow(refuse_first: u32, delay: f64) -> Self {
        let proc = Proc::spawn(
            Command::new(python())
                .arg(DOWNSTREAM)
                .arg(FORWARD_SECRET)
                .arg(refuse_first.to_string())
                .arg(delay.to_string()),
        );
        let port = proc.wait_line("the downstream's port", |l| l.trim().parse::<u16>().ok().map(|p| p.to_string()));
        Self { _proc: proc, url: format!("http://127.0.0.1:{port}/hook") }
    }

    fn stats(&self, rt: &tokio::runtime::Runtime) -> Value {
        rt.block_on(async {
            let text = client().get(&self.url).send().await.unwrap().text().await.unwrap();
            serde_json::from_str(&text).unwrap()
        })
    }

    fn accepted(&self, rt: &tokio::runtime::Runtime) -> BTreeMap<String, u64> {
        let stats = self.stats(rt);
        let problems = stats["problems"].as_array().unwrap();
        assert!(problems.is_empty(), "the downstream saw bad requests: {problems:?}");
        stats["accepted"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A gateway process.
fn gateway(store: &str, downstream: &str, extra: &[&str]) -> (Proc, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookseal"));
    command
        .args(["listen", "--addr", "127.0.0.1:0", "--store", store, "--forward-to", downstream])
        .args(["--backoff", "20ms", "--backoff-cap", "100ms", "--timeout", "5s"])
        .args(extra)
        .env_remove("HOOKSEAL_SECRET")
        .env("HOOKSEAL_FORWARD_SECRET", FORWARD_SECRET);
    for provider in ["TOCC", "TORAN", "ZAPITO", "TUCO", "CONNECTGAIN"] {
        let secret = if provider == "TORAN" { TORAN_SECRET.to_owned() } else { format!("secret-{provider}") };
        command.env(format!("HOOKSEAL_SECRET_{provider}"), secret);
    }
    let proc = Proc::spawn(&mut command);
    let url = proc.wait_line("the gateway to listen", |l| {
        let at = l.find("listening on http://")? + "listening on ".len();
        let rest = &l[at..];
        Some(rest[..rest.find("/webhooks/")?].to_owned())
    });
    (proc, format!("{url}/webhooks/toran"))
}

fn lead(id: &str) -> Vec<u8> {
    format!(
        r#"{{"event":"lead.captured","lead_id":"{id}","widget_id":"w-1","name":"Ada","email":"ada@example.com","score":87,"tier":"hot","timestamp":"2026-05-06T14:22:31Z","metadata":{{"notes":"hi"}}}}"#
    )
    .into_bytes()
}

/// Delivers a Toran `lead.captured` for `id`; the status (`None` if nothing answered).
fn deliver(rt: &tokio::runtime::Runtime, url: &str, id: &str) -> Option<u16> {
    let body = lead(id);
    let signature = Signer::new(&Secret::new(TORAN_SECRET).unwrap(), Toran::SCHEME.format()).sign(&body);
    rt.block_on(async {
        let sent = client()
            .post(url)
            .header("content-type", "application/json")
            .header("X-Toran-Signature", signature)
            .header("X-Toran-Event", "lead.captured")
            .body(body)
            .send()
            .await;
        sent.ok().map(|r| r.status().as_u16())
    })
}

/// The key the gateway stores a Toran lead under (read from its own `stored` line).
fn keys_of(accepted: &BTreeMap<String, u64>, id: &str) -> u64 {
    accepted.iter().filter(|(k, _)| k.contains(id)).map(|(_, n)| *n).sum()
}

fn inbox_json(store: &str, what: &[&str]) -> Vec<Value> {
    let output = run_to_end(
        Command::new(env!("CARGO_BIN_EXE_hookseal")).arg("inbox").args(what).args(["--store", store, "--json"]),
    );
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("hookseal_gateway"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn store(&self) -> String {
        format!("sqlite://{}", self.0.join("gateway.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn forwards_until_accepted_and_never_again_after_redelivery() {
    let rt = runtime();
    let dir = TempDir::new();
    // Every message is refused twice, then accepted.
    let downstream = Downstream::start(2);
    let (gw, url) = gateway(&dir.store(), &downstream.url, &[]);
    let ids: Vec<String> = (0..20).map(|n| format!("lead-{n:02}-{}", unique("a"))).collect();
    for id in &ids {
        assert_eq!(deliver(&rt, &url, id), Some(200), "acknowledged");
    }
    let accepted = until("all 20 accepted downstream", || {
        let accepted = downstream.accepted(&rt);
        (accepted.len() == 20).then_some(accepted)
    });
    for id in &ids {
        assert_eq!(keys_of(&accepted, id), 1, "{id} accepted once");
    }
    // Each event took three attempts: two refused (retrying), one forwarded.
    until("the 20 forwarded lines", || (gw.count(" forwarded toran ") == 20).then_some(()));
    assert_eq!(gw.count(" retrying toran "), 40);
    assert_eq!(gw.count(" stored toran "), 20);
    let stats = downstream.stats(&rt);
    for (key, webhook_ids) in stats["ids"].as_object().unwrap() {
        assert_eq!(webhook_ids.as_array().unwrap().len(), 1, "{key}: one webhook-id across retries");
    }

    // The provider redelivers five done events: acknowledged, not stored or forwarded again.
    for id in &ids[..5] {
        assert_eq!(deliver(&rt, &url, id), Some(200));
    }
    until("5 duplicate lines", || (gw.count(" duplicate toran ") == 5).then_some(()));
    // A fresh event after them is forwarded: the worker has run past the redeliveries.
    let barrier = format!("lead-barrier-{}", unique("b"));
    assert_eq!(deliver(&rt, &url, &barrier), Some(200));
    let accepted = until("the barrier accepted", || {
        let accepted = downstream.accepted(&rt);
        (keys_of(&accepted, &barrier) == 1).then_some(accepted)
    });
    for id in &ids {
        assert_eq!(keys_of(&accepted, id), 1, "{id} not forwarded again");
    }
    let listed = inbox_json(&dir.store(), &["list", "--limit", "100"]);
    assert_eq!(listed.len(), 21);
    assert!(listed.iter().all(|e| e["state"] == "done"), "{listed:?}");
    assert!(listed.iter().filter(|e| e["idempotency_key"] != "").all(|e| e["attempts"].as_u64().unwrap() >= 1));
    let one = &inbox_json(&dir.store(), &["show", listed[20]["id"].to_string().as_str()])[0];
    let outcomes: Vec<&str> =
        one["attempt_history"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["retry", "retry", "done"]);
    assert!(one["headers"].as_array().unwrap().iter().any(|h| h[0] == "x-toran-event"));
    drop(gw);
}

#[test]
fn sigkill_mid_stream_then_restart_loses_nothing_acknowledged() {
    let rt = runtime();
    let dir = TempDir::new();
    // Each answer takes 200 ms, so forwards are in flight when the gateway is killed.
    let downstream = Downstream::start_slow(0, 0.2);
    let (mut gw, url) = gateway(&dir.store(), &downstream.url, &["--concurrency", "4"]);
    let mut acknowledged = Vec::new();
    let mut n = 0;
    // Deliver until 15 are acknowledged, then SIGKILL the gateway mid-stream (forwards in flight).
    while acknowledged.len() < 15 {
        let id = format!("lead-k{n:03}-{}", unique("k"));
        n += 1;
        if deliver(&rt, &url, &id) == Some(200) {
            acknowledged.push(id);
        }
    }
    gw.sigkill();
    // Killed mid-stream: some acknowledged events were not done (some running, their leases held by a dead process).
    let frozen = &inbox_json(&dir.store(), &["stats"])[0];
    assert!(frozen["done"].as_u64().unwrap() < 15, "the kill came before the forwarding finished: {frozen}");
    assert_eq!(frozen["total"], 15, "every acknowledged event is stored: {frozen}");
    let (gw2, url2) = gateway(&dir.store(), &downstream.url, &[]);
    for _ in 0..10 {
        let id = format!("lead-k{n:03}-{}", unique("k"));
        n += 1;
        assert_eq!(deliver(&rt, &url2, &id), Some(200));
        acknowledged.push(id);
    }
    let accepted = until("every acknowledged event accepted downstream", || {
        let accepted = downstream.accepted(&rt);
        acknowledged.iter().all(|id| keys_of(&accepted, id) >= 1).then_some(accepted)
    });
    assert_eq!(accepted.len(), acknowledged.len(), "nothing else arrived");
    until("every event done", || {
        let stats = &inbox_json(&dir.store(), &["stats"])[0];
        (stats["done"] == 25).then_some(())
    });
    drop(gw2);
}

#[test]
fn sigterm_stops_gracefully() {
    let rt = runtime();
    let dir = TempDir::new();
    let downstream = Downstream::start(0);
    let (mut gw, url) = gateway(&dir.store(), &downstream.url, &[]);
    let id = format!("lead-t-{}", unique("t"));
    assert_eq!(deliver(&rt, &url, &id), Some(200));
    until("forwarded", || (gw.count(" forwarded toran ") == 1).then_some(()));
    assert!(gw.sigterm().success());
    let lines = gw.lines();
    assert!(lines.iter().any(|l| l.contains(" stopping: ")), "{lines:?}");
    assert!(lines.last().unwrap().ends_with(" stopped"), "{lines:?}");
    // Every line starts with its UTC time.
    assert!(
        lines.iter().all(|l| chrono::DateTime::parse_from_rfc3339(l.split(' ').next().unwrap()).is_ok()),
        "{lines:?}"
    );
}

/// A PostgreSQL database of the test's own, dropped afterwards.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn create(rt: &tokio::runtime::Runtime) -> Self {
        let admin = std::env::var("HOOKSEAL_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = unique("hookseal_gateway_test");
        rt.block_on(async {
            let mut conn = PgConnectOptions::from_str(&admin)
                .unwrap()
                .connect()
                .await
                .unwrap_or_else(|err| panic!("PostgreSQL test server at {admin} is required: {err}"));
            conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            conn.close().await.unwrap();
        });
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            runtime().block_on(async {
                if let Ok(mut conn) = PgConnectOptions::from_str(&admin).unwrap().connect().await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            });
        })
        .join();
    }
}

#[test]
fn two_gateways_on_one_postgres_deliver_each_event_once() {
    let rt = runtime();
    let db = PgDb::create(&rt);
    let downstream = Downstream::start(0);
    let (a, url_a) = gateway(&db.url, &downstream.url, &["--concurrency", "4"]);
    let (b, url_b) = gateway(&db.url, &downstream.url, &["--concurrency", "4"]);
    let ids: Vec<String> = (0..40).map(|n| format!("lead-p{n:02}-{}", unique("p"))).collect();
    // Each event is delivered to both replicas (a provider's retry landing on the other one).
    for (n, id) in ids.iter().enumerate() {
        let (first, second) = if n % 2 == 0 { (&url_a, &url_b) } else { (&url_b, &url_a) };
        assert_eq!(deliver(&rt, first, id), Some(200));
        assert_eq!(deliver(&rt, second, id), Some(200));
    }
    until("all 40 done in the store", || {
        let stats = &inbox_json(&db.url, &["stats"])[0];
        (stats["done"] == 40).then_some(())
    });
    let accepted = downstream.accepted(&rt);
    assert_eq!(accepted.len(), 40);
    for id in &ids {
        assert_eq!(keys_of(&accepted, id), 1, "{id} delivered once");
    }
    assert_eq!(a.count(" stored toran ") + b.count(" stored toran "), 40);
    assert_eq!(a.count(" duplicate toran ") + b.count(" duplicate toran "), 40);
    assert_eq!(a.count(" forwarded toran ") + b.count(" forwarded toran "), 40);
    drop((a, b));
    let _ = std::io::stdout().flush();
}
