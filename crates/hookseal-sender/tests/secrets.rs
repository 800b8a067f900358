//! The secret never shows: not in any Debug, not in any error, not in any log.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::{RecordingSleeper, Reply, ScriptedServer};
use hookseal_core::{ProviderId, Secret, samples};
use hookseal_sender::{Delivery, EndpointPolicy, PrepareError, RetryPolicy, Sender, WebhookConfig};

const SECRET: &str = "Zq9-very-distinctive-s3cret-value";

fn assert_hidden(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the secret: {text}");
    // Nor any recognisable part of it.
    assert!(!text.contains("distinctive"), "{what} shows part of the secret: {text}");
}

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

#[tokio::test]
async fn no_sender_type_prints_the_secret() {
    let builder = Delivery::builder(ProviderId::Toran, "https://hooks.example.com/x").secret(secret());
    let debug = format!("{builder:?}");
    assert_hidden("DeliveryBuilder", &debug);
    assert_hidden("DeliveryBuilder (pretty)", &format!("{builder:#?}"));
    assert!(debug.contains("[redacted]"), "{debug}");

    let config = WebhookConfig::new("crm", "https://hooks.example.com/x").events(["*"]).secret(secret());
    let debug = format!("{config:?}");
    assert_hidden("WebhookConfig", &debug);
    assert!(debug.contains("[redacted]"), "{debug}");
    assert_hidden("WebhookConfig builder", &format!("{:?}", config.delivery_builder()));

    let delivery = builder.test_event().unwrap();
    assert_hidden("Delivery", &format!("{delivery:?}"));
    assert_hidden("curl", &delivery.to_curl());
    for (name, value) in delivery.headers() {
        assert_hidden(name, value);
    }
    assert_hidden("Sender", &format!("{:?}", Sender::new().retry_policy(RetryPolicy::exponential())));

    // The full round: a log of retried failures, Debug-printed.
    let mut server = ScriptedServer::start(vec![Reply::Full {
        status: 500,
        headers: vec![("retry-after", "1".to_owned())],
        body: b"nope".to_vec(),
    }])
    .await;
    let sender = Sender::new()
        .endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
        .sleeper(RecordingSleeper::default());
    let delivery = Delivery::builder(ProviderId::Tocc, server.url("/")).secret(secret()).test_event().unwrap();
    let log = sender.send(&delivery).await.unwrap();
    assert_eq!(log.attempts.len(), 2);
    assert_hidden("DeliveryLog", &format!("{log:#?}"));
    for hit in server.hits(2).await {
        assert_hidden("request headers", &format!("{:?}", hit.headers));
    }
}

#[tokio::test]
async fn no_error_message_contains_the_secret() {
    let mut messages = Vec::new();
    let signed = Delivery::builder(ProviderId::Tuco, "https://hooks.example.com/x").secret(secret());

    // A header whose invalid value happens to hold the secret.
    let err = signed.clone().header("X-Api-Key", format!("{SECRET}\n")).test_event().unwrap_err();
    assert!(matches!(err, PrepareError::InvalidHeader { .. }));
    messages.push(err.to_string());
    messages.push(format!("{err:?}"));
    // A body that is not an event, and one that quotes the secret.
    let err = signed.json(format!("{{\"event\": {SECRET}}}").into_bytes()).unwrap_err();
    messages.push(err.to_string());
    messages.push(format!("{err:?}"));
    // A bad URL.
    let err = Delivery::builder(ProviderId::Tocc, "::").secret(secret()).test_event().unwrap_err();
    messages.push(err.to_string());
    // A wrong typed event, an unsigned Toran.
    let event: hookseal_core::tocc::Event =
        hookseal_core::WebhookEvent::from_slice(samples::test_event(ProviderId::Tocc).body).unwrap();
    messages.push(signed.event(&event).unwrap_err().to_string());
    messages.push(
        Delivery::builder(ProviderId::Toran, "https://x.example/").unsigned().test_event().unwrap_err().to_string(),
    );

    // Refused endpoints, through the sender and through a config.
    let refused = Delivery::builder(ProviderId::Tocc, "https://10.0.0.1/x").secret(secret()).test_event().unwrap();
    let err = Sender::new().send(&refused).await.unwrap_err();
    messages.push(err.to_string());
    messages.push(format!("{err:?}"));
    let config = WebhookConfig::new("c", "http://127.0.0.1:9/x").events(["*"]).secret(secret());
    let err =
        Sender::new().dispatch_json(&config, samples::test_event(ProviderId::ConnectGain).body).await.unwrap_err();
    messages.push(err.to_string());
    messages.push(format!("{err:?}"));

    // A connection error, logged.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gone = Delivery::builder(ProviderId::Tuco, format!("http://127.0.0.1:{port}/x")).secret(secret()).test_event();
    let log = Sender::new()
        .endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
        .send(&gone.unwrap())
        .await
        .unwrap();
    let error = log.attempts[0].error.clone().unwrap();
    messages.push(error.to_string());
    messages.push(format!("{error:?}"));

    assert_eq!(messages.len(), 13);
    for message in &messages {
        assert!(!message.is_empty());
        assert_hidden("error", message);
    }
}

#[tokio::test]
async fn credentials_in_the_url_and_auth_headers_are_sent_but_never_shown() {
    const PASSWORD: &str = "Pw-distinctive-basic-auth";
    const TOKEN: &str = "Bearer tok-distinctive-header";
    let mut server = ScriptedServer::start(vec![Reply::Status(500), Reply::Status(200)]).await;
    let url = server.url("/hook").replacen("http://", &format!("http://alice:{PASSWORD}@"), 1);
    let config = WebhookConfig::new("crm", url.as_str()).events(["*"]).secret(secret());
    let builder = Delivery::builder(ProviderId::Tuco, url.as_str()).secret(secret()).header("Authorization", TOKEN);
    let delivery = builder.clone().test_event().unwrap();
    let log = Sender::new()
        .endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
        .retry_policy(RetryPolicy::exponential())
        .sleeper(RecordingSleeper::default())
        .send(&delivery)
        .await
        .unwrap();
    assert!(log.is_sent());

    // The receiver got the extra header (what reqwest makes of the URL's
    // credentials is its business).
    let hits = server.hits(2).await;
    assert!(hits[1].headers.iter().any(|(name, value)| name == "authorization" && value == TOKEN), "{hits:?}");

    // Nothing that describes the delivery shows them.
    let shown = [
        format!("{builder:?}"),
        format!("{delivery:?}"),
        format!("{config:?}"),
        format!("{log:?}"),
        log.url.to_string(),
    ];
    for text in &shown {
        assert!(!text.contains(PASSWORD) && !text.contains("tok-distinctive"), "shows a credential: {text}");
    }
    assert_eq!(log.url.as_str(), url.replacen(&format!("alice:{PASSWORD}"), "redacted:redacted", 1));
    assert!(format!("{delivery:?}").contains("[redacted]"));
}
