//! ConnectGain: 17 CRM events in six families, `X-Webhook-Signature: <bare hex>`.
//!
//! Every event is `{ event, timestamp, data }`. ConnectGain publishes no
//! per-event schema beyond `id` and `organization_id`, so each family's data
//! types the fields that are plainly there, all optional, and keeps every
//! other key in `extra`. The test event is `webhook.test`. The idempotency key
//! is `<event>:<data.id>:<timestamp>`.
//!
//! ConnectGain sends the signature only when the webhook has a secret; see
//! [`Verifier::accept_unsigned_insecure`](crate::Verifier::accept_unsigned_insecure).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, UnknownEvent, WebhookEvent, number, open_enum, parse_json, parse_json_at, str_at, timestamp,
};

/// Extra keys of a data object, kept as sent.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// What every ConnectGain event carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload<D> {
    /// When the event was built (signed).
    pub timestamp: DateTime<Utc>,
    /// The event-specific data.
    pub data: D,
}

macro_rules! families {
    ($(
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )* }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The record's id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            /// The organization it belongs to.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub organization_id: Option<String>,
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Every other key, as sent.
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl DataId for $name {
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
        }
    )*};
}

trait DataId {
    fn id(&self) -> Option<&str>;
}

families! {
    /// Data of the `contact.*` events.
    Contact {
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Email address.
        email: String,
        /// Phone number.
        phone: String,
        /// The user the contact is assigned to.
        assigned_to: String,
    }
    /// Data of the `deal.*` events.
    Deal {
        /// The deal's title.
        title: String,
        /// The pipeline stage.
        stage: String,
        /// The stage before (`deal.stage.changed`).
        previous_stage: String,
        /// The deal's value.
        #[serde(serialize_with = "number::option::serialize")]
        value: f64,
        /// The value's currency.
        currency: String,
        /// The contact the deal is with.
        contact_id: String,
        /// The user the deal is assigned to.
        assigned_to: String,
    }
    /// Data of the `conversation.*` events.
    Conversation {
        /// The contact in the conversation.
        contact_id: String,
        /// The channel, such as `whatsapp`.
        channel: String,
        /// `OPEN` or `CLOSED`.
        status: ConversationStatus,
        /// The status before (`conversation.status.changed`).
        previous_status: ConversationStatus,
        /// The user the conversation is assigned to.
        assigned_to: String,
    }
    /// Data of the `message.*` events.
    Message {
        /// The conversation the message is in.
        conversation_id: String,
        /// The contact.
        contact_id: String,
        /// `inbound` or `outbound`.
        direction: String,
        /// The channel, such as `whatsapp`.
        channel: String,
        /// The message text.
        content: String,
        /// Delivery status.
        status: String,
        /// Why it failed (`message.failed`).
        error: String,
    }
    /// Data of `broadcast.response`.
    BroadcastResponse {
        /// The broadcast replied to.
        broadcast_id: String,
        /// The contact who replied.
        contact_id: String,
        /// The reply.
        message: String,
    }
    /// Data of `zoom.recording.completed`.
    Recording {
        /// The Zoom meeting.
        meeting_id: String,
        /// The meeting's topic.
        topic: String,
        /// Where the recording is.
        recording_url: String,
        /// Length in seconds.
        #[serde(serialize_with = "number::option::serialize")]
        duration: f64,
    }
    /// Data of the `webhook.test` event.
    TestData {
        /// The test message.
        message: String,
    }
}

open_enum! {
    /// A conversation's status.
    pub enum ConversationStatus {
        /// `OPEN`
        Open = "OPEN",
        /// `CLOSED`
        Closed = "CLOSED",
    }
}

