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
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, Name, UnknownEvent, WebhookEvent, next_once, number, open_enum, parse_json, parse_json_at, str_at,
    timestamp,
};

pub use crate::Extra;

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
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

        // What `#[derive(Deserialize)]` with `#[serde(flatten)] extra` does,
        // without buffering the other keys through serde's `Content` first:
        // their JSON text goes straight into `extra` (so it reads JSON text,
        // `serde_json::from_str` or `from_slice`).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl<'de> de::Visitor<'de> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }

                    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut id = None;
                        let mut organization_id = None;
                        $( let mut $field = None; )*
                        let mut extra = Extra::new();
                        while let Some(Name(key)) = map.next_key()? {
                            match &*key {
                                "id" => next_once(&mut map, &mut id, "id")?,
                                "organization_id" => next_once(&mut map, &mut organization_id, "organization_id")?,
                                $( stringify!($field) => next_once(&mut map, &mut $field, stringify!($field))?, )*
                                _ => {
                                    extra.push_raw(key, map.next_value()?);
                                }
                            }
                        }
                        Ok($name {
                            id: id.flatten(),
                            organization_id: organization_id.flatten(),
                            $( $field: $field.flatten(), )*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(Visitor)
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
                let event = match wire.data {
                    Data::Typed(event) => event,
                    Data::Raw(data) => match Self::from_raw(&wire.event, data)? {
                        Some(event) => event,
                        None => return Ok(None),
                    },
                };
                Ok(Some(event.with_timestamp(wire.timestamp)))
            }

            /// Deserializes the map's next value as the data of the known
            /// event `name` (its timestamp is set later); `None`, consuming
            /// nothing, for any other name.
            fn next_data<'de, A: de::MapAccess<'de>>(name: &str, map: &mut A) -> Result<Option<Self>, A::Error> {
                Ok(Some(match name {
                    $( $wire => Self::$variant(Payload { timestamp: DateTime::<Utc>::MIN_UTC, data: map.next_value()? }), )*
                    _ => return Ok(None),
                }))
            }

            /// Parses raw `data` as the data of the known event `name`; `None` for any other name.
            fn from_raw(name: &str, data: &RawValue) -> Result<Option<Self>, BodyError> {
                Ok(Some(match name {
                    $( $wire => Self::$variant(Payload { timestamp: DateTime::<Utc>::MIN_UTC, data: parse_json_at("data", data.get())? }), )*
                    _ => return Ok(None),
                }))
            }

            fn with_timestamp(mut self, at: DateTime<Utc>) -> Self {
                match &mut self {
                    $( Self::$variant(p) => p.timestamp = at, )*
                    Self::Unknown(_) => {}
                }
                self
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

/// The envelope `{ event, timestamp, data }`, read in one pass.
///
/// ConnectGain writes `event` before `data`, so `data` is usually
/// deserialized straight into the named event's type. Otherwise (another key
/// order, or an unknown event) it is kept raw and parsed once the name is
/// known. Errors are those of a derived `Deserialize` (missing and duplicate
/// fields, unknown keys ignored).
struct Wire<'a> {
    event: Cow<'a, str>,
    timestamp: DateTime<Utc>,
    data: Data<'a>,
}

// Lives only during a parse; boxing the large variant would cost an allocation.
#[allow(clippy::large_enum_variant)]
enum Data<'a> {
    /// A known event, its timestamp not yet set.
    Typed(Event),
    Raw(&'a RawValue),
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Event,
    Timestamp,
    Data,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct At(#[serde(with = "timestamp::auto")] DateTime<Utc>);

impl<'de> Deserialize<'de> for Wire<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Wire", &["event", "timestamp", "data"], WireVisitor)
    }
}

struct WireVisitor;

impl<'de> de::Visitor<'de> for WireVisitor {
    type Value = Wire<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct Wire")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Wire<'de>, A::Error> {
        use de::Error as _;
        let (mut event, mut timestamp, mut data) = (None::<Cow<'de, str>>, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Event if event.is_some() => return Err(A::Error::duplicate_field("event")),
                Field::Event => event = Some(map.next_value::<Name<'de>>()?.0),
                Field::Timestamp if timestamp.is_some() => return Err(A::Error::duplicate_field("timestamp")),
                Field::Timestamp => timestamp = Some(map.next_value::<At>()?.0),
                Field::Data if data.is_some() => return Err(A::Error::duplicate_field("data")),
                Field::Data => {
                    let typed = match event.as_deref() {
                        Some(name) => Event::next_data(name, &mut map)?,
                        None => None,
                    };
                    data = Some(match typed {
                        Some(event) => Data::Typed(event),
                        None => Data::Raw(map.next_value()?),
                    });
                }
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Wire {
            event: event.ok_or_else(|| A::Error::missing_field("event"))?,
            timestamp: timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?,
            data: data.ok_or_else(|| A::Error::missing_field("data"))?,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderId;

    #[test]
    fn every_sample_parses_the_same_whatever_the_key_order() {
        crate::event::assert_parses_whatever_the_key_order::<Event>(ProviderId::ConnectGain, "event", |event| {
            matches!(event, Event::Unknown(_))
        });
    }

    #[test]
    fn errors_are_those_of_a_derived_deserialize() {
        let cases = [
            (
                r#"{"event":"contact.created","event":"contact.created","timestamp":"2026-04-15T10:30:00Z","data":{}}"#,
                "duplicate field `event`",
            ),
            (
                r#"{"event":"contact.created","timestamp":"2026-04-15T10:30:00Z","data":{},"data":{}}"#,
                "duplicate field `data`",
            ),
            (r#"{"event":"contact.created","data":{}}"#, "missing field `timestamp`"),
            (r#"{"event":"contact.created","timestamp":"2026-04-15T10:30:00Z"}"#, "missing field `data`"),
            (r#"{"event":"contact.created","timestamp":"yesterday","data":{}}"#, "timestamp"),
        ];
        for (body, expected) in cases {
            let err = Event::from_json(body).unwrap_err();
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn a_bad_data_field_is_named_in_either_key_order() {
        let body =
            r#"{"event":"contact.created","timestamp":"2026-04-15T10:30:00Z","data":{"id":"c1","first_name":5}}"#;
        let reordered =
            r#"{"data":{"id":"c1","first_name":5},"timestamp":"2026-04-15T10:30:00Z","event":"contact.created"}"#;
        for text in [body, reordered] {
            let err = Event::from_json(text).unwrap_err();
            assert_eq!(err.path(), "data.first_name", "{text}");
        }
    }

    #[test]
    fn data_reads_like_a_derived_deserialize_with_flatten() {
        let read: Contact =
            serde_json::from_str(r#"{"id":"c1","first_name":"Amara","tags":["a"],"x\"y":{"z":1},"email":null}"#)
                .unwrap();
        assert_eq!((read.id.as_deref(), read.first_name.as_deref(), read.email), (Some("c1"), Some("Amara"), None));
        assert_eq!(read.extra.len(), 2);
        assert_eq!(read.extra.get("tags"), Some(serde_json::json!(["a"])));
        assert_eq!(read.extra.get("x\"y"), Some(serde_json::json!({"z": 1})));
        for (json, expected) in [
            (r#"{"id":"a","id":"b"}"#, "duplicate field `id`"),
            (r#"{"first_name":1}"#, "invalid type: integer `1`, expected a string"),
            ("[]", "invalid type: sequence, expected struct Contact"),
        ] {
            let err = serde_json::from_str::<Contact>(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn an_unknown_event_keeps_its_data_raw() {
        let body = r#"{"event":"invoice.paid","timestamp":"2026-04-15T10:30:00Z","data":{"id":"inv_1","amount":12}}"#;
        match Event::from_json(body).unwrap() {
            Event::Unknown(unknown) => {
                assert_eq!(unknown.name(), "invoice.paid");
                assert_eq!(unknown.raw().get(), body);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
