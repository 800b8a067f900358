//! `DeliveryLog`'s `Display` and `Serialize`: what they show, and that no
//! credential ever shows in them.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::{RecordingSleeper, Reply, ScriptedServer};
use hookseal_core::{ProviderId, Secret, samples};
use hookseal_sender::{Delivery, DeliveryLog, EndpointPolicy, Outcome, RetryPolicy, Sender, WebhookConfig};
use serde_json::{Value, json};

const SECRET: &str = "Zq9-log-distinctive-s3cret";
const PASSWORD: &str = "Pw-log-distinctive";
const TOKEN: &str = "Bearer tok-log-distinctive";

fn secret() -> Secret {
    Secret::new(SECRET).unwrap()
}

fn assert_no_credential(what: &str, text: &str) {
    for hidden in [SECRET, PASSWORD, TOKEN, "distinctive"] {
        assert!(!text.contains(hidden), "{what} shows {hidden:?}: {text}");
    }
}

fn local_sender() -> Sender {
    Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development())
}

/// A tocc delivery to a URL with credentials and an `Authorization` header:
/// a 500 with a body and `Retry-After: 1`, then a 200.
async fn retried_log() -> (DeliveryLog, String) {
    let mut server = ScriptedServer::start(vec![
        Reply::Full { status: 500, headers: vec![("retry-after", "1".to_owned())], body: b"nope\x1b[31m\r\n".to_vec() },
        Reply::Status(200),
    ])
    .await;
    let url = server.url("/hook").replacen("http://", &format!("http://alice:{PASSWORD}@"), 1);
    let delivery =
        Delivery::builder(ProviderId::Tocc, url.as_str()).secret(secret()).header("Authorization", TOKEN).test_event();
    let log = local_sender()
        .retry_policy(RetryPolicy::exponential())
        .sleeper(RecordingSleeper::default())
        .send(&delivery.unwrap())
        .await
        .unwrap();
    assert_eq!(server.hits(2).await.len(), 2);
    let shown_url = url.replacen(&format!("alice:{PASSWORD}"), "redacted:redacted", 1);
    (log, shown_url)
}

#[tokio::test]
async fn display_is_a_one_line_summary_and_the_alternate_form_lists_attempts() {
    let (log, url) = retried_log().await;
    assert!(log.is_sent());
    assert_eq!(log.to_string(), format!("lead.new to {url}: sent after 2 attempt(s) (200)"));

    let full = format!("{log:#}");
    let lines: Vec<&str> = full.lines().collect();
    assert_eq!(lines.len(), 3, "{full}");
    assert_eq!(lines[0], log.to_string());
    let first = &log.attempts[0];
    let delay = first.next_delay.unwrap().as_millis();
    assert_eq!(
        lines[1],
        format!(
            "  attempt 1: failed 500 in {} ms, retry in {delay} ms, response: nope\\u{{1b}}[31m",
            first.latency.as_millis()
        )
    );
    assert_eq!(lines[2], format!("  attempt 2: sent 200 in {} ms", log.attempts[1].latency.as_millis()));
    // The plain form of an attempt leaves the body out.
    assert!(!first.to_string().contains("response"), "{first}");
    assert_no_credential("Display", &full);
}