macro_rules! events {
    ($( $(#[$meta:meta])* $variant:ident($data:ident) = $wire:literal, )*) => {
        /// A ConnectGain event.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$meta])* $variant(Payload<$data>), )*
            /// An event this version does not know.
            Unknown(UnknownEvent),
        }

        const EVENTS: &[&str] = &[$($wire),*];

        impl Event {
            fn strict(body: &str) -> Result<Option<Self>, BodyError> {
                let wire: Wire<'_> = parse_json(body)?;
                Ok(Some(match &*wire.event {
                    $( $wire => Self::$variant(wire.payload()?), )*
                    _ => return Ok(None),
                }))
            }

            /// The signed timestamp and `data.id` of a known event.
            fn envelope(&self) -> Option<(DateTime<Utc>, Option<&str>)> {
                match self {
                    $( Self::$variant(p) => Some((p.timestamp, p.data.id())), )*
                    Self::Unknown(_) => None,
                }
            }

            fn wire_name(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $wire, )*
                    Self::Unknown(unknown) => unknown.name(),
                }
            }
        }

        impl Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let event = self.wire_name();
                match self {
                    $( Self::$variant(p) => WireOut { event, timestamp: &p.timestamp, data: &p.data }.serialize(serializer), )*
                    Self::Unknown(unknown) => unknown.serialize(serializer),
                }
            }
        }
    };
}

events! {
    /// `contact.created`
    ContactCreated(Contact) = "contact.created",
    /// `contact.updated`
    ContactUpdated(Contact) = "contact.updated",
    /// `contact.assigned`
    ContactAssigned(Contact) = "contact.assigned",
    /// `deal.created`
    DealCreated(Deal) = "deal.created",
    /// `deal.updated`
    DealUpdated(Deal) = "deal.updated",
    /// `deal.stage.changed`
    DealStageChanged(Deal) = "deal.stage.changed",
    /// `deal.assigned`
    DealAssigned(Deal) = "deal.assigned",
    /// `conversation.created`
    ConversationCreated(Conversation) = "conversation.created",
    /// `conversation.assigned`
    ConversationAssigned(Conversation) = "conversation.assigned",
    /// `conversation.status.changed` (`OPEN` / `CLOSED`)
    ConversationStatusChanged(Conversation) = "conversation.status.changed",
    /// `message.received`
    MessageReceived(Message) = "message.received",
    /// `message.sent`
    MessageSent(Message) = "message.sent",
    /// `message.delivered`
    MessageDelivered(Message) = "message.delivered",
    /// `message.read`
    MessageRead(Message) = "message.read",
    /// `message.failed`
    MessageFailed(Message) = "message.failed",
    /// `broadcast.response`: a contact replied to a broadcast.
    BroadcastResponse(BroadcastResponse) = "broadcast.response",
    /// `zoom.recording.completed`
    ZoomRecordingCompleted(Recording) = "zoom.recording.completed",
    /// `webhook.test`: the test event.
    WebhookTest(TestData) = "webhook.test",
}

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "timestamp",
    known: EVENTS,
    key: |value| {
        let event = str_at(value, "/event")?;
        let id = str_at(value, "/data/id").unwrap_or_default();
        Some(format!("{event}:{id}:{}", str_at(value, "/timestamp")?))
    },
};

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(with = "timestamp::auto")]
    timestamp: DateTime<Utc>,
    #[serde(borrow)]
    data: &'a RawValue,
}

impl<'a> Wire<'a> {
    fn payload<D: Deserialize<'a>>(&self) -> Result<Payload<D>, BodyError> {
        Ok(Payload { timestamp: self.timestamp, data: parse_json_at("data", self.data.get())? })
    }
}

#[derive(Serialize)]
struct WireOut<'a, D> {
    event: &'a str,
    #[serde(with = "timestamp::auto")]
    timestamp: &'a DateTime<Utc>,
    data: &'a D,
}

impl WebhookEvent for Event {
    fn from_json(body: &str) -> Result<Self, BodyError> {
        match Self::strict(body) {
            Ok(Some(event)) => Ok(event),
            Ok(None) => LAYOUT.recover(body, None).map(Self::Unknown),
            Err(err) => LAYOUT.recover(body, Some(err)).map(Self::Unknown),
        }
    }

    fn name(&self) -> &str {
        self.wire_name()
    }

    fn is_test(&self) -> bool {
        self.name() == "webhook.test"
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        match (self.envelope(), self) {
            (Some((at, id)), _) => {
                Cow::Owned(format!("{}:{}:{}", self.name(), id.unwrap_or_default(), timestamp::auto::render(&at)))
            }
            (None, Self::Unknown(unknown)) => Cow::Borrowed(unknown.idempotency_key()),
            (None, _) => Cow::Borrowed(""),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match (self.envelope(), self) {
            (Some((at, _)), _) => Some(at),
            (None, Self::Unknown(unknown)) => unknown.occurred_at(),
            (None, _) => None,
        }
    }
}
