//! The reference webhook receiver on actix-web: all five providers at
//! `POST /webhooks/{tocc,toran,zapito,tuco,connectgain}`.
//!
//! ```sh
//! HOOKSEAL_SECRET_TOCC=... HOOKSEAL_SECRET_TORAN=... HOOKSEAL_SECRET_ZAPITO=... \
//! HOOKSEAL_SECRET_TUCO=... HOOKSEAL_SECRET_CONNECTGAIN=... cargo run --example actix_receiver
//! ```
//!
//! Each provider is verified with its own secrets (`HOOKSEAL_SECRET_<PROVIDER>`;
//! during a rotation, several separated by spaces, the new one first), so a
//! delivery captured for one provider cannot be replayed to another's route.
//! `HOOKSEAL_SECRET` is a fallback for the providers without their own
//! variable, with a warning (see `hookseal::env`).
//!
//! `HOOKSEAL_ADDR` sets the listening address (default `127.0.0.1:3000`).
//! An authentic webhook is answered `200` with
//! `{"provider", "event", "test", "idempotency_key"}`; a bad signature `401`,
//! an unusable body `400`, a body over 1 MiB `413`, an unknown provider `404`.
//! Each request's outcome is printed on stderr.

use std::process::ExitCode;

use actix_web::{App, HttpServer};
use hookseal::actix::receiver::{Outcome, Receiver};
use hookseal::env::ProviderSecrets;

#[actix_web::main]
async fn main() -> ExitCode {
    let secrets = match ProviderSecrets::from_env() {
        Ok(secrets) => secrets,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(warning) = secrets.fallback_warning() {
        eprintln!("warning: {warning}");
    }
    let addr = std::env::var("HOOKSEAL_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());

    let receiver = Receiver::from_secrets(&secrets).on_outcome(|outcome| match outcome {
        Outcome::Accepted(event) => eprintln!("200 {} {} key={}", event.provider, event.event, event.idempotency_key),
        Outcome::Rejected { status, reason, .. } => eprintln!("{status} {reason}"),
        _ => {}
    });
    let server = match HttpServer::new(move || App::new().configure(receiver.config())).bind(&addr) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("error: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    for bound in server.addrs() {
        eprintln!("listening on http://{bound}/webhooks/{{tocc,toran,zapito,tuco,connectgain}}");
    }
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
