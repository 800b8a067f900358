//! `hookseal send`: sign and deliver, with the provider's retry policy.

use std::path::PathBuf;

use clap::Args;
use hookseal_core::{ProviderId, samples};
use hookseal_sender::{Delivery, EndpointPolicy, RetryPolicy, Sender};

use crate::{Failure, Outcome, SecretArgs, line, read_body};

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The provider to imitate: tocc, toran, zapito, tuco or connectgain.
    #[arg(long, short)]
    provider: ProviderId,
    /// Where to deliver (plain http and loopback are allowed: this is a development tool).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    what: What,
    /// Make one attempt only, instead of the provider's retry policy.
    #[arg(long)]
    no_retry: bool,
    #[command(flatten)]
    secret: SecretArgs,
}

/// What to send: exactly one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct What {
    /// A sample of this event (see `hookseal events`).
    #[arg(long, value_name = "NAME")]
    event: Option<String>,
    /// The provider's test event.
    #[arg(long)]
    test: bool,
    /// This JSON body, byte for byte.
    #[arg(long, value_name = "FILE")]
    body: Option<PathBuf>,
}

pub(crate) fn run(args: SendArgs) -> Outcome {
    let secret = args.secret.load()?;
    let provider = args.provider;
    let body: Vec<u8> = match (&args.what.event, &args.what.body) {
        (Some(name), _) => samples::find(provider, name)
            .ok_or_else(|| {
                format!("unknown event `{name}` for {provider} (see `hookseal events --provider {provider}`)")
            })?
            .body
            .to_vec(),
        (None, Some(path)) => read_body(Some(path), hookseal_core::DEFAULT_BODY_LIMIT)?,
        (None, None) => samples::test_event(provider).body.to_vec(),
    };
    let delivery = Delivery::builder(provider, args.url.as_str()).secret(secret).json(body)?;
    let mut policy = RetryPolicy::for_provider(provider);
    if args.no_retry {
        policy = policy.with_max_attempts(1);
    }
    let sender = Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let log = runtime.block_on(sender.send_with(&delivery, &policy))?;
    for attempt in &log.attempts {
        let status = attempt.status.map_or_else(|| "no response".to_owned(), |s| s.to_string());
        let error = attempt.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
        line(format_args!(
            "attempt {}: {} {status} in {} ms{error}",
            attempt.number,
            attempt.outcome,
            attempt.latency.as_millis()
        ))?;
    }
    if log.is_sent() {
        line(format_args!("delivered {} {} to {}", provider, delivery.event(), log.url))
    } else {
        let reason = match log.last_attempt() {
            Some(last) => match (last.status, &last.error) {
                (Some(status), _) => format!("endpoint answered {status}"),
                (None, Some(error)) => error.to_string(),
                (None, None) => "no response".to_owned(),
            },
            None => "no attempt was made".to_owned(),
        };
        Err(Failure(format!("delivery failed after {} attempt(s): {reason}", log.attempts.len())))
    }
}
