//! Tuco: five message events, `X-Tuco-Signature: <bare hex>`.
//!
//! A test send carries `testMode: true` at the top level. The idempotency key
//! is `<data.messageId>:<event>`. Every `data` field but `messageId` may be
//! absent on some events.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::BodyError;
use crate::event::{Layout, UnknownEvent, WebhookEvent, is_false, parse_json, str_at, timestamp};

/// A Tuco event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `message.sent`: an iMessage was delivered.
    MessageSent(Payload),
    /// `message.failed`: delivery failed.
    MessageFailed(Payload),
    /// `message.fallback`: no iMessage; route the message to SMS.
    MessageFallback(Payload),
    /// `message.reply`: the lead replied.
    MessageReply(Payload),
    /// `message.opened`: an email was opened (email lines only).
    MessageOpened(Payload),
    /// An event this version does not know.
    Unknown(UnknownEvent),
}

/// What every Tuco event carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// When the event was built (signed).
    #[serde(with = "timestamp::auto")]
    pub timestamp: DateTime<Utc>,
    /// The workspace (`org_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// `true` on the dashboard's test send.
    #[serde(default, skip_serializing_if = "is_false")]
    pub test_mode: bool,
    /// The message.
    pub data: MessageData,
}

/// The message an event is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageData {
    /// The message's id (`msg_…`), always present.
    pub message_id: String,
    /// The recipient's phone number (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_phone: Option<String>,
    /// The message text (the lead's reply, on `message.reply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Delivery status, such as `received`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The sending line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_id: Option<String>,
    /// The lead's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// The lead's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// URLs of attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_urls: Option<Vec<String>>,
    /// File names of attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_names: Option<Vec<String>>,
}

const EVENTS: &[&str] = &["message.sent", "message.failed", "message.fallback", "message.reply", "message.opened"];

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "timestamp",
    known: EVENTS,
    key: |value| Some(format!("{}:{}", str_at(value, "/data/messageId")?, str_at(value, "/event")?)),
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(with = "timestamp::auto")]
    timestamp: DateTime<Utc>,
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    test_mode: bool,
    data: MessageData,
}

#[derive(Serialize)]
struct WireOut<'a> {
    event: &'a str,
    #[serde(flatten)]
    payload: &'a Payload,
}

impl Event {
    /// The payload, for any known event.
    #[must_use]
    pub fn payload(&self) -> Option<&Payload> {
        match self {
            Self::MessageSent(p)
            | Self::MessageFailed(p)
            | Self::MessageFallback(p)
            | Self::MessageReply(p)
            | Self::MessageOpened(p) => Some(p),
            Self::Unknown(_) => None,
        }
    }
}

impl WebhookEvent for Event {
    fn from_json(body: &str) -> Result<Self, BodyError> {
        let wire = match parse_json::<Wire<'_>>(body) {
            Ok(wire) => wire,
            Err(err) => return LAYOUT.recover(body, Some(err)).map(Self::Unknown),
        };
        let Wire { event, timestamp, workspace_id, test_mode, data } = wire;
        let payload = Payload { timestamp, workspace_id, test_mode, data };
        // Each variant built in place (a constructor called through a
        // function pointer copied the payload once more).
        Ok(match &*event {
            "message.sent" => Self::MessageSent(payload),
            "message.failed" => Self::MessageFailed(payload),
            "message.fallback" => Self::MessageFallback(payload),
            "message.reply" => Self::MessageReply(payload),
            "message.opened" => Self::MessageOpened(payload),
            _ => return LAYOUT.recover(body, None).map(Self::Unknown),
        })
    }

    fn name(&self) -> &str {
        match self {
            Self::MessageSent(_) => "message.sent",
            Self::MessageFailed(_) => "message.failed",
            Self::MessageFallback(_) => "message.fallback",
            Self::MessageReply(_) => "message.reply",
            Self::MessageOpened(_) => "message.opened",
            Self::Unknown(unknown) => unknown.name(),
        }
    }

    fn is_test(&self) -> bool {
        match self {
            Self::Unknown(unknown) => {
                matches!(unknown.value().get("testMode"), Some(serde_json::Value::Bool(true)))
            }
            known => known.payload().is_some_and(|p| p.test_mode),
        }
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        match (self.payload(), self) {
            (Some(p), _) => Cow::Owned(format!("{}:{}", p.data.message_id, self.name())),
            (None, Self::Unknown(unknown)) => Cow::Borrowed(unknown.idempotency_key()),
            (None, _) => Cow::Borrowed(""),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match (self.payload(), self) {
            (Some(p), _) => Some(p.timestamp),
            (None, Self::Unknown(unknown)) => unknown.occurred_at(),
            (None, _) => None,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.payload(), self) {
            (Some(payload), _) => WireOut { event: self.name(), payload }.serialize(serializer),
            (None, Self::Unknown(unknown)) => unknown.serialize(serializer),
            (None, _) => serializer.serialize_unit(),
        }
    }
}
