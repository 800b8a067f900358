//! ConnectGain: 17 CRM events in six families, `X-Webhook-Signature: <bare hex>`.
//!
//! Every event is `{ event, timestamp, data }`. ConnectGain publishes no
//! per-event schema beyond `id` and `organization_id`, so each family's data
//! types the fields that are plainly there, all optional, and keeps every
//! other key in `extra`. The test event is `webhook.test`. The idempotency key
//! is `<event>:<data.id>:<timestamp>`.
//!
//! Every type in `data` is a guess, and a guess never refuses an event: the
//! ids, names and other text are [`Text`]s, which take a string or any other
//! JSON value (Zoom's `meeting_id` is a number); a deal's `value` and a
//! recording's `duration` read as `None` when they are not a number (or a
//! 64-bit integer beyond 2^53, which an `f64` would round), and a conversation's
//! `previous_status` when it is not a string; the value is then kept in
//! `extra` (as the same JSON value). Only what the contract documents is typed strictly:
//! `event`, the signed `timestamp`, and a conversation's `status` (a string,
//! `OPEN` or `CLOSED` or any other). Every key this version does not know, at
//! the top level and in `data`, is kept in the object's `extra`.
//!
//! ConnectGain sends the signature only when the webhook has a secret; see
//! [`Verifier::accept_unsigned_insecure`](crate::Verifier::accept_unsigned_insecure).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, Name, UnknownEvent, WebhookEvent, number, open_enum, parse_json, parse_json_at, text_at, timestamp,
};

pub use crate::{Extra, Text};

/// What every ConnectGain event carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload<D> {
    /// When the event was built (signed).
    pub timestamp: DateTime<Utc>,
    /// The event-specific data.
    pub data: D,
    /// Every other top-level key, as sent.
    pub extra: Extra,
}

