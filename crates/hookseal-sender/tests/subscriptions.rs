//! ConnectGain-style webhook configurations: subscribed events go out, the rest are skipped.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::{RecordingSleeper, Reply, ScriptedServer, VerifyingServer};
use hookseal_core::{ConnectGain, ProviderId, Secret, Tuco, Verifier, WebhookEvent, connectgain, samples};
use hookseal_sender::{EndpointPolicy, Outcome, SendError, Sender, SkipReason, Target, WebhookConfig};

fn sender() -> Sender {
    Sender::new()
        .endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
        .sleeper(RecordingSleeper::default())
}

fn body(name: &str) -> &'static [u8] {
    samples::find(ProviderId::ConnectGain, name).unwrap().body
}

#[tokio::test]
async fn only_subscribed_events_are_sent() {
    let secret = Secret::new("cg-subscription-secret").unwrap();
    let mut server = VerifyingServer::<ConnectGain>::start(Verifier::new(secret.clone())).await;
    let crm =
        WebhookConfig::new("CRM sync", server.url()).events(["contact.created", "deal.stage.changed"]).secret(secret);
    let sender = sender();

    let log = sender.dispatch_json(&crm, body("contact.created")).await.unwrap();
    assert_eq!(log.outcome, Outcome::Sent);
    assert_eq!(log.webhook.as_deref(), Some("CRM sync"));
    assert_eq!((log.event.as_str(), log.attempts.len(), log.skip_reason.as_ref()), ("contact.created", 1, None));
    assert_eq!(server.next().await.result.unwrap().name(), "contact.created");

    let log = sender.dispatch_json(&crm, body("message.read")).await.unwrap();
    assert_eq!(log.outcome, Outcome::Skipped);
    assert_eq!(log.skip_reason, Some(SkipReason::NotSubscribed { event: "message.read".into() }));
    assert_eq!(log.skip_reason.as_ref().unwrap().to_string(), "webhook is not subscribed to `message.read`");
    assert!(log.attempts.is_empty(), "no HTTP request");
    assert_eq!(log.url.as_str(), server.url());
    assert_eq!(log.webhook.as_deref(), Some("CRM sync"));

    // Typed events go through the same filter.
    let stage = connectgain::Event::from_slice(body("deal.stage.changed")).unwrap();
    assert!(sender.dispatch_event(&crm, &stage).await.unwrap().is_sent());
    assert_eq!(server.next().await.result.unwrap(), stage);
    let read = connectgain::Event::from_slice(body("message.read")).unwrap();
    assert_eq!(sender.dispatch_event(&crm, &read).await.unwrap().outcome, Outcome::Skipped);

    server.assert_idle();
}

#[tokio::test]
async fn an_inactive_webhook_gets_nothing() {
    let mut server = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let paused =
        WebhookConfig::new("paused", server.url("/cg")).events(["*"]).secret(Secret::new("s").unwrap()).active(false);
    assert!(!paused.is_active());
    let log = sender().dispatch_json(&paused, body("contact.created")).await.unwrap();
    assert_eq!((log.outcome, log.skip_reason.clone()), (Outcome::Skipped, Some(SkipReason::Inactive)));
    assert!(log.attempts.is_empty());
    server.assert_no_hits();

    // Switched back on, the wildcard subscription takes everything.
    let resumed = paused.active(true);
    assert!(sender().dispatch_json(&resumed, body("zoom.recording.completed")).await.unwrap().is_sent());
    assert_eq!(server.next_hit().await.header("x-webhook-event"), Some("zoom.recording.completed"));
}

#[tokio::test]
async fn a_webhook_without_a_secret_sends_unsigned() {
    let mut server =
        VerifyingServer::<ConnectGain>::start(Verifier::new(Secret::new("unused").unwrap()).accept_unsigned_insecure())
            .await;
    let open = WebhookConfig::new("no secret", server.url()).events(["webhook.test"]);
    assert!(!open.has_secret());
    let log = sender().dispatch_json(&open, samples::test_event(ProviderId::ConnectGain).body).await.unwrap();
    assert!(log.is_sent());
    let seen = server.next().await;
    assert_eq!(seen.hit.header("x-webhook-signature"), None);
    assert!(seen.result.unwrap().is_test());
}

#[tokio::test]
async fn an_empty_subscription_list_receives_nothing() {
    let mut server = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let none = WebhookConfig::new("new", server.url("/")).secret(Secret::new("s").unwrap());
    assert!(none.subscribed_events().is_empty());
    for sample in samples::for_provider(ProviderId::ConnectGain) {
        let log = sender().dispatch_json(&none, sample.body).await.unwrap();
        assert_eq!(log.outcome, Outcome::Skipped, "{}", sample.name);
    }
    server.assert_no_hits();
}

#[tokio::test]
async fn other_targets_use_the_same_model() {
    let secret = Secret::new("tuco-config").unwrap();
    let mut server = VerifyingServer::<Tuco>::start(Verifier::new(secret.clone())).await;
    let config =
        WebhookConfig::new("tuco replies", server.url()).for_target(Tuco).events(["message.reply"]).secret(secret);
    assert_eq!(config.target(), Target::Provider(ProviderId::Tuco));
    let reply = samples::find(ProviderId::Tuco, "message.reply").unwrap().body;
    let sent = samples::find(ProviderId::Tuco, "message.sent").unwrap().body;
    assert!(sender().dispatch_json(&config, reply).await.unwrap().is_sent());
    assert_eq!(server.next().await.result.unwrap().name(), "message.reply");
    assert_eq!(sender().dispatch_json(&config, sent).await.unwrap().outcome, Outcome::Skipped);
    server.assert_idle();

    // A Tuco webhook without a secret cannot be sent: Tuco always signs.
    let unsigned = WebhookConfig::new("bad", server.url()).for_target(Tuco).events(["*"]);
    let err = sender().dispatch_json(&unsigned, reply).await.unwrap_err();
    assert!(matches!(err, SendError::Prepare(hookseal_sender::PrepareError::UnsignedNotAllowed { .. })));
}

#[tokio::test]
async fn a_refused_endpoint_is_an_error_even_through_a_config() {
    let config = WebhookConfig::new("metadata", "https://169.254.169.254/latest").events(["*"]);
    let err = Sender::new().dispatch_json(&config, body("contact.created")).await.unwrap_err();
    assert!(matches!(err, SendError::Endpoint(_)), "{err:?}");
}
