//! Retries against receivers that fail on purpose: counts, identical resends, outcomes, delays.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{Hit, RecordingSleeper, Reply, ScriptedServer};
use hookseal_core::chrono::Utc;
use hookseal_core::{ProviderId, Secret, samples};
use hookseal_sender::{AttemptError, Backoff, Delivery, EndpointPolicy, Outcome, RetryPolicy, Sender, Target};

const SECRET: &str = "retry-test-secret";

fn sender(sleeper: &RecordingSleeper) -> Sender {
    Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development()).sleeper(sleeper.clone())
}

fn delivery(provider: ProviderId, url: String) -> Delivery {
    let sample = samples::for_provider(provider).find(|s| !s.is_test).unwrap();
    Delivery::builder(provider, url).secret(Secret::new(SECRET).unwrap()).json(sample.body).unwrap()
}

/// Every attempt carried the delivery's exact bytes and every one of its headers.
fn assert_identical(hits: &[Hit], delivery: &Delivery) {
    assert!(!hits.is_empty());
    let signature = delivery.target().scheme().signature_header();
    for hit in hits {
        assert_eq!(hit.body, delivery.body(), "same bytes");
        for (name, value) in delivery.headers() {
            assert_eq!(hit.header(name), Some(value.as_str()), "same {name}");
        }
        assert_eq!(hit.header(signature), hits[0].header(signature), "same signature");
    }
}

#[tokio::test]
async fn tocc_retries_a_500_once_immediately_and_the_second_attempt_is_sent() {
    let mut server = ScriptedServer::start(vec![Reply::Status(500), Reply::Status(200)]).await;
    let sleeper = RecordingSleeper::default();
    let delivery = delivery(ProviderId::Tocc, server.url("/tocc"));
    // tocc's own policy: no override.
    let log = sender(&sleeper).send(&delivery).await.unwrap();

    assert_eq!(log.outcome, Outcome::Sent);
    assert_eq!(log.attempts.len(), 2);
    let (first, second) = (&log.attempts[0], &log.attempts[1]);
    assert_eq!((first.number, first.outcome, first.status), (1, Outcome::Failed, Some(500)));
    assert_eq!(first.next_delay, Some(Duration::ZERO), "one immediate retry");
    assert_eq!((second.number, second.outcome, second.status), (2, Outcome::Sent, Some(200)));
    assert_eq!(second.next_delay, None);
    assert!(first.error.is_none() && second.error.is_none(), "a status is not an error");
    assert_eq!(sleeper.delays(), [Duration::ZERO]);

    let hits = server.hits(2).await;
    assert_identical(&hits, &delivery);
}

#[tokio::test]
async fn always_503_makes_exactly_the_policys_attempts() {
    for attempts in [1, 3, 4] {
        let mut server = ScriptedServer::start(vec![Reply::Status(503)]).await;
        let sleeper = RecordingSleeper::default();
        let delivery = delivery(ProviderId::Toran, server.url("/toran"));
        let policy = RetryPolicy::no_retries().with_max_attempts(attempts).with_fixed_delay(Duration::from_millis(250));
        let log = sender(&sleeper).send_with(&delivery, &policy).await.unwrap();

        assert_eq!(log.outcome, Outcome::Failed);
        assert_eq!(log.attempts.len(), attempts as usize);
        assert!(log.attempts.iter().all(|a| a.status == Some(503) && a.outcome == Outcome::Failed));
        let numbers: Vec<u32> = log.attempts.iter().map(|a| a.number).collect();
        assert_eq!(numbers, (1..=attempts).collect::<Vec<_>>());
        assert_eq!(sleeper.delays(), vec![Duration::from_millis(250); attempts as usize - 1]);
        assert_identical(&server.hits(attempts as usize).await, &delivery);
    }
}

#[tokio::test]
async fn toran_gives_up_after_its_one_retry() {
    let mut server = ScriptedServer::start(vec![Reply::Status(502)]).await;
    let delivery = delivery(ProviderId::Toran, server.url("/toran"));
    let log = sender(&RecordingSleeper::default()).send(&delivery).await.unwrap();
    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Failed, 2));
    assert_identical(&server.hits(2).await, &delivery);
}

