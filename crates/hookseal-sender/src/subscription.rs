//! ConnectGain-style webhook configurations: a URL subscribed to some events.

use std::fmt;

use hookseal_core::{ProviderId, Secret};

use crate::delivery::{DeliveryBuilder, Target};
use crate::redact;

/// A webhook as ConnectGain configures one: a name, a URL, the events it
/// subscribes to, an optional secret, and an on/off switch.
///
/// [`Sender::dispatch_json`](crate::Sender::dispatch_json) sends an event to
/// it only when it is active and subscribed to the event; otherwise nothing is
/// sent and the log says [`Outcome::Skipped`](crate::Outcome::Skipped). The
/// target is ConnectGain unless set with [`for_target`](Self::for_target), so the
/// same model serves your own webhooks. `Debug` never shows the secret.
///
/// ```
/// use hookseal_core::Secret;
/// use hookseal_sender::WebhookConfig;
///
/// let crm = WebhookConfig::new("CRM sync", "https://crm.example.com/hooks/connectgain")
///     .events(["contact.created", "deal.stage.changed"])
///     .secret(Secret::new("cg-secret")?);
/// assert!(crm.is_subscribed("contact.created"));
/// assert!(!crm.is_subscribed("message.read"));
/// assert!(!format!("{crm:?}").contains("cg-secret"));
/// # Ok::<(), hookseal_core::EmptySecret>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookConfig {
    name: String,
    url: String,
    events: Vec<String>,
    secret: Option<Secret>,
    is_active: bool,
    target: Target,
}

impl WebhookConfig {
    /// An active ConnectGain webhook named `name` posting to `url`, without a
    /// secret and subscribed to nothing yet.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            events: Vec::new(),
            secret: None,
            is_active: true,
            target: Target::Provider(ProviderId::ConnectGain),
        }
    }

    /// Sets the target (ConnectGain by default).
    pub fn for_target(mut self, target: impl Into<Target>) -> Self {
        self.target = target.into();
        self
    }

    /// Subscribes to these event names (added to any already subscribed).
    /// The name `*` subscribes to every event.
    pub fn events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events.extend(events.into_iter().map(Into::into));
        self
    }

    /// Signs deliveries with `secret`.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// Switches the webhook on or off.
    pub fn active(mut self, is_active: bool) -> Self {
        self.is_active = is_active;
        self
    }

    /// The webhook's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL, as given.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The subscribed event names.
    #[must_use]
    pub fn subscribed_events(&self) -> &[String] {
        &self.events
    }

    /// Whether deliveries are signed.
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// Whether the webhook is switched on.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.is_active
    }

    /// The target.
    #[must_use]
    pub fn target(&self) -> Target {
        self.target
    }

    /// Whether the webhook subscribes to `event` (exactly, or through `*`).
    #[must_use]
    pub fn is_subscribed(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event || e == "*")
    }

    /// A [`DeliveryBuilder`] for this webhook: its target, URL and secret
    /// (unsigned when it has none, which only ConnectGain allows).
    pub fn delivery_builder(&self) -> DeliveryBuilder {
        DeliveryBuilder::new(self.target, self.url.clone()).secret_opt(self.secret.clone())
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &redact::url_text(&self.url))
            .field("events", &self.events)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("is_active", &self.is_active)
            .field("target", &self.target)
            .finish()
    }
}
