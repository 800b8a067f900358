//! tocc.contact: six events in one envelope, `X-Tocc-Signature: sha256=<hex>`.
//!
//! Every event carries the business it came from (`alias`, `aliasEmail`,
//! `businessName`: route on `alias_email`), `eventType`, a millisecond
//! `timestamp`, and event-specific `data`. The test event is a `lead.new`
//! whose data has `test: true`. The idempotency key is `id`.
//!
//! tocc.contact documents its field names but few of their types: every
//! field it does not type (the ids, names and addresses) is a [`Text`], which
//! takes a string or any other JSON value; `changedFields` (strings),
//! `daysSinceLast` and `hoursSince` (numbers), `stage`, `reason` and
//! `resolutionType` (strings) and `data.test` (a boolean) are typed as
//! documented. Every key this version does not know, in the envelope and in
//! `data`, is kept in the object's `extra`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, Name, UnknownEvent, WebhookEvent, is_false, next_once, number, object_deserialize, parse_json,
    parse_json_at, text_at, timestamp,
};
use crate::{Extra, Text};

/// A tocc.contact event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `lead.new`: a new customer's first email (also the test event).
    LeadNew(Payload<LeadNew>),
    /// `customer.updated`: a returning customer's profile changed.
    CustomerUpdated(Payload<CustomerUpdated>),
    /// `customer.returning`: a customer is back after 30 or more days.
    CustomerReturning(Payload<CustomerReturning>),
    /// `conversation.escalated`: the AI handed a thread to the owner.
    ConversationEscalated(Payload<ConversationEscalated>),
    /// `conversation.resolved`: a thread was marked resolved.
    ConversationResolved(Payload<ConversationResolved>),
    /// `lead.stalled`: a lead has waited 48 or more hours for the owner.
    LeadStalled(Payload<LeadStalled>),
    /// An event this version does not know.
    Unknown(UnknownEvent),
}

/// The envelope every tocc.contact event shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload<D> {
    /// Event id (`evt_…`): the idempotency key.
    pub id: Text,
    /// The business's id.
    pub business_id: Text,
    /// The business's alias, such as `jayshats`.
    pub alias: Text,
    /// The alias address (`jayshats@tocc.contact`): route on this.
    pub alias_email: Text,
    /// The business's display name.
    pub business_name: Text,
    /// When the event was built (signed).
    pub timestamp: DateTime<Utc>,
    /// Payload version, such as `1.0`.
    pub version: Option<Text>,
    /// The event-specific data.
    pub data: D,
    /// Every other key of the envelope, as sent.
    pub extra: Extra,
}

/// `lead.new` data. The test event has only `test`, `email`, `name`, `source`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadNew {
    /// `true` only on the dashboard's test event.
    #[serde(skip_serializing_if = "is_false")]
    pub test: bool,
    /// The customer's id (absent on the test event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Text>,
    /// The customer's email address.
    pub email: Text,
    /// The customer's name, if known.
    pub name: Option<Text>,
    /// Where the lead came from.
    pub source: Option<Text>,
    /// The lead's stage (open-ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(LeadNew {
    "test" => test: default,
    "customerId" => customer_id: optional,
    "email" => email: required,
    "name" => name: optional,
    "source" => source: optional,
    "stage" => stage: optional,
});

/// `customer.updated` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdated {
    /// The customer's id.
    pub customer_id: Text,
    /// The customer's email address.
    pub email: Text,
    /// The customer's name, if known.
    pub name: Option<Text>,
    /// Names of the profile fields that changed.
    pub changed_fields: Vec<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(CustomerUpdated {
    "customerId" => customer_id: required,
    "email" => email: required,
    "name" => name: optional,
    "changedFields" => changed_fields: default,
});

/// `customer.returning` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReturning {
    /// The customer's id.
    pub customer_id: Text,
    /// The customer's email address.
    pub email: Text,
    /// The customer's name, if known.
    pub name: Option<Text>,
    /// Days since the customer's previous contact.
    #[serde(serialize_with = "number::serialize")]
    pub days_since_last: f64,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(CustomerReturning {
    "customerId" => customer_id: required,
    "email" => email: required,
    "name" => name: optional,
    "daysSinceLast" => days_since_last: required,
});

