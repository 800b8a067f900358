//! tocc.contact: six events in one envelope, `X-Tocc-Signature: sha256=<hex>`.
//!
//! Every event carries the business it came from (`alias`, `aliasEmail`,
//! `businessName`: route on `alias_email`), `eventType`, a millisecond
//! `timestamp`, and event-specific `data`. The test event is a `lead.new`
//! whose data has `test: true`. The idempotency key is `id`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{
    Layout, UnknownEvent, WebhookEvent, is_false, number, parse_json, parse_json_at, str_at, timestamp,
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    id: String,
    business_id: String,
    alias: String,
    alias_email: String,
    business_name: String,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(with = "timestamp::millis")]
    timestamp: DateTime<Utc>,
    #[serde(default)]
    version: Option<String>,
    #[serde(borrow)]
    data: &'a RawValue,
}

impl<'a> Wire<'a> {
    fn into_payload<D: Deserialize<'a>>(self) -> Result<Payload<D>, BodyError> {
        Ok(Payload {
            data: parse_json_at("data", self.data.get())?,
            id: self.id,
            business_id: self.business_id,
            alias: self.alias,
            alias_email: self.alias_email,
            business_name: self.business_name,
            timestamp: self.timestamp,
            version: self.version,
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
        Ok(Some(match &*wire.event_type {
            "lead.new" => Self::LeadNew(wire.into_payload()?),
            "customer.updated" => Self::CustomerUpdated(wire.into_payload()?),
            "customer.returning" => Self::CustomerReturning(wire.into_payload()?),
            "conversation.escalated" => Self::ConversationEscalated(wire.into_payload()?),
            "conversation.resolved" => Self::ConversationResolved(wire.into_payload()?),
            "lead.stalled" => Self::LeadStalled(wire.into_payload()?),
            _ => return Ok(None),
        }))
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