macro_rules! families {
    ($(
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $field:ident: $ty:ty = $how:ident, )* }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct $name {
            /// The record's id.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub id: Option<Text>,
            /// The organization it belongs to.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub organization_id: Option<Text>,
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "Option::is_none")]
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
                        use $crate::event::field;
                        let mut id = None;
                        let mut organization_id = None;
                        $( let mut $field = None; )*
                        let mut extra = Extra::new();
                        while let Some(Name(key)) = map.next_key()? {
                            match &*key {
                                "id" => field::optional::next(&mut map, &mut id, "id", &mut extra)?,
                                "organization_id" => field::optional::next(&mut map, &mut organization_id, "organization_id", &mut extra)?,
                                $( stringify!($field) => field::$how::next(&mut map, &mut $field, stringify!($field), &mut extra)?, )*
                                _ => extra.push_raw(key, map.next_value()?),
                            }
                        }
                        Ok($name {
                            id: id.flatten(),
                            organization_id: organization_id.flatten(),
                            $( $field: field::$how::finish::<_, A::Error>($field, stringify!($field))?, )*
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
        first_name: Text = optional,
        /// Last name.
        last_name: Text = optional,
        /// Email address.
        email: Text = optional,
        /// Phone number.
        phone: Text = optional,
        /// The user the contact is assigned to.
        assigned_to: Text = optional,
    }
    /// Data of the `deal.*` events.
    Deal {
        /// The deal's title.
        title: Text = optional,
        /// The pipeline stage.
        stage: Text = optional,
        /// The stage before (`deal.stage.changed`).
        previous_stage: Text = optional,
        /// The deal's value (`None` if it was not sent as a number: the value is in `extra`).
        #[serde(serialize_with = "number::option::serialize")]
        value: f64 = loose_number,
        /// The value's currency.
        currency: Text = optional,
        /// The contact the deal is with.
        contact_id: Text = optional,
        /// The user the deal is assigned to.
        assigned_to: Text = optional,
    }
    /// Data of the `conversation.*` events.
    Conversation {
        /// The contact in the conversation.
        contact_id: Text = optional,
        /// The channel, such as `whatsapp`.
        channel: Text = optional,
        /// `OPEN` or `CLOSED` (or any other string).
        status: ConversationStatus = optional,
        /// The status before (`conversation.status.changed`; `None` if it was
        /// not sent as a string: the value is in `extra`).
        previous_status: ConversationStatus = loose,
        /// The user the conversation is assigned to.
        assigned_to: Text = optional,
    }
    /// Data of the `message.*` events.
    Message {
        /// The conversation the message is in.
        conversation_id: Text = optional,
        /// The contact.
        contact_id: Text = optional,
        /// `inbound` or `outbound`.
        direction: Text = optional,
        /// The channel, such as `whatsapp`.
        channel: Text = optional,
        /// The message text.
        content: Text = optional,
        /// Delivery status.
        status: Text = optional,
        /// Why it failed (`message.failed`).
        error: Text = optional,
    }
    /// Data of `broadcast.response`.
    BroadcastResponse {
        /// The broadcast replied to.
        broadcast_id: Text = optional,
        /// The contact who replied.
        contact_id: Text = optional,
        /// The reply.
        message: Text = optional,
    }
    /// Data of `zoom.recording.completed`.
    Recording {
        /// The Zoom meeting (Zoom's meeting ids are numbers: read as text).
        meeting_id: Text = optional,
        /// The meeting's topic.
        topic: Text = optional,
        /// Where the recording is.
        recording_url: Text = optional,
        /// Length in seconds (`None` if it was not sent as a number: the value is in `extra`).
        #[serde(serialize_with = "number::option::serialize")]
        duration: f64 = loose_number,
    }
    /// Data of the `webhook.test` event.
    TestData {
        /// The test message.
        message: Text = optional,
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
                Ok(Some(event.with_envelope(wire.timestamp, wire.extra)))
            }

            /// Deserializes the map's next value as the data of the known
            /// event `name` (its timestamp is set later); `None`, consuming
            /// nothing, for any other name.
            fn next_data<'de, A: de::MapAccess<'de>>(name: &str, map: &mut A) -> Result<Option<Self>, A::Error> {
                Ok(Some(match name {
                    $( $wire => Self::$variant(Payload { timestamp: DateTime::<Utc>::MIN_UTC, data: map.next_value()?, extra: Extra::new() }), )*
                    _ => return Ok(None),
                }))
            }

            /// Parses raw `data` as the data of the known event `name`; `None` for any other name.
            fn from_raw(name: &str, data: &RawValue) -> Result<Option<Self>, BodyError> {
                Ok(Some(match name {
                    $( $wire => Self::$variant(Payload { timestamp: DateTime::<Utc>::MIN_UTC, data: parse_json_at("data", data.get())?, extra: Extra::new() }), )*
                    _ => return Ok(None),
                }))
            }

            fn with_envelope(mut self, at: DateTime<Utc>, extra: Extra) -> Self {
                match &mut self {
                    $( Self::$variant(p) => {
                        p.timestamp = at;
                        p.extra = extra;
                    } )*
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
                    $( Self::$variant(p) => WireOut { event, timestamp: &p.timestamp, data: &p.data, extra: &p.extra }.serialize(serializer), )*
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
        let event = text_at(value, "/event")?;
        let id = text_at(value, "/data/id").unwrap_or_default();
        Some(format!("{event}:{id}:{}", text_at(value, "/timestamp")?))
    },
};

/// The envelope `{ event, timestamp, data }`, read in one pass.
///
/// ConnectGain writes `event` before `data`, so `data` is usually
/// deserialized straight into the named event's type. Otherwise (another key
/// order, or an unknown event) it is kept raw and parsed once the name is
/// known. Errors are those of a derived `Deserialize` (missing and duplicate
/// fields); unknown keys are kept in `extra`.
struct Wire<'a> {
    event: Cow<'a, str>,
    timestamp: DateTime<Utc>,
    data: Data<'a>,
    extra: Extra,
}

// Lives only during a parse; boxing the large variant would cost an allocation.
#[allow(clippy::large_enum_variant)]
enum Data<'a> {
    /// A known event, its timestamp not yet set.
    Typed(Event),
    Raw(&'a RawValue),
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
        let mut extra = Extra::new();
        while let Some(Name(key)) = map.next_key()? {
            match &*key {
                "event" if event.is_some() => return Err(A::Error::duplicate_field("event")),
                "event" => event = Some(map.next_value::<Name<'de>>()?.0),
                "timestamp" if timestamp.is_some() => return Err(A::Error::duplicate_field("timestamp")),
                "timestamp" => timestamp = Some(map.next_value::<At>()?.0),
                "data" if data.is_some() => return Err(A::Error::duplicate_field("data")),
                "data" => {
                    let typed = match event.as_deref() {
                        Some(name) => Event::next_data(name, &mut map)?,
                        None => None,
                    };
                    data = Some(match typed {
                        Some(event) => Data::Typed(event),
                        None => Data::Raw(map.next_value()?),
                    });
                }
                _ => extra.push_raw(key, map.next_value()?),
            }
        }
        Ok(Wire {
            event: event.ok_or_else(|| A::Error::missing_field("event"))?,
            timestamp: timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?,
            data: data.ok_or_else(|| A::Error::missing_field("data"))?,
            extra,
        })
    }
}