/// `conversation.escalated` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationEscalated {
    /// The customer's id.
    pub customer_id: Text,
    /// The thread's id.
    pub thread_id: Text,
    /// Why the AI escalated (open-ended).
    pub reason: String,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(ConversationEscalated {
    "customerId" => customer_id: required,
    "threadId" => thread_id: required,
    "reason" => reason: required,
});

/// `conversation.resolved` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationResolved {
    /// The customer's id.
    pub customer_id: Text,
    /// The thread's id.
    pub thread_id: Text,
    /// How it was resolved (open-ended).
    pub resolution_type: String,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(ConversationResolved {
    "customerId" => customer_id: required,
    "threadId" => thread_id: required,
    "resolutionType" => resolution_type: required,
});

/// `lead.stalled` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadStalled {
    /// The customer's id.
    pub customer_id: Text,
    /// The customer's email address.
    pub email: Text,
    /// The customer's name, if known.
    pub name: Option<Text>,
    /// The thread's id.
    pub thread_id: Text,
    /// Hours since the lead's last message.
    #[serde(serialize_with = "number::serialize")]
    pub hours_since: f64,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(LeadStalled {
    "customerId" => customer_id: required,
    "email" => email: required,
    "name" => name: optional,
    "threadId" => thread_id: required,
    "hoursSince" => hours_since: required,
});

const EVENTS: &[&str] = &[
    "lead.new",
    "customer.updated",
    "customer.returning",
    "conversation.escalated",
    "conversation.resolved",
    "lead.stalled",
];

const LAYOUT: Layout = Layout {
    event_field: "eventType",
    timestamp_field: "timestamp",
    known: EVENTS,
    key: |value| text_at(value, "/id"),
};

/// The envelope, read in one pass.
///
/// tocc.contact writes `eventType` before `data`, so `data` is usually
/// deserialized straight into the event's type. Otherwise (another key order,
/// or an unknown event) it is kept raw and parsed once the name is known.
/// Errors are those of a derived `Deserialize` (missing and duplicate
/// fields); unknown keys are kept in the envelope's `extra`.
struct Wire<'a> {
    envelope: Envelope,
    event_type: Cow<'a, str>,
    data: Data<'a>,
}

/// The envelope fields of [`Payload`].
struct Envelope {
    id: Text,
    business_id: Text,
    alias: Text,
    alias_email: Text,
    business_name: Text,
    timestamp: DateTime<Utc>,
    version: Option<Text>,
    extra: Extra,
}

impl Envelope {
    fn payload<D>(self, data: D) -> Payload<D> {
        Payload {
            id: self.id,
            business_id: self.business_id,
            alias: self.alias,
            alias_email: self.alias_email,
            business_name: self.business_name,
            timestamp: self.timestamp,
            version: self.version,
            data,
            extra: self.extra,
        }
    }
}

macro_rules! data {
    ($( $variant:ident = $wire:literal, )*) => {
        /// The `data` of a known event, or kept raw.
        enum Data<'a> {
            $( $variant($variant), )*
            Raw(&'a RawValue),
        }

        impl<'a> Data<'a> {
            /// Deserializes the map's next value as the data of the known
            /// event `name`; `None`, consuming nothing, for any other name.
            fn next<'de, A: de::MapAccess<'de>>(name: &str, map: &mut A) -> Result<Option<Data<'de>>, A::Error> {
                Ok(Some(match name {
                    $( $wire => Data::$variant(map.next_value()?), )*
                    _ => return Ok(None),
                }))
            }

            /// Parses raw `data` as the data of the known event `name`; `None` for any other name.
            fn parse(name: &str, data: &RawValue) -> Result<Option<Data<'a>>, BodyError> {
                Ok(Some(match name {
                    $( $wire => Data::$variant(parse_json_at("data", data.get())?), )*
                    _ => return Ok(None),
                }))
            }

            /// The event, if the data is typed.
            fn into_event(self, envelope: Envelope) -> Option<Event> {
                match self {
                    $( Data::$variant(data) => Some(Event::$variant(envelope.payload(data))), )*
                    Data::Raw(_) => None,
                }
            }
        }
    };
}

data! {
    LeadNew = "lead.new",
    CustomerUpdated = "customer.updated",
    CustomerReturning = "customer.returning",
    ConversationEscalated = "conversation.escalated",
    ConversationResolved = "conversation.resolved",
    LeadStalled = "lead.stalled",
}

