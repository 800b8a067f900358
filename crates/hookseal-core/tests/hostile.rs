//! Hostile but correctly signed input, at the core level: absurd nesting,
//! huge numbers, megabyte strings, duplicate keys, and odd bytes in header
//! values. Each test states exactly what the verifier answers.
//!
//! These run on the test harness's threads (2 MiB stacks, debug build): a
//! recursion that the JSON parser did not bound would overflow here.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use chrono::{DateTime, Utc};
use hookseal_core::{
    BodyErrorKind, ConnectGain, Custom, Error, Provider, Secret, SignatureFault, Signer, Tocc, Toran, Tuco, Verifier,
    WebhookEvent, Zapito, connectgain, tocc, toran,
};
use serde_json::Value;

const SECRET: &str = "whsec_hostile";
const DEPTH: usize = 100_000;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-07-01T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn verifier<P: Provider>() -> Verifier<P> {
    Verifier::new(Secret::new(SECRET).unwrap())
}

fn signature<P: Provider>(body: &[u8]) -> String {
    Signer::new(&Secret::new(SECRET).unwrap(), P::SCHEME.format()).sign(body)
}

/// A correctly signed request for `body`, with no event header.
fn open<P: Provider>(body: &[u8]) -> Result<P::Event, Error> {
    open_with::<P>(verifier::<P>(), body)
}

fn open_with<P: Provider>(verifier: Verifier<P>, body: &[u8]) -> Result<P::Event, Error> {
    let headers = [(P::SCHEME.signature_header(), signature::<P>(body))];
    verifier.verify_event_at(&headers, body, now())
}

/// The error of a request that must be refused with 400 for its body.
fn body_error<P: Provider>(body: &[u8]) -> hookseal_core::BodyError {
    match open::<P>(body) {
        Err(Error::InvalidBody(err)) => err,
        other => panic!("expected an invalid body, got {other:?}"),
    }
}

