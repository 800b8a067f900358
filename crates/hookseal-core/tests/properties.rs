//! Properties: signing then verifying always holds, any one flipped bit never
//! verifies, and every typed event survives serialize → parse unchanged,
//! whatever its untyped fields hold and whatever unknown keys its objects carry.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use chrono::{DateTime, TimeZone, Utc};
use hookseal_core::{
    ConnectGain, Error, Extra, KeyMatch, Provider, Secret, SignatureFormat, Signer, Text, Tocc, Toran, Tuco, Verifier,
    WebhookEvent, Zapito, connectgain, tocc, toran, tuco, zapito,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

fn secret() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 1..80)
}

fn format() -> impl Strategy<Value = SignatureFormat> {
    prop_oneof![Just(SignatureFormat::Sha256Prefixed), Just(SignatureFormat::BareHex)]
}

fn headers(name: &str, value: String) -> [(String, String); 1] {
    [(name.to_owned(), value)]
}

fn verify_custom(secret: &[u8], format: SignatureFormat, signature: String, body: &[u8]) -> Result<KeyMatch, Error> {
    let scheme = hookseal_core::Scheme::new("X-Signature", format);
    let verifier = Verifier::<hookseal_core::Custom>::new(Secret::from_bytes(secret).unwrap()).with_scheme(scheme);
    verifier.verify(&headers("x-signature", signature), body)
}

proptest! {
    #[test]
    fn sign_then_verify_always_holds(secret in secret(), body in vec(any::<u8>(), 0..2048), format in format()) {
        let signature = Signer::new(&Secret::from_bytes(secret.clone()).unwrap(), format).sign(&body);
        prop_assert_eq!(verify_custom(&secret, format, signature, &body), Ok(KeyMatch::Secret(0)));
    }

    #[test]
    fn flipping_any_body_bit_never_verifies(
        secret in secret(), body in vec(any::<u8>(), 1..512), bit in any::<prop::sample::Index>(), format in format(),
    ) {
        let signature = Signer::new(&Secret::from_bytes(secret.clone()).unwrap(), format).sign(&body);
        let mut flipped = body.clone();
        let bit = bit.index(body.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(verify_custom(&secret, format, signature, &flipped), Err(Error::SignatureMismatch));
    }

    #[test]
    fn flipping_any_signature_bit_never_verifies(
        secret in secret(), body in vec(any::<u8>(), 0..512), bit in 0usize..256, format in format(),
    ) {
        let signer = Signer::new(&Secret::from_bytes(secret.clone()).unwrap(), format);
        let mut tag = signer.mac(&body);
        tag[bit / 8] ^= 1 << (bit % 8);
        let result = verify_custom(&secret, format, format.encode(&tag), &body);
        prop_assert_eq!(result, Err(Error::SignatureMismatch));
    }

    #[test]
    fn flipping_any_bit_of_the_header_text_never_verifies(
        secret in secret(), body in vec(any::<u8>(), 0..256), index in any::<prop::sample::Index>(), bit in 0u8..8,
    ) {
        let signature = Signer::new(&Secret::from_bytes(secret.clone()).unwrap(), SignatureFormat::Sha256Prefixed).sign(&body);
        let mut bytes = signature.clone().into_bytes();
        let at = index.index(bytes.len());
        bytes[at] ^= 1 << bit;
        let flipped = String::from_utf8_lossy(&bytes).into_owned();
        // Only a change of case inside the hex digits keeps the same value.
        let same_value = at >= "sha256=".len() && flipped.eq_ignore_ascii_case(&signature);
        let result = verify_custom(&secret, SignatureFormat::Sha256Prefixed, flipped, &body);
        prop_assert_eq!(result.is_ok(), same_value);
    }

    #[test]
    fn tocc_events_round_trip(event in tocc_event()) {
        round_trip::<Tocc>(&event)?;
    }

    #[test]
    fn toran_events_round_trip(event in toran_event()) {
        round_trip::<Toran>(&event)?;
    }

    #[test]
    fn zapito_events_round_trip(event in zapito_event()) {
        round_trip::<Zapito>(&event)?;
    }

    #[test]
    fn tuco_events_round_trip(event in tuco_event()) {
        round_trip::<Tuco>(&event)?;
    }

    #[test]
    fn connectgain_events_round_trip(event in connectgain_event()) {
        round_trip::<ConnectGain>(&event)?;
    }
}

/// Serialize, sign, verify and parse: the event that comes out equals the one that went in.
fn round_trip<P: Provider>(event: &P::Event) -> Result<(), TestCaseError> {
    let body = event.to_json();
    let parsed = P::Event::from_slice(&body)
        .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&body))))?;
    prop_assert_eq!(&parsed, event);
    let secret = Secret::new("round trip").unwrap();
    let signature = Signer::new(&secret, P::SCHEME.format()).sign(&body);
    let event_header = P::SCHEME.event_header().unwrap();
    let headers = [(P::SCHEME.signature_header(), signature), (event_header, event.name().to_owned())];
    let verified =
        Verifier::<P>::new(secret).verify_event(&headers, &body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&verified, event);
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    ".{0,24}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

