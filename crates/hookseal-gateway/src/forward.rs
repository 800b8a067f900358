//! Forwarding: POST each stored event's original bytes to the operator's app,
//! re-signed with Standard Webhooks.

use std::fmt;
use std::time::Duration;

use hookseal_core::{Message, Scheme, Signer};
use hookseal_inbox::AnyJob;
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest as _, Sha256};

/// The environment variable holding the forwarding secret (`whsec_…`).
pub const FORWARD_SECRET_VAR: &str = "HOOKSEAL_FORWARD_SECRET";
/// The default time a forward may take before it counts as failed: 10 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default number of attempts before an event is dead: 12 (with the default
/// backoff, about 2½ hours of retries).
pub const DEFAULT_ATTEMPTS: u32 = 12;
/// The default first backoff ceiling: 2 s (doubling, full jitter).
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(2);
/// The default backoff cap: 30 min.
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(30 * 60);
/// The default number of forwards in flight per gateway: 16.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// How much of a refusing answer's body is kept in the event's error: 256 bytes.
const MAX_ANSWER: usize = 256;

/// The header naming the provider the event came from.
pub const PROVIDER_HEADER: &str = "hookseal-provider";
/// The header naming the event.
pub const EVENT_HEADER: &str = "hookseal-event";
/// The header carrying the event's idempotency key.
pub const KEY_HEADER: &str = "hookseal-idempotency-key";

/// Why a forwarder cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardError {
    /// The URL is not an absolute `http` or `https` URL.
    Url(String),
    /// The secret is not a `whsec_` secret of at least 24 bytes.
    Secret(String),
    /// The HTTP client could not be built.
    Client(String),
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(why) => write!(f, "invalid --forward-to URL: {why}"),
            Self::Secret(why) => write!(f, "invalid {FORWARD_SECRET_VAR}: {why}"),
            Self::Client(why) => write!(f, "cannot build the HTTP client: {why}"),
        }
    }
}

impl std::error::Error for ForwardError {}

/// The `webhook-id` of an event: `msg_` and 32 hex digits of the SHA-256 of
/// its provider and idempotency key, so it is the same on every retry and on
/// every replica sharing the store, differs between providers, and holds no `.`.
///
/// ```
/// let id = hookseal_gateway::webhook_id("toran", "lead-1:lead.captured");
/// assert_eq!(id, hookseal_gateway::webhook_id("toran", "lead-1:lead.captured"));
/// assert_ne!(id, hookseal_gateway::webhook_id("tuco", "lead-1:lead.captured"));
/// assert!(id.starts_with("msg_") && id.len() == 36 && !id.contains('.'));
/// ```
#[must_use]
pub fn webhook_id(provider: &str, idempotency_key: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(provider.as_bytes());
    hash.update([0u8]);
    hash.update(idempotency_key.as_bytes());
    let digest = hash.finalize();
    format!("msg_{}", hex::encode(&digest[..16]))
}

/// A header value for text that may hold anything: bytes outside visible
/// ASCII (and `%`) are percent-encoded.
fn header_value(text: &str) -> HeaderValue {
    if let Ok(value) = HeaderValue::from_str(text)
        && !text.contains('%')
    {
        return value;
    }
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x21..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Posts events to one URL, signed with Standard Webhooks.
#[derive(Clone)]
pub struct Forwarder {
    client: reqwest::Client,
    url: reqwest::Url,
    signer: Signer,
    timeout: Duration,
    /// The URL without any password, for messages.
    shown: String,
}

impl Forwarder {
    /// A forwarder to `url` (any `http` or `https` URL, loopback included: it
    /// is the operator's own app), signing with `secret` (`whsec_…`), giving
    /// up on an attempt after `timeout`. Redirects are not followed (a `3xx` is a failure).
    ///
    /// # Errors
    ///
    /// [`ForwardError`] for a bad URL or secret.
    pub fn new(url: &str, secret: &str, timeout: Duration) -> Result<Self, ForwardError> {
        let url = reqwest::Url::parse(url).map_err(|err| ForwardError::Url(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ForwardError::Url("expected http://HOST… or https://HOST…".into()));
        }
        let scheme = Scheme::STANDARD_WEBHOOKS;
        let key = scheme.secret(secret.trim()).map_err(|err| ForwardError::Secret(err.to_string()))?;
        let signer = Signer::for_scheme(&key, scheme).map_err(|err| ForwardError::Secret(err.to_string()))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| ForwardError::Client(err.to_string()))?;
        let mut shown = url.clone();
        let _ = shown.set_password(None);
        Ok(Self { client, url, signer, timeout, shown: shown.to_string() })
    }

    /// The URL events are posted to.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// The headers of one attempt at `job` signed at `timestamp` (Unix seconds).
    #[must_use]
    pub fn headers(&self, job: &AnyJob, timestamp: u64) -> HeaderMap {
        let id = webhook_id(&job.provider, &job.key);
        let message = Message { id: Some(&id), timestamp: Some(timestamp), event: None };
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in self.signer.headers(&job.raw, &message) {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
                headers.insert(name, value);
            }
        }
        headers.insert(HeaderName::from_static(PROVIDER_HEADER), header_value(&job.provider));
        headers.insert(HeaderName::from_static(EVENT_HEADER), header_value(&job.event_name));
        headers.insert(HeaderName::from_static(KEY_HEADER), header_value(&job.key));
        headers
    }

    /// One attempt: POSTs the original bytes. `Ok(status)` for a `2xx`;
    /// otherwise `Err` with what happened (the status and the start of the
    /// answer, or the transport error, or the timeout).
    ///
    /// # Errors
    ///
    /// A description of the failure, to store as the attempt's error.
    pub async fn forward(&self, job: &AnyJob) -> Result<u16, String> {
        let timestamp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        let request = self.client.post(self.url.clone()).headers(self.headers(job, timestamp)).body(job.raw.clone());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(err) if err.is_timeout() => return Err(format!("no answer within {:?}", self.timeout)),
            Err(err) if err.is_connect() => return Err(format!("cannot connect to {}", self.shown)),
            Err(err) => return Err(format!("request to {} failed: {}", self.shown, err.without_url())),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let mut answer = Vec::new();
        while answer.len() < MAX_ANSWER {
            match tokio::time::timeout(self.timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => answer.extend_from_slice(&chunk[..chunk.len().min(MAX_ANSWER - answer.len())]),
                _ => break,
            }
        }
        let answer = String::from_utf8_lossy(&answer);
        let answer = answer.trim();
        Err(if answer.is_empty() { format!("answered {status}") } else { format!("answered {status}: {answer}") })
    }
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("url", &self.shown)
            .field("secret", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}
