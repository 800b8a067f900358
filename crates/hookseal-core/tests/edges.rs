//! Edges a changed operator or constant would cross unnoticed: the body
//! limit at exactly its value, the `http::HeaderMap` reader, and every
//! error's exact text and status (found missing by `cargo mutants`).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use hookseal_core::env::SecretsError;
use hookseal_core::{
    BodyError, DEFAULT_BODY_LIMIT, EmptySecret, Error, Headers, InvalidHeaderName, InvalidSecret, KeyMatch, NoSecrets,
    Provider, SchemeId, Secret, SignatureFault, Signer, Toran, Verifier,
};

const SECRET: &str = "edges-secret";

fn toran() -> Verifier<Toran> {
    Verifier::new(Secret::new(SECRET).unwrap())
}

fn sign(body: &[u8]) -> String {
    Signer::new(&Secret::new(SECRET).unwrap(), Toran::SCHEME.format()).sign(body)
}

#[test]
fn a_body_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    for limit in [0usize, 1, 2, 64, 1000] {
        let body = vec![b'x'; limit];
        let headers = [("X-Toran-Signature", sign(&body))];
        assert_eq!(toran().body_limit(limit).verify(&headers, &body), Ok(KeyMatch::Secret(0)), "limit {limit}");

        let over = vec![b'x'; limit + 1];
        let headers = [("X-Toran-Signature", sign(&over))];
        let err = toran().body_limit(limit).verify(&headers, &over).unwrap_err();
        assert_eq!(err, Error::BodyTooLarge { limit }, "limit {limit}");
        assert_eq!(err.status(), 413);
        // One more byte of limit and it fits.
        assert_eq!(toran().body_limit(limit + 1).verify(&headers, &over), Ok(KeyMatch::Secret(0)));
    }
}

#[test]
fn the_default_limit_is_one_mebibyte_inclusive() {
    assert_eq!(DEFAULT_BODY_LIMIT, 1_048_576);
    let body = vec![b' '; DEFAULT_BODY_LIMIT];
    assert_eq!(toran().verify(&[("X-Toran-Signature", sign(&body))], &body), Ok(KeyMatch::Secret(0)));
    let over = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    assert_eq!(
        toran().verify(&[("X-Toran-Signature", sign(&over))], &over),
        Err(Error::BodyTooLarge { limit: DEFAULT_BODY_LIMIT })
    );
}

#[test]
fn max_body_reports_the_limit_in_force() {
    assert_eq!(toran().max_body(), DEFAULT_BODY_LIMIT);
    for limit in [0, 1, 2, 17, 4096, usize::MAX] {
        assert_eq!(toran().body_limit(limit).max_body(), limit);
        assert_eq!(toran().body_limit(limit).clone().max_body(), limit, "a clone keeps it");
    }
}

#[cfg(feature = "http")]
mod header_map {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    fn values<'h>(headers: &'h HeaderMap, name: &str) -> Vec<&'h [u8]> {
        Headers::values(headers, name).collect()
    }

    #[test]
    fn every_value_in_order_matched_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.append("x-toran-event", HeaderValue::from_static("first"));
        headers.append("X-Toran-Event", HeaderValue::from_static("second"));
        headers.append("other", HeaderValue::from_static("third"));
        for name in ["x-toran-event", "X-Toran-Event", "X-TORAN-EVENT"] {
            assert_eq!(values(&headers, name), [b"first".as_slice(), b"second".as_slice()], "{name}");
        }
        assert_eq!(values(&headers, "other"), [b"third".as_slice()]);
        assert!(values(&headers, "absent").is_empty());
        // Through a reference too (the blanket impl).
        assert_eq!(Headers::values(&&headers, "OTHER").collect::<Vec<_>>(), [b"third".as_slice()]);
    }

    #[test]
    fn non_utf8_values_are_given_as_their_bytes() {
        let mut headers = HeaderMap::new();
        headers.insert("x-raw", HeaderValue::from_bytes(b"caf\xe9 \xff").unwrap());
        assert_eq!(values(&headers, "X-Raw"), [b"caf\xe9 \xff".as_slice()]);
    }

    #[test]
    fn the_verifier_reads_a_header_map() {
        let body = br#"{"event":"lead.test"}"#;
        let mut headers = HeaderMap::new();
        headers.insert("x-toran-signature", HeaderValue::from_str(&sign(body)).unwrap());
        assert_eq!(toran().verify(&headers, body), Ok(KeyMatch::Secret(0)));

        headers.append("X-Toran-Signature", HeaderValue::from_str(&sign(body)).unwrap());
        assert_eq!(
            toran().verify(&headers, body),
            Err(Error::DuplicateSignature { header: "X-Toran-Signature", count: 2 })
        );

        let mut forged = HeaderMap::new();
        forged.insert("x-toran-signature", HeaderValue::from_bytes(b"sha256=\xff").unwrap());
        assert_eq!(
            toran().verify(&forged, body),
            Err(Error::MalformedSignature { header: "X-Toran-Signature", fault: SignatureFault::WrongLength })
        );
        assert_eq!(
            toran().verify(&HeaderMap::new(), body),
            Err(Error::MissingSignature { header: "X-Toran-Signature" })
        );
    }
}

