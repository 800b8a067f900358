//! Zapito: one event, `lead.handoff`, on every human handoff;
//! `X-Zapito-Signature: sha256=<hex>`.
//!
//! The signed timestamp is `at`; a test event has `reason: "test"`. The
//! idempotency key is `<conversation.id>:<at>`.
//!
//! Zapito documents its payload by example only, besides `reason`'s values
//! and `channel` (any string): those, `event` and the signed `at` are typed;
//! the ids, names, `status` and each message's `content` are [`Text`]s,
//! which take a string or any other JSON value, and a transcript message's
//! `role` and `at` read as `None` when they are not a string and a
//! timestamp (the value is then kept in the message's `extra`). Every key
//! this version does not know, in every object, is kept in its `extra`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::BodyError;
use crate::event::{Layout, UnknownEvent, WebhookEvent, object_deserialize, open_enum, parse_json, text_at, timestamp};
use crate::{Extra, Text};

/// A Zapito event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// The handoff is the event: boxing it would cost every parse an allocation
// (and change the public variant); the enum's size is paid once per request.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// `lead.handoff`: the bot handed a conversation to a human (boxed: a
    /// handoff is large, an unknown event small).
    LeadHandoff(Box<Handoff>),
    /// An event this version does not know.
    Unknown(UnknownEvent),
}

/// A handoff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handoff {
    /// When the handoff happened (signed).
    #[serde(with = "timestamp::millis")]
    pub at: DateTime<Utc>,
    /// Which trigger opened the handoff.
    pub reason: Reason,
    /// The bot that handed off.
    pub bot: Bot,
    /// The conversation handed off.
    pub conversation: Conversation,
    /// The last messages (at most 10), oldest first.
    pub transcript: Vec<Message>,
    /// Every other top-level key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

open_enum! {
    /// Why a handoff happened.
    pub enum Reason {
        /// `handoff`: the flow's handoff node.
        Handoff = "handoff",
        /// `escalate`: the model asked for a human.
        Escalate = "escalate",
        /// `model_error`: the model failed.
        ModelError = "model_error",
        /// `out_of_credits`: the account ran out of credits.
        OutOfCredits = "out_of_credits",
        /// `test`: the "Send test event" button.
        Test = "test",
    }
}

open_enum! {
    /// The messaging channel of a conversation.
    pub enum Channel {
        /// `whatsapp`
        WhatsApp = "whatsapp",
        /// `telegram`
        Telegram = "telegram",
    }
}

open_enum! {
    /// Who wrote a transcript message.
    pub enum Role {
        /// `user`: the customer.
        User = "user",
        /// `assistant`: the bot.
        Assistant = "assistant",
    }
}

/// The bot that handed off.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bot {
    /// The bot's id (`bot_…`).
    pub id: Text,
    /// The bot's name.
    pub name: Text,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(Bot {
    "id" => id: required,
    "name" => name: required,
});

/// The conversation handed off.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// The conversation's id (`conv_…`).
    pub id: Text,
    /// The channel it runs on.
    pub channel: Channel,
    /// The contact's id on that channel (a phone number on WhatsApp).
    pub external_id: Option<Text>,
    /// The contact's profile name.
    pub contact_name: Option<Text>,
    /// The conversation's status, such as `handoff`.
    pub status: Text,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(Conversation {
    "id" => id: required,
    "channel" => channel: required,
    "externalId" => external_id: optional,
    "contactName" => contact_name: optional,
    "status" => status: required,
});

/// One transcript message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Message {
    /// Who wrote it (`None` if it was not sent as a string: the value is in `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// What was written.
    pub content: Text,
    /// When (`None` if it was not sent as a timestamp: the value is in `extra`).
    #[serde(serialize_with = "timestamp::millis::serialize_option", skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(Message {
    "role" => role: loose,
    "content" => content: required,
    "at" => at: loose_time,
});

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "at",
    known: &["lead.handoff"],
    key: |value| Some(format!("{}:{}", text_at(value, "/conversation/id")?, text_at(value, "/at")?)),
};

/// The body, read in one pass; unknown keys are kept in `extra`.
struct Wire<'a> {
    event: Cow<'a, str>,
    at: DateTime<Utc>,
    reason: Reason,
    bot: Bot,
    conversation: Conversation,
    transcript: Vec<Message>,
    extra: Extra,
}

object_deserialize!(Wire<'de> {
    "event" => event: name,
    "at" => at: time,
    "reason" => reason: required,
    "bot" => bot: required,
    "conversation" => conversation: required,
    "transcript" => transcript: default,
});

#[derive(Serialize)]
struct WireOut<'a> {
    event: &'a str,
    #[serde(flatten)]
    handoff: &'a Handoff,
}

impl Handoff {
    /// The idempotency key: `<conversation.id>:<at>`.
    #[must_use]
    pub fn idempotency_key(&self) -> String {
        let at = self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        format!("{}:{at}", self.conversation.id)
    }
}

impl WebhookEvent for Event {
    fn from_json(body: &str) -> Result<Self, BodyError> {
        match parse_json::<Wire<'_>>(body) {
            Ok(wire) if wire.event == "lead.handoff" => Ok(Self::LeadHandoff(Box::new(Handoff {
                at: wire.at,
                reason: wire.reason,
                bot: wire.bot,
                conversation: wire.conversation,
                transcript: wire.transcript,
                extra: wire.extra,
            }))),
            Ok(_) => LAYOUT.recover(body, None).map(Self::Unknown),
            Err(err) => LAYOUT.recover(body, Some(err)).map(Self::Unknown),
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::LeadHandoff(_) => "lead.handoff",
            Self::Unknown(unknown) => unknown.name(),
        }
    }

    fn is_test(&self) -> bool {
        matches!(self, Self::LeadHandoff(handoff) if handoff.reason == Reason::Test)
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        match self {
            Self::LeadHandoff(handoff) => Cow::Owned(handoff.idempotency_key()),
            Self::Unknown(unknown) => Cow::Borrowed(unknown.idempotency_key()),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::LeadHandoff(handoff) => Some(handoff.at),
            Self::Unknown(unknown) => unknown.occurred_at(),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::LeadHandoff(handoff) => WireOut { event: self.name(), handoff }.serialize(serializer),
            Self::Unknown(unknown) => unknown.serialize(serializer),
        }
    }
}
