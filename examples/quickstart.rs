//! The whole product in one run: a receiver for all five providers on an
//! ephemeral loopback port, every provider's test event and one sample of
//! each event family sent to it through the sender, and one tampered request
//! that must be refused.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Exits 0 only if every authentic event was verified and typed, and the
//! tampered one was rejected.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

use hookseal::axum::receiver::{Outcome, Receiver};
use hookseal::sender::{Delivery, EndpointPolicy, Sender};
use hookseal::{ProviderId, Secret, samples};
use tokio::sync::mpsc;

/// How long to wait for the receiver to report a request it was sent.
const REPORT_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    // A demo secret, shared by the receiver and the sender.
    let secret = Secret::new("quickstart-demo-secret").map_err(|e| e.to_string())?;

    // 1. The receiver: all five providers at POST /webhooks/{provider}, reporting each outcome.
    let (reports, mut outcomes) = mpsc::unbounded_channel();
    let app = Receiver::new(&secret)
        .on_outcome(move |outcome| {
            let _ = reports.send(outcome);
        })
        .router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    println!("receiver listening on http://{addr}/webhooks/{{provider}}\n");

    // 2. The sender, allowed to reach loopback over plain http (a development opt-in).
    let sender = Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development());
    let mut verified = 0;
    for sample in demo_samples() {
        let url = format!("http://{addr}/webhooks/{}", sample.provider);
        let delivery = Delivery::builder(sample.provider, url.as_str())
            .secret(secret.clone())
            .json(sample.body)
            .map_err(|e| e.to_string())?;
        let log = sender.send(&delivery).await.map_err(|e| e.to_string())?;
        let latency = log.last_attempt().map_or(0, |a| a.latency.as_millis());
        match next_outcome(&mut outcomes).await? {
            Outcome::Accepted(event) if log.is_sent() => {
                verified += 1;
                let test = if event.test { "  [test event]" } else { "" };
                println!("✓ {:<12} {:<27} key={}{test}", event.provider.name(), event.event, event.idempotency_key);
                println!("  {} ({latency} ms)", preview(&event.json));
            }
            other => return Err(format!("{} {} was not accepted: {other:?}", sample.provider, sample.name)),
        }
    }

    // 3. A tampered request: the real signature, one changed byte of body.
    let original = samples::find(ProviderId::Toran, "lead.captured").ok_or("missing sample")?;
    let delivery = Delivery::builder(ProviderId::Toran, format!("http://{addr}/webhooks/toran").as_str())
        .secret(secret.clone())
        .json(original.body)
        .map_err(|e| e.to_string())?;
    let tampered = String::from_utf8_lossy(original.body).replacen("\"score\":87", "\"score\":99", 1);
    let mut request = reqwest::Client::new().post(delivery.url().as_str()).body(tampered);
    for (name, value) in delivery.headers() {
        request = request.header(name.as_str(), value.as_str());
    }
    let status = request.send().await.map_err(|e| e.to_string())?.status().as_u16();
    println!("\ntampered toran lead.captured (score 87 → 99, signature unchanged):");
    match next_outcome(&mut outcomes).await? {
        Outcome::Rejected { status: reported, reason, .. } if status == 401 && reported == 401 => {
            println!("✗ rejected with {status}: {reason}");
        }
        other => return Err(format!("the tampered request was answered {status}: {other:?}")),
    }

    let _ = stop.send(());
    let _ = server.await;
    println!("\n{verified} authentic events verified and typed, 1 forgery refused.");
    Ok(())
}

/// Every provider's test event, then one sample of each event family
/// (`lead`, `customer`, `contact`, `deal`, …) of each provider.
fn demo_samples() -> Vec<&'static samples::Sample> {
    let tests = ProviderId::ALL.into_iter().map(samples::test_event);
    let mut families = BTreeSet::new();
    let firsts = samples::all().iter().filter(move |sample| {
        let family = sample.event.split('.').next().unwrap_or_default();
        !sample.is_test && families.insert((sample.provider, family))
    });
    tests.chain(firsts).collect()
}

async fn next_outcome(outcomes: &mut mpsc::UnboundedReceiver<Outcome>) -> Result<Outcome, String> {
    match tokio::time::timeout(REPORT_TIMEOUT, outcomes.recv()).await {
        Ok(Some(outcome)) => Ok(outcome),
        Ok(None) => Err("the receiver stopped".to_owned()),
        Err(_) => Err("the receiver did not report the request in time".to_owned()),
    }
}

/// The start of the typed event's wire JSON, on one line.
fn preview(json: &[u8]) -> String {
    let text = String::from_utf8_lossy(json);
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}
