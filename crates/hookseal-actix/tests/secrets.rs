//! The reference receiver with one set of secrets per provider
//! (`Receiver::from_secrets`): a delivery verifies on its own provider's route
//! only. With one secret for all, a Tuco `message.sent` replayed to the
//! ConnectGain route verifies (the attack); with per-provider secrets, it is
//! refused. A provider's variable may list several secrets (a rotation).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use actix_web::App;
use actix_web::test::{self, TestRequest};
use hookseal_actix::receiver::Receiver;
use hookseal_core::env::{ProviderSecrets, var_name};
use hookseal_core::{ProviderId, Secret, Signer, samples};

fn own_secret(provider: ProviderId) -> String {
    format!("whsec_{}_only", provider.name())
}

/// The receiver configured from these variables.
fn receiver(env: &[(String, String)]) -> Receiver {
    let secrets =
        ProviderSecrets::from_lookup(|name| env.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()))
            .unwrap();
    Receiver::from_secrets(&secrets)
}

fn distinct() -> Vec<(String, String)> {
    ProviderId::ALL.into_iter().map(|provider| (var_name(provider), own_secret(provider))).collect()
}

/// `body` posted to `provider`'s route, signed with `secret` in `provider`'s signature header.
fn signed(provider: ProviderId, secret: &str, body: &[u8]) -> TestRequest {
    let signature = Signer::new(&Secret::new(secret).unwrap(), provider.scheme().format()).sign(body);
    TestRequest::post()
        .uri(&format!("/webhooks/{}", provider.name()))
        .insert_header(("Content-Type", "application/json"))
        .insert_header((provider.scheme().signature_header(), signature))
        .set_payload(body.to_vec())
}

/// The status `$app` answers to `$request`.
macro_rules! status {
    ($app:expr, $request:expr) => {
        common::send(&$app, $request.to_request()).await.0.as_u16()
    };
}

#[actix_web::test]
async fn a_tuco_delivery_replayed_to_the_connectgain_route_verifies_only_when_the_secrets_are_shared() {
    let body = samples::find(ProviderId::Tuco, "message.sent").unwrap().body;
    // Captured: what Tuco signed with its secret. Replayed: the same bytes and signature, in
    // ConnectGain's header (both are bare hex).
    let shared = receiver(&[("HOOKSEAL_SECRET".to_owned(), "whsec_shared".to_owned())]);
    let shared = test::init_service(App::new().configure(shared.config())).await;
    assert_eq!(status!(shared, signed(ProviderId::Tuco, "whsec_shared", body)), 200);
    assert_eq!(status!(shared, signed(ProviderId::ConnectGain, "whsec_shared", body)), 200, "the attack");

    let separate = receiver(&distinct());
    let separate = test::init_service(App::new().configure(separate.config())).await;
    let tuco = own_secret(ProviderId::Tuco);
    assert_eq!(status!(separate, signed(ProviderId::Tuco, &tuco, body)), 200);
    assert_eq!(status!(separate, signed(ProviderId::ConnectGain, &tuco, body)), 401);
}

#[actix_web::test]
async fn every_provider_verifies_with_its_own_secrets_and_no_other() {
    let mut env = distinct();
    env.retain(|(name, _)| name != &var_name(ProviderId::Toran));
    env.push((var_name(ProviderId::Toran), "toran-new toran-old".to_owned()));
    let app = receiver(&env);
    let app = test::init_service(App::new().configure(app.config())).await;
    for provider in ProviderId::ALL {
        let body = samples::test_event(provider).body;
        let mine: Vec<String> = if provider == ProviderId::Toran {
            vec!["toran-new".to_owned(), "toran-old".to_owned()]
        } else {
            vec![own_secret(provider)]
        };
        for secret in &mine {
            assert_eq!(status!(app, signed(provider, secret, body)), 200, "{provider} with {secret}");
        }
        for other in ProviderId::ALL.into_iter().filter(|other| *other != provider) {
            assert_eq!(status!(app, signed(provider, &own_secret(other), body)), 401, "{provider} with {other}'s");
        }
    }
}
