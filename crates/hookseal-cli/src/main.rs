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
use hookseal_core::env::{self, ProviderSecrets};
use hookseal_core::{
    ConnectGain, Custom, DEFAULT_BODY_LIMIT, Provider, ProviderId, SchemeId, Secret, Signer, Tocc, Toran, Tuco,
    Verifier, WebhookEvent, Zapito, samples,
};
use zeroize::Zeroizing;

mod gateway;
mod inbox_cmd;
mod listen;
mod send;
mod ui;

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
    ///
    /// Each provider is verified with its own secret, from HOOKSEAL_SECRET_TOCC,
    /// HOOKSEAL_SECRET_TORAN, HOOKSEAL_SECRET_ZAPITO, HOOKSEAL_SECRET_TUCO and
    /// HOOKSEAL_SECRET_CONNECTGAIN (during a rotation, several separated by
    /// spaces, the new one first), so that a delivery captured for one provider
    /// cannot be replayed to another's route. HOOKSEAL_SECRET (or --secret-file)
    /// is a fallback for the providers without their own, with a warning.
    ///
    /// With --store or --forward-to it is a gateway: every verified event is
    /// stored before its 200, and forwarded to your app, re-signed with
    /// Standard Webhooks under HOOKSEAL_FORWARD_SECRET, with retries.
    Listen(listen::ListenArgs),
    /// Sign and deliver an event, with the provider's retry policy.
    Send(send::SendArgs),
    /// Look at and manage a gateway's store: list, show, stats, replay, purge, ui.
    Inbox(inbox_cmd::InboxArgs),
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
    /// (`listen` reads each provider's own HOOKSEAL_SECRET_<PROVIDER> first.)
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["provider", "scheme"])))]
struct SignArgs {
    /// The provider: tocc, toran, zapito, tuco or connectgain.
    #[arg(long, short)]
    provider: Option<ProviderId>,
    /// A ready scheme instead of a provider: standard-webhooks, github or stripe.
    #[arg(long, short)]
    scheme: Option<SchemeId>,
    /// The message id to sign and send (standard-webhooks `webhook-id`,
    /// github `X-GitHub-Delivery`); default: a new unique id.
    #[arg(long, conflicts_with = "provider")]
    id: Option<String>,
    /// The Unix time to sign (standard-webhooks, stripe); default: now.
    #[arg(long, value_name = "UNIX", conflicts_with = "provider")]
    timestamp: Option<u64>,
    /// The event name header's value (github `X-GitHub-Event`); default: the
    /// body's `event` or `type`.
    #[arg(long, value_name = "NAME", conflicts_with = "provider")]
    event: Option<String>,
    /// The body to sign, byte for byte (default: standard input).
    #[arg(long, value_name = "FILE")]
    body: Option<PathBuf>,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["provider", "scheme"])))]