/// A field of undocumented type: mostly a string, else a number or any other JSON value.
fn tx() -> BoxedStrategy<Text> {
    prop_oneof![
        6 => text().prop_map(Text::from),
        2 => any::<u64>().prop_map(|n| Text::from(&Value::from(n))),
        1 => (-1e12f64..1e12).prop_map(|f| Text::from(&Value::from(f))),
        1 => json().prop_map(|v| Text::from(&v)),
    ]
    .boxed()
}

fn opt_tx() -> BoxedStrategy<Option<Text>> {
    option::of(tx()).boxed()
}

/// Any JSON value (that is not null at the top, so that it survives an `Option`).
fn json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    tree.prop_filter("not null", |v| !v.is_null()).boxed()
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![(0u32..100_000).prop_map(f64::from), (0.0f64..1e9)]
}

/// Extra keys that cannot collide with typed field names.
fn extra() -> impl Strategy<Value = Extra> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
        vec(text(), 0..3).prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
    ];
    btree_map("x_[a-z]{1,8}", value, 0..4).prop_map(|m| m.into_iter().collect())
}

fn open<T: for<'a> From<&'a str> + std::fmt::Debug>(known: &'static [&'static str]) -> impl Strategy<Value = T> {
    prop_oneof![
        prop::sample::select(known).prop_map(T::from),
        "[a-z_]{1,12}".prop_filter("unknown value", move |v| !known.contains(&v.as_str())).prop_map(|v| T::from(&v)),
    ]
}

fn tocc_payload<D: std::fmt::Debug + Clone + 'static>(
    data: impl Strategy<Value = D> + 'static,
) -> BoxedStrategy<tocc::Payload<D>> {
    ((tx(), tx(), tx(), tx(), tx()), time(), opt_tx(), data, extra())
        .prop_map(|((id, business_id, alias, alias_email, business_name), timestamp, version, data, extra)| {
            tocc::Payload { id, business_id, alias, alias_email, business_name, timestamp, version, data, extra }
        })
        .boxed()
}

fn tocc_event() -> impl Strategy<Value = tocc::Event> {
    prop_oneof![
        tocc_payload((any::<bool>(), opt_tx(), tx(), opt_tx(), opt_tx(), opt_text(), extra()).prop_map(
            |(test, customer_id, email, name, source, stage, extra)| tocc::LeadNew {
                test,
                customer_id,
                email,
                name,
                source,
                stage,
                extra,
            }
        ))
        .prop_map(tocc::Event::LeadNew),
        tocc_payload((tx(), tx(), opt_tx(), vec(text(), 0..4), extra()).prop_map(
            |(customer_id, email, name, changed_fields, extra)| {
                tocc::CustomerUpdated { customer_id, email, name, changed_fields, extra }
            }
        ))
        .prop_map(tocc::Event::CustomerUpdated),
        tocc_payload((tx(), tx(), opt_tx(), number(), extra()).prop_map(
            |(customer_id, email, name, days_since_last, extra)| {
                tocc::CustomerReturning { customer_id, email, name, days_since_last, extra }
            }
        ))
        .prop_map(tocc::Event::CustomerReturning),
        tocc_payload((tx(), tx(), text(), extra()).prop_map(|(customer_id, thread_id, reason, extra)| {
            tocc::ConversationEscalated { customer_id, thread_id, reason, extra }
        }))
        .prop_map(tocc::Event::ConversationEscalated),
        tocc_payload((tx(), tx(), text(), extra()).prop_map(|(customer_id, thread_id, resolution_type, extra)| {
            tocc::ConversationResolved { customer_id, thread_id, resolution_type, extra }
        }))
        .prop_map(tocc::Event::ConversationResolved),
        tocc_payload((tx(), tx(), opt_tx(), tx(), number(), extra()).prop_map(
            |(customer_id, email, name, thread_id, hours_since, extra)| tocc::LeadStalled {
                customer_id,
                email,
                name,
                thread_id,
                hours_since,
                extra,
            }
        ))
        .prop_map(tocc::Event::LeadStalled),
    ]
}

fn toran_event() -> impl Strategy<Value = toran::Event> {
    let metadata = (opt_tx(), opt_tx(), opt_tx(), opt_tx(), opt_tx(), any::<bool>(), extra()).prop_map(
        |(notes, utm_source, utm_medium, utm_campaign, company_name, test, extra)| toran::Metadata {
            notes,
            utm_source,
            utm_medium,
            utm_campaign,
            company_name,
            test,
            extra,
        },
    );
    let lead = (
        (text(), text(), opt_text(), opt_text(), opt_text()),
        (option::of(0.0f64..=100.0), option::of(open(toran::Tier::KNOWN)), opt_text(), time(), metadata, extra()),
    )
        .prop_map(
            |((lead_id, widget_id, name, email, phone), (score, tier, source, timestamp, metadata, extra))| {
                toran::Lead { lead_id, widget_id, name, email, phone, score, tier, source, timestamp, metadata, extra }
            },
        );
    (any::<bool>(), lead)
        .prop_map(|(test, lead)| if test { toran::Event::LeadTest(lead) } else { toran::Event::LeadCaptured(lead) })
}

