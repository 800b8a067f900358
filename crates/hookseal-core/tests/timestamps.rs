//! Issue 12, item 6 (second half): the timestamps a parser accepts are the
//! ones `to_json` writes back in a form the parser reads again.
//!
//! RFC 3339 writes years with four digits, so an instant outside the years
//! 0000 to 9999 in UTC has no RFC 3339 form: `9999-12-31T23:30:00-01:00` is a
//! valid timestamp, but in UTC it is `10000-01-01T00:30:00Z`. Such a signed
//! timestamp is refused (400, naming the field) rather than accepted and then
//! written as `+10000-01-01T00:30:00Z`, which nothing reads. Fractions keep
//! every digit up to nanoseconds.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use hookseal_core::{
    ConnectGain, Error, Provider, ProviderId, Secret, Signer, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito,
    samples, zapito,
};
use proptest::prelude::*;
use serde_json::Value;

/// The sample of each provider, and the name of its signed timestamp field.
const SIGNED: [(ProviderId, &str, &str); 5] = [
    (ProviderId::Tocc, "lead.new", "timestamp"),
    (ProviderId::Toran, "lead.captured", "timestamp"),
    (ProviderId::Zapito, "lead.handoff", "at"),
    (ProviderId::Tuco, "message.reply", "timestamp"),
    (ProviderId::ConnectGain, "contact.created", "timestamp"),
];

fn body_with(provider: ProviderId, sample: &str, field: &str, time: &str) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(samples::find(provider, sample).unwrap().body).unwrap();
    body[field] = Value::from(time);
    serde_json::to_vec(&body).unwrap()
}

/// What a receiver answers for `body`: the instant read, written back by
/// `to_json` and read again (which must agree), or the refusal.
fn receive<P: Provider>(body: &[u8]) -> Result<DateTime<Utc>, Error> {
    let secret = Secret::new("timestamps").unwrap();
    let signature = Signer::new(&secret, P::SCHEME.format()).sign(body);
    let event = Verifier::<P>::new(secret).verify_event(&[(P::SCHEME.signature_header(), signature)], body)?;
    let json = event.to_json();
    let again = P::Event::from_slice(&json)
        .unwrap_or_else(|err| panic!("accepted, then its to_json refused: {err}: {}", String::from_utf8_lossy(&json)));
    assert_eq!(again, event, "{}", String::from_utf8_lossy(&json));
    assert_eq!(again.to_json(), json);
    Ok(event.occurred_at().unwrap())
}

