//! `hookseal`: listen, send, sign and verify provider webhooks locally.
//!
//! It replaces the providers' "Send test event" buttons during development.
//! The signing secret comes from the environment variable `HOOKSEAL_SECRET`
//! or from `--secret-file PATH`, never from a plain argument (which anyone
//! could read in the process list).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hookseal_core::{
    ConnectGain, DEFAULT_BODY_LIMIT, Provider, ProviderId, Secret, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
    samples,
};
use zeroize::Zeroizing;

mod listen;
mod send;

/// Listen for, send, sign and verify the signed webhooks of tocc.contact,
/// Toran, Zapito, Tuco and ConnectGain.
///
/// The secret is read from the environment variable HOOKSEAL_SECRET, or from
/// --secret-file PATH; never pass it as an argument.
#[derive(Debug, Parser)]
#[command(name = "hookseal", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Receive webhooks of all five providers at POST /webhooks/{provider}.
    Listen(listen::ListenArgs),
    /// Sign and deliver an event, with the provider's retry policy.
    Send(send::SendArgs),
    /// Print the headers a provider would send for a body (stdin by default).
    Sign(SignArgs),
    /// Verify a signed body (stdin by default) and print its typed event as JSON.
    Verify(VerifyArgs),
    /// List every event type, or print an event's sample payload.
    Events(EventsArgs),
}

/// Where the signing secret comes from.
#[derive(Debug, Clone, Args)]
struct SecretArgs {
    /// Read the signing secret from this file (its first line); without it,
    /// the secret is read from the environment variable HOOKSEAL_SECRET.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SignArgs {
    /// The provider: tocc, toran, zapito, tuco or connectgain.
    #[arg(long, short)]
    provider: ProviderId,
    /// The body to sign, byte for byte (default: standard input).
    #[arg(long, value_name = "FILE")]
    body: Option<PathBuf>,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The provider: tocc, toran, zapito, tuco or connectgain.
    #[arg(long, short)]
    provider: ProviderId,
    /// The signature header's value, as received.
    #[arg(long)]
    signature: String,
    /// The event header's value, as received (checked against the body).
    #[arg(long, value_name = "NAME")]
    event_header: Option<String>,
    /// The body, byte for byte as received (default: standard input).
    #[arg(long, value_name = "FILE")]
    body: Option<PathBuf>,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Debug, Args)]
struct EventsArgs {
    /// Only this provider's events.
    #[arg(long, short)]
    provider: Option<ProviderId>,
    /// Print this sample's payload: an event name (its first sample) or a
    /// sample name (shown in brackets). --provider is needed only when
    /// several providers have that name.
    #[arg(long, value_name = "NAME")]
    event: Option<String>,
}

/// A failure, reported as one line on standard error.
///
/// An empty message means standard output was closed by its reader (as by
/// `hookseal events | head -1`): the command then stops quietly, with a
/// failure status.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    /// A failure to write to standard output.
    fn output(err: &std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Self(String::new())
        } else {
            Self(format!("cannot write to standard output: {err}"))
        }
    }
}

impl<T: std::fmt::Display> From<T> for Failure {
    fn from(message: T) -> Self {
        Self(message.to_string())
    }
}

pub(crate) type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Listen(args) => listen::run(args),
        Command::Send(args) => send::run(args),
        Command::Sign(args) => sign(args),
        Command::Verify(args) => verify(args),
        Command::Events(args) => events(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            if !message.is_empty() {
                // Nothing more can be done if standard error is gone too.
                let _ = writeln!(std::io::stderr(), "hookseal: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Writes one line to standard output.
///
/// Unlike `println!`, it does not panic when the reader has gone away.
pub(crate) fn line(text: std::fmt::Arguments<'_>) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(|err| Failure::output(&err))
}

/// Writes a body to standard output byte for byte, so that a saved copy
/// signs and verifies as the original; a newline follows only on a terminal.
fn body_out(body: &[u8]) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    let newline: &[u8] = if stdout.is_terminal() { b"\n" } else { b"" };
    stdout
        .write_all(body)
        .and_then(|()| stdout.write_all(newline))
        .and_then(|()| stdout.flush())
        .map_err(|err| Failure::output(&err))
}

/// The largest secret file read, in bytes (a secret is a short line).
const MAX_SECRET_FILE: usize = 64 * 1024;

impl SecretArgs {
    /// The secret, from `--secret-file` or `HOOKSEAL_SECRET`.
    pub(crate) fn load(&self) -> Result<Secret, Failure> {
        let text = match &self.secret_file {
            Some(path) => {
                let cannot = |err: &dyn std::fmt::Display| format!("cannot read secret file {}: {err}", path.display());
                // Room for the whole file up front, so that reading never
                // moves it and leaves a copy behind; wiped when dropped.
                let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE + 1));
                let cap = u64::try_from(MAX_SECRET_FILE).unwrap_or(u64::MAX).saturating_add(1);
                std::fs::File::open(path)
                    .and_then(|file| file.take(cap).read_to_end(&mut bytes))
                    .map_err(|err| cannot(&err))?;
                if bytes.len() > MAX_SECRET_FILE {
                    return Err(Failure(cannot(&format_args!("larger than {MAX_SECRET_FILE} bytes"))));
                }
                let text = std::str::from_utf8(&bytes).map_err(|_| cannot(&"not UTF-8 text"))?;
                text.lines().next().unwrap_or_default().to_owned()
            }
            None => match std::env::var("HOOKSEAL_SECRET") {
                Ok(text) => text,
                Err(std::env::VarError::NotPresent) => {
                    return Err(Failure::from("no secret: set HOOKSEAL_SECRET or pass --secret-file PATH"));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Failure::from("HOOKSEAL_SECRET is not valid Unicode"));
                }
            },
        };
        Secret::new(text).map_err(|_| Failure::from("the secret is empty"))
    }
}

