//! A realistic sample body for every documented event, and each provider's
//! test event, exactly as the provider would send it (compact JSON).
//!
//! The sender, the command-line tool and the tests all draw on these.
//!
//! ```
//! use hookseal_core::{ProviderId, samples};
//! let test = samples::test_event(ProviderId::Zapito);
//! assert!(test.is_test && test.event == "lead.handoff");
//! // Every documented event of every provider has one:
//! for provider in ProviderId::ALL {
//!     for event in provider.events() {
//!         assert!(samples::find(provider, event).is_some(), "{provider} {event}");
//!     }
//! }
//! ```

use crate::provider::ProviderId;

/// One sample body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sample {
    /// The provider that sends it.
    pub provider: ProviderId,
    /// The sample's name: the event name, with a suffix for variants (`lead.handoff.model_error`), or `test`.
    pub name: &'static str,
    /// The wire event name.
    pub event: &'static str,
    /// Whether it is the provider's test event.
    pub is_test: bool,
    /// The body, byte for byte.
    pub body: &'static [u8],
}

macro_rules! samples {
    ($($provider:ident / $file:literal => $event:literal $(, $test:ident)?;)*) => {
        const ALL: &[Sample] = &[$(
            Sample {
                provider: ProviderId::$provider,
                name: $file,
                event: $event,
                is_test: samples!(@test $($test)?),
                body: include_bytes!(concat!("../samples/", samples!(@dir $provider), "/", $file, ".json")),
            },
        )*];
    };
    (@test test) => { true };
    (@test) => { false };
    (@dir Tocc) => { "tocc" };
    (@dir Toran) => { "toran" };
    (@dir Zapito) => { "zapito" };
    (@dir Tuco) => { "tuco" };
    (@dir ConnectGain) => { "connectgain" };
}

samples! {
    Tocc / "lead.new" => "lead.new";
    Tocc / "customer.updated" => "customer.updated";
    Tocc / "customer.returning" => "customer.returning";
    Tocc / "conversation.escalated" => "conversation.escalated";
    Tocc / "conversation.resolved" => "conversation.resolved";
    Tocc / "lead.stalled" => "lead.stalled";
    Tocc / "test" => "lead.new", test;
    Toran / "lead.captured" => "lead.captured";
    Toran / "lead.test" => "lead.test", test;
    Zapito / "lead.handoff" => "lead.handoff";
    Zapito / "lead.handoff.handoff" => "lead.handoff";
    Zapito / "lead.handoff.model_error" => "lead.handoff";
    Zapito / "lead.handoff.out_of_credits" => "lead.handoff";
    Zapito / "test" => "lead.handoff", test;
    Tuco / "message.sent" => "message.sent";
    Tuco / "message.failed" => "message.failed";
    Tuco / "message.fallback" => "message.fallback";
    Tuco / "message.reply" => "message.reply";
    Tuco / "message.opened" => "message.opened";
    Tuco / "test" => "message.sent", test;
    ConnectGain / "contact.created" => "contact.created";
    ConnectGain / "contact.updated" => "contact.updated";
    ConnectGain / "contact.assigned" => "contact.assigned";
    ConnectGain / "deal.created" => "deal.created";
    ConnectGain / "deal.updated" => "deal.updated";
    ConnectGain / "deal.stage.changed" => "deal.stage.changed";
    ConnectGain / "deal.assigned" => "deal.assigned";
    ConnectGain / "conversation.created" => "conversation.created";
    ConnectGain / "conversation.assigned" => "conversation.assigned";
    ConnectGain / "conversation.status.changed" => "conversation.status.changed";
    ConnectGain / "message.received" => "message.received";
    ConnectGain / "message.sent" => "message.sent";
    ConnectGain / "message.delivered" => "message.delivered";
    ConnectGain / "message.read" => "message.read";
    ConnectGain / "message.failed" => "message.failed";
    ConnectGain / "broadcast.response" => "broadcast.response";
    ConnectGain / "zoom.recording.completed" => "zoom.recording.completed";
    ConnectGain / "webhook.test" => "webhook.test", test;
}

/// Every sample, grouped by provider.
#[must_use]
pub fn all() -> &'static [Sample] {
    ALL
}

/// The samples of one provider.
pub fn for_provider(provider: ProviderId) -> impl Iterator<Item = &'static Sample> {
    ALL.iter().filter(move |s| s.provider == provider)
}

/// The sample of `provider` named `name`. Every event has a sample named
/// after it (not the test one), so an event name finds that event's sample.
#[must_use]
pub fn find(provider: ProviderId, name: &str) -> Option<&'static Sample> {
    for_provider(provider).find(|s| s.name == name)
}

/// The provider's test event, as its "Send test event" button sends it.
#[must_use]
pub fn test_event(provider: ProviderId) -> &'static Sample {
    // Every provider has exactly one test sample (checked by the tests).
    for_provider(provider).find(|s| s.is_test).unwrap_or(&ALL[0])
}