fn receive_as(provider: ProviderId, body: &[u8]) -> Result<DateTime<Utc>, Error> {
    match provider {
        ProviderId::Tocc => receive::<Tocc>(body),
        ProviderId::Toran => receive::<Toran>(body),
        ProviderId::Zapito => receive::<Zapito>(body),
        ProviderId::Tuco => receive::<Tuco>(body),
        ProviderId::ConnectGain => receive::<ConnectGain>(body),
        other => panic!("unexpected provider {other}"),
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn a_timestamp_past_year_9999_in_utc_is_refused_by_every_provider() {
    for (provider, sample, field) in SIGNED {
        for time in ["9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00", "0000-01-01T00:00:00.5+00:01"] {
            let body = body_with(provider, sample, field, time);
            match receive_as(provider, &body) {
                Err(Error::InvalidBody(err)) => {
                    assert_eq!(err.path(), field, "{provider} {time}");
                    assert!(err.message().contains("outside the years 0000 to 9999"), "{provider} {time}: {err}");
                }
                other => panic!("{provider} {time}: expected a 400, got {other:?}"),
            }
        }
    }
}

#[test]
fn the_first_and_last_instants_rfc_3339_can_write_are_accepted_and_written_back() {
    for (provider, sample, field) in SIGNED {
        for (time, instant) in [
            ("9999-12-31T22:30:00-01:00", "9999-12-31T23:30:00Z"),
            ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"),
            ("0000-01-01T00:30:00+00:30", "0000-01-01T00:00:00Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
            ("0001-01-01T00:00:00", "0001-01-01T00:00:00Z"),
        ] {
            let body = body_with(provider, sample, field, time);
            assert_eq!(receive_as(provider, &body).unwrap(), utc(instant), "{provider} {time}");
        }
    }
}

#[test]
fn sub_second_precision_round_trips() {
    for (provider, sample, field) in SIGNED {
        for (time, instant) in [
            ("2026-07-01T12:00:00.1Z", "2026-07-01T12:00:00.100Z"),
            ("2026-07-01T12:00:00.000001Z", "2026-07-01T12:00:00.000001Z"),
            ("2026-07-01T12:00:00.123456789Z", "2026-07-01T12:00:00.123456789Z"),
            // Past nanoseconds, chrono keeps nine digits: the rest is below what it can hold.
            ("2026-07-01T12:00:00.1234567891Z", "2026-07-01T12:00:00.123456789Z"),
            ("2026-07-01T14:00:00.000000001+02:00", "2026-07-01T12:00:00.000000001Z"),
            // A leap second.
            ("2016-12-31T23:59:60.5Z", "2016-12-31T23:59:60.5Z"),
        ] {
            let body = body_with(provider, sample, field, time);
            assert_eq!(receive_as(provider, &body).unwrap(), utc(instant), "{provider} {time}");
        }
    }
}

#[test]
fn an_unknown_event_with_an_unwritable_timestamp_has_none() {
    let body = br#"{"event":"lead.archived","at":"9999-12-31T23:30:00-01:00"}"#;
    let event = zapito::Event::from_slice(body).unwrap();
    assert!(matches!(event, zapito::Event::Unknown(_)));
    assert_eq!(event.occurred_at(), None);
}

#[test]
fn a_transcript_time_that_is_not_one_is_kept_as_sent() {
    // Not the signed timestamp, and its type is undocumented: an unwritable
    // or absent one reads as `None` and its text is kept, byte for byte.
    let sample = samples::find(ProviderId::Zapito, "lead.handoff").unwrap();
    let text = std::str::from_utf8(sample.body).unwrap();
    let body = text.replacen(r#""at":"2026-07-02T15:29:50.112Z""#, r#""at":"9999-12-31T23:30:00-01:00""#, 1);
    assert_ne!(body, text);
    let zapito::Event::LeadHandoff(handoff) = zapito::Event::from_json(&body).unwrap() else { panic!() };
    let first = &handoff.transcript[0];
    assert_eq!(first.at, None);
    assert_eq!(first.extra.get_raw("at").unwrap().get(), r#""9999-12-31T23:30:00-01:00""#);
    assert_eq!(receive::<Zapito>(body.as_bytes()).unwrap(), utc("2026-07-02T15:31:08.245Z"));
}

proptest! {
    /// Whatever the offset and fraction, a timestamp is either refused, or
    /// accepted and written back by `to_json` in a form that reads the same
    /// instant; it is refused exactly when it lands outside 0000 to 9999 in UTC.
    #[test]
    fn parse_and_write_agree_on_every_timestamp(
        year in prop_oneof![0i32..=2, 2024i32..=2030, 9997i32..=9999],
        day in prop_oneof![Just(0u32), Just(364u32), 0u32..365],
        seconds in prop_oneof![0u32..3600, 82_800u32..86_400, 0u32..86_400],
        nanos in 0u32..1_000_000_000,
        digits in 0usize..=9,
        offset in prop_oneof![Just(0i32), -86_340i32..=86_340],
        provider in 0usize..5,
    ) {
        let date = NaiveDate::from_yo_opt(year, day % 365 + 1).unwrap();
        let local = date.and_hms_opt(seconds / 3600, seconds / 60 % 60, seconds % 60).unwrap();
        let offset = FixedOffset::east_opt(offset / 60 * 60).unwrap();
        let fraction = if digits == 0 { String::new() } else { format!(".{:09}", nanos)[..=digits].to_owned() };
        let zone = if offset.local_minus_utc() == 0 { "Z".to_owned() } else { offset.to_string() };
        let text = format!("{}{fraction}{zone}", local.format("%Y-%m-%dT%H:%M:%S"));
        let expected = DateTime::parse_from_rfc3339(&text).unwrap().to_utc();

        let (provider, sample, field) = SIGNED[provider];
        let result = receive_as(provider, &body_with(provider, sample, field, &text));
        if (0..=9999).contains(&expected.year()) {
            prop_assert_eq!(result.unwrap(), expected, "{}", text);
        } else {
            prop_assert!(matches!(result, Err(Error::InvalidBody(_))), "{}: {:?}", text, result);
        }
    }
}