#[test]
fn every_error_says_exactly_what_and_maps_to_its_status() {
    let body = BodyError::schema("data.id", "expected a string");
    let cases: Vec<(Error, &str, u16, &str)> = vec![
        (
            Error::MissingSignature { header: "X-Toran-Signature" },
            "missing signature header `X-Toran-Signature`",
            401,
            "missing signature",
        ),
        (
            Error::MalformedSignature { header: "X-Toran-Signature", fault: SignatureFault::NotHex },
            "malformed signature in `X-Toran-Signature`: not hexadecimal",
            401,
            "malformed signature",
        ),
        (
            Error::DuplicateSignature { header: "X-Toran-Signature", count: 3 },
            "signature header `X-Toran-Signature` appears 3 times; exactly one is expected",
            401,
            "duplicate signature header",
        ),
        (
            Error::MissingSignedHeader { header: "webhook-id" },
            "missing signed header `webhook-id`",
            401,
            "missing signed header",
        ),
        (Error::SignatureMismatch, "signature does not match", 401, "invalid signature"),
        (Error::InvalidBody(body), "unusable body: expected a string at `data.id`", 400, "invalid body"),
        (
            Error::EventMismatch {
                header: "X-Toran-Event",
                in_header: "lead.test".into(),
                in_body: "lead.captured".into(),
            },
            "event header `X-Toran-Event` says `lead.test` but the signed body says `lead.captured`",
            400,
            "event header does not match body",
        ),
        (
            Error::TimestampTooOld { age_secs: 301, tolerance_secs: 300 },
            "signed timestamp is 301 s old, over the 300 s window",
            400,
            "timestamp too old",
        ),
        (
            Error::TimestampTooNew { ahead_secs: 302, tolerance_secs: 300 },
            "signed timestamp is 302 s in the future, over the 300 s window",
            400,
            "timestamp too far in the future",
        ),
        (
            Error::MissingTimestamp,
            "replay window is enabled but the signed body has no timestamp",
            400,
            "missing timestamp",
        ),
        (Error::BodyTooLarge { limit: 1024 }, "body exceeds the 1024 byte limit", 413, "body too large"),
    ];
    for (err, text, status, public) in cases {
        assert_eq!(err.to_string(), text);
        assert_eq!(err.status(), status, "{text}");
        assert_eq!(err.is_signature_error(), status == 401, "{text}");
        assert_eq!(err.public_message(), public, "{text}");
    }
}

#[test]
fn every_signature_fault_says_exactly_what() {
    for (fault, text) in [
        (SignatureFault::Empty, "empty value"),
        (SignatureFault::MissingPrefix, "expected the `sha256=` prefix"),
        (SignatureFault::UnexpectedPrefix, "expected bare hex without a prefix"),
        (SignatureFault::WrongLength, "expected 64 hex characters"),
        (SignatureFault::NotHex, "not hexadecimal"),
        (SignatureFault::NotBase64, "expected base64 of 32 bytes"),
        (SignatureFault::UnsupportedVersion, "no signature of a supported version (v1)"),
        (SignatureFault::InvalidTimestamp, "timestamp is not canonical Unix seconds"),
        (SignatureFault::MissingTimestamp, "expected exactly one timestamp `t=`"),
    ] {
        assert_eq!(fault.to_string(), text);
    }
}