/// Reads a body from a file, or from standard input, refusing more than `limit` bytes.
pub(crate) fn read_body(path: Option<&Path>, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let read = match path {
        Some(path) => std::fs::File::open(path)
            .and_then(|file| file.take(cap).read_to_end(&mut body))
            .map_err(|err| format!("cannot read body file {}: {err}", path.display()))?,
        None => std::io::stdin()
            .take(cap)
            .read_to_end(&mut body)
            .map_err(|err| format!("cannot read standard input: {err}"))?,
    };
    if read > limit {
        return Err(Failure(format!("body exceeds the {limit} byte limit")));
    }
    Ok(body)
}

/// Calls `$body` with `$p` bound to the provider marker type of `$id`.
macro_rules! with_provider {
    ($id:expr, $p:ident => $body:expr) => {
        match $id {
            ProviderId::Tocc => {
                type $p = Tocc;
                $body
            }
            ProviderId::Toran => {
                type $p = Toran;
                $body
            }
            ProviderId::Zapito => {
                type $p = Zapito;
                $body
            }
            ProviderId::Tuco => {
                type $p = Tuco;
                $body
            }
            ProviderId::ConnectGain => {
                type $p = ConnectGain;
                $body
            }
            other => Err(Failure(format!("unsupported provider {other}"))),
        }
    };
}

fn sign(args: SignArgs) -> Outcome {
    let secret = args.secret.load()?;
    let body = read_body(args.body.as_deref(), DEFAULT_BODY_LIMIT)?;
    let delivery = hookseal_sender::Delivery::builder(args.provider, "http://localhost/").secret(secret).json(body)?;
    for (name, value) in delivery.headers() {
        line(format_args!("{name}: {value}"))?;
    }
    Ok(())
}

fn verify(args: VerifyArgs) -> Outcome {
    let verifier_secret = args.secret.load()?;
    let body = read_body(args.body.as_deref(), DEFAULT_BODY_LIMIT)?;
    with_provider!(args.provider, P => verify_as::<P>(verifier_secret, &args, &body))
}

fn verify_as<P: Provider>(secret: Secret, args: &VerifyArgs, body: &[u8]) -> Outcome {
    let scheme = P::SCHEME;
    let mut headers = vec![(scheme.signature_header(), args.signature.as_str())];
    if let (Some(name), Some(value)) = (scheme.event_header(), &args.event_header) {
        headers.push((name, value.as_str()));
    }
    let event = Verifier::<P>::new(secret)
        .verify_event(&headers, body)
        .map_err(|err| format!("rejected ({}): {err}", err.status()))?;
    line(format_args!("{}", serde_json::to_string_pretty(&event)?))?;
    let _ = writeln!(
        std::io::stderr(),
        "authentic {} {} (test: {}, idempotency key: {})",
        P::NAME,
        event.name(),
        event.is_test(),
        event.idempotency_key()
    );
    Ok(())
}

/// The legend printed under a listing that shows sample names in brackets.
const SAMPLE_LEGEND: &str = "[name]: a sample with its own name (a variant, or the test event): \
pass that name to --event to pick it; an event name picks its first sample";

fn events(args: EventsArgs) -> Outcome {
    if let Some(name) = &args.event {
        return body_out(find_sample(args.provider, name)?.body);
    }
    let providers = args.provider.map_or_else(|| ProviderId::ALL.to_vec(), |p| vec![p]);
    let mut bracketed = false;
    for provider in providers {
        line(format_args!("{} ({})", provider.name(), provider.display_name()))?;
        for sample in samples::for_provider(provider) {
            let note = if sample.is_test { "  (test event)" } else { "" };
            let name = if sample.name == sample.event {
                sample.event.to_owned()
            } else {
                bracketed = true;
                format!("{} [{}]", sample.event, sample.name)
            };
            line(format_args!("  {name}{note}"))?;
        }
    }
    if bracketed {
        line(format_args!("\n{SAMPLE_LEGEND}"))?;
    }
    Ok(())
}

/// The sample `name` of `provider`, or of the one provider that has it.
pub(crate) fn find_sample(provider: Option<ProviderId>, name: &str) -> Result<&'static samples::Sample, Failure> {
    if let Some(provider) = provider {
        return samples::find(provider, name).ok_or_else(|| {
            Failure(format!("unknown event `{name}` for {provider} (see `hookseal events --provider {provider}`)"))
        });
    }
    let found: Vec<&samples::Sample> = ProviderId::ALL.iter().filter_map(|&p| samples::find(p, name)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Failure(format!("unknown event `{name}` (see `hookseal events`)"))),
        several => {
            let names: Vec<&str> = several.iter().map(|s| s.provider.name()).collect();
            Err(Failure(format!("event `{name}` is sent by several providers ({}): pass --provider", names.join(", "))))
        }
    }
}
