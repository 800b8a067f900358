//! `hookseal listen --store URL [--forward-to URL]`: the self-hosted gateway.
//!
//! Every verified request is stored before its `200` (see `hookseal_gateway::Ingress`);
//! with `--forward-to`, workers POST each stored event to the app, re-signed with
//! Standard Webhooks under `HOOKSEAL_FORWARD_SECRET`. One line per request and per
//! attempt on standard output, each with its UTC time.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use hookseal_core::env::ProviderSecrets;
use hookseal_gateway::{
    DEFAULT_ATTEMPTS, DEFAULT_CONCURRENCY, DEFAULT_STORE, FORWARD_SECRET_VAR, ForwardSettings, Forwarder, Ingress,
    Received,
};
use hookseal_inbox::{AttemptOutcome, Inbox, Settled};

use crate::{Failure, Outcome, line};

/// The gateway's flags of `hookseal listen`.
#[derive(Debug, Clone, Args)]
pub(crate) struct GatewayArgs {
    /// Store every verified event before answering: sqlite://PATH or postgres://… (shared by several
    /// gateways). The default with --forward-to is sqlite://hookseal.db.
    #[arg(long, value_name = "URL", env = "HOOKSEAL_STORE")]
    store: Option<String>,
    /// Forward each stored event to this URL (your app; plain http and loopback allowed), signed with
    /// Standard Webhooks under HOOKSEAL_FORWARD_SECRET (whsec_…).
    #[arg(long, value_name = "URL")]
    forward_to: Option<String>,
    /// Attempts per event before it is dead (replay it with `hookseal inbox replay`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ATTEMPTS, requires = "forward_to")]
    attempts: u32,
    /// First retry delay ceiling; doubles per attempt, with full jitter (e.g. 2s, 500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s", requires = "forward_to")]
    backoff: Duration,
    /// The longest delay between two attempts.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30m", requires = "forward_to")]
    backoff_cap: Duration,
    /// How long one forward may take before it counts as failed.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s", requires = "forward_to")]
    timeout: Duration,
    /// Forwards in flight at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, requires = "forward_to")]
    concurrency: usize,
    /// On shutdown, how long forwards in flight may take to finish before their events are given back.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    grace: Duration,
    /// Serve the inbox dashboard on this address, on a listener of its own
    /// (never the webhook listener); a non-loopback one needs a token.
    #[arg(long, value_name = "ADDR")]
    ui: Option<SocketAddr>,
    #[command(flatten)]
    ui_token: crate::ui::TokenArgs,
}

/// Parses `500ms`, `10s`, `5m`, `2h` (a bare number is seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("expected a duration such as 10s or 500ms, got `{text}`"))?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("unknown duration unit `{other}` (ms, s, m, h)")),
    };
    n.checked_mul(unit_ms).map(Duration::from_millis).ok_or_else(|| format!("duration `{text}` is too long"))
}

impl GatewayArgs {
    /// Whether `listen` runs as a gateway (with a store) rather than the printing receiver.
    pub(crate) fn enabled(&self) -> bool {
        self.store.is_some() || self.forward_to.is_some() || self.ui.is_some()
    }
}

/// What `listen` passes on.
pub(crate) struct Listen {
    pub(crate) addr: SocketAddr,
    pub(crate) max_body: usize,
    pub(crate) quiet: bool,
    pub(crate) secrets: ProviderSecrets,
}

/// The time prefix of every line.
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn print_received(received: &Received) {
    let t = now();
    // A closed standard output must not take the gateway down: the line is dropped.
    let _ = match received {
        Received::Stored { provider, event, key, id } => {
            line(format_args!("{t} stored {provider} {event} id={id} idempotency_key={key}"))
        }
        Received::Duplicate { provider, event, key, id, times_seen } => {
            line(format_args!("{t} duplicate {provider} {event} id={id} idempotency_key={key} times_seen={times_seen}"))
        }
        Received::DeadLettered { provider, id } => {
            line(format_args!("{t} dead {provider} id={id}: authentic but the body did not parse (stored)"))
        }
        Received::Rejected { provider, status, reason } => {
            line(format_args!("{t} rejected {provider} {status}: {reason}"))
        }
        Received::Unavailable { provider, reason } => line(format_args!("{t} unavailable {provider} 503: {reason}")),
        _ => Ok(()),
    };
}

