//! Zapito: one event, `lead.handoff`, on every human handoff;
//! `X-Zapito-Signature: sha256=<hex>`.
//!
//! The signed timestamp is `at`; a test event has `reason: "test"`. The
//! idempotency key is `<conversation.id>:<at>`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::BodyError;
use crate::event::{Layout, UnknownEvent, WebhookEvent, open_enum, parse_json, str_at, timestamp};

/// A Zapito event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `lead.handoff`: the bot handed a conversation to a human.
    LeadHandoff(Handoff),
    /// An event this version does not know.
    Unknown(UnknownEvent),
}

/// A handoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub transcript: Vec<Message>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    /// The bot's id (`bot_…`).
    pub id: String,
    /// The bot's name.
    pub name: String,
}

/// The conversation handed off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// The conversation's id (`conv_…`).
    pub id: String,
    /// The channel it runs on.
    pub channel: Channel,
    /// The contact's id on that channel (a phone number on WhatsApp).
    #[serde(default)]
    pub external_id: Option<String>,
    /// The contact's profile name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// The conversation's status, such as `handoff`.
    pub status: String,
}

/// One transcript message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What was written.
    pub content: String,
    /// When.
    #[serde(with = "timestamp::millis")]
    pub at: DateTime<Utc>,
}

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "at",
    known: &["lead.handoff"],
    key: |value| Some(format!("{}:{}", str_at(value, "/conversation/id")?, str_at(value, "/at")?)),
};

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(with = "timestamp::millis")]
    at: DateTime<Utc>,
    reason: Reason,
    bot: Bot,
    conversation: Conversation,
    #[serde(default)]
    transcript: Vec<Message>,
}

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
            Ok(wire) if wire.event == "lead.handoff" => Ok(Self::LeadHandoff(Handoff {
                at: wire.at,
                reason: wire.reason,
                bot: wire.bot,
                conversation: wire.conversation,
                transcript: wire.transcript,
            })),
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
