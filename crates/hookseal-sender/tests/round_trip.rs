//! Sender → loopback HTTP → a receiver built on the core only, for every bundled sample.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use common::{RecordingSleeper, VerifyingServer};
use hookseal_core::chrono::{self, DateTime, Utc};
use hookseal_core::{
    ConnectGain, Error, Provider, ProviderId, Secret, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito, samples,
};
use hookseal_sender::{Delivery, EndpointPolicy, Outcome, Sender};

fn local_sender(sleeper: &RecordingSleeper) -> Sender {
    Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development()).sleeper(sleeper.clone())
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Checks the headers every provider sends, and the provider's own.
fn assert_provider_headers(id: ProviderId, hit: &common::Hit, event: &str, before: DateTime<Utc>) {
    let scheme = id.scheme();
    assert_eq!(hit.header("content-type"), Some("application/json"), "{id}");
    assert_eq!(hit.header_count(scheme.signature_header()), 1, "{id}: one signature header");
    assert_eq!(hit.header(scheme.event_header().unwrap()), Some(event), "{id}: event header mirrors the body");
    let after = Utc::now();
    match id {
        ProviderId::Toran => assert_eq!(hit.header("user-agent"), Some("Toran-Webhook/1.0")),
        ProviderId::Tuco | ProviderId::ConnectGain => {
            let name = if id == ProviderId::Tuco { "x-tuco-timestamp" } else { "x-webhook-timestamp" };
            let value = hit.header(name).unwrap_or_else(|| panic!("{id}: {name} missing"));
            assert!(value.ends_with('Z') && value.len() == "2026-04-15T12:00:00.000Z".len(), "{value}");
            let sent = parse_time(value);
            // Millisecond precision: the send time, truncated.
            assert!(sent >= before - chrono::TimeDelta::milliseconds(1) && sent <= after, "{value} not now");
        }
        _ => {}
    }
    if id != ProviderId::Toran {
        assert_eq!(hit.header("user-agent"), None, "{id} sends no User-Agent");
    }
    for other in ["x-tuco-timestamp", "x-webhook-timestamp"] {
        let own = matches!(
            (id, other),
            (ProviderId::Tuco, "x-tuco-timestamp") | (ProviderId::ConnectGain, "x-webhook-timestamp")
        );
        assert_eq!(hit.header(other).is_some(), own, "{id}: {other}");
    }
}

/// Sends every sample of `P`, as raw bytes and as a typed event, and checks
/// the receiver verified each into the event that was sent. Returns how many
/// samples went through.
async fn round_trip<P: Provider + DefaultTarget>(id: ProviderId) -> usize {
    let secret = Secret::new(format!("{}-round-trip-secret", P::NAME)).unwrap();
    let mut server = VerifyingServer::<P>::start(Verifier::<P>::new(secret.clone())).await;
    let sleeper = RecordingSleeper::default();
    let sender = local_sender(&sleeper);
    // The provider marker type and the ProviderId build the same deliveries.
    let endpoint = Delivery::builder(P::default_target(), server.url()).secret(secret);
    assert_eq!(endpoint.target(), hookseal_sender::Target::from(id));

    let mut count = 0;
    for sample in samples::for_provider(id) {
        let expected = P::Event::from_slice(sample.body).unwrap();
        assert_eq!(expected.name(), sample.event);
        assert_eq!(expected.is_test(), sample.is_test, "{id}/{}", sample.name);

        // Raw bytes: sent byte for byte.
        let before = Utc::now();
        let delivery = endpoint.json(sample.body).unwrap();
        let log = sender.send(&delivery).await.unwrap();
        assert_eq!(log.outcome, Outcome::Sent, "{id}/{}: {log:?}", sample.name);
        assert_eq!(log.attempts.len(), 1);
        assert_eq!(log.attempts[0].status, Some(204));
        assert_eq!(log.event, sample.event);
        let seen = server.next().await;
        assert_eq!(seen.hit.body.as_ref(), sample.body, "{id}/{}: bytes unchanged", sample.name);
        assert_eq!(seen.result.as_ref().unwrap(), &expected, "{id}/{}", sample.name);
        assert_eq!(seen.hit.path, format!("/hooks/{}", P::NAME));
        assert_provider_headers(id, &seen.hit, sample.event, before);
        assert_eq!(
            seen.hit.header(id.scheme().signature_header()),
            delivery.header(id.scheme().signature_header()),
            "the signature that was prepared is the one that arrived"
        );

        // Typed: serialized with the provider's wire JSON.
        let before = Utc::now();
        let typed = endpoint.event(&expected).unwrap();
        assert_eq!(typed.body().as_ref(), expected.to_json().as_slice());
        assert_eq!(typed.body().as_ref(), sample.body, "{id}/{}: typed wire JSON is the sample", sample.name);
        let log = sender.send(&typed).await.unwrap();
        assert_eq!(log.outcome, Outcome::Sent, "{id}/{} typed: {log:?}", sample.name);
        let seen = server.next().await;
        assert_eq!(seen.result.unwrap(), expected, "{id}/{} typed", sample.name);
        assert_provider_headers(id, &seen.hit, sample.event, before);
        count += 1;
    }
    server.assert_idle();
    assert!(sleeper.delays().is_empty(), "nothing was retried");
    count
}

