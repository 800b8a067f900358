//! Events of a custom HMAC-SHA256 sender (and of the ready schemes), kept as raw JSON.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::BodyError;
use crate::event::{WebhookEvent, content_key, next_once, parse_json, timestamp};
use crate::provider::RequestFacts;

/// A custom sender's event: the raw JSON, with its name, idempotency key and
/// time read where the scheme says.
///
/// * **Name**: the scheme's event-name header (GitHub's `X-GitHub-Event`),
///   else the body's `event`, else its `type` (a string), else the value of
///   a checked event header (with nothing in the body to disagree with), else empty.
/// * **Idempotency key**: the scheme's id header (`webhook-id`,
///   `X-GitHub-Delivery`), else the body's `id` (a string, or a number kept
///   as written: `12345` gives `"12345"`), else a SHA-256 of the JSON text
///   (the body without surrounding whitespace).
/// * **Time**: the scheme's signed timestamp, else the body's `timestamp`:
///   RFC 3339 text, or Unix seconds as a JSON integer or a string of digits.
///
/// Nothing here is a guess that can refuse an authentic body: a probed field
/// of another type than expected is ignored. Refused (400) are only a body
/// that is not UTF-8, not JSON, not a JSON object, or that repeats one of the
/// four probed keys (which value the sender meant cannot be known).
#[derive(Debug, Clone)]
pub struct Event {
    name: String,
    occurred_at: Option<DateTime<Utc>>,
    key: String,
    raw: Box<RawValue>,
}

/// The fields read from the body, each only if it has a usable type.
#[derive(Default)]
struct Probe<'a> {
    event: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    timestamp: Option<DateTime<Utc>>,
}

