//! Sending deliveries over HTTP: endpoint guard, retries, delivery log.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chrono::Utc;
use hookseal_core::WebhookEvent;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Client, redirect};

use crate::delivery::{Delivery, PrepareError, Target};
use crate::endpoint::{EndpointError, EndpointPolicy, ResolvedEndpoint};
use crate::log::{Attempt, AttemptError, DeliveryLog, Outcome, SkipReason};
use crate::redact;
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper, parse_retry_after};
use crate::subscription::WebhookConfig;

/// How much of a response body the log keeps by default: 4 KiB.
pub const DEFAULT_RESPONSE_BODY_LIMIT: usize = 4 * 1024;

/// Longest error description kept from the HTTP stack, in bytes.
const MAX_ERROR_TEXT: usize = 300;

/// Most pinned HTTP clients a sender keeps for reuse.
const MAX_CACHED_CLIENTS: usize = 32;

/// What a pinned client is pinned to: reused only for exactly the same vetted addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PinKey {
    domain: Option<String>,
    addrs: Vec<SocketAddr>,
    https_only: bool,
}

/// Pinned clients by what they are pinned to, so repeated deliveries to one
/// endpoint reuse its connections and TLS configuration.
#[derive(Debug, Default)]
struct ClientCache(Mutex<HashMap<PinKey, Client>>);

/// Sends [`Delivery`]s with the provider's retry policy, behind the endpoint
/// guard, and logs every attempt.
///
/// Cheap to clone (clones share their HTTP clients); holds no secret. Each
/// delivery resolves its host once, vets every address ([`EndpointPolicy`]),
/// and uses an HTTP client pinned to exactly those addresses, with redirects
/// and proxies off. A pinned client is reused (with its open connections)
/// only while the host keeps resolving to the same vetted addresses.
#[derive(Debug, Clone)]
pub struct Sender {
    endpoints: EndpointPolicy,
    retry: Option<RetryPolicy>,
    response_body_limit: usize,
    sleeper: Arc<dyn Sleeper>,
    clients: Arc<ClientCache>,
}

impl Default for Sender {
    fn default() -> Self {
        Self::new()
    }
}

impl Sender {
    /// A sender with the strict endpoint policy, each provider's own retry
    /// policy ([`RetryPolicy::for_provider`]; [`RetryPolicy::exponential`] for
    /// custom targets), and a 4 KiB response-body log limit.
    #[must_use]
    pub fn new() -> Self {
        Self {
            endpoints: EndpointPolicy::strict(),
            retry: None,
            response_body_limit: DEFAULT_RESPONSE_BODY_LIMIT,
            sleeper: Arc::new(TokioSleeper),
            clients: Arc::default(),
        }
    }

    /// Sets which endpoints may be reached.
    #[must_use]
    pub fn endpoint_policy(mut self, policy: EndpointPolicy) -> Self {
        self.endpoints = policy;
        self
    }

    /// Uses `policy` for every delivery instead of each provider's own.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sets how many bytes of each response body the log keeps (the rest is
    /// not read).
    #[must_use]
    pub fn response_body_limit(mut self, bytes: usize) -> Self {
        self.response_body_limit = bytes;
        self
    }

    /// Sets what waits between attempts (tests inject one that records the
    /// delays and returns at once).
    #[must_use]
    pub fn sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// The endpoint policy.
    #[must_use]
    pub fn endpoints(&self) -> EndpointPolicy {
        self.endpoints
    }

    /// The retry policy a delivery to `target` gets.
    #[must_use]
    pub fn policy_for(&self, target: Target) -> RetryPolicy {
        match (self.retry, target) {
            (Some(policy), _) => policy,
            (None, Target::Provider(provider)) => RetryPolicy::for_provider(provider),
            (None, Target::Custom(_)) => RetryPolicy::exponential(),
        }
    }

    /// Sends `delivery` with its target's retry policy.
    ///
    /// A delivery that the receiver refuses is not an error: it is a log
    /// whose outcome is [`Outcome::Failed`].
    ///
    /// # Errors
    ///
    /// [`SendError`] when no request could be made at all: the endpoint is
    /// refused or does not resolve, or the HTTP client cannot be built.
    pub async fn send(&self, delivery: &Delivery) -> Result<DeliveryLog, SendError> {
        self.send_with(delivery, &self.policy_for(delivery.target())).await
    }

