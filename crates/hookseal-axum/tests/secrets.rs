//! The reference receiver with one set of secrets per provider
//! (`Receiver::from_secrets`): a delivery verifies on its own provider's route
//! only. With one secret for all, a Tuco `message.sent` replayed to the
//! ConnectGain route verifies (the attack); with per-provider secrets, it is
//! refused. A provider's variable may list several secrets (a rotation).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use axum::Router;
use common::{post, read, sign_with};
use hookseal_axum::receiver::Receiver;
use hookseal_core::env::{ProviderSecrets, var_name};
use hookseal_core::{ProviderId, samples};
use tower::ServiceExt;

fn own_secret(provider: ProviderId) -> String {
    format!("whsec_{}_only", provider.name())
}

/// The receiver configured from these variables.
fn receiver(env: &[(String, String)]) -> Router {
    let secrets =
        ProviderSecrets::from_lookup(|name| env.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()))
            .unwrap();
    Receiver::from_secrets(&secrets).router()
}

fn distinct() -> Vec<(String, String)> {
    ProviderId::ALL.into_iter().map(|provider| (var_name(provider), own_secret(provider))).collect()
}

/// Posts `body` to `provider`'s route, signed with `secret` in `provider`'s signature header.
async fn status(app: &Router, provider: ProviderId, secret: &str, body: &[u8]) -> u16 {
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (provider.scheme().signature_header().to_owned(), sign_with(provider, secret, body)),
    ];
    let request = post(&format!("/webhooks/{}", provider.name()), &headers, body.to_vec());
    read(app.clone().oneshot(request).await.unwrap()).await.0
}

#[tokio::test]
async fn a_tuco_delivery_replayed_to_the_connectgain_route_verifies_only_when_the_secrets_are_shared() {
    let body = samples::find(ProviderId::Tuco, "message.sent").unwrap().body;
    // Captured: what Tuco signed with its secret. Replayed: the same bytes and signature, in
    // ConnectGain's header (both are bare hex).
    let shared = receiver(&[("HOOKSEAL_SECRET".to_owned(), "whsec_shared".to_owned())]);
    assert_eq!(status(&shared, ProviderId::Tuco, "whsec_shared", body).await, 200);
    assert_eq!(status(&shared, ProviderId::ConnectGain, "whsec_shared", body).await, 200, "the attack");

    let separate = receiver(&distinct());
    let tuco = own_secret(ProviderId::Tuco);
    assert_eq!(status(&separate, ProviderId::Tuco, &tuco, body).await, 200);
    assert_eq!(status(&separate, ProviderId::ConnectGain, &tuco, body).await, 401);
}

#[tokio::test]
async fn every_provider_verifies_with_its_own_secrets_and_no_other() {
    let mut env = distinct();
    env.retain(|(name, _)| name != &var_name(ProviderId::Toran));
    env.push((var_name(ProviderId::Toran), "toran-new toran-old".to_owned()));
    let app = receiver(&env);
    for provider in ProviderId::ALL {
        let body = samples::test_event(provider).body;
        let mine: Vec<String> = if provider == ProviderId::Toran {
            vec!["toran-new".to_owned(), "toran-old".to_owned()]
        } else {
            vec![own_secret(provider)]
        };
        for secret in &mine {
            assert_eq!(status(&app, provider, secret, body).await, 200, "{provider} with {secret}");
        }
        for other in ProviderId::ALL.into_iter().filter(|other| *other != provider) {
            assert_eq!(status(&app, provider, &own_secret(other), body).await, 401, "{provider} with {other}'s");
        }
    }
}