/// The marker type as a `Target`, so the test drives the marker-type API.
trait DefaultTarget {
    fn default_target() -> hookseal_sender::Target;
}

impl<P: Provider + Default> DefaultTarget for P
where
    hookseal_sender::Target: From<P>,
{
    fn default_target() -> hookseal_sender::Target {
        P::default().into()
    }
}

#[tokio::test]
async fn every_sample_of_every_provider_verifies_at_a_core_receiver() {
    let sent = round_trip::<Tocc>(ProviderId::Tocc).await
        + round_trip::<Toran>(ProviderId::Toran).await
        + round_trip::<Zapito>(ProviderId::Zapito).await
        + round_trip::<Tuco>(ProviderId::Tuco).await
        + round_trip::<ConnectGain>(ProviderId::ConnectGain).await;
    assert_eq!(sent, samples::all().len());

    // That is every documented event (31) and every provider's test event.
    let events: BTreeSet<(ProviderId, &str)> = samples::all().iter().map(|s| (s.provider, s.event)).collect();
    let documented: BTreeSet<(ProviderId, &str)> =
        ProviderId::ALL.iter().flat_map(|p| p.events().iter().map(move |e| (*p, *e))).collect();
    assert_eq!(events, documented);
    for provider in ProviderId::ALL {
        assert!(samples::for_provider(provider).any(|s| s.is_test), "{provider} test event");
    }
}

#[tokio::test]
async fn test_events_are_the_bundled_samples_and_verify() {
    let secret = Secret::new("test-button").unwrap();
    let mut server = VerifyingServer::<Zapito>::start(Verifier::new(secret.clone())).await;
    let sender = local_sender(&RecordingSleeper::default());
    let delivery = Delivery::builder(Zapito, server.url()).secret(secret).test_event().unwrap();
    assert_eq!(delivery.body().as_ref(), samples::test_event(ProviderId::Zapito).body);
    assert!(sender.send(&delivery).await.unwrap().is_sent());
    let event = server.next().await.result.unwrap();
    assert!(event.is_test());
}

#[tokio::test]
async fn connectgain_without_a_secret_sends_no_signature_header() {
    // A receiver that insists on a signature refuses it...
    let mut strict = VerifyingServer::<ConnectGain>::start(Verifier::new(Secret::new("x").unwrap())).await;
    // ...one that explicitly accepts unsigned ConnectGain requests takes it.
    let mut lenient =
        VerifyingServer::<ConnectGain>::start(Verifier::new(Secret::new("x").unwrap()).accept_unsigned_insecure())
            .await;
    let sender = local_sender(&RecordingSleeper::default());
    let body = samples::find(ProviderId::ConnectGain, "contact.created").unwrap().body;

    let to_strict = Delivery::builder(ProviderId::ConnectGain, strict.url()).unsigned().json(body).unwrap();
    assert_eq!(to_strict.header("X-Webhook-Signature"), None);
    let log = sender.send(&to_strict).await.unwrap();
    assert_eq!((log.outcome, log.attempts.len(), log.last_status()), (Outcome::Failed, 1, Some(401)));
    let seen = strict.next().await;
    assert!(matches!(seen.result, Err(Error::MissingSignature { .. })));
    assert_eq!(seen.hit.header("x-webhook-signature"), None);
    assert_eq!(seen.hit.header("x-webhook-event"), Some("contact.created"));
    assert!(seen.hit.header("x-webhook-timestamp").is_some());

    let to_lenient = Delivery::builder(ProviderId::ConnectGain, lenient.url()).unsigned().json(body).unwrap();
    assert!(sender.send(&to_lenient).await.unwrap().is_sent());
    assert_eq!(lenient.next().await.result.unwrap().name(), "contact.created");
}

