//! The reference webhook receiver on axum: all five providers at
//! `POST /webhooks/{tocc,toran,zapito,tuco,connectgain}`.
//!
//! ```sh
//! HOOKSEAL_SECRET=whsec_... cargo run --example axum_receiver
//! ```
//!
//! `HOOKSEAL_ADDR` sets the listening address (default `127.0.0.1:3000`).
//! An authentic webhook is answered `200` with
//! `{"provider", "event", "test", "idempotency_key"}`; a bad signature `401`,
//! an unusable body `400`, a body over 1 MiB `413`, an unknown provider `404`.
//! Each request's outcome is printed on stderr.

use std::process::ExitCode;

use hookseal::Secret;
use hookseal::axum::receiver::{Outcome, Receiver};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(secret) = std::env::var("HOOKSEAL_SECRET").ok().and_then(|secret| Secret::new(secret).ok()) else {
        eprintln!("error: HOOKSEAL_SECRET is not set (or empty); set it to the webhook signing secret");
        return ExitCode::from(2);
    };
    let addr = std::env::var("HOOKSEAL_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());

    let app = Receiver::new(&secret)
        .on_outcome(|outcome| match outcome {
            Outcome::Accepted(event) => {
                eprintln!("200 {} {} key={}", event.provider, event.event, event.idempotency_key)
            }
            Outcome::Rejected { status, reason, .. } => eprintln!("{status} {reason}"),
            _ => {}
        })
        .router();
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("error: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(bound) = listener.local_addr() {
        eprintln!("listening on http://{bound}/webhooks/{{tocc,toran,zapito,tuco,connectgain}}");
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