fn print_settled(settled: &Settled) {
    let t = now();
    let job = &settled.job;
    let what = format!(
        "{} {} id={} idempotency_key={} attempt={}",
        job.provider, job.event_name, job.id, job.key, job.attempt
    );
    let error = settled.error.as_deref().unwrap_or("");
    let _ = match settled.outcome {
        AttemptOutcome::Done => line(format_args!("{t} forwarded {what}")),
        AttemptOutcome::Retry => {
            let wait = settled.retry_at.map_or(0, |at| (at - chrono::Utc::now()).num_milliseconds().max(0));
            line(format_args!("{t} retrying {what} in {}.{:03}s: {error}", wait / 1000, wait % 1000))
        }
        AttemptOutcome::Dead => line(format_args!("{t} dead {what}: {error}")),
        AttemptOutcome::Fenced => line(format_args!("{t} fenced {what}: another worker had taken the event over")),
        _ => Ok(()),
    };
}

/// The variable holding a ready scheme's secrets: `HOOKSEAL_SECRET_GITHUB`, `…_STRIPE`, `…_STANDARD_WEBHOOKS`.
fn scheme_var(name: &str) -> String {
    format!("HOOKSEAL_SECRET_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// The ready schemes to serve: those whose variable is set (several secrets separated by whitespace).
fn scheme_secrets() -> Result<Vec<(&'static str, Vec<hookseal_core::Secret>)>, Failure> {
    let mut found = Vec::new();
    for name in hookseal_gateway::SCHEMES {
        let var = scheme_var(name);
        let text = match std::env::var(&var) {
            Ok(text) => text,
            Err(std::env::VarError::NotPresent) => continue,
            Err(std::env::VarError::NotUnicode(_)) => return Err(Failure(format!("{var} is not valid Unicode"))),
        };
        let secrets = text
            .split_whitespace()
            .map(|s| hookseal_core::Secret::new(s).map_err(|_| Failure(format!("{var} holds an empty secret"))))
            .collect::<Result<Vec<_>, _>>()?;
        found.push((name, secrets));
    }
    Ok(found)
}

/// The forwarding secret, from the environment.
fn forward_secret() -> Result<String, Failure> {
    match std::env::var(FORWARD_SECRET_VAR) {
        Ok(secret) if !secret.trim().is_empty() => Ok(secret),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(Failure(format!(
            "--forward-to needs {FORWARD_SECRET_VAR}: the whsec_… secret your app verifies forwarded requests with"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure(format!("{FORWARD_SECRET_VAR} is not valid Unicode"))),
    }
}

pub(crate) fn run(listen: Listen, args: GatewayArgs) -> Outcome {
    let forwarder = match &args.forward_to {
        Some(url) => Some(Forwarder::new(url, &forward_secret()?, args.timeout).map_err(|e| Failure(e.to_string()))?),
        None => None,
    };
    // The dashboard's address and token are checked before anything is opened or bound.
    let ui_token = match args.ui {
        Some(addr) => {
            let token = args.ui_token.load()?;
            hookseal_dashboard::check_addr(addr, token.is_some()).map_err(|err| Failure(err.to_string()))?;
            token
        }
        None => None,
    };
    let store = args.store.clone().unwrap_or_else(|| DEFAULT_STORE.to_owned());
    let runtime = crate::server_runtime()?;
    runtime.block_on(async move {
        let mut signals = Signals::new().map_err(|err| format!("cannot listen for signals: {err}"))?;
        let inbox = hookseal_inbox_open(&store).await?;
        let mut settings = ForwardSettings::default();
        settings.attempts = args.attempts;
        settings.backoff_base = args.backoff;
        settings.backoff_cap = args.backoff_cap;
        settings.concurrency = args.concurrency;
        settings.timeout = args.timeout;
        let mut ingress = Ingress::from_secrets(inbox.clone(), &listen.secrets).body_limit(listen.max_body);
        let mut served: Vec<String> = hookseal_gateway::PROVIDERS.iter().map(|p| (*p).to_owned()).collect();
        for (name, secrets) in scheme_secrets()? {
            if !ingress.with_scheme(name, secrets) {
                return Err(Failure(format!("{} holds no usable secret for {name}", scheme_var(name))));
            }
            served.push(name.to_owned());
        }
        let mut worker = hookseal_gateway::forwarding_for(inbox.clone(), &settings, served.clone());
        if !listen.quiet {
            worker = worker.on_settled(print_settled);
        }
        if forwarder.is_some() {
            ingress = ingress.wake(worker.waker());
        }
        if !listen.quiet {
            ingress = ingress.on_received(print_received);
        }
        let listener = tokio::net::TcpListener::bind(listen.addr)
            .await
            .map_err(|err| format!("cannot listen on {}: {err}", listen.addr))?;
        let local = listener.local_addr()?;
        let (stop, _) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        // Retention: done events older than 30 days are purged in bounded batches, hourly.
        let sweeper = tokio::spawn(inbox.clone().run_sweeper(Duration::from_secs(3600), 1000));
        let mut ui = None;
        if let Some(addr) = args.ui {
            let task = tokio::spawn(crate::ui::serve(inbox.clone(), addr, ui_token, stopped(stop.subscribe())));
            ui = Some(task);
        }
        let server = axum::serve(listener, ingress.router()).with_graceful_shutdown(stopped(stop.subscribe()));
        let mut server = std::pin::pin!(server.into_future());
        let forwarding = forwarder.map(|forwarder| {
            let url = forwarder.url().to_owned();
            let task = tokio::spawn(hookseal_gateway::run_forwarder(
                worker,
                forwarder,
                stopped(stop.subscribe()),
                args.grace,
            ));
            (url, task)
        });
        let to = forwarding.as_ref().map_or_else(String::new, |(url, _)| format!(", forwarding to {url}"));
        line(format_args!(
            "{} listening on http://{local}/webhooks/{{{}}}, storing in {}{to} (Ctrl-C to stop)",
            now(),
            served.join(","),
            shown_store(&store)
        ))?;
        let mut ui_failed = None;
        tokio::select! {
            result = &mut server => {
                result.map_err(|err| format!("server failed: {err}"))?;
            }
            Some(()) = signals.recv() => {}
            Some(result) = async { match ui.as_mut() { Some(task) => Some(task.await), None => None } } => {
                ui_failed = Some(match result {
                    Ok(Err(failure)) => failure,
                    Ok(Ok(())) => Failure::from("the dashboard stopped"),
                    Err(err) => Failure(format!("the dashboard failed: {err}")),
                });
            }
        }
        let _ = stop.send(true);
        let _ = line(format_args!(
            "{} stopping: no new requests; letting forwards in flight finish (up to {:?}; Ctrl-C again to stop at once)",
            now(),
            args.grace
        ));
        let finish = async {
            let _ = (&mut server).await;
            if let Some((_, task)) = forwarding {
                let _ = task.await;
            }
        };
        tokio::select! {
            () = finish => {}
            Some(()) = signals.recv() => {
                return Err(Failure::from("stopped at once; unfinished forwards will be retried after their leases expire"));
            }
        }
        sweeper.abort();
        if let Some(failure) = ui_failed {
            return Err(failure);
        }
        let _ = line(format_args!("{} stopped", now()));
        Ok(())
    })
}

async fn hookseal_inbox_open(store: &str) -> Result<Inbox, Failure> {
    hookseal_gateway::open_inbox(store)
        .await
        .map_err(|err| Failure(format!("cannot open the store {}: {err}", shown_store(store))))
}

/// A store URL without its password, for messages.
pub(crate) fn shown_store(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Resolves at the first Ctrl-C or SIGTERM (for commands with nothing to drain).
pub(crate) async fn interrupted() {
    match Signals::new() {
        Ok(mut signals) => {
            let _ = signals.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

/// Ctrl-C and SIGTERM, caught from the moment this is created.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupt: tokio::signal::windows::CtrlC,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
        }
        #[cfg(windows)]
        {
            Ok(Self { interrupt: tokio::signal::windows::ctrl_c()? })
        }
    }

    async fn recv(&mut self) -> Option<()> {
        #[cfg(unix)]
        {
            tokio::select! {
                got = self.interrupt.recv() => got,
                got = self.terminate.recv() => got,
            }
        }
        #[cfg(windows)]
        {
            self.interrupt.recv().await
        }
    }
}