#[tokio::test]
async fn zapito_asks_for_its_30_second_wait_without_the_test_waiting() {
    let mut server = ScriptedServer::start(vec![Reply::Status(500)]).await;
    let sleeper = RecordingSleeper::default();
    let delivery = delivery(ProviderId::Zapito, server.url("/zapito"));
    let log = sender(&sleeper).send(&delivery).await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(30)]);
    assert_eq!(log.attempts[0].next_delay, Some(Duration::from_secs(30)));
    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Failed, 2));
    assert_identical(&server.hits(2).await, &delivery);
}

#[tokio::test]
async fn tuco_and_connectgain_never_retry() {
    for provider in [ProviderId::Tuco, ProviderId::ConnectGain] {
        let mut server = ScriptedServer::start(vec![Reply::Status(500)]).await;
        let sleeper = RecordingSleeper::default();
        let log = sender(&sleeper).send(&delivery(provider, server.url("/"))).await.unwrap();
        assert_eq!((log.outcome, log.attempts.len()), (Outcome::Failed, 1), "{provider}");
        assert!(sleeper.delays().is_empty());
        server.hits(1).await;
    }
}

#[tokio::test]
async fn a_receiver_that_hangs_times_out_on_every_attempt() {
    let mut server = ScriptedServer::start(vec![Reply::Hang]).await;
    let sleeper = RecordingSleeper::default();
    let delivery = delivery(ProviderId::Tocc, server.url("/hang"));
    let timeout = Duration::from_millis(200);
    let policy = RetryPolicy::for_provider(ProviderId::Tocc).with_timeout(timeout);
    let log = sender(&sleeper).send_with(&delivery, &policy).await.unwrap();

    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Failed, 2));
    for attempt in &log.attempts {
        assert_eq!(attempt.status, None);
        assert_eq!(attempt.error, Some(AttemptError::Timeout(timeout)));
        assert!(attempt.latency >= timeout, "{:?}", attempt.latency);
        assert!(attempt.latency < common::PATIENCE);
    }
    assert_eq!(log.attempts[0].error.as_ref().unwrap().to_string(), "timed out after 200 ms");
    assert_identical(&server.hits(2).await, &delivery);
}

#[tokio::test]
async fn a_refused_connection_is_retried_with_the_backoff() {
    // A port nobody listens on: bind, note it, close it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sleeper = RecordingSleeper::default();
    let delivery = delivery(ProviderId::Tocc, format!("http://127.0.0.1:{port}/gone"));
    let policy = RetryPolicy::exponential().with_max_attempts(3).with_backoff(Backoff::Exponential {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        jitter: false,
    });
    let log = sender(&sleeper).send_with(&delivery, &policy).await.unwrap();

    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Failed, 3));
    for attempt in &log.attempts {
        assert_eq!(attempt.status, None);
        let error = attempt.error.as_ref().unwrap();
        assert!(matches!(error, AttemptError::Connect(_)), "{error:?}");
        assert!(error.to_string().starts_with("connection failed"), "{error}");
        assert!(!error.to_string().contains("http://"), "the URL is not repeated: {error}");
    }
    assert_eq!(sleeper.delays(), [Duration::from_millis(100), Duration::from_millis(200)]);
}

#[tokio::test]
async fn client_errors_are_final_and_429_is_retried() {
    for (status, attempts) in [(400, 1), (401, 1), (404, 1), (410, 1), (429, 3), (500, 3), (599, 3)] {
        let mut server = ScriptedServer::start(vec![Reply::Status(status)]).await;
        let sleeper = RecordingSleeper::default();
        let policy = RetryPolicy::exponential().with_max_attempts(3).with_fixed_delay(Duration::from_millis(1));
        let log = sender(&sleeper).send_with(&delivery(ProviderId::Tocc, server.url("/")), &policy).await.unwrap();
        assert_eq!(log.attempts.len(), attempts, "status {status}");
        assert_eq!(log.outcome, Outcome::Failed);
        server.hits(attempts).await;
    }
}