#[test]
fn body_errors_show_where_only_when_known() {
    assert_eq!(BodyError::schema("", "bad").to_string(), "bad");
    assert_eq!(BodyError::schema(".", "bad").to_string(), "bad");
    assert_eq!(BodyError::schema("a.b", "bad").to_string(), "bad at `a.b`");
    let err = BodyError::parse_json::<serde_json::Value>("{\n  \"a\": }").unwrap_err();
    assert_eq!((err.line(), err.column()), (2, 8));
    assert_eq!(err.message(), "expected value");
    assert_eq!(err.to_string(), "expected value at `a` (line 2, column 8)");
    let err = BodyError::parse_json::<serde_json::Value>("\n\n   x").unwrap_err();
    assert_eq!(err.to_string(), "expected value (line 3, column 4)");
    assert!(!err.message().contains(" at line "), "{}", err.message());
    let err = BodyError::parse_json::<Vec<u8>>("[1, \"x\"]").unwrap_err();
    assert_eq!(err.to_string(), format!("{} at `[1]` (line 1, column 7)", err.message()));
}

#[test]
fn the_other_errors_say_exactly_what() {
    assert_eq!(NoSecrets.to_string(), "a verifier needs at least one secret");
    assert_eq!(EmptySecret.to_string(), "a webhook secret must not be empty");
    assert_eq!(InvalidSecret::Empty.to_string(), "a webhook secret must not be empty");
    assert_eq!(InvalidSecret::NotBase64.to_string(), "a `whsec_` secret must be canonical base64 after the prefix");
    assert_eq!(InvalidSecret::TooShort(5).to_string(), "a `whsec_` secret must decode to at least 24 bytes, not 5");
    assert_eq!(InvalidSecret::from(EmptySecret), InvalidSecret::Empty);
    assert_eq!(InvalidHeaderName::Invalid.to_string(), "a header name must be 1 to 128 HTTP token characters");
    assert_eq!(InvalidHeaderName::TooMany.to_string(), "too many distinct configured header names (at most 1024)");
    assert_eq!(
        "svix".parse::<SchemeId>().unwrap_err().to_string(),
        "unknown scheme `svix` (expected one of: standard-webhooks, github, stripe)"
    );
    assert_eq!(SecretsError::Empty { var: "V".into() }.to_string(), "V is set but holds no secret");
    assert_eq!(SecretsError::NotUnicode { var: "V".into() }.to_string(), "V is not valid Unicode");
}

#[test]
fn a_configured_header_name_is_1_to_128_token_characters() {
    use hookseal_core::HeaderName;
    let longest = format!("X-{}", "a".repeat(126));
    assert_eq!(HeaderName::new(&longest).map(HeaderName::as_str), Ok(longest.as_str()));
    assert_eq!(HeaderName::new(format!("{longest}b")), Err(InvalidHeaderName::Invalid));
    assert_eq!(HeaderName::new("q").map(HeaderName::as_str), Ok("q"));
    assert_eq!(HeaderName::new(""), Err(InvalidHeaderName::Invalid));
    // Every token character RFC 9110 allows besides letters and digits, and none other.
    let specials = "X!#$%&'*+-.^_`|~Z09";
    assert_eq!(HeaderName::new(specials).map(HeaderName::as_str), Ok(specials));
    for bad in
        ['"', '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}', ' ', '\t', '\u{7f}']
    {
        assert_eq!(HeaderName::new(format!("X{bad}")), Err(InvalidHeaderName::Invalid), "{bad:?}");
    }
    // Display and FromStr agree with `new` and `as_str`.
    assert_eq!(HeaderName::from_static("X-Edges-Display").to_string(), "X-Edges-Display");
    assert_eq!("X-Edges-Parsed".parse::<HeaderName>().map(HeaderName::as_str), Ok("X-Edges-Parsed"));
    assert_eq!("X Edges".parse::<HeaderName>(), Err(InvalidHeaderName::Invalid));
}

