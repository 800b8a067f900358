//! Toran: one flat lead payload, `X-Toran-Signature: sha256=<hex>`.
//!
//! `lead.captured` is a real lead, `lead.test` the dashboard's test button.
//! The idempotency key is `lead_id`.
//!
//! Toran documents the type of every top-level field, and they are typed so;
//! it does not type the keys of `metadata` (`notes`, the `utm_*` keys,
//! `company_name`), which are [`Text`]s, taking a string or any other JSON
//! value. Every key this version does not know, at the top level and in
//! `metadata`, is kept in the object's `extra`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::BodyError;
use crate::event::{
    Layout, UnknownEvent, WebhookEvent, is_false, number, object_deserialize, open_enum, parse_json, str_at, timestamp,
};
use crate::{Extra, Text};

/// A Toran event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `lead.captured`: a real lead.
    LeadCaptured(Lead),
    /// `lead.test`: the dashboard's "Send test webhook" button.
    LeadTest(Lead),
    /// An event this version does not know.
    Unknown(UnknownEvent),
}

/// A captured lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lead {
    /// Stable lead identity (UUID): the idempotency key.
    pub lead_id: String,
    /// The widget that captured the lead (UUID).
    pub widget_id: String,
    /// Visitor-supplied name.
    pub name: Option<String>,
    /// Visitor-supplied email (at least one of email and phone is present).
    pub email: Option<String>,
    /// Visitor-supplied phone number.
    pub phone: Option<String>,
    /// AI lead score, 0 to 100; `None` means enrichment did not finish (unknown, not zero).
    #[serde(serialize_with = "number::option::serialize")]
    pub score: Option<f64>,
    /// Classifier tier, for routing only, never for authentication.
    pub tier: Option<Tier>,
    /// The page URL the lead came from (`toran-dashboard-test` on test sends).
    pub source: Option<String>,
    /// When the payload was built (signed).
    #[serde(with = "timestamp::auto")]
    pub timestamp: DateTime<Utc>,
    /// Lead context.
    pub metadata: Metadata,
    /// Every other top-level key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

open_enum! {
    /// Toran's lead tier.
    pub enum Tier {
        /// `hot`
        Hot = "hot",
        /// `warm`
        Warm = "warm",
        /// `info`
        Info = "info",
    }
}

/// Lead context. Keys Toran adds later are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    /// Raw visitor free text: personal data, never render it unescaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Text>,
    /// UTM source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<Text>,
    /// UTM medium.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<Text>,
    /// UTM campaign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<Text>,
    /// The visitor's company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Text>,
    /// `true` on test sends.
    #[serde(skip_serializing_if = "is_false")]
    pub test: bool,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

object_deserialize!(Metadata {
    "notes" => notes: optional,
    "utm_source" => utm_source: optional,
    "utm_medium" => utm_medium: optional,
    "utm_campaign" => utm_campaign: optional,
    "company_name" => company_name: optional,
    "test" => test: default,
});

const LAYOUT: Layout = Layout {
    event_field: "event",
    timestamp_field: "timestamp",
    known: &["lead.captured", "lead.test"],
    key: |value| str_at(value, "/lead_id").map(str::to_owned),
};

/// The body, read in one pass; unknown keys are kept in `extra`.
struct Wire<'a> {
    event: Cow<'a, str>,
    lead_id: String,
    widget_id: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    score: Option<f64>,
    tier: Option<Tier>,
    source: Option<String>,
    timestamp: DateTime<Utc>,
    metadata: Metadata,
    extra: Extra,
}

object_deserialize!(Wire<'de> {
    "event" => event: name,
    "lead_id" => lead_id: required,
    "widget_id" => widget_id: required,
    "name" => name: optional,
    "email" => email: optional,
    "phone" => phone: optional,
    "score" => score: optional,
    "tier" => tier: optional,
    "source" => source: optional,
    "timestamp" => timestamp: time,
    "metadata" => metadata: default,
});

#[derive(Serialize)]
struct WireOut<'a> {
    event: &'a str,
    #[serde(flatten)]
    lead: &'a Lead,
}

impl Event {
    fn strict(body: &str) -> Result<Option<Self>, BodyError> {
        let wire: Wire<'_> = parse_json(body)?;
        let lead = Lead {
            lead_id: wire.lead_id,
            widget_id: wire.widget_id,
            name: wire.name,
            email: wire.email,
            phone: wire.phone,
            score: wire.score,
            tier: wire.tier,
            source: wire.source,
            timestamp: wire.timestamp,
            metadata: wire.metadata,
            extra: wire.extra,
        };
        Ok(match &*wire.event {
            "lead.captured" => Some(Self::LeadCaptured(lead)),
            "lead.test" => Some(Self::LeadTest(lead)),
            _ => None,
        })
    }

    /// The lead, for either known event.
    #[must_use]
    pub fn lead(&self) -> Option<&Lead> {
        match self {
            Self::LeadCaptured(lead) | Self::LeadTest(lead) => Some(lead),
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
            Self::LeadCaptured(_) => "lead.captured",
            Self::LeadTest(_) => "lead.test",
            Self::Unknown(unknown) => unknown.name(),
        }
    }

    fn is_test(&self) -> bool {
        matches!(self, Self::LeadTest(_))
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        match self {
            Self::LeadCaptured(lead) | Self::LeadTest(lead) => Cow::Borrowed(&lead.lead_id),
            Self::Unknown(unknown) => Cow::Borrowed(unknown.idempotency_key()),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::LeadCaptured(lead) | Self::LeadTest(lead) => Some(lead.timestamp),
            Self::Unknown(unknown) => unknown.occurred_at(),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::LeadCaptured(lead) | Self::LeadTest(lead) => {
                WireOut { event: self.name(), lead }.serialize(serializer)
            }
            Self::Unknown(unknown) => unknown.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: &str) -> Result<Metadata, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn metadata_reads_like_a_derived_deserialize_with_flatten() {
        let read =
            metadata(r#"{"notes":"hi","test":true,"we\"ird":[1,{"a":null}],"utm_source":null,"n":2.5}"#).unwrap();
        assert_eq!(read.notes.as_deref(), Some("hi"));
        assert!(read.test && read.utm_source.is_none());
        assert_eq!(read.extra.len(), 2);
        assert_eq!(read.extra.get("we\"ird"), Some(serde_json::json!([1, {"a": null}])));
        assert_eq!(read.extra.get("n"), Some(serde_json::json!(2.5)));
        assert_eq!(metadata("{}").unwrap(), Metadata::default());
        // Toran does not type the keys of `metadata`: any value is read as text, not refused.
        let read = metadata(r#"{"company_name":5,"utm_source":{"a":1}}"#).unwrap();
        assert_eq!(read.company_name.as_deref(), Some("5"));
        assert_eq!(read.utm_source.as_deref(), Some(r#"{"a":1}"#));

        for (json, expected) in [
            (r#"{"notes":"a","notes":"b"}"#, "duplicate field `notes`"),
            (r#"{"test":null}"#, "invalid type: null, expected a boolean"),
            (r#"{"test":"yes"}"#, "invalid type: string \"yes\", expected a boolean"),
            ("null", "invalid type: null, expected struct Metadata"),
        ] {
            let err = metadata(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}