fn zapito_event() -> impl Strategy<Value = zapito::Event> {
    let message = (option::of(open(zapito::Role::KNOWN)), tx(), option::of(time()), extra())
        .prop_map(|(role, content, at, extra)| zapito::Message { role, content, at, extra });
    let conversation = (tx(), open(zapito::Channel::KNOWN), opt_tx(), opt_tx(), tx(), extra()).prop_map(
        |(id, channel, external_id, contact_name, status, extra)| zapito::Conversation {
            id,
            channel,
            external_id,
            contact_name,
            status,
            extra,
        },
    );
    let bot = (tx(), tx(), extra()).prop_map(|(id, name, extra)| zapito::Bot { id, name, extra });
    (time(), open(zapito::Reason::KNOWN), bot, conversation, vec(message, 0..10), extra()).prop_map(
        |(at, reason, bot, conversation, transcript, extra)| {
            zapito::Event::LeadHandoff(zapito::Handoff { at, reason, bot, conversation, transcript, extra })
        },
    )
}

fn tuco_event() -> impl Strategy<Value = tuco::Event> {
    let data = (
        (tx(), opt_tx(), opt_tx(), opt_tx(), opt_tx()),
        (opt_tx(), opt_tx(), option::of(vec(text(), 0..3)), option::of(vec(text(), 0..3)), extra()),
    )
        .prop_map(
            |(
                (message_id, recipient_phone, message, status, line_id),
                (first_name, last_name, attachment_urls, attachment_names, extra),
            )| {
                tuco::MessageData {
                    message_id,
                    recipient_phone,
                    message,
                    status,
                    line_id,
                    first_name,
                    last_name,
                    attachment_urls,
                    attachment_names,
                    extra,
                }
            },
        );
    let payload = (time(), opt_tx(), any::<bool>(), data, extra()).prop_map(
        |(timestamp, workspace_id, test_mode, data, extra)| tuco::Payload {
            timestamp,
            workspace_id,
            test_mode,
            data,
            extra,
        },
    );
    (0..5usize, payload).prop_map(|(which, payload)| match which {
        0 => tuco::Event::MessageSent(payload),
        1 => tuco::Event::MessageFailed(payload),
        2 => tuco::Event::MessageFallback(payload),
        3 => tuco::Event::MessageReply(payload),
        _ => tuco::Event::MessageOpened(payload),
    })
}

fn connectgain_event() -> impl Strategy<Value = connectgain::Event> {
    use connectgain::{Event, Payload};
    let contact = || {
        (opt_tx(), opt_tx(), opt_tx(), opt_tx(), extra()).prop_map(|(id, organization_id, first_name, email, extra)| {
            connectgain::Contact { id, organization_id, first_name, email, extra, ..Default::default() }
        })
    };
    let deal = (opt_tx(), opt_tx(), option::of(number()), extra())
        .prop_map(|(id, stage, value, extra)| connectgain::Deal { id, stage, value, extra, ..Default::default() });
    let conversation = (
        opt_tx(),
        option::of(open(connectgain::ConversationStatus::KNOWN)),
        option::of(open(connectgain::ConversationStatus::KNOWN)),
        extra(),
    )
        .prop_map(|(id, status, previous_status, extra)| connectgain::Conversation {
            id,
            status,
            previous_status,
            extra,
            ..Default::default()
        });
    let message = || {
        (opt_tx(), opt_tx(), opt_tx(), extra()).prop_map(|(id, content, error, extra)| connectgain::Message {
            id,
            content,
            error,
            extra,
            ..Default::default()
        })
    };
    let recording =
        (opt_tx(), opt_tx(), option::of(number()), extra()).prop_map(|(id, meeting_id, duration, extra)| {
            connectgain::Recording { id, meeting_id, duration, extra, ..Default::default() }
        });
    fn payload<D: std::fmt::Debug>(data: impl Strategy<Value = D>) -> impl Strategy<Value = Payload<D>> {
        (time(), data, extra()).prop_map(|(timestamp, data, extra)| Payload { timestamp, data, extra })
    }
    prop_oneof![
        payload(contact()).prop_map(Event::ContactCreated),
        payload(contact()).prop_map(Event::ContactAssigned),
        payload(deal).prop_map(Event::DealStageChanged),
        payload(conversation).prop_map(Event::ConversationStatusChanged),
        payload(message()).prop_map(Event::MessageFailed),
        payload(message()).prop_map(Event::MessageReceived),
        payload(recording).prop_map(Event::ZoomRecordingCompleted),
    ]
}