#[command(group(clap::ArgGroup::new("signed").required(true).multiple(true).args(["signature", "header"])))]
struct VerifyArgs {
    /// The provider: tocc, toran, zapito, tuco or connectgain.
    #[arg(long, short)]
    provider: Option<ProviderId>,
    /// A ready scheme instead of a provider: standard-webhooks, github or stripe.
    #[arg(long, short)]
    scheme: Option<SchemeId>,
    /// A received header, `Name: value`, exactly as `hookseal sign` prints it
    /// (repeat for each header).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    header: Vec<String>,
    /// Check the replay window as of this Unix time instead of now.
    #[arg(long, value_name = "UNIX")]
    at: Option<i64>,
    /// The signature header's value, as received (with --provider).
    #[arg(long, conflicts_with = "scheme")]
    signature: Option<String>,
    /// The event header's value, as received (checked against the body).
    #[arg(long, value_name = "NAME", conflicts_with = "scheme")]
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
        Command::Inbox(args) => inbox_cmd::run(args),
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
/// The runtime of a serving command: a multi-thread runtime, or a
/// current-thread one when this process may run on one CPU only (a
/// `taskset`, a container pinned to a core): there a second scheduler thread
/// would only add cross-thread wake-ups.
pub(crate) fn server_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let one_cpu = std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() == 1);
    let mut builder = if one_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build()
}

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
            Some(path) => read_secret_file(path)?,
            None => shared_from_env()?
                .ok_or_else(|| Failure::from("no secret: set HOOKSEAL_SECRET or pass --secret-file PATH"))?,
        };
        Secret::new(text).map_err(|_| Failure::from("the secret is empty"))
    }

    /// Each provider's secrets, for `listen`: `HOOKSEAL_SECRET_<PROVIDER>` (several separated
    /// by whitespace during a rotation), else the shared one from `--secret-file` or
    /// `HOOKSEAL_SECRET`; with the warning to print when some providers share it.
    pub(crate) fn load_per_provider(&self) -> Result<(ProviderSecrets, Option<String>), Failure> {
        let mut failure = None;
        let lookup = |name: &str| {
            if name == env::SHARED_VAR {
                let shared = match &self.secret_file {
                    Some(path) => read_secret_file(path).map(Some),
                    None => shared_from_env(),
                };
                return shared.map_err(|err| failure = Some(err)).ok().flatten();
            }
            match std::env::var(name) {
                Ok(value) => Some(value),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(_)) => {
                    failure = Some(Failure(format!("{name} is not valid Unicode")));
                    None
                }
            }
        };
        let secrets = ProviderSecrets::from_lookup(lookup);
        if let Some(failure) = failure {
            return Err(failure);
        }
        let secrets = secrets.map_err(|err| match (&self.secret_file, err) {
            (Some(path), env::SecretsError::Empty { var }) if var == env::SHARED_VAR => {
                Failure(format!("the secret is empty (--secret-file {})", path.display()))
            }
            (None, env::SecretsError::Empty { var }) if var == env::SHARED_VAR => {
                Failure::from("the secret is empty (HOOKSEAL_SECRET)")
            }
            (_, env::SecretsError::Missing { providers, vars }) => Failure(format!(
                "no secret for {providers}: set {vars} (or, not advised, one secret for all: HOOKSEAL_SECRET or \
                 --secret-file PATH)"
            )),
            (_, err) => Failure(err.to_string()),
        })?;
        let shared = secrets.shared();
        let warning = (!shared.is_empty()).then(|| {
            let from = match &self.secret_file {
                Some(path) => format!("--secret-file {}", path.display()),
                None => env::SHARED_VAR.to_owned(),
            };
            let names: Vec<_> = shared.iter().map(|p| p.name()).collect();
            let vars: Vec<_> = shared.iter().map(|p| env::var_name(*p)).collect();
            format!(
                "warning: {} share one secret ({from}): a delivery captured for one of them would verify on \
                 another's route; set {} instead",
                names.join(", "),
                vars.join(", ")
            )
        });
        Ok((secrets, warning))
    }
}

/// `HOOKSEAL_SECRET`, if set.
fn shared_from_env() -> Result<Option<String>, Failure> {
    match std::env::var(env::SHARED_VAR) {
        Ok(text) => Ok(Some(text)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::from("HOOKSEAL_SECRET is not valid Unicode")),
    }
}

