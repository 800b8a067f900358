//! `hookseal listen`: the reference receiver, printing what arrives.

use std::future::IntoFuture;
use std::io::Write as _;
use std::net::SocketAddr;

use clap::Args;
use hookseal_axum::receiver::{Outcome as RequestOutcome, Receiver};
use hookseal_core::DEFAULT_BODY_LIMIT;
use hookseal_core::chrono::{SecondsFormat, Utc};

use crate::{Failure, Outcome, SecretArgs, line};

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The largest body accepted, in bytes; larger ones get 413 unread.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    max_body: usize,
    /// Print nothing per request (without it, one line each, starting with
    /// when it was answered, in RFC 3339 UTC).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    gateway: crate::gateway::GatewayArgs,
}

pub(crate) fn run(args: ListenArgs) -> Outcome {
    let (secrets, warning) = args.secret.load_per_provider()?;
    if let Some(warning) = warning {
        // Standard error, like a failure: standard output is the per-request log.
        let _ = writeln!(std::io::stderr(), "hookseal: {warning}");
    }
    if args.gateway.enabled() {
        let listen = crate::gateway::Listen { addr: args.addr, max_body: args.max_body, quiet: args.quiet, secrets };
        return crate::gateway::run(listen, args.gateway);
    }
    let mut receiver = Receiver::from_secrets(&secrets).body_limit(args.max_body);
    if !args.quiet {
        receiver = receiver.on_outcome(print_outcome);
    }
    let runtime = crate::server_runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
        let local = listener.local_addr()?;
        // Listening for Ctrl-C before saying we listen: one pressed at once is not missed.
        let mut interrupts = Interrupts::new().map_err(|err| format!("cannot listen for Ctrl-C: {err}"))?;
        line(format_args!(
            "listening on http://{local}/webhooks/{{tocc,toran,zapito,tuco,connectgain}} (Ctrl-C to stop)"
        ))?;
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(listener, receiver.router()).with_graceful_shutdown(async {
            let _ = stopping.await;
        });
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            result = &mut server => return stopped(result),
            Some(()) = interrupts.recv() => {}
        }
        let _ = stop.send(());
        // Like the per-request lines, a lost line must not cut the graceful stop short.
        let _ = line(format_args!("stopping: waiting for the requests in flight (Ctrl-C again to stop at once)"));
        tokio::select! {
            result = &mut server => stopped(result),
            Some(()) = interrupts.recv() => Err(Failure::from("stopped without waiting for the requests in flight")),
        }
    })
}

fn stopped(result: std::io::Result<()>) -> Outcome {
    result.map_err(|err| Failure::from(format!("server failed: {err}")))?;
    // The server stopped as asked: a reader that has gone away changes nothing.
    let _ = line(format_args!("stopped"));
    Ok(())
}

/// Ctrl-C presses, caught from the moment this is created.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c()?;
        Ok(Self { signal })
    }

    /// The next press (`None` if no more can be received).
    async fn recv(&mut self) -> Option<()> {
        self.signal.recv().await
    }
}

/// Prints one line per request, starting with when it was answered (RFC 3339, UTC, to the millisecond).
fn print_outcome(outcome: RequestOutcome) {
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    // A closed standard output must not take the receiver down: the line is dropped.
    let _ = match outcome {
        RequestOutcome::Accepted(event) => line(format_args!(
            "{at} verified {} {} test={} idempotency_key={}",
            event.provider, event.event, event.test, event.idempotency_key
        )),
        RequestOutcome::Rejected { provider, status, reason } => {
            let provider = provider.map_or("-", |p| p.name());
            line(format_args!("{at} rejected {provider} {status}: {reason}"))
        }
        _ => Ok(()),
    };
}
