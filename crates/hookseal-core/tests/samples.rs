//! The bundled samples: each parses into its typed (not unknown) event, says
//! whether it is a test, and serializes back to JSON that parses equal.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use hookseal_core::{
    ConnectGain, Provider, ProviderId, Tocc, Toran, Tuco, WebhookEvent, Zapito, connectgain, samples, tocc, toran,
    tuco, zapito,
};

fn check<P: Provider>(sample: &samples::Sample, is_unknown: fn(&P::Event) -> bool) {
    let event =
        P::Event::from_slice(sample.body).unwrap_or_else(|e| panic!("{}/{}: {e}", sample.provider, sample.name));
    assert!(!is_unknown(&event), "{}/{} parsed as unknown", sample.provider, sample.name);
    assert_eq!(event.name(), sample.event);
    assert_eq!(event.is_test(), sample.is_test, "{}/{}", sample.provider, sample.name);
    assert!(event.occurred_at().is_some());
    assert!(!event.idempotency_key().is_empty());
    assert_eq!(P::Event::from_slice(&event.to_json()).unwrap(), event, "{}/{}", sample.provider, sample.name);
    assert!(!sample.body.ends_with(b"\n"), "samples are compact, as sent");
}

#[test]
fn every_sample_parses_into_its_typed_event() {
    for sample in samples::all() {
        match sample.provider {
            ProviderId::Tocc => check::<Tocc>(sample, |e| matches!(e, tocc::Event::Unknown(_))),
            ProviderId::Toran => check::<Toran>(sample, |e| matches!(e, toran::Event::Unknown(_))),
            ProviderId::Zapito => check::<Zapito>(sample, |e| matches!(e, zapito::Event::Unknown(_))),
            ProviderId::Tuco => check::<Tuco>(sample, |e| matches!(e, tuco::Event::Unknown(_))),
            ProviderId::ConnectGain => check::<ConnectGain>(sample, |e| matches!(e, connectgain::Event::Unknown(_))),
            other => panic!("unexpected provider {other}"),
        }
    }
}

#[test]
fn each_provider_has_exactly_one_test_event() {
    for provider in ProviderId::ALL {
        assert_eq!(samples::for_provider(provider).filter(|s| s.is_test).count(), 1, "{provider}");
        let test = samples::test_event(provider);
        assert_eq!(test.provider, provider);
        assert!(test.is_test);
    }
}

#[test]
fn compact_samples_serialize_back_byte_for_byte() {
    // The typed model is faithful to the wire layout: key order, casing, nesting, number format.
    for sample in samples::all() {
        let again = match sample.provider {
            ProviderId::Tocc => tocc::Event::from_slice(sample.body).unwrap().to_json(),
            ProviderId::Toran => toran::Event::from_slice(sample.body).unwrap().to_json(),
            ProviderId::Zapito => zapito::Event::from_slice(sample.body).unwrap().to_json(),
            ProviderId::Tuco => tuco::Event::from_slice(sample.body).unwrap().to_json(),
            ProviderId::ConnectGain => connectgain::Event::from_slice(sample.body).unwrap().to_json(),
            other => panic!("unexpected provider {other}"),
        };
        assert_eq!(
            String::from_utf8(again).unwrap(),
            std::str::from_utf8(sample.body).unwrap(),
            "{}/{}",
            sample.provider,
            sample.name
        );
    }
}

#[test]
fn unknown_events_are_kept_not_rejected() {
    let body = br#"{"event":"contact.merged","timestamp":"2026-04-20T16:02:11Z","data":{"id":"c9","organization_id":"o1","into":"c1"}}"#;
    let event = connectgain::Event::from_slice(body).unwrap();
    let connectgain::Event::Unknown(unknown) = &event else { panic!("expected Unknown, got {event:?}") };
    assert_eq!(unknown.name(), "contact.merged");
    assert_eq!(unknown.raw().get().as_bytes(), body);
    assert_eq!(event.idempotency_key(), "contact.merged:c9:2026-04-20T16:02:11Z");
    assert_eq!(event.occurred_at().unwrap().to_rfc3339(), "2026-04-20T16:02:11+00:00");
    assert_eq!(event.to_json(), body);

    // Even a shape the typed events would refuse is kept when its name is unknown.
    let odd = br#"{"eventType":"invoice.paid","amount":12}"#;
    let event = tocc::Event::from_slice(odd).unwrap();
    assert_eq!(event.name(), "invoice.paid");
    assert!(event.idempotency_key().starts_with("sha256:"));
    assert_eq!(event.occurred_at(), None);
}