#[tokio::test]
async fn any_2xx_is_success() {
    for status in [200, 201, 202, 204, 299] {
        let mut server = ScriptedServer::start(vec![Reply::Status(status)]).await;
        let log =
            sender(&RecordingSleeper::default()).send(&delivery(ProviderId::Tocc, server.url("/"))).await.unwrap();
        assert_eq!((log.outcome, log.attempts.len(), log.last_status()), (Outcome::Sent, 1, Some(status)));
        server.hits(1).await;
    }
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let mut elsewhere = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let mut server = ScriptedServer::start(vec![Reply::Full {
        status: 307,
        headers: vec![("location", elsewhere.url("/stolen"))],
        body: Vec::new(),
    }])
    .await;
    let policy = RetryPolicy::exponential().with_max_attempts(3);
    let log = sender(&RecordingSleeper::default())
        .send_with(&delivery(ProviderId::Tocc, server.url("/")), &policy)
        .await
        .unwrap();
    assert_eq!((log.outcome, log.attempts.len(), log.last_status()), (Outcome::Failed, 1, Some(307)));
    server.hits(1).await;
    elsewhere.assert_no_hits();
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_by_the_generic_policy() {
    let mut server = ScriptedServer::start(vec![
        Reply::Full { status: 429, headers: vec![("retry-after", "3".to_owned())], body: Vec::new() },
        Reply::Status(200),
    ])
    .await;
    let sleeper = RecordingSleeper::default();
    let delivery = delivery(ProviderId::Tocc, server.url("/"));
    let log = sender(&sleeper).send_with(&delivery, &RetryPolicy::exponential()).await.unwrap();
    assert_eq!(log.outcome, Outcome::Sent);
    assert_eq!(log.attempts[0].retry_after, Some(Duration::from_secs(3)));
    assert_eq!(log.attempts[0].next_delay, Some(Duration::from_secs(3)));
    assert_eq!(sleeper.delays(), [Duration::from_secs(3)]);
    assert_identical(&server.hits(2).await, &delivery);
}

#[tokio::test]
async fn retry_after_is_capped_and_read_as_an_http_date() {
    let in_two_minutes =
        (Utc::now() + hookseal_core::chrono::TimeDelta::seconds(120)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let mut server = ScriptedServer::start(vec![
        Reply::Full { status: 503, headers: vec![("retry-after", "86400".to_owned())], body: Vec::new() },
        Reply::Full { status: 503, headers: vec![("retry-after", in_two_minutes)], body: Vec::new() },
        Reply::Status(204),
    ])
    .await;
    let sleeper = RecordingSleeper::default();
    let policy = RetryPolicy::exponential().honor_retry_after(Duration::from_secs(300));
    let log = sender(&sleeper).send_with(&delivery(ProviderId::Tocc, server.url("/")), &policy).await.unwrap();
    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Sent, 3));
    let delays = sleeper.delays();
    assert_eq!(delays[0], Duration::from_secs(300), "a day is capped at the policy's 300 s");
    assert!(delays[1] > Duration::from_secs(110) && delays[1] <= Duration::from_secs(120), "{:?}", delays[1]);
    server.hits(3).await;
}

#[tokio::test]
async fn provider_policies_ignore_retry_after() {
    let mut server = ScriptedServer::start(vec![Reply::Full {
        status: 503,
        headers: vec![("retry-after", "20".to_owned())],
        body: Vec::new(),
    }])
    .await;
    let sleeper = RecordingSleeper::default();
    let log = sender(&sleeper).send(&delivery(ProviderId::Tocc, server.url("/"))).await.unwrap();
    assert_eq!(log.attempts[0].retry_after, Some(Duration::from_secs(20)), "logged");
    assert_eq!(sleeper.delays(), [Duration::ZERO], "but tocc retries immediately");
    server.hits(2).await;
}

#[tokio::test]
async fn the_default_sleeper_really_waits() {
    let mut server = ScriptedServer::start(vec![Reply::Status(500), Reply::Status(200)]).await;
    let sender = Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development());
    let policy = RetryPolicy::no_retries().with_max_attempts(2).with_fixed_delay(Duration::from_millis(50));
    let start = std::time::Instant::now();
    let log = sender.send_with(&delivery(ProviderId::Tocc, server.url("/")), &policy).await.unwrap();
    assert!(log.is_sent());
    assert!(start.elapsed() >= Duration::from_millis(50));
    server.hits(2).await;
}