#[derive(Deserialize)]
struct At(#[serde(with = "timestamp::millis")] DateTime<Utc>);

const FIELDS: &[&str] =
    &["id", "businessId", "alias", "aliasEmail", "businessName", "eventType", "timestamp", "version", "data"];

impl<'de> Deserialize<'de> for Wire<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Wire", FIELDS, WireVisitor)
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
        let (mut id, mut business_id, mut alias, mut alias_email, mut business_name) = (None, None, None, None, None);
        let (mut event_type, mut timestamp, mut version, mut data) = (None::<Name<'de>>, None::<At>, None, None);
        let mut extra = Extra::new();
        while let Some(Name(key)) = map.next_key()? {
            match &*key {
                "id" => next_once(&mut map, &mut id, "id")?,
                "businessId" => next_once(&mut map, &mut business_id, "businessId")?,
                "alias" => next_once(&mut map, &mut alias, "alias")?,
                "aliasEmail" => next_once(&mut map, &mut alias_email, "aliasEmail")?,
                "businessName" => next_once(&mut map, &mut business_name, "businessName")?,
                "eventType" => next_once(&mut map, &mut event_type, "eventType")?,
                "timestamp" => next_once(&mut map, &mut timestamp, "timestamp")?,
                "version" => next_once::<_, Option<Text>>(&mut map, &mut version, "version")?,
                "data" if data.is_some() => return Err(A::Error::duplicate_field("data")),
                "data" => {
                    let typed = match &event_type {
                        Some(Name(name)) => Data::next(name, &mut map)?,
                        None => None,
                    };
                    data = Some(match typed {
                        Some(typed) => typed,
                        None => Data::Raw(map.next_value()?),
                    });
                }
                _ => extra.push_raw(key, map.next_value()?),
            }
        }
        Ok(Wire {
            envelope: Envelope {
                id: id.ok_or_else(|| A::Error::missing_field("id"))?,
                business_id: business_id.ok_or_else(|| A::Error::missing_field("businessId"))?,
                alias: alias.ok_or_else(|| A::Error::missing_field("alias"))?,
                alias_email: alias_email.ok_or_else(|| A::Error::missing_field("aliasEmail"))?,
                business_name: business_name.ok_or_else(|| A::Error::missing_field("businessName"))?,
                timestamp: timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?.0,
                version: version.flatten(),
                extra,
            },
            event_type: event_type.ok_or_else(|| A::Error::missing_field("eventType"))?.0,
            data: data.ok_or_else(|| A::Error::missing_field("data"))?,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireOut<'a, D> {
    id: &'a Text,
    business_id: &'a Text,
    alias: &'a Text,
    alias_email: &'a Text,
    business_name: &'a Text,
    event_type: &'a str,
    #[serde(with = "timestamp::millis")]
    timestamp: &'a DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: &'a Option<Text>,
    data: &'a D,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl<D: Serialize> Payload<D> {
    fn wire<'a>(&'a self, event_type: &'a str) -> WireOut<'a, D> {
        WireOut {
            id: &self.id,
            business_id: &self.business_id,
            alias: &self.alias,
            alias_email: &self.alias_email,
            business_name: &self.business_name,
            event_type,
            timestamp: &self.timestamp,
            version: &self.version,
            data: &self.data,
            extra: &self.extra,
        }
    }
}

impl Event {
    fn strict(body: &str) -> Result<Option<Self>, BodyError> {
        let wire: Wire<'_> = parse_json(body)?;
        let data = match wire.data {
            Data::Raw(raw) => match Data::parse(&wire.event_type, raw)? {
                Some(data) => data,
                None => return Ok(None),
            },
            typed => typed,
        };
        Ok(data.into_event(wire.envelope))
    }

    /// The envelope fields shared by every known event.
    fn envelope(&self) -> Option<(&str, DateTime<Utc>)> {
        match self {
            Self::LeadNew(p) => Some((p.id.as_str(), p.timestamp)),
            Self::CustomerUpdated(p) => Some((p.id.as_str(), p.timestamp)),
            Self::CustomerReturning(p) => Some((p.id.as_str(), p.timestamp)),
            Self::ConversationEscalated(p) => Some((p.id.as_str(), p.timestamp)),
            Self::ConversationResolved(p) => Some((p.id.as_str(), p.timestamp)),
            Self::LeadStalled(p) => Some((p.id.as_str(), p.timestamp)),
            Self::Unknown(_) => None,
        }
    }
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
        match self {
            Self::LeadNew(_) => "lead.new",
            Self::CustomerUpdated(_) => "customer.updated",
            Self::CustomerReturning(_) => "customer.returning",
            Self::ConversationEscalated(_) => "conversation.escalated",
            Self::ConversationResolved(_) => "conversation.resolved",
            Self::LeadStalled(_) => "lead.stalled",
            Self::Unknown(unknown) => unknown.name(),
        }
    }

    fn is_test(&self) -> bool {
        matches!(self, Self::LeadNew(p) if p.data.test)
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        match (self.envelope(), self) {
            (Some((id, _)), _) => Cow::Borrowed(id),
            (None, Self::Unknown(unknown)) => Cow::Borrowed(unknown.idempotency_key()),
            (None, _) => Cow::Borrowed(""),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match (self.envelope(), self) {
            (Some((_, at)), _) => Some(at),
            (None, Self::Unknown(unknown)) => unknown.occurred_at(),
            (None, _) => None,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let name = self.name();
        match self {
            Self::LeadNew(p) => p.wire(name).serialize(serializer),
            Self::CustomerUpdated(p) => p.wire(name).serialize(serializer),
            Self::CustomerReturning(p) => p.wire(name).serialize(serializer),
            Self::ConversationEscalated(p) => p.wire(name).serialize(serializer),
            Self::ConversationResolved(p) => p.wire(name).serialize(serializer),
            Self::LeadStalled(p) => p.wire(name).serialize(serializer),
            Self::Unknown(unknown) => unknown.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderId;

    #[test]
    fn every_sample_parses_the_same_whatever_the_key_order() {
        crate::event::assert_parses_whatever_the_key_order::<Event>(ProviderId::Tocc, "eventType", |event| {
            matches!(event, Event::Unknown(_))
        });
    }

    const ENVELOPE: &str =
        r#""id":"evt_1","businessId":"b","alias":"a","aliasEmail":"a@tocc.contact","businessName":"A","#;

    #[test]
    fn errors_are_those_of_a_derived_deserialize() {
        let data = r#""data":{"customerId":"c","threadId":"t","resolutionType":"owner_replied"}"#;
        let event = r#""eventType":"conversation.resolved","timestamp":"2026-04-03T15:02:44.106Z","#;
        let cases = [
            (format!(r#"{{{ENVELOPE}"alias":"b",{event}{data}}}"#), "duplicate field `alias`"),
            (format!(r#"{{{ENVELOPE}{event}"version":"1","version":"2",{data}}}"#), "duplicate field `version`"),
            (format!(r#"{{{ENVELOPE}{event}{data},{data}}}"#), "duplicate field `data`"),
            (format!(r#"{{{ENVELOPE}"eventType":"conversation.resolved",{data}}}"#), "missing field `timestamp`"),
            (format!(r#"{{"id":"evt_1",{event}{data}}}"#), "missing field `businessId`"),
            (format!(r#"{{{ENVELOPE}{event}"version":null}}"#), "missing field `data`"),
            ("\"a string\"".to_owned(), "expected struct Wire"),
        ];
        for (body, expected) in cases {
            let err = Event::from_json(&body).unwrap_err();
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
        // `version` is optional, and may be null.
        let body = format!(r#"{{{ENVELOPE}{event}"version":null,{data}}}"#);
        assert!(matches!(Event::from_json(&body).unwrap(), Event::ConversationResolved(p) if p.version.is_none()));
    }

    #[test]
    fn a_bad_data_field_is_named_in_either_key_order() {
        let event = r#""eventType":"customer.returning","timestamp":"2026-03-21T10:00:00.000Z","#;
        let data = r#""data":{"customerId":"c","email":"e@x","name":null,"daysSinceLast":"many"}"#;
        for body in [format!("{{{ENVELOPE}{event}{data}}}"), format!("{{{data},{ENVELOPE}{event}\"version\":\"1.0\"}}")]
        {
            let err = Event::from_json(&body).unwrap_err();
            assert_eq!(err.path(), "data.daysSinceLast", "{body}");
        }
    }
}