    /// Sends `delivery` with `policy`.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send).
    pub async fn send_with(&self, delivery: &Delivery, policy: &RetryPolicy) -> Result<DeliveryLog, SendError> {
        let resolved = self.resolve(delivery, policy.timeout()).await?;
        let client = self.client(&resolved)?;
        let headers = header_map(delivery);
        let mut attempts = Vec::new();
        for number in 1..=policy.max_attempts() {
            let mut attempt = self.attempt(&client, delivery, &headers, number, policy.timeout()).await;
            let last = attempt.outcome == Outcome::Sent || !is_retryable(&attempt) || number == policy.max_attempts();
            if last {
                attempts.push(attempt);
                break;
            }
            let delay = policy.delay_before_retry(number, attempt.retry_after);
            attempt.next_delay = Some(delay);
            attempts.push(attempt);
            self.sleeper.sleep(delay).await;
        }
        let outcome = attempts.last().map_or(Outcome::Failed, |a| a.outcome);
        Ok(DeliveryLog {
            webhook: None,
            url: redact::url(delivery.url()),
            event: delivery.event().to_owned(),
            outcome,
            skip_reason: None,
            attempts,
        })
    }

    /// Prepares `body` for `webhook` and sends it, unless the webhook is
    /// inactive or not subscribed to the body's event: then nothing is sent
    /// and the log says [`Outcome::Skipped`] and why.
    ///
    /// # Errors
    ///
    /// [`SendError::Prepare`] if the delivery cannot be prepared, else as for
    /// [`send`](Self::send).
    pub async fn dispatch_json(
        &self,
        webhook: &WebhookConfig,
        body: impl Into<Bytes>,
    ) -> Result<DeliveryLog, SendError> {
        let delivery = webhook.delivery_builder().json(body)?;
        self.dispatch(webhook, &delivery).await
    }

    /// Like [`dispatch_json`](Self::dispatch_json), for a typed event.
    ///
    /// # Errors
    ///
    /// As for [`dispatch_json`](Self::dispatch_json).
    pub async fn dispatch_event<E: WebhookEvent>(
        &self,
        webhook: &WebhookConfig,
        event: &E,
    ) -> Result<DeliveryLog, SendError> {
        let delivery = webhook.delivery_builder().event(event)?;
        self.dispatch(webhook, &delivery).await
    }

    async fn dispatch(&self, webhook: &WebhookConfig, delivery: &Delivery) -> Result<DeliveryLog, SendError> {
        let name = Some(webhook.name().to_owned());
        let skip = if !webhook.is_active() {
            Some(SkipReason::Inactive)
        } else if !webhook.is_subscribed(delivery.event()) {
            Some(SkipReason::NotSubscribed { event: delivery.event().to_owned() })
        } else {
            None
        };
        if let Some(reason) = skip {
            return Ok(DeliveryLog::skipped(name, redact::url(delivery.url()), delivery.event().to_owned(), reason));
        }
        let mut log = self.send(delivery).await?;
        log.webhook = name;
        Ok(log)
    }

    async fn resolve(&self, delivery: &Delivery, timeout: Duration) -> Result<ResolvedEndpoint, SendError> {
        let url = delivery.url();
        match tokio::time::timeout(timeout, self.endpoints.resolve(url)).await {
            Ok(resolved) => Ok(resolved?),
            Err(_) => Err(SendError::Endpoint(EndpointError::Resolve {
                host: url.host_str().unwrap_or_default().to_owned(),
                reason: format!("no answer within {} ms", timeout.as_millis()),
            })),
        }
    }

    /// A client pinned to exactly the vetted addresses: cached, or built.
    fn client(&self, resolved: &ResolvedEndpoint) -> Result<Client, SendError> {
        let key = PinKey {
            domain: resolved.domain().map(str::to_owned),
            addrs: resolved.addrs().to_vec(),
            https_only: !self.endpoints.allows_http(),
        };
        let mut cache = self.clients.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = cache.get(&key) {
            return Ok(client.clone());
        }
        let mut builder = Client::builder().redirect(redirect::Policy::none()).no_proxy().https_only(key.https_only);
        if let Some(domain) = &key.domain {
            // The only name this client will ever look up, answered with the vetted addresses.
            builder = builder.resolve_to_addrs(domain, &key.addrs);
        }
        let client = builder.build().map_err(|err| SendError::Client(describe(&err)))?;
        if cache.len() >= MAX_CACHED_CLIENTS {
            cache.clear();
        }
        cache.insert(key, client.clone());
        Ok(client)
    }