#[tokio::test]
async fn the_response_body_is_logged_up_to_the_limit() {
    let big = vec![b'x'; 10 * 1024];
    let mut server = ScriptedServer::start(vec![
        Reply::Full { status: 200, headers: vec![], body: big.clone() },
        Reply::Full { status: 500, headers: vec![], body: b"{\"error\":\"db down\"}".to_vec() },
    ])
    .await;
    let sender = sender(&RecordingSleeper::default());
    let log = sender.send(&delivery(ProviderId::Tuco, server.url("/"))).await.unwrap();
    let attempt = &log.attempts[0];
    assert_eq!(attempt.response_body.len(), hookseal_sender::DEFAULT_RESPONSE_BODY_LIMIT);
    assert!(attempt.response_truncated);
    assert!(attempt.error.is_none());

    let log = sender.send(&delivery(ProviderId::Tuco, server.url("/"))).await.unwrap();
    let attempt = &log.attempts[0];
    assert_eq!(attempt.response_text(), "{\"error\":\"db down\"}");
    assert!(!attempt.response_truncated);
    assert_eq!((attempt.status, attempt.outcome), (Some(500), Outcome::Failed));

    let small = sender.clone().response_body_limit(16);
    let log = small.send(&delivery(ProviderId::Tuco, server.url("/"))).await.unwrap();
    assert_eq!(log.attempts[0].response_text(), "{\"error\":\"db dow");
    assert!(log.attempts[0].response_truncated);
    server.hits(3).await;
}

#[tokio::test]
async fn the_policy_follows_the_target_unless_overridden() {
    let sender = Sender::new();
    for provider in ProviderId::ALL {
        assert_eq!(sender.policy_for(provider.into()), RetryPolicy::for_provider(provider));
    }
    assert_eq!(sender.policy_for(Target::from(hookseal_core::Custom)), RetryPolicy::exponential());
    let fixed = RetryPolicy::no_retries();
    assert_eq!(sender.retry_policy(fixed).policy_for(ProviderId::Zapito.into()), fixed);
}

#[tokio::test]
async fn a_2xx_whose_body_never_ends_is_sent_and_the_stall_is_logged() {
    let mut server =
        ScriptedServer::start(vec![Reply::HangBody { status: 200, first: b"accepted; still ".to_vec() }]).await;
    // Long enough that the response head always arrives first, even on a loaded machine.
    let timeout = Duration::from_millis(500);
    let policy = RetryPolicy::for_provider(ProviderId::Tocc).with_timeout(timeout);
    let log = sender(&RecordingSleeper::default())
        .send_with(&delivery(ProviderId::Tocc, server.url("/")), &policy)
        .await
        .unwrap();
    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Sent, 1), "the receiver said 200: not retried");
    let attempt = &log.attempts[0];
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.response_text(), "accepted; still ");
    let error = attempt.error.as_ref().unwrap();
    assert!(matches!(error, AttemptError::ResponseBody(_)), "{error:?}");
    assert!(attempt.latency < timeout, "latency is to the response head: {:?}", attempt.latency);
    server.hits(1).await;
}

#[tokio::test]
async fn a_5xx_whose_body_never_ends_is_retried() {
    let mut server =
        ScriptedServer::start(vec![Reply::HangBody { status: 503, first: b"overloaded".to_vec() }, Reply::Status(200)])
            .await;
    let policy = RetryPolicy::for_provider(ProviderId::Tocc).with_timeout(Duration::from_millis(500));
    let delivery = delivery(ProviderId::Tocc, server.url("/"));
    let log = sender(&RecordingSleeper::default()).send_with(&delivery, &policy).await.unwrap();
    assert_eq!((log.outcome, log.attempts.len()), (Outcome::Sent, 2));
    assert_eq!((log.attempts[0].status, log.attempts[0].outcome), (Some(503), Outcome::Failed));
    assert_identical(&server.hits(2).await, &delivery);
}
