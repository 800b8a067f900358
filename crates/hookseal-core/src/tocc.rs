//! tocc.contact: six events in one envelope, `X-Tocc-Signature: sha256=<hex>`.
//!
//! Every event carries the business it came from (`alias`, `aliasEmail`,
//! `businessName`: route on `alias_email`), `eventType`, a millisecond
//! `timestamp`, and event-specific `data`. The test event is a `lead.new`
//! whose data has `test: true`. The idempotency key is `id`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, Name, UnknownEvent, WebhookEvent, is_false, next_once, number, parse_json, parse_json_at, str_at, timestamp,
};

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
    pub id: String,
    /// The business's id.
    pub business_id: String,
    /// The business's alias, such as `jayshats`.
    pub alias: String,
    /// The alias address (`jayshats@tocc.contact`): route on this.
    pub alias_email: String,
    /// The business's display name.
    pub business_name: String,
    /// When the event was built (signed).
    pub timestamp: DateTime<Utc>,
    /// Payload version, such as `1.0`.
    pub version: Option<String>,
    /// The event-specific data.
    pub data: D,
}

/// `lead.new` data. The test event has only `test`, `email`, `name`, `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadNew {
    /// `true` only on the dashboard's test event.
    #[serde(default, skip_serializing_if = "is_false")]
    pub test: bool,
    /// The customer's id (absent on the test event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The customer's email address.
    pub email: String,
    /// The customer's name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Where the lead came from.
    #[serde(default)]
    pub source: Option<String>,
    /// The lead's stage (open-ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// `customer.updated` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdated {
    /// The customer's id.
    pub customer_id: String,
    /// The customer's email address.
    pub email: String,
    /// The customer's name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Names of the profile fields that changed.
    #[serde(default)]
    pub changed_fields: Vec<String>,
}

/// `customer.returning` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReturning {
    /// The customer's id.
    pub customer_id: String,
    /// The customer's email address.
    pub email: String,
    /// The customer's name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Days since the customer's previous contact.
    #[serde(serialize_with = "number::serialize")]
    pub days_since_last: f64,
}

/// `conversation.escalated` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationEscalated {
    /// The customer's id.
    pub customer_id: String,
    /// The thread's id.
    pub thread_id: String,
    /// Why the AI escalated (open-ended).
    pub reason: String,
}

/// `conversation.resolved` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationResolved {
    /// The customer's id.
    pub customer_id: String,
    /// The thread's id.
    pub thread_id: String,
    /// How it was resolved (open-ended).
    pub resolution_type: String,
}

/// `lead.stalled` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadStalled {
    /// The customer's id.
    pub customer_id: String,
    /// The customer's email address.
    pub email: String,
    /// The customer's name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// The thread's id.
    pub thread_id: String,
    /// Hours since the lead's last message.
    #[serde(serialize_with = "number::serialize")]
    pub hours_since: f64,
}

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
    key: |value| str_at(value, "/id").map(str::to_owned),
};

/// The envelope, read in one pass.
///
/// tocc.contact writes `eventType` before `data`, so `data` is usually
/// deserialized straight into the event's type. Otherwise (another key order,
/// or an unknown event) it is kept raw and parsed once the name is known.
/// Errors are those of a derived `Deserialize` (missing and duplicate fields,
/// unknown keys ignored).
struct Wire<'a> {
    envelope: Envelope,
    event_type: Cow<'a, str>,
    data: Data<'a>,
}

/// The envelope fields of [`Payload`].
struct Envelope {
    id: String,
    business_id: String,
    alias: String,
    alias_email: String,
    business_name: String,
    timestamp: DateTime<Utc>,
    version: Option<String>,
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
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    Id,
    BusinessId,
    Alias,
    AliasEmail,
    BusinessName,
    EventType,
    Timestamp,
    Version,
    Data,
    #[serde(other)]
    Other,
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
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Id => next_once(&mut map, &mut id, "id")?,
                Field::BusinessId => next_once(&mut map, &mut business_id, "businessId")?,
                Field::Alias => next_once(&mut map, &mut alias, "alias")?,
                Field::AliasEmail => next_once(&mut map, &mut alias_email, "aliasEmail")?,
                Field::BusinessName => next_once(&mut map, &mut business_name, "businessName")?,
                Field::EventType => next_once(&mut map, &mut event_type, "eventType")?,
                Field::Timestamp => next_once(&mut map, &mut timestamp, "timestamp")?,
                Field::Version => next_once::<_, Option<String>>(&mut map, &mut version, "version")?,
                Field::Data if data.is_some() => return Err(A::Error::duplicate_field("data")),
                Field::Data => {
                    let typed = match &event_type {
                        Some(Name(name)) => Data::next(name, &mut map)?,
                        None => None,
                    };
                    data = Some(match typed {
                        Some(typed) => typed,
                        None => Data::Raw(map.next_value()?),
                    });
                }
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
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
            },
            event_type: event_type.ok_or_else(|| A::Error::missing_field("eventType"))?.0,
            data: data.ok_or_else(|| A::Error::missing_field("data"))?,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireOut<'a, D> {
    id: &'a str,
    business_id: &'a str,
    alias: &'a str,
    alias_email: &'a str,
    business_name: &'a str,
    event_type: &'a str,
    #[serde(with = "timestamp::millis")]
    timestamp: &'a DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: &'a Option<String>,
    data: &'a D,
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
            Self::LeadNew(p) => Some((&p.id, p.timestamp)),
            Self::CustomerUpdated(p) => Some((&p.id, p.timestamp)),
            Self::CustomerReturning(p) => Some((&p.id, p.timestamp)),
            Self::ConversationEscalated(p) => Some((&p.id, p.timestamp)),
            Self::ConversationResolved(p) => Some((&p.id, p.timestamp)),
            Self::LeadStalled(p) => Some((&p.id, p.timestamp)),
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
