//! Tuco: five message events, `X-Tuco-Signature: <bare hex>`.
//!
//! A test send carries `testMode: true` at the top level. The idempotency key
//! is `<data.messageId>:<event>`. Every `data` field but `messageId` may be
//! absent on some events.
//!
//! Tuco documents its payload by example only, besides `testMode` (a
//! boolean): `event` and the signed `timestamp` are typed; `workspaceId` and
//! every `data` field but the attachment lists are [`Text`]s, which take a
//! string or any other JSON value; an attachment list that is not a list of
//! strings reads as `None` and is kept in `data`'s `extra`. Every key this
//! version does not know, at the top level and in `data`, is kept in the
//! object's `extra`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::BodyError;
use crate::event::{Layout, UnknownEvent, WebhookEvent, is_false, object_deserialize, parse_json, text_at, timestamp};
use crate::{Extra, Text};

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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// When the event was built (signed).
    #[serde(with = "timestamp::auto")]
    pub timestamp: DateTime<Utc>,
    /// The workspace (`org_…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<Text>,
    /// `true` on the dashboard's test send.
    #[serde(skip_serializing_if = "is_false")]
    pub test_mode: bool,
    /// The message.
    pub data: MessageData,
    /// Every other top-level key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The message an event is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageData {
    /// The message's id (`msg_…`), always present.
    pub message_id: Text,
    /// The recipient's phone number (E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_phone: Option<Text>,
    /// The message text (the lead's reply, on `message.reply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
    /// Delivery status, such as `received`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Text>,
    /// The sending line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_id: Option<Text>,
    /// The lead's first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Text>,
    /// The lead's last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text>,
    /// URLs of attachments (`None` if not sent as a list of strings: the value is in `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_urls: Option<Vec<String>>,
    /// File names of attachments (`None` if not sent as a list of strings: the value is in `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_names: Option<Vec<String>>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(MessageData {
    "messageId" => message_id: required,
    "recipientPhone" => recipient_phone: optional,
    "message" => message: optional,
    "status" => status: optional,
    "lineId" => line_id: optional,
    "firstName" => first_name: optional,
    "lastName" => last_name: optional,
    "attachmentUrls" => attachment_urls: loose,
    "attachmentNames" => attachment_names: loose,
});

const EVENTS: &[&str] = &["message.sent", "message.failed", "message.fallback", "message.reply", "message.opened"];

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "timestamp",
    known: EVENTS,
    key: |value| Some(format!("{}:{}", text_at(value, "/data/messageId")?, text_at(value, "/event")?)),
};

/// The body, read in one pass; unknown keys are kept in `extra`.
struct Wire<'a> {
    event: Cow<'a, str>,
    timestamp: DateTime<Utc>,
    workspace_id: Option<Text>,
    test_mode: bool,
    data: MessageData,
    extra: Extra,
}

object_deserialize!(Wire<'de> {
    "event" => event: name,
    "timestamp" => timestamp: time,
    "workspaceId" => workspace_id: optional,
    "testMode" => test_mode: default,
    "data" => data: required,
});

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
        let Wire { event, timestamp, workspace_id, test_mode, data, extra } = wire;
        let payload = Payload { timestamp, workspace_id, test_mode, data, extra };
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
