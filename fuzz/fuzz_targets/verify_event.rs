//! The whole path, `Verifier::verify_event_at`, on correctly signed arbitrary
//! bodies, with a replay window, an event header and a clock chosen by the
//! input. The signature is right, so the answer must never be 401; the
//! verdict is computed here step by step and must match exactly.
//!
//! Input layout: the first 16 bytes configure the request (see `Config`),
//! the rest is the body. Seed files are a 16-byte prefix plus a fixture.

#![no_main]

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use hookseal_core::chrono::{DateTime, TimeDelta, Utc};
use hookseal_core::{
    ConnectGain, Custom, Error, Provider, Secret, Signer, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"whsec_fuzz_verify_event";
const CONFIG_LEN: usize = 16;

#[derive(Debug, Arbitrary)]
struct Config {
    provider: u8,
    /// bit 0: replay window on; bits 1-2: event header (none, the body's
    /// name, `event_header` bytes, the body's name padded); bit 3: absolute
    /// clock (`offset` days since 1970) instead of the event's time plus
    /// `offset` seconds; bit 4: a small body limit (`limit`).
    flags: u8,
    window_secs: u32,
    offset: i32,
    limit: u16,
    event_header: [u8; 4],
    _spare: [u8; 2],
}

fn now_for(config: &Config, occurred_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let offset = i64::from(config.offset);
    match occurred_at {
        Some(at) if config.flags & 8 == 0 => at.checked_add_signed(TimeDelta::seconds(offset)).unwrap_or(at),
        _ => DateTime::from_timestamp(offset * 86_400, 0).unwrap_or_default(),
    }
}

fn run<P: Provider>(config: &Config, body: &[u8]) {
    let secret = Secret::from_bytes(SECRET).expect("non-empty");
    let signature = Signer::new(&secret, P::SCHEME.format()).sign(body);
    let mut verifier = Verifier::<P>::new(secret);
    let window = (config.flags & 1 == 1).then(|| u64::from(config.window_secs));
    if let Some(secs) = window {
        verifier = verifier.replay_window(Duration::from_secs(secs));
    }
    let limit = if config.flags & 16 == 16 { usize::from(config.limit) } else { hookseal_core::DEFAULT_BODY_LIMIT };
    verifier = verifier.body_limit(limit);

    // What the verifier must answer, step by step.
    let parsed = P::Event::from_slice(body);
    let name = parsed.as_ref().map(|e| e.name().to_owned()).unwrap_or_default();
    let event_value: Option<Vec<u8>> = match (config.flags >> 1) & 3 {
        0 => None,
        1 => Some(name.clone().into_bytes()),
        2 => Some(config.event_header.to_vec()),
        _ => Some(format!(" {name}\t").into_bytes()),
    };
    let mut headers: Vec<(&str, Vec<u8>)> = vec![(P::SCHEME.signature_header(), signature.into_bytes())];
    if let (Some(header), Some(value)) = (P::SCHEME.event_header(), &event_value) {
        headers.push((header, value.clone()));
    }
    let now = now_for(config, parsed.as_ref().ok().and_then(WebhookEvent::occurred_at));

    let got = verifier.verify_event_at(&headers, body, now);
    if let Err(err) = &got {
        hookseal_fuzz::check_error(err);
        assert_ne!(err.status(), 401, "a correctly signed request was refused as unsigned: {err:?}");
    }
    if body.len() > limit {
        assert_eq!(got, Err(Error::BodyTooLarge { limit }));
        return;
    }
    let event = match parsed {
        Ok(event) => event,
        Err(body_err) => {
            assert_eq!(got, Err(Error::InvalidBody(body_err)));
            return;
        }
    };
    let header_agrees = match (P::SCHEME.event_header(), &event_value) {
        (Some(_), Some(value)) => value.trim_ascii() == name.as_bytes(),
        _ => true,
    };
    if !header_agrees {
        assert!(matches!(got, Err(Error::EventMismatch { .. })), "{got:?}");
        return;
    }
    if let Some(secs) = window {
        let tolerance = TimeDelta::seconds(i64::from(u32::try_from(secs).expect("u32")));
        match event.occurred_at() {
            None => return assert_eq!(got, Err(Error::MissingTimestamp)),
            Some(at) => {
                let age = now.signed_duration_since(at);
                if age > tolerance {
                    return assert!(matches!(got, Err(Error::TimestampTooOld { .. })), "{got:?}");
                }
                if -age > tolerance {
                    return assert!(matches!(got, Err(Error::TimestampTooNew { .. })), "{got:?}");
                }
            }
        }
    }
    assert_eq!(got, Ok(event));
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = data.split_at(data.len().min(CONFIG_LEN));
    let Ok(config) = Config::arbitrary(&mut Unstructured::new(head)) else {
        return;
    };
    match config.provider % 6 {
        0 => run::<Tocc>(&config, body),
        1 => run::<Toran>(&config, body),
        2 => run::<Zapito>(&config, body),
        3 => run::<Tuco>(&config, body),
        4 => run::<ConnectGain>(&config, body),
        _ => run::<Custom>(&config, body),
    }
});
