//! The five providers, as types (for generic code) and as values (for routing).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::BodyError;
use crate::event::WebhookEvent;
use crate::signature::{Scheme, SignatureFormat};

/// What the verifier read from the request's headers for the event, as the
/// scheme says: an event-name header, an id header, a signed timestamp.
/// Given to [`Provider::event_from`]; all `None` for the five providers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestFacts<'a> {
    /// The event name header's value, when the scheme takes the name from a header.
    pub event_name: Option<&'a [u8]>,
    /// The event header's value, when the scheme only checks it against the
    /// body: the name to use if the body names no event (then there is
    /// nothing for the header to disagree with).
    pub event_name_fallback: Option<&'a [u8]>,
    /// The id header's value (the idempotency key), when the scheme has one.
    pub id: Option<&'a [u8]>,
    /// The signed timestamp, when the scheme signs one.
    pub timestamp: Option<DateTime<Utc>>,
}

impl RequestFacts<'_> {
    /// Whether nothing was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.event_name.is_none() && self.event_name_fallback.is_none() && self.id.is_none() && self.timestamp.is_none()
    }
}

/// A webhook provider: how it signs, and what its events look like.
///
/// Implemented by the marker types [`Tocc`], [`Toran`], [`Zapito`], [`Tuco`],
/// [`ConnectGain`] and [`Custom`]; a `Verifier<Toran>` yields
/// [`toran::Event`](crate::toran::Event)s.
pub trait Provider: Send + Sync + 'static {
    /// Short lowercase name, as in URLs: `tocc`, `toran`, …
    const NAME: &'static str;
    /// Where the signature and event name travel.
    const SCHEME: Scheme;
    /// The provider's typed event.
    type Event: WebhookEvent;

    /// Whether [`event_from`](Self::event_from) reads the [`RequestFacts`]
    /// (when `false`, the verifier does not look them up: the five providers).
    const READS_HEADERS: bool = false;

    /// Builds the event from an authentic body and what the scheme read from
    /// headers. The default reads the body alone (the five providers);
    /// [`Custom`] and the ready schemes' providers use the headers too.
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if the body is not usable.
    fn event_from(body: &[u8], facts: &RequestFacts<'_>) -> Result<Self::Event, BodyError> {
        let _ = facts;
        Self::Event::from_slice(body)
    }
}

macro_rules! providers {
    ($(
        $(#[$meta:meta])*
        $marker:ident => $module:ident, $name:literal, $display:literal,
            $header:literal, $format:ident, $event_header:literal, [$($event:literal),* $(,)?];
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            pub struct $marker;

            impl Provider for $marker {
                const NAME: &'static str = $name;
                const SCHEME: Scheme = Scheme::new($header, SignatureFormat::$format).with_event_header($event_header);
                type Event = crate::$module::Event;
            }
        )*

        /// One of the five providers, as a value: for routing by name and for tools.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProviderId {
            $( $(#[$meta])* $marker, )*
        }

        impl ProviderId {
            /// Every provider, in the order the contract lists them.
            pub const ALL: [Self; 5] = [$(Self::$marker),*];

            /// Short lowercase name, as in URLs: `tocc`, `toran`, …
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Self::$marker => $name,)* }
            }

            /// The provider's own name, such as `tocc.contact`.
            #[must_use]
            pub const fn display_name(self) -> &'static str {
                match self { $(Self::$marker => $display,)* }
            }

            /// Where the signature and event name travel.
            #[must_use]
            pub const fn scheme(self) -> Scheme {
                match self { $(Self::$marker => <$marker as Provider>::SCHEME,)* }
            }

            /// Every documented event name (test-only names included).
            #[must_use]
            pub const fn events(self) -> &'static [&'static str] {
                match self { $(Self::$marker => &[$($event),*],)* }
            }
        }
    };
}

