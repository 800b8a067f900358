//! Running the built `hookseal` binary with a deadline, and checking how it fails.

#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hookseal_core::{
    ConnectGain, Provider, ProviderId, Secret, Signer, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
};

/// The secret the tests sign with; it must never appear in any output.
pub const SECRET: &str = "cli-test-secret-Qz7w";

/// The longest a quick command may take.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The longest the tests wait for one line from a running `hookseal listen`.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The binary, with `HOOKSEAL_SECRET` and every `HOOKSEAL_SECRET_<PROVIDER>` removed (tests set them explicitly).
pub fn hookseal() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookseal"));
    command.env_remove("HOOKSEAL_SECRET").env_remove("RUST_BACKTRACE");
    for provider in ProviderId::ALL {
        command.env_remove(hookseal_core::env::var_name(provider));
    }
    command
}

/// The binary with each provider's own `HOOKSEAL_SECRET_<PROVIDER>` = [`SECRET`] (no shared fallback).
pub fn hookseal_with_provider_secrets() -> Command {
    let mut command = hookseal();
    for provider in ProviderId::ALL {
        command.env(hookseal_core::env::var_name(provider), SECRET);
    }
    command
}

/// The binary with `HOOKSEAL_SECRET` = [`SECRET`].
pub fn hookseal_with_secret() -> Command {
    let mut command = hookseal();
    command.env("HOOKSEAL_SECRET", SECRET);
    command
}

/// What a finished run left.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    pub fn lines(&self) -> Vec<String> {
        self.stdout_text().lines().map(str::to_owned).collect()
    }

    /// Asserts exit 0 and no panic.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "expected success, got {:?}\nstdout: {}\nstderr: {}",
            self.status,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        );
        assert_no_panic(&self.stderr);
        assert!(!self.stderr.contains(SECRET), "the secret leaked to stderr: {}", self.stderr);
        assert!(!String::from_utf8_lossy(&self.stdout).contains(SECRET), "the secret leaked to stdout");
        self
    }

    /// Asserts a `hookseal:` failure: exit 1, exactly one line on stderr
    /// containing `fragment`, no panic, and no secret anywhere.
    pub fn assert_failure(&self, fragment: &str) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(1),
            "expected exit 1, got {:?}\nstdout: {}\nstderr: {}",
            self.status,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        );
        assert_no_panic(&self.stderr);
        assert!(self.stderr.starts_with("hookseal: "), "stderr: {:?}", self.stderr);
        assert!(self.stderr.ends_with('\n'), "stderr: {:?}", self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "not one line: {:?}", self.stderr);
        assert!(self.stderr.contains(fragment), "stderr {:?} lacks {fragment:?}", self.stderr);
        assert!(!self.stderr.contains(SECRET), "the secret leaked to stderr: {}", self.stderr);
        assert!(!String::from_utf8_lossy(&self.stdout).contains(SECRET), "the secret leaked to stdout");
        self
    }

    /// Asserts a command-line usage error from clap: exit 2, stderr starts
    /// with `error:` and contains `fragment`, nothing on stdout.
    pub fn assert_usage_error(&self, fragment: &str) -> &Self {
        assert_eq!(self.status.code(), Some(2), "expected exit 2, got {:?}\nstderr: {}", self.status, self.stderr);
        assert_no_panic(&self.stderr);
        assert!(self.stderr.starts_with("error: "), "stderr: {:?}", self.stderr);
        assert!(self.stderr.contains(fragment), "stderr {:?} lacks {fragment:?}", self.stderr);
        assert!(self.stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&self.stdout));
        self
    }
}

pub fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "hookseal panicked: {stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "hookseal panicked: {stderr}");
}

