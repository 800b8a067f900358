//! `hookseal send`: sign and deliver, with the provider's retry policy.

use std::path::PathBuf;

use clap::Args;
use hookseal_core::{ProviderId, samples};
use hookseal_sender::{
    Attempt, Delivery, EndpointPolicy, Outcome as AttemptOutcome, RetryPolicy, Sender, fresh_sample,
};

use crate::{Failure, Outcome, SecretArgs, find_sample, line, read_body};

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The provider to imitate: tocc, toran, zapito, tuco or connectgain
    /// (with --event, needed only when several providers have that event).
    #[arg(long, short, required_unless_present = "event")]
    provider: Option<ProviderId>,
    /// Where to deliver (plain http and loopback are allowed: this is a development tool).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    what: What,
    /// Send the sample as the provider would send it now: its timestamp
    /// rewritten to the current time (so a replay window accepts it) and
    /// its deduplication identity new. Only with --event or --test.
    #[arg(long, conflicts_with = "body")]
    fresh: bool,
    /// Add a header after the provider's own, as `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Print the request as a curl command instead of sending it.
    #[arg(long)]
    dry_run: bool,
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

/// Parses `Name: value` (the value trimmed, possibly empty).
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once(':').ok_or_else(|| "expected `Name: value`".to_owned())?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the header name is empty".to_owned());
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// The most characters of a response body shown on one line.
const SHOWN_RESPONSE_CHARS: usize = 200;

/// `text` made safe for a terminal, on one line, at most `max` characters:
/// control and invisible formatting characters (escape sequences, carriage
/// returns, bidirectional overrides, …) are written as `\u{…}`-style escapes.
pub(crate) fn terminal_safe(text: &str, max: usize) -> (String, bool) {
    let mut shown = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            return (shown, true);
        }
        let invisible = c.is_control()
            || matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}')
            || matches!(c, '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}');
        if invisible {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    (shown, false)
}

/// `, response: …` for an attempt that failed with a response body.
fn response_note(attempt: &Attempt) -> String {
    if attempt.response_body.is_empty() || attempt.outcome == AttemptOutcome::Sent {
        return String::new();
    }
    let (text, cut) = terminal_safe(attempt.response_text().trim(), SHOWN_RESPONSE_CHARS);
    let more = if cut || attempt.response_truncated { "…" } else { "" };
    format!(", response: {text}{more}")
}

pub(crate) fn run(args: SendArgs) -> Outcome {
    let secret = args.secret.load()?;
    let now = hookseal_core::chrono::Utc::now();
    let (provider, sample) = match (args.provider, &args.what.event, &args.what.body) {
        (provider, Some(name), _) => {
            let sample = find_sample(provider, name)?;
            (sample.provider, Some(sample))
        }
        (Some(provider), None, Some(_)) => (provider, None),
        (Some(provider), None, None) => (provider, Some(samples::test_event(provider))),
        // clap requires --provider without --event.
        (None, None, _) => return Err(Failure::from("--provider is needed with --test and --body")),
    };
    let body: Vec<u8> = match (sample, &args.what.body) {
        (Some(sample), _) if args.fresh => fresh_sample(sample, now)?.to_vec(),
        (Some(sample), _) => sample.body.to_vec(),
        (None, path) => read_body(path.as_deref(), hookseal_core::DEFAULT_BODY_LIMIT)?,
    };
    let mut builder = Delivery::builder(provider, args.url.as_str()).secret(secret).sent_at(now);
    for (name, value) in &args.headers {
        builder = builder.header(name, value);
    }
    let delivery = builder.json(body)?;
    if args.dry_run {
        return line(format_args!("{}", delivery.to_curl()));
    }
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
            "attempt {}: {} {status} in {} ms{error}{}",
            attempt.number,
            attempt.outcome,
            attempt.latency.as_millis(),
            response_note(attempt)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_controls_and_bounds_the_length() {
        let (text, cut) = terminal_safe("ok\u{1b}[31mred\r\nline\u{202e}x\u{7}", 100);
        assert_eq!(text, "ok\\u{1b}[31mred\\r\\nline\\u{202e}x\\u{7}");
        assert!(!cut);
        assert!(!text.chars().any(char::is_control));
        let (text, cut) = terminal_safe(&"é".repeat(300), 200);
        assert_eq!((text.chars().count(), cut), (200, true));
        assert_eq!(terminal_safe("exactly", 7), ("exactly".to_owned(), false));
    }

    #[test]
    fn headers_parse_as_name_colon_value() {
        assert_eq!(parse_header("X-Trace: 42"), Ok(("X-Trace".to_owned(), "42".to_owned())));
        assert_eq!(parse_header("X-Empty:"), Ok(("X-Empty".to_owned(), String::new())));
        assert_eq!(
            parse_header("Authorization: Bearer a:b"),
            Ok(("Authorization".to_owned(), "Bearer a:b".to_owned()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": value").is_err());
    }
}