#[tokio::test]
async fn serialize_gives_every_field_with_durations_in_milliseconds() {
    let (log, url) = retried_log().await;
    let value = serde_json::to_value(&log).unwrap();
    assert_no_credential("JSON", &value.to_string());
    let attempts = value["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    let first = &log.attempts[0];
    let started: hookseal_core::chrono::DateTime<hookseal_core::chrono::Utc> =
        serde_json::from_value(attempts[0]["started_at"].clone()).unwrap();
    assert_eq!(started, first.started_at);
    assert_eq!(
        attempts[0],
        json!({
            "number": 1,
            "started_at": attempts[0]["started_at"],
            "outcome": "failed",
            "status": 500,
            "latency_ms": first.latency.as_millis() as u64,
            "response_body": "nope\u{1b}[31m\r\n",
            "response_truncated": false,
            "error": null,
            "retry_after_ms": 1000,
            "next_delay_ms": first.next_delay.unwrap().as_millis() as u64,
        })
    );
    assert_eq!(attempts[1]["outcome"], "sent");
    assert_eq!(attempts[1]["next_delay_ms"], Value::Null);
    let mut top = value.clone();
    top["attempts"] = Value::Null;
    assert_eq!(
        top,
        json!({"webhook": null, "url": url, "event": "lead.new", "outcome": "sent", "skip_reason": null, "attempts": null})
    );
}

#[tokio::test]
async fn a_skipped_delivery_says_why() {
    let url = format!("https://bob:{PASSWORD}@hooks.example.com/crm");
    let config = WebhookConfig::new("crm", url.as_str())
        .for_target(ProviderId::Tocc)
        .events(["*"])
        .secret(secret())
        .active(false);
    let log = local_sender().dispatch_json(&config, samples::test_event(ProviderId::Tocc).body).await.unwrap();
    assert_eq!(log.outcome, Outcome::Skipped);
    assert_eq!(
        log.to_string(),
        "webhook \"crm\": lead.new to https://redacted:redacted@hooks.example.com/crm: skipped (webhook is inactive)"
    );
    assert_eq!(format!("{log:#}"), log.to_string(), "no attempts to list");
    let value = serde_json::to_value(&log).unwrap();
    assert_eq!(value["webhook"], "crm");
    assert_eq!(value["skip_reason"], json!({"kind": "inactive", "message": "webhook is inactive"}));
    assert_eq!(value["attempts"], json!([]));
    assert_no_credential("skipped", &format!("{log:#} {value}"));

    let config =
        WebhookConfig::new("crm", url.as_str()).for_target(ProviderId::Tocc).events(["deal.created"]).secret(secret());
    let log = local_sender().dispatch_json(&config, samples::test_event(ProviderId::Tocc).body).await.unwrap();
    let value = serde_json::to_value(&log).unwrap();
    assert_eq!(
        value["skip_reason"],
        json!({"kind": "not_subscribed", "event": "lead.new", "message": "webhook is not subscribed to `lead.new`"})
    );
}

#[tokio::test]
async fn a_connection_error_is_shown_by_kind_and_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://carol:{PASSWORD}@127.0.0.1:{port}/gone");
    let delivery = Delivery::builder(ProviderId::Tuco, url.as_str()).secret(secret()).test_event().unwrap();
    let log = local_sender().send(&delivery).await.unwrap();
    assert_eq!(log.outcome, Outcome::Failed);
    let attempt = &log.attempts[0];
    let value = serde_json::to_value(attempt).unwrap();
    assert_eq!(value["error"]["kind"], "connect");
    assert_eq!(value["error"]["message"], attempt.error.as_ref().unwrap().to_string());
    assert_eq!(value["status"], Value::Null);
    assert!(log.to_string().ends_with(": failed after 1 attempt(s)"), "{log}");
    assert!(attempt.to_string().starts_with("attempt 1: failed no response in "), "{attempt}");
    assert!(attempt.to_string().contains(" ms (connection failed: "), "{attempt}");
    assert_no_credential("connection error", &format!("{log:#} {}", serde_json::to_string(&log).unwrap()));
}

#[tokio::test]
async fn a_url_put_back_with_credentials_is_still_redacted() {
    let (mut log, _) = retried_log().await;
    log.url = format!("https://dave:{PASSWORD}@hooks.example.com/x").parse().unwrap();
    assert!(log.to_string().contains("https://redacted:redacted@hooks.example.com/x"), "{log}");
    let json = serde_json::to_string(&log).unwrap();
    assert!(json.contains("https://redacted:redacted@hooks.example.com/x"), "{json}");
    assert_no_credential("mutated log", &format!("{log:#} {json}"));
}

#[tokio::test]
async fn display_stays_on_one_line_whatever_the_names_hold() {
    let config = WebhookConfig::new("crm\n\u{1b}[2J\"x", "https://hooks.example.com/crm")
        .for_target(ProviderId::Tocc)
        .events(["*"])
        .secret(secret())
        .active(false);
    let log = local_sender().dispatch_json(&config, samples::test_event(ProviderId::Tocc).body).await.unwrap();
    let shown = log.to_string();
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.starts_with(r#"webhook "crm\n\u{1b}[2J"x": lead.new to "#), "{shown}");
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
}