#[test]
fn the_same_signature_twice_in_a_list_still_verifies() {
    use hookseal_core::{Message, Scheme, StandardWebhooks, Stripe};
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let message = Message { id: Some("msg_1"), timestamp: Some(1_700_000_000), event: None };
    let body = br#"{"type":"ping"}"#;

    let scheme = Scheme::STANDARD_WEBHOOKS;
    let secret = scheme.secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let signature = Signer::for_scheme(&secret, scheme).unwrap().signature(body, &message);
    let headers = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", "1700000000".to_owned()),
        ("webhook-signature", format!("{signature} {signature}")),
    ];
    assert_eq!(Verifier::<StandardWebhooks>::new(secret).verify_at(&headers, body, now), Ok(KeyMatch::Secret(0)));

    let secret = Secret::new("whsec_stripe").unwrap();
    let signature = Signer::for_scheme(&secret, Scheme::STRIPE).unwrap().signature(body, &message);
    let v1 = signature.split_once(',').unwrap().1;
    let headers = [("Stripe-Signature", format!("{signature},{v1}"))];
    assert_eq!(Verifier::<Stripe>::new(secret).verify_at(&headers, body, now), Ok(KeyMatch::Secret(0)));
}

/// `from_env` reads the real process environment, which a test may not change
/// in place (`set_var` is `unsafe`): this binary runs itself with the variables set.
fn run_env_child(test: &str, vars: &[(&str, std::ffi::OsString)]) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--ignored", "--test-threads=1"]);
    for provider in hookseal_core::ProviderId::ALL {
        command.env_remove(hookseal_core::env::var_name(provider));
    }
    command.env_remove(hookseal_core::env::SHARED_VAR);
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("test result: ok. 1 passed"), "{text}");
    text
}

fn probe_tags(secrets: &[Secret]) -> Vec<String> {
    secrets.iter().map(|secret| Signer::new(secret, Toran::SCHEME.format()).sign(b"probe")).collect()
}

#[test]
fn from_env_reads_the_process_environment() {
    run_env_child(
        "env_child_own_and_shared",
        &[
            ("HOOKSEAL_SECRET_TORAN", "toran-new toran-old".into()),
            ("HOOKSEAL_SECRET_TUCO", "tuco".into()),
            ("HOOKSEAL_SECRET", "shared one".into()),
        ],
    );
    use std::os::unix::ffi::OsStringExt;
    run_env_child(
        "env_child_not_unicode",
        &[
            ("HOOKSEAL_SECRET_TUCO", std::ffi::OsString::from_vec(b"\xff\xfe".to_vec())),
            ("HOOKSEAL_SECRET", "s".into()),
        ],
    );
}

#[test]
#[ignore = "run by from_env_reads_the_process_environment, with its variables set"]
fn env_child_own_and_shared() {
    use hookseal_core::ProviderId;
    use hookseal_core::env::{ProviderSecrets, SecretOrigin};
    let secrets = ProviderSecrets::from_env().unwrap();
    let tags_of = |texts: &[&str]| probe_tags(&texts.iter().map(|t| Secret::new(*t).unwrap()).collect::<Vec<_>>());
    assert_eq!(probe_tags(secrets.get(ProviderId::Toran)), tags_of(&["toran-new", "toran-old"]));
    assert_eq!(probe_tags(secrets.get(ProviderId::Tuco)), tags_of(&["tuco"]));
    for provider in [ProviderId::Tocc, ProviderId::Zapito, ProviderId::ConnectGain] {
        assert_eq!(probe_tags(secrets.get(provider)), tags_of(&["shared one"]));
        assert_eq!(secrets.origin(provider), SecretOrigin::Shared);
    }
    assert_eq!(secrets.origin(ProviderId::Toran), SecretOrigin::Own);
}

#[test]
#[ignore = "run by from_env_reads_the_process_environment, with its variables set"]
fn env_child_not_unicode() {
    assert_eq!(
        hookseal_core::env::ProviderSecrets::from_env().unwrap_err(),
        SecretsError::NotUnicode { var: "HOOKSEAL_SECRET_TUCO".to_owned() }
    );
}

#[test]
fn echoed_text_is_kept_to_160_bytes_on_a_char_boundary() {
    let exactly = "m".repeat(160);
    assert_eq!(BodyError::schema("", exactly.clone()).message(), exactly);
    assert_eq!(BodyError::schema("", "m".repeat(161)).message(), format!("{exactly}…"));
    // 161 bytes whose byte 160 is inside a two-byte character: cut before it.
    let accented = format!("a{}", "é".repeat(80));
    assert_eq!(accented.len(), 161);
    assert_eq!(BodyError::schema("", accented).message(), format!("a{}…", "é".repeat(79)));
    let path = "p".repeat(161);
    assert_eq!(BodyError::schema(path, "m").path(), format!("{}…", "p".repeat(160)));
}