/// Waits for `child` at most `deadline`, polling; kills it and fails the test when it is exceeded.
pub fn wait_with_deadline(child: &mut Child, deadline: Duration) -> ExitStatus {
    let end = Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hookseal did not finish within {deadline:?}: killed");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Runs `command` to completion within `deadline`, feeding it `stdin` (or
/// nothing: standard input is then empty).
pub fn run_with(command: &mut Command, stdin: Option<&[u8]>, deadline: Duration) -> Output {
    command
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn hookseal");
    let writer = child.stdin.take().map(|mut pipe| {
        let data = stdin.unwrap_or_default().to_vec();
        // The child may stop reading early (a body over the limit): a broken pipe is fine.
        thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let stdout = read_all(child.stdout.take().expect("stdout"));
    let stderr = read_all(child.stderr.take().expect("stderr"));
    let status = wait_with_deadline(&mut child, deadline);
    if let Some(writer) = writer {
        writer.join().expect("stdin writer");
    }
    let stdout = stdout.join().expect("stdout reader");
    let stderr = String::from_utf8(stderr.join().expect("stderr reader")).expect("stderr is UTF-8");
    Output { status, stdout, stderr }
}

/// Runs `command` with empty standard input within [`DEADLINE`].
pub fn run(command: &mut Command) -> Output {
    run_with(command, None, DEADLINE)
}

/// A fresh path under Cargo's temporary directory for integration tests.
pub fn temp_path(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hookseal-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir.join(format!("{n}-{name}"))
}

/// Writes `bytes` to a fresh temporary file and returns its path.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

pub fn secret() -> Secret {
    Secret::new(SECRET).expect("non-empty")
}

/// The signature header value `provider` sends for `body` with [`SECRET`], computed independently of the binary.
pub fn signature(provider: ProviderId, body: &[u8]) -> String {
    Signer::new(&secret(), provider.scheme().format()).sign(body)
}

/// Parses `Name: value` lines.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("not a header line: {line:?}"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// What a typed event of any provider says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub event: String,
    pub test: bool,
    pub idempotency_key: String,
}

fn summary_of<E: WebhookEvent>(event: &E) -> Summary {
    Summary {
        event: event.name().to_owned(),
        test: event.is_test(),
        idempotency_key: event.idempotency_key().into_owned(),
    }
}

fn parse_as<P: Provider>(body: &[u8]) -> Summary {
    summary_of(&P::Event::from_slice(body).expect("sample parses"))
}

/// Parses `body` with `provider`'s event type.
pub fn summary(provider: ProviderId, body: &[u8]) -> Summary {
    match provider {
        ProviderId::Tocc => parse_as::<Tocc>(body),
        ProviderId::Toran => parse_as::<Toran>(body),
        ProviderId::Zapito => parse_as::<Zapito>(body),
        ProviderId::Tuco => parse_as::<Tuco>(body),
        ProviderId::ConnectGain => parse_as::<ConnectGain>(body),
        other => panic!("no event type for {other}"),
    }
}

fn verifies_as<P: Provider>(headers: &[(String, String)], body: &[u8]) -> Summary {
    let event = Verifier::<P>::new(secret()).verify_event(&headers.to_vec(), body).expect("the request verifies");
    assert_eq!(event, P::Event::from_slice(body).expect("body parses"));
    summary_of(&event)
}

/// Verifies a request with the core's verifier for `provider` and [`SECRET`].
pub fn verify_request(provider: ProviderId, headers: &[(String, String)], body: &[u8]) -> Summary {
    match provider {
        ProviderId::Tocc => verifies_as::<Tocc>(headers, body),
        ProviderId::Toran => verifies_as::<Toran>(headers, body),
        ProviderId::Zapito => verifies_as::<Zapito>(headers, body),
        ProviderId::Tuco => verifies_as::<Tuco>(headers, body),
        ProviderId::ConnectGain => verifies_as::<ConnectGain>(headers, body),
        other => panic!("no verifier for {other}"),
    }
}

/// A loopback address nobody listens on: bound, then released.
pub fn refused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A running `hookseal listen`, killed on drop if it is still running.
pub struct Listen {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    pub addr: SocketAddr,
}

impl Listen {
    /// Starts `hookseal listen --addr 127.0.0.1:0 <extra>` with [`SECRET`] as
    /// every provider's own secret and waits for its `listening on` line.
    pub fn start(extra: &[&str]) -> Self {
        Self::start_with(hookseal_with_provider_secrets(), extra)
    }

    /// Like [`start`](Self::start), with the secrets (environment) `command` has.
    pub fn start_with(mut command: Command, extra: &[&str]) -> Self {
        command
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn hookseal listen");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Some(read_all(child.stderr.take().expect("stderr")));
        let mut listen = Self { child, lines, stderr, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let first = listen.next_line();
        let rest =
            first.strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        let (authority, path) = rest.split_once('/').expect("a path after the address");
        assert!(path.starts_with("webhooks/"), "{first:?}");
        listen.addr = authority.parse().expect("a socket address");
        assert!(listen.addr.ip().is_loopback(), "{first:?}");
        assert_ne!(listen.addr.port(), 0, "{first:?}");
        listen
    }

    pub fn url(&self, provider: &str) -> String {
        format!("http://{}/webhooks/{provider}", self.addr)
    }

    /// The next stdout line, waiting at most [`PATIENCE`].
    pub fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(err) => {
                let _ = self.child.kill();
                panic!("no line from hookseal listen within {PATIENCE:?}: {err}");
            }
        }
    }

    /// Asserts that no line is pending right now (every line the tests
    /// expect has already been read: the listener prints before it answers).
    pub fn assert_no_pending_line(&self) {
        if let Ok(line) = self.lines.try_recv() {
            panic!("unexpected line: {line:?}");
        }
    }

    /// Presses Ctrl-C (SIGINT on Unix; a kill elsewhere).
    pub fn interrupt(&mut self) {
        #[cfg(unix)]
        {
            let status =
                Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().expect("run kill -INT");
            assert!(status.success(), "kill -INT failed");
        }
        #[cfg(not(unix))]
        {
            let _ = self.child.kill();
        }
    }

    /// Waits for it to exit (within [`DEADLINE`]) and returns its exit
    /// status, the lines it printed after the last one read, and its stderr.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let status = wait_with_deadline(&mut self.child, DEADLINE);
        let mut rest = Vec::new();
        // The process has exited: the reader thread ends at end of file.
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("stdout did not close after exit"),
            }
        }
        let stderr = self.stderr.take().expect("stderr reader").join().expect("stderr reader");
        let stderr = String::from_utf8(stderr).expect("stderr is UTF-8");
        assert_no_panic(&stderr);
        (status, rest, stderr)
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