#[tokio::test]
async fn a_mismatched_event_header_is_refused_by_the_receiver() {
    let secret = Secret::new("s").unwrap();
    let mut server = VerifyingServer::<Tuco>::start(Verifier::new(secret.clone())).await;
    let sender = local_sender(&RecordingSleeper::default());
    let delivery = Delivery::builder(Tuco, server.url())
        .secret(secret)
        .event_name("message.failed")
        .json(samples::find(ProviderId::Tuco, "message.reply").unwrap().body)
        .unwrap();
    assert_eq!(delivery.header("X-Tuco-Event"), Some("message.failed"));
    let log = sender.send(&delivery).await.unwrap();
    let err = server.next().await.result.unwrap_err();
    assert!(matches!(err, Error::EventMismatch { .. }), "{err:?}");
    assert_eq!(log.last_status(), Some(err.status()));
    assert_eq!(log.outcome, Outcome::Failed);
}

/// The repository's known-answer fixtures: pretty-printed and otherwise
/// re-laid-out bodies, signed by an independent implementation (Python's
/// `hmac`). Sent raw, they must carry exactly that signature and arrive byte
/// for byte.
#[tokio::test]
async fn fixture_bodies_carry_the_independently_computed_signature() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let secret = Secret::new("hookseal-fixture-secret").unwrap();
    let mut server = common::ScriptedServer::start(vec![common::Reply::Status(200)]).await;
    let sender = local_sender(&RecordingSleeper::default());
    let mut checked = 0;
    for sample in samples::all() {
        let dir = root.join(sample.provider.name());
        let body = std::fs::read(dir.join(format!("{}.json", sample.name))).unwrap();
        let signature = std::fs::read_to_string(dir.join(format!("{}.sig", sample.name))).unwrap();
        let delivery = Delivery::builder(sample.provider, server.url("/fixture"))
            .secret(secret.clone())
            .json(body.clone())
            .unwrap();
        let scheme = sample.provider.scheme();
        assert_eq!(delivery.header(scheme.signature_header()), Some(signature.as_str()), "{}", sample.name);
        assert_eq!(delivery.event(), sample.event);
        assert!(sender.send(&delivery).await.unwrap().is_sent());
        let hit = server.next_hit().await;
        assert_eq!(hit.body.as_ref(), body.as_slice(), "{}/{}: byte for byte", sample.provider, sample.name);
        assert_eq!(hit.header(scheme.signature_header()), Some(signature.as_str()));
        checked += 1;
    }
    assert_eq!(checked, 38);
    server.assert_no_hits();
}

/// Fresh samples: signed now, new identities, accepted by a receiver with a replay window.
async fn fresh_round_trip<P: Provider>(id: ProviderId) -> usize {
    let secret = Secret::new("fresh").unwrap();
    let window = std::time::Duration::from_secs(300);
    let mut server = VerifyingServer::<P>::start(Verifier::<P>::new(secret.clone()).replay_window(window)).await;
    let sender = local_sender(&RecordingSleeper::default());
    let endpoint = Delivery::builder(id, server.url()).secret(secret);
    let mut count = 0;
    for sample in samples::for_provider(id) {
        let original = P::Event::from_slice(sample.body).unwrap();
        let now = Utc::now();
        let body = hookseal_sender::fresh_sample(sample, now).unwrap();
        let fresh = P::Event::from_slice(&body).unwrap();
        assert_eq!((fresh.name(), fresh.is_test()), (original.name(), original.is_test()), "{id}/{}", sample.name);
        assert_ne!(fresh.idempotency_key(), original.idempotency_key(), "{id}/{}: a new identity", sample.name);
        let at = fresh.occurred_at().unwrap();
        assert!(at <= now && now - at < chrono::TimeDelta::seconds(1), "{id}/{}: {at} is now", sample.name);

        assert!(sender.send(&endpoint.json(body).unwrap()).await.unwrap().is_sent(), "{id}/{}", sample.name);
        assert_eq!(server.next().await.result.unwrap(), fresh);

        // The bundled bytes carry their fixed 2026 timestamps: the same receiver refuses them.
        let stale = sender.send(&endpoint.json(sample.body).unwrap()).await.unwrap();
        assert_eq!(stale.last_status(), Some(400), "{id}/{}", sample.name);
        let refused = server.next().await.result;
        assert!(matches!(refused, Err(Error::TimestampTooOld { .. } | Error::TimestampTooNew { .. })), "{refused:?}");
        count += 1;
    }
    count
}

#[tokio::test]
async fn fresh_samples_pass_a_replay_window_that_the_bundled_ones_fail() {
    let sent = fresh_round_trip::<Tocc>(ProviderId::Tocc).await
        + fresh_round_trip::<Toran>(ProviderId::Toran).await
        + fresh_round_trip::<Zapito>(ProviderId::Zapito).await
        + fresh_round_trip::<Tuco>(ProviderId::Tuco).await
        + fresh_round_trip::<ConnectGain>(ProviderId::ConnectGain).await;
    assert_eq!(sent, samples::all().len());
}
