//! The sender signs with the ready schemes (Standard Webhooks, GitHub,
//! Stripe), and what it prepares verifies with the core verifier.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use hookseal_core::{
    Custom, Error, GitHub, KeyMatch, Scheme, SchemeId, Secret, StandardWebhooks, Stripe, Verifier, WebhookEvent,
};
use hookseal_sender::{Delivery, PrepareError};

const URL: &str = "https://receiver.example.com/hooks";
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn sent_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

#[test]
fn standard_webhooks_deliveries_verify_and_carry_id_and_timestamp() {
    let body = br#"{"type":"invoice.paid","data":{"id":42}}"#;
    let delivery = Delivery::builder(StandardWebhooks, URL)
        .secret(Secret::new(SW_SECRET).unwrap())
        .sent_at(sent_at())
        .message_id("msg_fixed")
        .json(body.to_vec())
        .unwrap();
    assert_eq!(delivery.header("webhook-id"), Some("msg_fixed"));
    assert_eq!(delivery.header("webhook-timestamp"), Some("1767225600"));
    assert!(delivery.header("webhook-signature").unwrap().starts_with("v1,"));
    let verifier = Verifier::<StandardWebhooks>::new(Secret::new(SW_SECRET).unwrap());
    let event = verifier.verify_event_at(&delivery, delivery.body(), sent_at()).unwrap();
    assert_eq!((event.name(), event.idempotency_key().as_ref()), ("invoice.paid", "msg_fixed"));
    // 301 s later the window refuses it.
    let late = sent_at() + chrono::TimeDelta::seconds(301);
    assert!(matches!(verifier.verify_event_at(&delivery, delivery.body(), late), Err(Error::TimestampTooOld { .. })));
}

#[test]
fn each_prepared_delivery_gets_its_own_message_id() {
    let builder = Delivery::builder(StandardWebhooks, URL).secret(Secret::new(SW_SECRET).unwrap()).sent_at(sent_at());
    let a = builder.json(b"{}".to_vec()).unwrap();
    let b = builder.json(b"{}".to_vec()).unwrap();
    assert_ne!(a.header("webhook-id"), b.header("webhook-id"));
    assert_ne!(a.header("webhook-signature"), b.header("webhook-signature"));
}

#[test]
fn github_deliveries_verify_with_event_and_delivery_headers() {
    let secret = Secret::new("It's a Secret to Everybody").unwrap();
    let delivery = Delivery::builder(GitHub, URL)
        .secret(secret.clone())
        .event_name("push")
        .message_id("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .json(br#"{"ref":"refs/heads/main"}"#.to_vec())
        .unwrap();
    assert_eq!(delivery.header("X-GitHub-Event"), Some("push"));
    assert!(delivery.header("X-Hub-Signature-256").unwrap().starts_with("sha256="));
    let event = Verifier::<GitHub>::new(secret).verify_event(&delivery, delivery.body()).unwrap();
    assert_eq!((event.name(), event.idempotency_key().as_ref()), ("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
}

#[test]
fn stripe_deliveries_verify_and_sign_the_secret_string_itself() {
    let secret = Secret::new("whsec_stripe_0123456789").unwrap();
    let body = br#"{"id":"evt_1","object":"event","type":"invoice.paid"}"#;
    let delivery =
        Delivery::builder(SchemeId::Stripe, URL).secret(secret.clone()).sent_at(sent_at()).json(body.to_vec()).unwrap();
    let value = delivery.header("Stripe-Signature").unwrap();
    assert!(value.starts_with("t=1767225600,v1="), "{value}");
    let verifier = Verifier::<Stripe>::new(secret);
    assert_eq!(verifier.verify_at(&delivery, delivery.body(), sent_at()), Ok(KeyMatch::Secret(0)));
    // The Stripe-Signature header's own name is the only header Stripe adds.
    assert_eq!(delivery.header("webhook-id"), None);
}

#[test]
fn a_scheme_given_as_a_value_signs_the_same_as_its_marker() {
    let a = Delivery::builder(Scheme::GITHUB, URL).secret(Secret::new("k").unwrap()).json(b"{}".to_vec()).unwrap();
    let b = Delivery::builder(GitHub, URL).secret(Secret::new("k").unwrap()).json(b"{}".to_vec()).unwrap();
    assert_eq!(a.header("X-Hub-Signature-256"), b.header("X-Hub-Signature-256"));
    let verifier = Verifier::<Custom>::new(Secret::new("k").unwrap()).with_scheme(Scheme::GITHUB);
    assert!(verifier.verify(&a, a.body()).is_ok());
}

#[test]
fn an_unreadable_whsec_secret_is_refused_when_preparing() {
    let err = Delivery::builder(StandardWebhooks, URL).secret(Secret::new("whsec_short").unwrap()).json(b"{}".to_vec());
    assert!(matches!(err, Err(PrepareError::InvalidSecret(_))), "{err:?}");
    let shown = format!("{:?}", Delivery::builder(StandardWebhooks, URL).secret(Secret::new("whsec_short").unwrap()));
    assert!(!shown.contains("whsec_short"), "{shown}");
}