fn deep_array(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_object(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

fn toran_body(score: &str, metadata: &str) -> String {
    format!(
        r#"{{"event":"lead.captured","lead_id":"L1","widget_id":"w1","score":{score},"timestamp":"2026-07-01T12:00:00Z","metadata":{metadata}}}"#
    )
}

fn tocc_returning(days: &str) -> String {
    format!(
        r#"{{"id":"evt_1","businessId":"b1","alias":"al","aliasEmail":"al@tocc.contact","businessName":"Al","eventType":"customer.returning","timestamp":"2026-07-01T12:00:00.000Z","data":{{"customerId":"c1","email":"c@example.com","daysSinceLast":{days}}}}}"#
    )
}

fn deal(data: &str) -> String {
    format!(r#"{{"event":"deal.created","timestamp":"2026-07-01T12:00:00Z","data":{data}}}"#)
}

// ---------------------------------------------------------------- nesting

#[test]
fn deep_nesting_as_the_whole_body_is_400_for_every_provider() {
    for body in [deep_array(DEPTH), deep_object(DEPTH)] {
        let body = body.as_bytes();
        for status in [
            open::<Tocc>(body).map(drop),
            open::<Toran>(body).map(drop),
            open::<Zapito>(body).map(drop),
            open::<Tuco>(body).map(drop),
            open::<ConnectGain>(body).map(drop),
        ]
        .map(|result| result.unwrap_err().status())
        {
            assert_eq!(status, 400);
        }
    }
    // A custom event is raw JSON: a deep array is not an object, refused.
    assert_eq!(open::<Custom>(deep_array(DEPTH).as_bytes()).unwrap_err().status(), 400);
}

#[test]
fn deep_nesting_in_an_open_map_is_kept_as_sent_without_recursing() {
    // Toran's `metadata` and ConnectGain's `data` keep unknown keys as their
    // JSON text: serde_json skips a value without recursing, so 100k levels
    // cost no stack, and the text is kept whole. Reading it as a
    // `serde_json::Value` is what stops at serde_json's limit (128 levels).
    let deep = deep_array(DEPTH);
    let toran = open::<Toran>(toran_body("1", &format!(r#"{{"deep":{deep}}}"#)).as_bytes()).unwrap();
    let toran::Event::LeadCaptured(lead) = &toran else { panic!("unexpected {toran:?}") };
    let deep_object = deep_object(DEPTH);
    let connectgain = open::<ConnectGain>(deal(&format!(r#"{{"id":"d1","deep":{deep_object}}}"#)).as_bytes()).unwrap();
    let connectgain::Event::DealCreated(p) = &connectgain else { panic!("unexpected {connectgain:?}") };
    for (extra, text) in [(&lead.metadata.extra, &deep), (&p.data.extra, &deep_object)] {
        assert_eq!(extra.get_raw("deep").map(|raw| raw.get()), Some(text.as_str()));
        assert_eq!(extra.get("deep"), None, "deeper than a serde_json::Value can be");
    }
    // And it is written back as it came.
    assert!(String::from_utf8(toran.to_json()).unwrap().contains(&deep));
}

#[test]
fn deep_nesting_in_a_typed_field_is_400() {
    let body = toran_body(&deep_array(DEPTH), "{}");
    let err = body_error::<Toran>(body.as_bytes());
    assert_eq!((err.kind(), err.path()), (BodyErrorKind::Schema, "score"));
}

#[test]
fn deep_nesting_in_an_unknown_event_is_400() {
    // An unknown name falls back to a `serde_json::Value`, which is bounded.
    for body in [
        format!(r#"{{"event":"lead.archived","timestamp":"2026-07-01T12:00:00Z","x":{}}}"#, deep_array(DEPTH)),
        format!(r#"{{"eventType":"lead.archived","x":{}}}"#, deep_object(DEPTH)),
    ] {
        let statuses = [
            open::<Toran>(body.as_bytes()).map(drop),
            open::<Zapito>(body.as_bytes()).map(drop),
            open::<Tuco>(body.as_bytes()).map(drop),
            open::<ConnectGain>(body.as_bytes()).map(drop),
            open::<Tocc>(body.as_bytes()).map(drop),
        ]
        .map(|result| result.map_err(|err| err.status()));
        // The tocc body names its event `eventType`, the others `event`; each
        // provider refuses the body it can read the name of, and the rest for
        // lacking the field: 400 either way.
        assert_eq!(statuses, [Err(400); 5], "{}", &body[..40]);
    }
}

#[test]
fn deep_nesting_in_an_ignored_field_is_skipped_without_recursion() {
    // serde_json skips an unknown field with an explicit stack, not by
    // recursion: a known event with a deep extra key is accepted, and the
    // key is kept as sent (issue 12), without being built into a tree.
    let plain = tocc_returning("30");
    let padded = plain.replacen(r#""id":"evt_1","#, &format!(r#""id":"evt_1","x":{},"#, deep_array(DEPTH)), 1);
    let event = open::<Tocc>(padded.as_bytes()).unwrap();
    let (tocc::Event::CustomerReturning(deep), tocc::Event::CustomerReturning(mut flat)) =
        (event.clone(), open::<Tocc>(plain.as_bytes()).unwrap())
    else {
        panic!("not a customer.returning");
    };
    assert_eq!(deep.extra.get_raw("x").map(|raw| raw.get().len()), Some(2 * DEPTH));
    assert_eq!(deep.extra.get("x"), None, "too deep for a Value");
    flat.extra = deep.extra.clone();
    assert_eq!(deep, flat);
    assert_eq!(tocc::Event::from_slice(&event.to_json()).unwrap(), event);
}

#[test]
fn deep_nesting_in_a_custom_event_is_kept_raw_and_refused_when_typed() {
    // A custom event is never built into a tree: the deep object is valid
    // JSON and is kept byte for byte. Reading it into a type hits the limit.
    let body = deep_object(DEPTH);
    let event = open::<Custom>(body.as_bytes()).unwrap();
    assert_eq!(event.raw().get().len(), body.len());
    let err = event.deserialize::<Value>().unwrap_err();
    assert!(err.message().contains("recursion limit exceeded"), "{err}");
    let headers = [("X-Signature", signature::<Custom>(body.as_bytes()))];
    let typed = verifier::<Custom>().verify_json::<Value>(&headers, body.as_bytes());
    assert_eq!(typed.unwrap_err().status(), 400);
}

// ---------------------------------------------------------------- numbers

const DIGITS_100: &str =
    "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn numbers_beyond_f64_are_400() {
    for big in ["1e400", "-1e400", "1.5e99999"] {
        let err = body_error::<Tocc>(tocc_returning(big).as_bytes());
        assert_eq!(err.path(), "data.daysSinceLast", "{big}");
        assert!(err.message().contains("number out of range"), "{err}");
        // In an unknown event's fallback value, too.
        let unknown = format!(r#"{{"event":"lead.archived","timestamp":"2026-07-01T12:00:00Z","n":{big}}}"#);
        assert_eq!(open::<Toran>(unknown.as_bytes()).unwrap_err().status(), 400);
    }
}

#[test]
fn numbers_beyond_f64_in_an_open_map_are_kept_as_sent() {
    for big in ["1e400", "-1e400", "1.5e99999"] {
        match open::<ConnectGain>(deal(&format!(r#"{{"id":"d1","big":{big}}}"#)).as_bytes()).unwrap() {
            connectgain::Event::DealCreated(p) => {
                assert_eq!(p.data.extra.get_raw("big").map(|raw| raw.get()), Some(big));
                assert_eq!(p.data.extra.get("big"), None, "no f64 holds {big}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn hundred_digit_integers_become_the_nearest_f64() {
    assert_eq!(DIGITS_100.len(), 100);
    match open::<Tocc>(tocc_returning(DIGITS_100).as_bytes()).unwrap() {
        tocc::Event::CustomerReturning(p) => assert_eq!(p.data.days_since_last, 1e99),
        other => panic!("unexpected {other:?}"),
    }
    match open::<Toran>(toran_body(DIGITS_100, &format!(r#"{{"big":-{DIGITS_100}}}"#)).as_bytes()).unwrap() {
        toran::Event::LeadCaptured(lead) => {
            assert_eq!(lead.score, Some(1e99));
            // Extra keys keep the number as sent, every digit.
            assert_eq!(lead.metadata.extra.get_raw("big").map(|raw| raw.get()), Some(&*format!("-{DIGITS_100}")));
            assert_eq!(lead.metadata.extra.get("big").and_then(|v| v.as_f64()), Some(-1e99));
        }
        other => panic!("unexpected {other:?}"),
    }
    match open::<ConnectGain>(deal(&format!(r#"{{"id":"d1","value":{DIGITS_100},"big":{DIGITS_100}}}"#)).as_bytes())
        .unwrap()
    {
        connectgain::Event::DealCreated(p) => {
            assert_eq!(p.data.value, Some(1e99));
            assert_eq!(p.data.extra.get_raw("big").map(|raw| raw.get()), Some(DIGITS_100));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_number_field_takes_integers_exactly_up_to_2_pow_53_either_sign() {
    for (sent, typed) in [
        ("5", Some(5.0)),
        ("-5", Some(-5.0)),
        ("0", Some(0.0)),
        ("9007199254740992", Some(9_007_199_254_740_992.0)),
        ("-9007199254740992", Some(-9_007_199_254_740_992.0)),
        // Beyond 2^53 an integer has no exact f64: not typed, and kept as sent.
        ("9007199254740993", None),
        ("-9007199254740993", None),
    ] {
        let body = deal(&format!(r#"{{"id":"d1","value":{sent}}}"#));
        let event = open::<ConnectGain>(body.as_bytes()).unwrap();
        match &event {
            connectgain::Event::DealCreated(p) => assert_eq!(p.data.value, typed, "{sent}"),
            other => panic!("unexpected {other:?}"),
        }
        // Written back as sent: the same digits, no `.0` added.
        let json = String::from_utf8(hookseal_core::WebhookEvent::to_json(&event)).unwrap();
        let written = json.split(r#""value":"#).nth(1).and_then(|rest| rest.split([',', '}']).next());
        assert_eq!(written, Some(sent), "{json}");
    }
}

#[test]
fn a_custom_event_keeps_any_number_as_written() {
    // Raw JSON is only checked for syntax; the number is refused when typed.
    let body = br#"{"event":"x","n":1e400}"#;
    let event = open::<Custom>(body).unwrap();
    assert_eq!(event.raw().get().as_bytes(), body);
    assert!(event.deserialize::<Value>().unwrap_err().message().contains("number out of range"));
}

// ---------------------------------------------------------------- strings

#[test]
fn a_one_mebibyte_string_is_413_by_default_and_parsed_when_allowed() {
    let name = "é".repeat(512 * 1024); // 1 MiB of UTF-8
    let body = toran_body("1", "{}").replace(r#""lead_id":"L1","#, &format!(r#""lead_id":"L1","name":"{name}","#));
    assert_eq!(open::<Toran>(body.as_bytes()), Err(Error::BodyTooLarge { limit: 1024 * 1024 }));

    let roomy = verifier::<Toran>().body_limit(2 * 1024 * 1024);
    match open_with::<Toran>(roomy, body.as_bytes()).unwrap() {
        toran::Event::LeadCaptured(lead) => assert_eq!(lead.name.as_deref(), Some(name.as_str())),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_huge_event_name_is_never_echoed_whole() {
    let name = "x".repeat(1024 * 1024 - 100);
    let body = format!(r#"{{"event":"{name}","timestamp":"2026-07-01T12:00:00Z"}}"#);
    assert_eq!(open::<Tuco>(body.as_bytes()).unwrap().name(), name);
    // Sent with an event header that disagrees, the error quotes at most 160 bytes of it.
    let headers = [("X-Tuco-Signature", signature::<Tuco>(body.as_bytes())), ("X-Tuco-Event", "message.sent".into())];
    match verifier::<Tuco>().verify_event_at(&headers, body.as_bytes(), now()) {
        Err(err @ Error::EventMismatch { .. }) => {
            assert_eq!(err.status(), 400);
            assert!(err.to_string().len() < 400, "{} bytes", err.to_string().len());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn lone_surrogate_escapes_are_400() {
    let err = body_error::<Toran>(toran_body("1", r#"{"notes":"\ud800"}"#).as_bytes());
    assert_eq!((err.kind(), err.path()), (BodyErrorKind::Syntax, "metadata.notes"), "{err}");
}

// ---------------------------------------------------------------- duplicate keys

#[test]
fn a_duplicate_field_of_a_typed_event_is_400() {
    let body = toran_body("1", "{}").replace(r#""lead_id":"L1","#, r#""lead_id":"L1","lead_id":"L2","#);
    let err = body_error::<Toran>(body.as_bytes());
    assert_eq!(err.kind(), BodyErrorKind::Schema);
    assert!(err.message().contains("duplicate field `lead_id`"), "{err}");
}

#[test]
fn a_duplicate_event_name_is_400_or_the_last_unknown_name() {
    // Two known names: refused, whatever their order.
    let twice = toran_body("1", "{}").replacen(
        r#"{"event":"lead.captured","#,
        r#"{"event":"lead.test","event":"lead.captured","#,
        1,
    );
    assert!(body_error::<Toran>(twice.as_bytes()).message().contains("duplicate field `event`"));
    // A known name then an unknown one: the catch-all reads the JSON as
    // serde_json does (the last value wins) and keeps it as unknown, raw.
    let then_unknown = toran_body("1", "{}").replacen(r#""lead_id""#, r#""event":"lead.archived","lead_id""#, 1);
    match open::<Toran>(then_unknown.as_bytes()).unwrap() {
        toran::Event::Unknown(unknown) => {
            assert_eq!(unknown.name(), "lead.archived");
            assert_eq!(unknown.raw().get(), then_unknown);
        }
        other => panic!("unexpected {other:?}"),
    }
    // An unknown name then a known one: the strict error for the known name stands.
    let then_known = toran_body("1", "{}").replacen(
        r#"{"event":"lead.captured","#,
        r#"{"event":"lead.archived","event":"lead.captured","#,
        1,
    );
    assert_eq!(open::<Toran>(then_known.as_bytes()).unwrap_err().status(), 400);
}

#[test]
fn duplicate_keys_in_an_open_map_keep_the_last_value() {
    match open::<Toran>(toran_body("1", r#"{"k":1,"k":2}"#).as_bytes()).unwrap() {
        toran::Event::LeadCaptured(lead) => assert_eq!(lead.metadata.extra.get("k"), Some(Value::from(2))),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_custom_event_with_a_duplicate_name_is_400() {
    let err = body_error::<Custom>(br#"{"event":"a","event":"b"}"#);
    assert!(err.message().contains("duplicate field `event`"), "{err}");
    // Keys it does not read may repeat: they are kept raw.
    let event = open::<Custom>(br#"{"event":"a","x":1,"x":2}"#).unwrap();
    assert_eq!(event.raw().get(), r#"{"event":"a","x":1,"x":2}"#);
}

// ---------------------------------------------------------------- header bytes

fn toran_headers(signature: Vec<u8>, event: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![("X-Toran-Signature", signature), ("X-Toran-Event", event.to_vec())]
}

#[test]
fn odd_bytes_in_the_signature_header_are_401() {
    let body = toran_body("1", "{}");
    let good = signature::<Toran>(body.as_bytes()).into_bytes();
    let cases: [(Vec<u8>, SignatureFault); 6] = [
        ([&good[..], b"\0"].concat(), SignatureFault::WrongLength),
        ([b"\x0b", &good[..]].concat(), SignatureFault::MissingPrefix),
        ([&good[..70], "é".as_bytes()].concat(), SignatureFault::WrongLength),
        ([&good[..70], b"\xff"].concat(), SignatureFault::NotHex),
        ([&good[..70], b"\x7f"].concat(), SignatureFault::NotHex),
        (b"\xef\xbb\xbfsha256=00".to_vec(), SignatureFault::MissingPrefix),
    ];
    for (value, fault) in cases {
        let result = verifier::<Toran>().verify(&toran_headers(value.clone(), b"lead.captured"), body.as_bytes());
        assert_eq!(result, Err(Error::MalformedSignature { header: "X-Toran-Signature", fault }), "{value:?}");
    }
    // Surrounding ASCII whitespace, CR and LF included, is trimmed.
    let padded = [b"\r\n\t ", &good[..], b" \r\n"].concat();
    assert!(verifier::<Toran>().verify(&toran_headers(padded, b"lead.captured"), body.as_bytes()).is_ok());
}

#[test]
fn odd_bytes_in_the_event_header_are_400_and_echoed_lossily() {
    let body = toran_body("1", "{}");
    let sig = signature::<Toran>(body.as_bytes()).into_bytes();
    let cases: [(&[u8], &str); 4] = [
        (b"lead.captur\xff", "lead.captur\u{fffd}"),
        (b"lead.captured\0", "lead.captured\0"),
        ("lead.capturéd".as_bytes(), "lead.capturéd"),
        (b"LEAD.CAPTURED", "LEAD.CAPTURED"),
    ];
    for (value, echoed) in cases {
        let result = verifier::<Toran>().verify_event_at(&toran_headers(sig.clone(), value), body.as_bytes(), now());
        let expected = Error::EventMismatch {
            header: "X-Toran-Event",
            in_header: echoed.to_owned(),
            in_body: "lead.captured".to_owned(),
        };
        assert_eq!(result, Err(expected), "{value:?}");
    }
    let padded = verifier::<Toran>().verify_event_at(&toran_headers(sig, b"\t lead.captured "), body.as_bytes(), now());
    assert_eq!(padded.unwrap().name(), "lead.captured");
}

#[test]
fn header_names_match_ascii_case_only() {
    let body = toran_body("1", "{}");
    let sig = signature::<Toran>(body.as_bytes());
    // U+0131 (dotless i) upper-cases to `I` in Unicode, but is not `i`.
    let lookalike = [("X-Toran-S\u{131}gnature", sig.as_str())];
    assert_eq!(
        verifier::<Toran>().verify(&lookalike, body.as_bytes()),
        Err(Error::MissingSignature { header: "X-Toran-Signature" })
    );
    let shouting = [("X-TORAN-SIGNATURE", sig.as_str())];
    assert!(verifier::<Toran>().verify(&shouting, body.as_bytes()).is_ok());
}

#[test]
fn obs_text_in_an_http_header_map_is_401() {
    let body = toran_body("1", "{}");
    let mut value = signature::<Toran>(body.as_bytes()).into_bytes();
    value[20] = 0xe9; // obs-text is allowed in an HTTP header value, but is not hex
    let mut headers = http::HeaderMap::new();
    headers.insert("x-toran-signature", http::HeaderValue::from_bytes(&value).unwrap());
    let result = verifier::<Toran>().verify(&headers, body.as_bytes());
    assert_eq!(result.unwrap_err().status(), 401);
}

// ---------------------------------------------------------------- unknown events

fn toran_unknown(body: &[u8]) -> hookseal_core::UnknownEvent {
    match open::<Toran>(body).unwrap() {
        toran::Event::Unknown(unknown) => unknown,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn an_unknown_event_keeps_the_providers_idempotency_key() {
    // Toran: the lead id (a string).
    let toran = br#"{"event":"lead.archived","lead_id":"L9","timestamp":"2026-05-06T14:22:31Z"}"#;
    assert_eq!(open::<Toran>(toran).unwrap().idempotency_key(), "L9");
    // tocc: the envelope id, a string or a number's text.
    for (id, key) in [(r#""evt_7""#, "evt_7"), ("123", "123")] {
        let body = format!(
            r#"{{"id":{id},"businessId":"b","eventType":"invoice.sent","timestamp":"2026-05-06T14:22:31Z","data":{{}}}}"#
        );
        let event = open::<Tocc>(body.as_bytes()).unwrap();
        assert!(matches!(event, tocc::Event::Unknown(_)), "{event:?}");
        assert_eq!(event.idempotency_key(), key, "{body}");
    }
}

#[test]
fn an_unknown_event_gives_its_value_compares_by_bytes_and_debugs_without_the_body() {
    let body = br#"{"event":"lead.archived","lead_id":"L9","secret_note":"do not log me"}"#;
    let unknown = toran_unknown(body);
    assert_eq!(unknown.value()["lead_id"], "L9");
    assert_eq!(unknown.value()["event"], "lead.archived");
    assert_eq!(unknown, toran_unknown(body));
    // The same name with other bytes is another event.
    assert_ne!(unknown, toran_unknown(br#"{"event":"lead.archived","lead_id":"L10"}"#));
    let debug = format!("{unknown:?}");
    assert!(debug.contains("lead.archived") && debug.contains(&format!("raw_len: {}", body.len())), "{debug}");
    assert!(!debug.contains("do not log me"), "{debug}");
}

#[test]
fn an_event_name_that_is_not_a_string_is_named_so() {
    for body in [&br#"{"event":5,"lead_id":"L1"}"#[..], br#"{"event":["lead.captured"],"lead_id":"L1"}"#] {
        let err = body_error::<Toran>(body);
        assert!(err.message().contains("expected a string"), "{err}");
    }
}