    async fn attempt(
        &self,
        client: &Client,
        delivery: &Delivery,
        headers: &HeaderMap,
        number: u32,
        timeout: Duration,
    ) -> Attempt {
        let started_at = Utc::now();
        let start = Instant::now();
        let request =
            client.post(delivery.url().clone()).headers(headers.clone()).body(delivery.body().clone()).timeout(timeout);
        let mut attempt = Attempt {
            number,
            started_at,
            outcome: Outcome::Failed,
            status: None,
            latency: Duration::ZERO,
            response_body: Bytes::new(),
            response_truncated: false,
            error: None,
            retry_after: None,
            next_delay: None,
        };
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                attempt.latency = start.elapsed();
                attempt.error = Some(if err.is_timeout() {
                    AttemptError::Timeout(timeout)
                } else if err.is_connect() {
                    AttemptError::Connect(describe(&err))
                } else {
                    AttemptError::Transport(describe(&err))
                });
                return attempt;
            }
        };
        attempt.latency = start.elapsed();
        let status = response.status();
        attempt.status = Some(status.as_u16());
        attempt.outcome = if status.is_success() { Outcome::Sent } else { Outcome::Failed };
        attempt.retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));
        let (body, truncated, error) = read_capped(&mut response, self.response_body_limit).await;
        attempt.response_body = body;
        attempt.response_truncated = truncated;
        attempt.error = error;
        attempt
    }
}

/// Whether a retry may cure a failed attempt: no response (connection error
/// or timeout), or a `5xx` or `429` response.
fn is_retryable(attempt: &Attempt) -> bool {
    match (attempt.status, &attempt.error) {
        (Some(status), _) => status == 429 || (500..=599).contains(&status),
        (None, Some(error)) => error.is_retryable(),
        (None, None) => false,
    }
}

/// The delivery's headers as sent (all validated when it was prepared).
fn header_map(delivery: &Delivery) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(delivery.headers().len());
    for (name, value) in delivery.headers() {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            map.append(name, value);
        }
    }
    map
}

/// Reads at most `limit` bytes of the body; says whether there was more, and
/// what went wrong while reading, if anything.
async fn read_capped(response: &mut reqwest::Response, limit: usize) -> (Bytes, bool, Option<AttemptError>) {
    let mut kept = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - kept.len();
                if chunk.len() > room {
                    kept.extend_from_slice(&chunk[..room]);
                    return (kept.freeze(), true, None);
                }
                kept.extend_from_slice(&chunk);
            }
            Ok(None) => return (kept.freeze(), false, None),
            Err(err) => return (kept.freeze(), false, Some(AttemptError::ResponseBody(describe(&err)))),
        }
    }
}

/// An error and its causes, without the URL, truncated.
fn describe(err: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    let mut first = true;
    while let Some(cause) = current {
        let message = if first { strip_url(&cause.to_string()) } else { cause.to_string() };
        if !text.ends_with(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
        first = false;
        current = cause.source();
    }
    if text.len() > MAX_ERROR_TEXT {
        let mut end = MAX_ERROR_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// reqwest writes ` for url (…)` into its messages; the log has the URL already.
fn strip_url(message: &str) -> String {
    match message.find(" for url (") {
        Some(cut) => message[..cut].to_owned(),
        None => message.to_owned(),
    }
}

/// Why a delivery was not attempted at all. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The endpoint was refused by the [`EndpointPolicy`], or did not resolve.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The delivery could not be prepared.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(sender: &Sender) -> usize {
        sender.clients.0.lock().unwrap().len()
    }

    #[test]
    fn pinned_clients_are_reused_per_address_set_and_bounded() {
        let sender = Sender::new();
        let public: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let a = ResolvedEndpoint::for_tests(Some("a.example"), vec![public]);
        sender.client(&a).unwrap();
        sender.client(&a).unwrap();
        assert_eq!(cached(&sender), 1, "same pins, same client");
        // The same name resolving elsewhere gets its own client: no stale pin is reused.
        let moved = ResolvedEndpoint::for_tests(Some("a.example"), vec!["93.184.215.15:443".parse().unwrap()]);
        sender.client(&moved).unwrap();
        assert_eq!(cached(&sender), 2);
        // Clones share the cache; a different endpoint policy does not share entries.
        let clone = sender.clone();
        clone.client(&a).unwrap();
        assert_eq!(cached(&sender), 2);
        let lax = sender.clone().endpoint_policy(EndpointPolicy::strict().allow_http());
        lax.client(&a).unwrap();
        assert_eq!(cached(&sender), 3);

        for port in 0..(MAX_CACHED_CLIENTS as u16 + 8) {
            sender.client(&ResolvedEndpoint::for_tests(None, vec![SocketAddr::new(public.ip(), port)])).unwrap();
            assert!(cached(&sender) <= MAX_CACHED_CLIENTS);
        }
    }

    #[test]
    fn strip_url_drops_the_url() {
        assert_eq!(strip_url("error sending request for url (http://127.0.0.1:9/x)"), "error sending request");
        assert_eq!(strip_url("builder error"), "builder error");
    }
}
