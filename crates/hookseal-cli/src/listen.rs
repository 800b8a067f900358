//! `hookseal listen`: the reference receiver, printing what arrives.

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;
use hookseal_axum::receiver::{Outcome as RequestOutcome, Receiver};
use hookseal_core::DEFAULT_BODY_LIMIT;

use crate::{Failure, Outcome, SecretArgs};

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The largest body accepted, in bytes; larger ones get 413 unread.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    max_body: usize,
    /// Print nothing per request.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    secret: SecretArgs,
}

pub(crate) fn run(args: ListenArgs) -> Outcome {
    let secret = args.secret.load()?;
    let mut receiver = Receiver::new(&secret).body_limit(args.max_body);
    if !args.quiet {
        receiver = receiver.on_outcome(print_outcome);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
        let local = listener.local_addr()?;
        println!("listening on http://{local}/webhooks/{{tocc,toran,zapito,tuco,connectgain}} (Ctrl-C to stop)");
        flush();
        axum::serve(listener, receiver.router())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|err| Failure::from(format!("server failed: {err}")))?;
        println!("stopped");
        Ok(())
    })
}

fn print_outcome(outcome: RequestOutcome) {
    match outcome {
        RequestOutcome::Accepted(event) => println!(
            "verified {} {} test={} idempotency_key={}",
            event.provider, event.event, event.test, event.idempotency_key
        ),
        RequestOutcome::Rejected { provider, status, reason } => {
            let provider = provider.map_or("-", |p| p.name());
            println!("rejected {provider} {status}: {reason}");
        }
        _ => {}
    }
    flush();
}

fn flush() {
    let _ = std::io::stdout().flush();
}