#[test]
fn known_event_with_a_broken_shape_is_an_error() {
    let body = br#"{"eventType":"lead.new","amount":12}"#;
    assert!(tocc::Event::from_slice(body).is_err());
    assert!(toran::Event::from_slice(br#"{"lead_id":"x"}"#).is_err(), "no event name at all");
}

#[test]
fn open_enums_keep_unknown_values() {
    let sample = samples::find(ProviderId::Toran, "lead.captured").unwrap();
    let body = std::str::from_utf8(sample.body).unwrap().replace(r#""tier":"hot""#, r#""tier":"lukewarm""#);
    let event = toran::Event::from_slice(body.as_bytes()).unwrap();
    assert_eq!(event.lead().unwrap().tier, Some(toran::Tier::Other("lukewarm".into())));
    assert!(String::from_utf8(event.to_json()).unwrap().contains(r#""tier":"lukewarm""#));
}

#[test]
fn unknown_fields_are_kept_at_the_top_level_and_in_metadata() {
    let sample = samples::find(ProviderId::Toran, "lead.captured").unwrap();
    let body =
        std::str::from_utf8(sample.body).unwrap().replacen('{', r#"{"brand_new_top_level":[1,2,{"x":null}],"#, 1);
    let event = toran::Event::from_slice(body.as_bytes()).unwrap();
    let lead = event.lead().unwrap();
    assert_eq!(lead.extra.get_raw("brand_new_top_level").unwrap().get(), r#"[1,2,{"x":null}]"#);
    assert_eq!(lead.metadata.extra.get("landing_variant"), Some("pricing-b".into()));
    // Nothing else differs from the sample, and the new key survives `to_json`.
    let mut plain = toran::Event::from_slice(sample.body).unwrap();
    let toran::Event::LeadCaptured(plain_lead) = &mut plain else { panic!("not a capture") };
    plain_lead.extra = lead.extra.clone();
    assert_eq!(event, plain);
    let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
    assert_eq!(json, serde_json::from_str::<serde_json::Value>(&body).unwrap());
}

#[test]
fn all_holds_every_documented_event_and_find_takes_a_sample_or_an_event_name() {
    // Every documented event has a sample (and nothing else does); one test sample per provider.
    let sampled: std::collections::BTreeSet<(ProviderId, &str)> =
        samples::all().iter().map(|s| (s.provider, s.event)).collect();
    let documented: std::collections::BTreeSet<(ProviderId, &str)> =
        ProviderId::ALL.into_iter().flat_map(|p| p.events().iter().map(move |e| (p, *e))).collect();
    assert_eq!(sampled, documented);
    assert!(documented.len() > 30, "{}", documented.len());
    assert_eq!(samples::all().iter().filter(|s| s.is_test).count(), 5);
    // By sample name: the test sample, though its event is an ordinary one.
    let test = samples::find(ProviderId::Tocc, "test").unwrap();
    assert!(test.is_test && test.event == "lead.new");
    // By event name: every event has a sample named after it, not the test one.
    for provider in ProviderId::ALL {
        for event in provider.events() {
            let sample = samples::find(provider, event).unwrap_or_else(|| panic!("{provider} {event}"));
            assert_eq!(sample.event, *event);
            // The test sample only for an event that is the provider's test (`lead.test`, `webhook.test`).
            let only_tests = samples::for_provider(provider).filter(|s| s.event == *event).all(|s| s.is_test);
            assert_eq!(sample.is_test, only_tests, "{provider} {event}");
        }
    }
    let lead = samples::find(ProviderId::Tocc, "lead.new").unwrap();
    assert!(!lead.is_test && lead.name == "lead.new");
    let handoff = samples::find(ProviderId::Zapito, "lead.handoff").unwrap();
    assert!(!handoff.is_test && handoff.event == "lead.handoff");
    // Only the provider's own samples.
    assert!(samples::find(ProviderId::Toran, "message.sent").is_none());
    assert!(samples::find(ProviderId::Tuco, "message.sent").is_some());
    assert!(samples::find(ProviderId::Tuco, "no.such.event").is_none());
}

/// Each provider's documented idempotency key, computed from the sample's JSON.
fn documented_key(provider: ProviderId, json: &serde_json::Value) -> String {
    let text = |pointer: &str| match json.pointer(pointer) {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => panic!("{provider}: no {pointer} in {json}"),
    };
    match provider {
        ProviderId::Tocc => text("/id"),
        ProviderId::Toran => text("/lead_id"),
        ProviderId::Zapito => format!("{}:{}", text("/conversation/id"), text("/at")),
        ProviderId::Tuco => format!("{}:{}", text("/data/messageId"), text("/event")),
        ProviderId::ConnectGain => format!("{}:{}:{}", text("/event"), text("/data/id"), text("/timestamp")),
        other => panic!("unexpected provider {other}"),
    }
}

#[test]
fn every_sample_has_its_providers_documented_idempotency_key() {
    for sample in samples::all() {
        let json: serde_json::Value = serde_json::from_slice(sample.body).unwrap();
        let expected = documented_key(sample.provider, &json);
        let key = match sample.provider {
            ProviderId::Tocc => Tocc::parse(sample.body).idempotency_key().into_owned(),
            ProviderId::Toran => Toran::parse(sample.body).idempotency_key().into_owned(),
            ProviderId::Zapito => {
                let event = Zapito::parse(sample.body);
                if let zapito::Event::LeadHandoff(handoff) = &event {
                    assert_eq!(handoff.idempotency_key(), event.idempotency_key(), "{}", sample.name);
                }
                event.idempotency_key().into_owned()
            }
            ProviderId::Tuco => Tuco::parse(sample.body).idempotency_key().into_owned(),
            ProviderId::ConnectGain => ConnectGain::parse(sample.body).idempotency_key().into_owned(),
            other => panic!("unexpected provider {other}"),
        };
        assert_eq!(key, expected, "{}/{}", sample.provider, sample.name);
    }
}

#[test]
fn a_zapito_event_of_another_name_in_the_handoff_shape_is_unknown() {
    let handoff = samples::find(ProviderId::Zapito, "lead.handoff").unwrap();
    let renamed = String::from_utf8(handoff.body.to_vec()).unwrap().replacen("lead.handoff", "lead.returned", 1);
    let event = zapito::Event::from_json(&renamed).unwrap();
    assert!(matches!(event, zapito::Event::Unknown(_)), "{event:?}");
    assert_eq!(event.name(), "lead.returned");
}

trait Parse: Provider {
    fn parse(body: &[u8]) -> Self::Event {
        Self::Event::from_slice(body).unwrap()
    }
}

impl<P: Provider> Parse for P {}