/// A JSON value read leniently: a string or a number's text; anything else is skipped.
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Integer(i64),
    Number(String),
    Other,
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(text)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Integer(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar<'de>, E> {
                Ok(i64::try_from(n).map_or_else(|_| Scalar::Number(n.to_string()), Scalar::Integer))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
                // JSON has no NaN or infinity: every f64 read from it is finite.
                Ok(serde_json::Number::from_f64(n).map_or(Scalar::Other, |n| Scalar::Number(n.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl<'a> Scalar<'a> {
    fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    fn id(self) -> Option<Cow<'a, str>> {
        match self {
            Self::Text(text) => Some(text),
            Self::Integer(n) => Some(Cow::Owned(n.to_string())),
            Self::Number(text) => Some(Cow::Owned(text)),
            _ => None,
        }
    }

    fn time(self) -> Option<DateTime<Utc>> {
        match self {
            Self::Text(text) => match crate::signature::parse_unix_seconds(text.as_bytes()) {
                Some(secs) => DateTime::from_timestamp(secs, 0),
                None => timestamp::parse(&text).ok(),
            },
            Self::Integer(secs) => DateTime::from_timestamp(secs, 0),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Probe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Probe<'de>, A::Error> {
                let (mut event, mut kind, mut id, mut stamp) = (None, None, None, None);
                // A probed key given twice is refused (which one a sender meant is unknowable).
                while let Some(key) = map.next_key::<crate::event::Name<'de>>()? {
                    match key.0.as_ref() {
                        "event" => next_once(&mut map, &mut event, "event")?,
                        "type" => next_once(&mut map, &mut kind, "type")?,
                        "id" => next_once(&mut map, &mut id, "id")?,
                        "timestamp" => next_once(&mut map, &mut stamp, "timestamp")?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Probe {
                    event: event.and_then(Scalar::text),
                    kind: kind.and_then(Scalar::text),
                    id: id.and_then(Scalar::id),
                    timestamp: stamp.and_then(Scalar::time),
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Event {
    /// The signed body, byte for byte.
    #[must_use]
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Parses the raw JSON into your own type.
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if it does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, BodyError> {
        parse_json(self.raw.get())
    }

    /// Builds the event from an authentic body and what the scheme read
    /// from headers (which take precedence over the body's fields).
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if the body is not UTF-8 or not JSON.
    pub fn from_request(body: &[u8], facts: &RequestFacts<'_>) -> Result<Self, BodyError> {
        let text = std::str::from_utf8(body).map_err(BodyError::utf8)?;
        let probe: Probe<'_> = parse_json(text)?;
        let raw: Box<RawValue> = parse_json::<&RawValue>(text)?.to_owned();
        let header_text = |value: &[u8]| String::from_utf8_lossy(value).into_owned();
        let name = match (facts.event_name, probe.event.or(probe.kind), facts.event_name_fallback) {
            (Some(value), _, _) => header_text(value),
            (None, Some(name), _) => name.into_owned(),
            (None, None, Some(value)) => header_text(value),
            (None, None, None) => String::new(),
        };
        let key = match (facts.id, probe.id) {
            (Some(value), _) if !value.is_empty() => header_text(value),
            (_, Some(id)) => id.into_owned(),
            _ => content_key(&raw),
        };
        Ok(Self { name, occurred_at: facts.timestamp.or(probe.timestamp), key, raw })
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl WebhookEvent for Event {
    fn from_json(body: &str) -> Result<Self, BodyError> {
        Self::from_request(body.as_bytes(), &RequestFacts::default())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn is_test(&self) -> bool {
        false
    }

    fn idempotency_key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.key)
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: &str) -> Event {
        Event::from_json(body).unwrap_or_else(|err| panic!("{body}: {err}"))
    }

    #[test]
    fn a_numeric_id_is_kept_as_text_and_a_type_names_the_event() {
        let e = event(r#"{"type":"invoice.paid","id":12345}"#);
        assert_eq!((e.name(), e.idempotency_key().as_ref()), ("invoice.paid", "12345"));
        assert_eq!(event(r#"{"id":"evt_1"}"#).idempotency_key(), "evt_1");
        assert_eq!(event(r#"{"id":18446744073709551615}"#).idempotency_key(), "18446744073709551615");
        assert_eq!(event(r#"{"id":-7}"#).idempotency_key(), "-7");
    }

    #[test]
    fn a_unix_timestamp_is_read_as_seconds() {
        let e = event(r#"{"event":"ping","timestamp":1767225600}"#);
        assert_eq!(e.name(), "ping");
        assert_eq!(e.occurred_at(), DateTime::from_timestamp(1_767_225_600, 0));
        assert_eq!(event(r#"{"timestamp":"1767225600"}"#).occurred_at(), DateTime::from_timestamp(1_767_225_600, 0));
        assert_eq!(
            event(r#"{"timestamp":"2026-01-01T00:00:00Z"}"#).occurred_at(),
            DateTime::from_timestamp(1_767_225_600, 0)
        );
    }

    #[test]
    fn no_shape_of_a_probed_field_is_a_400() {
        for body in [
            r#"{"event":5,"type":[1],"id":{"a":1},"timestamp":true}"#,
            r#"{"id":null,"timestamp":"not a time","event":null}"#,
            r#"{"id":1.5,"timestamp":1.5}"#,
            r#"{"timestamp":-9223372036854775808,"id":[]}"#,
            r#"{"timestamp":99999999999999999999999}"#,
            r#"{"timestamp":"2026-13-45T99:00:00Z","id":""}"#,
        ] {
            let e = event(body);
            assert!(e.occurred_at().is_none(), "{body}");
            assert!(e.name().is_empty(), "{body}");
        }
        assert_eq!(event(r#"{"id":1.5}"#).idempotency_key(), "1.5");
        assert!(event(r#"{"id":{"a":1}}"#).idempotency_key().starts_with("sha256:"));
    }

    #[test]
    fn invalid_json_is_still_refused() {
        for body in ["", "{", r#"{"id":}"#, "[1,]", "[1,2]", "42", r#"{"id":"a","id":"b"}"#] {
            assert!(Event::from_json(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_named_so() {
        for body in ["42", "[1,2]", r#""text""#, "null"] {
            let err = Event::from_json(body).unwrap_err();
            assert!(err.to_string().contains("expected a JSON object"), "{body}: {err}");
        }
    }

    #[test]
    fn events_are_equal_when_their_bytes_are_and_never_tests() {
        let a = event(r#"{"type":"invoice.paid","id":1}"#);
        assert_eq!(a, event(r#"{"type":"invoice.paid","id":1}"#));
        assert_ne!(a, event(r#"{"type":"invoice.paid","id":2}"#));
        assert_ne!(a, event(r#"{"type":"invoice.paid", "id":1}"#), "the raw bytes, not the value");
        assert!(!a.is_test());
        assert!(!event(r#"{"type":"ping","test":true,"livemode":false}"#).is_test());
    }

    #[test]
    fn an_empty_id_header_is_ignored() {
        let facts = RequestFacts { id: Some(b""), ..RequestFacts::default() };
        let e = Event::from_request(br#"{"type":"x","id":"from-body"}"#, &facts).unwrap();
        assert_eq!(e.idempotency_key(), "from-body");
        let e = Event::from_request(br#"{"type":"x"}"#, &facts).unwrap();
        assert!(e.idempotency_key().starts_with("sha256:"), "{}", e.idempotency_key());
    }

    #[test]
    fn headers_take_precedence_over_the_body() {
        let at = DateTime::from_timestamp(1_614_265_330, 0);
        let facts = RequestFacts {
            event_name: Some(b"push"),
            event_name_fallback: None,
            id: Some(b"delivery-1"),
            timestamp: at,
        };
        let e = Event::from_request(br#"{"type":"x","id":"y","timestamp":1}"#, &facts).unwrap();
        assert_eq!((e.name(), e.idempotency_key().as_ref(), e.occurred_at()), ("push", "delivery-1", at));
    }
}