providers! {
    /// tocc.contact.
    Tocc => tocc, "tocc", "tocc.contact", "X-Tocc-Signature", Sha256Prefixed, "X-Tocc-Event", [
        "lead.new", "customer.updated", "customer.returning",
        "conversation.escalated", "conversation.resolved", "lead.stalled",
    ];
    /// Toran.
    Toran => toran, "toran", "Toran", "X-Toran-Signature", Sha256Prefixed, "X-Toran-Event", [
        "lead.captured", "lead.test",
    ];
    /// Zapito.
    Zapito => zapito, "zapito", "Zapito", "X-Zapito-Signature", Sha256Prefixed, "X-Zapito-Event", [
        "lead.handoff",
    ];
    /// Tuco.
    Tuco => tuco, "tuco", "Tuco", "X-Tuco-Signature", BareHex, "X-Tuco-Event", [
        "message.sent", "message.failed", "message.fallback", "message.reply", "message.opened",
    ];
    /// ConnectGain.
    ConnectGain => connectgain, "connectgain", "ConnectGain", "X-Webhook-Signature", BareHex, "X-Webhook-Event", [
        "contact.created", "contact.updated", "contact.assigned",
        "deal.created", "deal.updated", "deal.stage.changed", "deal.assigned",
        "conversation.created", "conversation.assigned", "conversation.status.changed",
        "message.received", "message.sent", "message.delivered", "message.read", "message.failed",
        "broadcast.response", "zoom.recording.completed", "webhook.test",
    ];
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a provider name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (expected one of: tocc, toran, zapito, tuco, connectgain)")]
pub struct UnknownProvider(String);

impl FromStr for ProviderId {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownProvider(crate::error::truncate(name.to_owned())))
    }
}

/// Any other HMAC-SHA256 sender: give the verifier its [`Scheme`] with
/// [`Verifier::with_scheme`](crate::Verifier::with_scheme). Its events are
/// [`custom::Event`](crate::custom::Event)s.
///
/// Its default scheme, for a `Verifier<Custom>` given none, is
/// `X-Signature: sha256=<hex>` over the body. The event name, idempotency key
/// and timestamp come from headers where the scheme names them, else from
/// the body's `event`/`type`, `id` and `timestamp` (see [`custom::Event`](crate::custom::Event)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Custom;

impl Provider for Custom {
    const NAME: &'static str = "custom";
    const SCHEME: Scheme = Scheme::new("X-Signature", SignatureFormat::Sha256Prefixed);
    type Event = crate::custom::Event;
    const READS_HEADERS: bool = true;

    fn event_from(body: &[u8], facts: &RequestFacts<'_>) -> Result<Self::Event, BodyError> {
        crate::custom::Event::from_request(body, facts)
    }
}

macro_rules! ready_schemes {
    ($( $(#[$meta:meta])* $marker:ident => $name:literal, $scheme:ident; )*) => {$(
        $(#[$meta])*
        ///
        /// Its events are [`custom::Event`](crate::custom::Event)s.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $marker;

        impl Provider for $marker {
            const NAME: &'static str = $name;
            const SCHEME: Scheme = Scheme::$scheme;
            type Event = crate::custom::Event;
            const READS_HEADERS: bool = true;

            fn event_from(body: &[u8], facts: &RequestFacts<'_>) -> Result<Self::Event, BodyError> {
                crate::custom::Event::from_request(body, facts)
            }
        }
    )*};
}

ready_schemes! {
    /// Any Standard Webhooks sender ([`Scheme::STANDARD_WEBHOOKS`]): `Verifier::<StandardWebhooks>::new(secret)`.
    StandardWebhooks => "standard-webhooks", STANDARD_WEBHOOKS;
    /// GitHub ([`Scheme::GITHUB`]): `Verifier::<GitHub>::new(secret)`.
    GitHub => "github", GITHUB;
    /// Stripe ([`Scheme::STRIPE`]): `Verifier::<Stripe>::new(secret)`.
    Stripe => "stripe", STRIPE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_facts_are_empty_only_when_nothing_was_read() {
        assert!(RequestFacts::default().is_empty());
        let at = DateTime::from_timestamp(1_767_225_600, 0);
        let one_each = [
            RequestFacts { event_name: Some(b"ping"), ..RequestFacts::default() },
            RequestFacts { event_name_fallback: Some(b"ping"), ..RequestFacts::default() },
            RequestFacts { id: Some(b"evt_1"), ..RequestFacts::default() },
            RequestFacts { timestamp: at, ..RequestFacts::default() },
        ];
        for facts in one_each {
            assert!(!facts.is_empty(), "{facts:?}");
        }
    }

    #[test]
    fn provider_ids_display_their_names_and_parse_back() {
        for id in ProviderId::ALL {
            assert_eq!(id.to_string(), id.name());
            assert_eq!(id.to_string().parse::<ProviderId>(), Ok(id));
        }
        assert!("stripe".parse::<ProviderId>().is_err());
    }
}