#[derive(Serialize)]
struct WireOut<'a, D> {
    event: &'a str,
    #[serde(with = "timestamp::auto")]
    timestamp: &'a DateTime<Utc>,
    data: &'a D,
    #[serde(flatten)]
    extra: &'a Extra,
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
            (
                r#"{"event":"contact.created","timestamp":"2026-04-15T10:30:00Z","timestamp":"2026-04-15T10:30:00Z","data":{}}"#,
                "duplicate field `timestamp`",
            ),
            ("[]", "expected struct Wire"),
            (r#"{"event":"contact.created","data":{}}"#, "missing field `timestamp`"),
            (r#"{"event":"contact.created","timestamp":"2026-04-15T10:30:00Z"}"#, "missing field `data`"),
            (r#"{"event":"contact.created","timestamp":"yesterday","data":{}}"#, "timestamp"),
            (r#"{"event":"contact.created","timestamp":1767225600,"data":{}}"#, "expected an ISO 8601 timestamp"),
        ];
        for (body, expected) in cases {
            let err = Event::from_json(body).unwrap_err();
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn a_bad_data_field_is_named_in_either_key_order() {
        // `status` is the one `data` field whose type the contract fixes (a string).
        let body =
            r#"{"event":"conversation.created","timestamp":"2026-04-15T10:30:00Z","data":{"id":"c1","status":5}}"#;
        let reordered =
            r#"{"data":{"id":"c1","status":5},"timestamp":"2026-04-15T10:30:00Z","event":"conversation.created"}"#;
        for text in [body, reordered] {
            let err = Event::from_json(text).unwrap_err();
            assert_eq!(err.path(), "data.status", "{text}");
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
            ("[]", "invalid type: sequence, expected struct Contact"),
        ] {
            let err = serde_json::from_str::<Contact>(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
        let err = serde_json::from_str::<Conversation>(r#"{"status":1}"#).unwrap_err().to_string();
        assert!(err.contains("invalid type: integer `1`, expected a string"), "{err}");
    }

    /// Issue 12: a guessed type refused an authentic event (Zoom's meeting ids are numbers).
    #[test]
    fn guessed_types_take_what_a_sender_plausibly_sends() {
        let body = r#"{"event":"zoom.recording.completed","timestamp":"2026-04-23T15:58:02Z","data":{"id":1234,"organization_id":"o1","meeting_id":84712093456,"topic":"Call","duration":"2715","recording_url":null}}"#;
        let event = Event::from_json(body).unwrap();
        let Event::ZoomRecordingCompleted(recording) = &event else { panic!("{event:?}") };
        let data = &recording.data;
        assert_eq!(data.meeting_id.as_deref(), Some("84712093456"));
        assert_eq!(data.meeting_id.as_ref().map(Text::kind), Some(crate::TextKind::Number));
        assert_eq!(data.id.as_deref(), Some("1234"));
        assert_eq!(event.idempotency_key(), "zoom.recording.completed:1234:2026-04-23T15:58:02Z");
        // A duration sent as a string is not a number: kept as sent, beside the typed fields.
        assert_eq!(data.duration, None);
        assert_eq!(data.extra.get_raw("duration").map(|raw| raw.get()), Some(r#""2715""#));
        let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(json, serde_json::from_str::<serde_json::Value>(body).unwrap().tap_null("recording_url"));
        assert_eq!(Event::from_slice(&event.to_json()).unwrap(), event);

        let deal = r#"{"event":"deal.updated","timestamp":"2026-04-23T15:58:02Z","data":{"value":"12500.00","previous_status":3}}"#;
        let Event::DealUpdated(deal) = Event::from_json(deal).unwrap() else { panic!() };
        assert_eq!(deal.data.value, None);
        assert_eq!(deal.data.extra.get("value"), Some(serde_json::json!("12500.00")));
        assert_eq!(deal.data.extra.get("previous_status"), Some(serde_json::json!(3)));
        // An integer an `f64` would round is kept exactly, not rounded.
        for (value, typed) in [
            ("12396119760600984845", None),
            ("9007199254740992", Some(9_007_199_254_740_992.0)),
            ("1.5e3", Some(1500.0)),
        ] {
            let body =
                format!(r#"{{"event":"deal.updated","timestamp":"2026-04-23T15:58:02Z","data":{{"value":{value}}}}}"#);
            let Event::DealUpdated(deal) = Event::from_json(&body).unwrap() else { panic!() };
            assert_eq!(deal.data.value, typed, "{value}");
            assert_eq!(deal.data.extra.get_raw("value").map(|raw| raw.get()), typed.is_none().then_some(value));
        }
    }

    trait TapNull {
        fn tap_null(self, key: &str) -> Self;
    }

    impl TapNull for serde_json::Value {
        /// `to_json` leaves an absent optional field out: drop `data.<key>: null` to compare.
        fn tap_null(mut self, key: &str) -> Self {
            self["data"].as_object_mut().map(|data| data.remove(key));
            self
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