/// The first line of a secret file.
fn read_secret_file(path: &Path) -> Result<String, Failure> {
    let cannot = |err: &dyn std::fmt::Display| format!("cannot read secret file {}: {err}", path.display());
    // Room for the whole file up front, so that reading never
    // moves it and leaves a copy behind; wiped when dropped.
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE + 1));
    let cap = u64::try_from(MAX_SECRET_FILE).unwrap_or(u64::MAX).saturating_add(1);
    std::fs::File::open(path).and_then(|file| file.take(cap).read_to_end(&mut bytes)).map_err(|err| cannot(&err))?;
    if bytes.len() > MAX_SECRET_FILE {
        return Err(Failure(cannot(&format_args!("larger than {MAX_SECRET_FILE} bytes"))));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| cannot(&"not UTF-8 text"))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
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
    let mut builder = match (args.provider, args.scheme) {
        (Some(provider), _) => hookseal_sender::Delivery::builder(provider, "http://localhost/"),
        (None, Some(scheme)) => hookseal_sender::Delivery::builder(scheme, "http://localhost/"),
        (None, None) => return Err(Failure::from("give --provider or --scheme")),
    };
    builder = builder.secret(secret);
    if let Some(id) = args.id {
        builder = builder.message_id(id);
    }
    if let Some(stamp) = args.timestamp {
        let at = i64::try_from(stamp)
            .ok()
            .and_then(|secs| hookseal_core::chrono::DateTime::from_timestamp(secs, 0))
            .ok_or_else(|| Failure(format!("--timestamp {stamp} is not a representable Unix time")))?;
        builder = builder.sent_at(at);
    }
    if let Some(event) = args.event {
        builder = builder.event_name(event);
    }
    let delivery = builder.json(body)?;
    for (name, value) in delivery.headers() {
        line(format_args!("{name}: {value}"))?;
    }
    Ok(())
}

/// `Name: value` (as `sign` prints it, and as curl's `-H` takes it) to a pair.
fn parse_header(text: &str) -> Result<(&str, &str), Failure> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| Failure(format!("-H needs `Name: value`, got `{}`", text.escape_debug())))?;
    let name = name.trim();
    if hookseal_core::HeaderName::new(name).is_err() {
        return Err(Failure(format!("-H: `{}` is not a header name", name.escape_debug())));
    }
    Ok((name, value.trim_matches([' ', '\t'])))
}

fn verify(args: VerifyArgs) -> Outcome {
    let verifier_secret = args.secret.load()?;
    let body = read_body(args.body.as_deref(), DEFAULT_BODY_LIMIT)?;
    let mut headers: Vec<(&str, &str)> = args.header.iter().map(|h| parse_header(h)).collect::<Result<_, _>>()?;
    let now = match args.at {
        Some(secs) => hookseal_core::chrono::DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| Failure(format!("--at {secs} is not a representable Unix time")))?,
        None => hookseal_core::chrono::Utc::now(),
    };
    match (args.provider, args.scheme) {
        (Some(provider), _) => {
            let scheme = provider.scheme();
            if let Some(signature) = &args.signature {
                headers.push((scheme.signature_header(), signature.as_str()));
            }
            if let (Some(name), Some(value)) = (scheme.event_header(), &args.event_header) {
                headers.push((name, value.as_str()));
            }
            with_provider!(provider, P => verify_as(Verifier::<P>::new(verifier_secret), P::NAME, &headers, &body, now))
        }
        (None, Some(id)) => {
            let scheme = id.scheme();
            // Refuse a secret the scheme cannot read (a bad `whsec_`) with its reason, not a mismatch.
            Signer::for_scheme(&verifier_secret, scheme)
                .map_err(|err| Failure(format!("the secret cannot be read as {id} reads it: {err}")))?;
            let verifier = Verifier::<Custom>::new(verifier_secret).with_scheme(scheme);
            verify_as(verifier, id.name(), &headers, &body, now)
        }
        (None, None) => Err(Failure::from("give --provider or --scheme")),
    }
}

fn verify_as<P: Provider>(
    verifier: Verifier<P>,
    label: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: hookseal_core::chrono::DateTime<hookseal_core::chrono::Utc>,
) -> Outcome {
    let event =
        verifier.verify_event_at(&headers, body, now).map_err(|err| format!("rejected ({}): {err}", err.status()))?;
    line(format_args!("{}", serde_json::to_string_pretty(&event)?))?;
    let _ = writeln!(
        std::io::stderr(),
        "authentic {} {} (test: {}, idempotency key: {})",
        label,
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
