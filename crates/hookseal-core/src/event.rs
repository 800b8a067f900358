//! What every typed event can answer, the catch-all for unknown events, and
//! the serde helpers the provider modules share.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::BodyError;

/// A provider's typed event.
///
/// Each provider module has one `Event` enum implementing this trait: match on
/// it for the typed payload, or ask these questions of any event.
pub trait WebhookEvent: Serialize + Clone + fmt::Debug + PartialEq + Send + Sync + Sized + 'static {
    /// Parses an authentic body that is already known to be UTF-8.
    ///
    /// An unknown event name is not an error: it parses into the `Unknown`
    /// variant, which keeps the raw JSON. Nor is an unknown key (kept in its
    /// object's [`Extra`](crate::Extra)), nor any value in a field whose type
    /// the provider does not document (a [`Text`](crate::Text), or `None`
    /// with the value kept in `extra`).
    ///
    /// # Errors
    ///
    /// A [`BodyError`] naming the JSON path and position of the problem: a
    /// field whose documented type the value does not have, a missing
    /// required field, or a signed timestamp that is not RFC 3339 (or
    /// RFC 3339 without an offset, read as UTC) or that falls outside the
    /// years 0000 to 9999 in UTC, which `to_json` could not write back in a
    /// form read again (`9999-12-31T23:30:00-01:00` is refused, not accepted
    /// as year 10000).
    fn from_json(body: &str) -> Result<Self, BodyError>;

    /// Parses an authentic body.
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if the body is not UTF-8, not JSON, or does not fit the schema.
    fn from_slice(body: &[u8]) -> Result<Self, BodyError> {
        Self::from_json(std::str::from_utf8(body).map_err(BodyError::utf8)?)
    }

    /// The provider's wire name for this event, such as `lead.captured`.
    fn name(&self) -> &str;

    /// Whether this is the provider's test event ("Send test event" buttons).
    fn is_test(&self) -> bool;

    /// The key to deduplicate redeliveries on, as the provider defines it.
    fn idempotency_key(&self) -> Cow<'_, str>;

    /// When the provider says the event happened: the timestamp inside the
    /// signed body. `None` only for an unknown event without a readable one.
    fn occurred_at(&self) -> Option<DateTime<Utc>>;

    /// The event as the provider's wire JSON (field names, casing, nesting).
    #[must_use]
    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("events serialize to JSON infallibly")
    }
}

/// An event this version of hookseal does not know, kept whole.
///
/// Providers add events (ConnectGain's catalogue grew to 17); receiving one
/// must not fail, so it arrives here with its name, its raw JSON exactly as
/// signed, and what could be read of its timestamp and idempotency key.
#[derive(Clone)]
pub struct UnknownEvent {
    name: String,
    occurred_at: Option<DateTime<Utc>>,
    idempotency_key: String,
    raw: Box<RawValue>,
}

impl UnknownEvent {
    /// The event's wire name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed body's JSON text, byte for byte (without any whitespace
    /// that surrounded the top-level value).
    #[must_use]
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// The signed body parsed into a `serde_json::Value`.
    #[must_use]
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.raw.get()).unwrap_or(serde_json::Value::Null)
    }

    /// Parses the raw JSON into your own type.
    ///
    /// # Errors
    ///
    /// A [`BodyError`] if it does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, BodyError> {
        parse_json(self.raw.get())
    }

    pub(crate) fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }

    pub(crate) fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }
}

impl fmt::Debug for UnknownEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnknownEvent")
            .field("name", &self.name)
            .field("occurred_at", &self.occurred_at)
            .field("raw_len", &self.raw.get().len())
            .finish()
    }
}

impl PartialEq for UnknownEvent {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.raw.get() == other.raw.get()
    }
}

impl Serialize for UnknownEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

/// How a provider lays out the fields an unknown event is read by.
pub(crate) struct Layout {
    /// The top-level field naming the event.
    pub(crate) event_field: &'static str,
    /// The top-level field holding the signed timestamp.
    pub(crate) timestamp_field: &'static str,
    /// Every event name the provider module types.
    pub(crate) known: &'static [&'static str],
    /// The provider's idempotency key, read from any JSON object.
    pub(crate) key: fn(&serde_json::Value) -> Option<String>,
}

impl Layout {
    /// Recovers from a strict parse that failed (or met an unknown name).
    ///
    /// An unknown event name becomes an [`UnknownEvent`]; a known one keeps
    /// the strict error, which says what was wrong with it.
    pub(crate) fn recover(&self, body: &str, strict: Option<BodyError>) -> Result<UnknownEvent, BodyError> {
        let value: serde_json::Value = match serde_json::from_str(body) {
            Ok(value) => value,
            Err(err) => return Err(strict.unwrap_or_else(|| BodyError::from_json(String::new(), &err))),
        };
        let name = value.get(self.event_field).and_then(serde_json::Value::as_str);
        let name = match (name, strict) {
            (Some(name), _) if !self.known.contains(&name) => name.to_owned(),
            (_, Some(strict)) => return Err(strict),
            (name, None) => return Err(missing_field(self.event_field, name.is_none())),
        };
        let occurred_at = value
            .get(self.timestamp_field)
            .and_then(serde_json::Value::as_str)
            .and_then(|text| timestamp::parse(text).ok());
        let raw = RawValue::from_string(body.to_owned()).map_err(|err| BodyError::from_json(String::new(), &err))?;
        let idempotency_key = (self.key)(&value).unwrap_or_else(|| content_key(&raw));
        Ok(UnknownEvent { name, occurred_at, idempotency_key, raw })
    }
}

fn missing_field(field: &str, absent: bool) -> BodyError {
    let message = if absent { format!("missing field `{field}`") } else { format!("unexpected value of `{field}`") };
    BodyError::new(crate::error::BodyErrorKind::Schema, field.to_owned(), 0, 0, message)
}

/// A stable key for a body with none of its own: `sha256:<hex>` of the JSON
/// text, which is the body without surrounding whitespace. Hashing the raw
/// value rather than the body keeps the key the same after `to_json`.
pub(crate) fn content_key(raw: &RawValue) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(raw.get())))
}

/// Reads a string, or a number's JSON text, at a `/`-separated JSON pointer
/// (as a [`Text`](crate::Text) field reads an id).
pub(crate) fn text_at(value: &serde_json::Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Reads a string at a `/`-separated JSON pointer.
pub(crate) fn str_at<'v>(value: &'v serde_json::Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(serde_json::Value::as_str)
}

/// For hand-written struct visitors: stores the map's next value in `slot`,
/// refusing a second one as a derived `Deserialize` does.
pub(crate) fn next_once<'de, A: de::MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    field: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(field));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// How the visitors that [`object_deserialize!`] writes read each field.
///
/// Every module has the same two functions: `next` stores the map's next
/// value in the field's slot (refusing a second one, as a derived
/// `Deserialize` does), `finish` turns the slot into the field.
pub(crate) mod field {
    use std::borrow::Cow;
    use std::marker::PhantomData;

    use chrono::{DateTime, Utc};
    use serde::de::{self, Deserialize, DeserializeOwned, MapAccess};
    use serde_json::Value;

    use super::{Name, next_once, timestamp};
    use crate::Extra;

    /// What a field of a guessed type read: a value of its type (`None`
    /// for `null`), or a value of another shape.
    enum Read<T> {
        Fit(Option<T>),
        Misfit(Value),
    }

    /// Reads the map's next value as a `T` if it has `T`'s shape, in one
    /// pass (no raw text is kept, so a string is read as a `String` field
    /// reads it); a value of another shape is built into a [`Value`].
    fn read<'de, A: MapAccess<'de>, T: DeserializeOwned>(map: &mut A) -> Result<Read<T>, A::Error> {
        map.next_value_seed(Loose::<T>(PhantomData))
    }

    struct Loose<T>(PhantomData<T>);

    impl<'de, T: DeserializeOwned> de::DeserializeSeed<'de> for Loose<T> {
        type Value = Read<T>;

        fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Read<T>, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    /// `T` read from one primitive, or the primitive as a [`Value`].
    fn fit<'de, T: DeserializeOwned, P: de::IntoDeserializer<'de, serde_json::Error> + Copy + Into<Value>>(
        primitive: P,
    ) -> Read<T> {
        match T::deserialize(primitive.into_deserializer()) {
            Ok(value) => Read::Fit(Some(value)),
            Err(_) => Read::Misfit(primitive.into()),
        }
    }

    impl<'de, T: DeserializeOwned> de::Visitor<'de> for Loose<T> {
        type Value = Read<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Read<T>, E> {
            Ok(fit(text))
        }

        fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Read<T>, E> {
            Ok(fit(flag))
        }

        fn visit_u64<E: de::Error>(self, number: u64) -> Result<Read<T>, E> {
            Ok(fit(number))
        }

        fn visit_i64<E: de::Error>(self, number: i64) -> Result<Read<T>, E> {
            Ok(fit(number))
        }

        fn visit_f64<E: de::Error>(self, number: f64) -> Result<Read<T>, E> {
            Ok(fit(number))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Read<T>, E> {
            Ok(Read::Fit(None))
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Read<T>, A::Error> {
            Ok(tree(Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Read<T>, A::Error> {
            Ok(tree(Value::deserialize(de::value::MapAccessDeserializer::new(map))?))
        }
    }

    fn tree<T: DeserializeOwned>(value: Value) -> Read<T> {
        match T::deserialize(&value) {
            Ok(read) => Read::Fit(Some(read)),
            Err(_) => Read::Misfit(value),
        }
    }

    /// Stores what [`read`] read: a misfit is kept in `extra` under `field`.
    fn store<T>(read: Read<T>, slot: &mut Option<Option<T>>, field: &'static str, extra: &mut Extra) {
        *slot = Some(match read {
            Read::Fit(value) => value,
            Read::Misfit(value) => {
                extra.push_value(field, &value);
                None
            }
        });
    }

    /// A required field of any type.
    pub(crate) mod required {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
            map: &mut A,
            slot: &mut Option<T>,
            field: &'static str,
            _: &mut Extra,
        ) -> Result<(), A::Error> {
            next_once(map, slot, field)
        }

        pub(crate) fn finish<T, E: de::Error>(slot: Option<T>, field: &'static str) -> Result<T, E> {
            slot.ok_or_else(|| E::missing_field(field))
        }
    }

    /// An optional field (`null` reads as absent).
    pub(crate) mod optional {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
            map: &mut A,
            slot: &mut Option<Option<T>>,
            field: &'static str,
            _: &mut Extra,
        ) -> Result<(), A::Error> {
            next_once(map, slot, field)
        }

        pub(crate) fn finish<T, E: de::Error>(slot: Option<Option<T>>, _: &'static str) -> Result<Option<T>, E> {
            Ok(slot.flatten())
        }
    }

    /// A field that reads as its type's default when absent.
    pub(crate) mod default {
        use super::*;

        pub(crate) use super::required::next;

        pub(crate) fn finish<T: Default, E: de::Error>(slot: Option<T>, _: &'static str) -> Result<T, E> {
            Ok(slot.unwrap_or_default())
        }
    }

    /// An optional field of a guessed type: a value of any other shape reads
    /// as `None` and is kept in `extra` under the field's name.
    pub(crate) mod loose {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>, T: DeserializeOwned>(
            map: &mut A,
            slot: &mut Option<Option<T>>,
            field: &'static str,
            extra: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            store(read(map)?, slot, field, extra);
            Ok(())
        }

        pub(crate) use super::optional::finish;
    }

    /// A required timestamp, read leniently (see [`timestamp`]).
    pub(crate) mod time {
        use super::*;

        /// A timestamp read leniently, from any deserializer of a string.
        pub(super) struct At(pub(super) DateTime<Utc>);

        impl<'de> Deserialize<'de> for At {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                timestamp::deserialize(deserializer).map(At)
            }
        }

        pub(crate) fn next<'de, A: MapAccess<'de>>(
            map: &mut A,
            slot: &mut Option<DateTime<Utc>>,
            field: &'static str,
            _: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            *slot = Some(map.next_value::<At>()?.0);
            Ok(())
        }

        pub(crate) use super::required::finish;
    }

    /// An optional list of strings of a guessed type, read in one pass: any
    /// other value reads as `None` and is kept in `extra` under the field's name.
    pub(crate) mod loose_strings {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>>(
            map: &mut A,
            slot: &mut Option<Option<Vec<String>>>,
            field: &'static str,
            extra: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            store(map.next_value::<Strings>()?.0, slot, field, extra);
            Ok(())
        }

        pub(crate) use super::optional::finish;

        struct Strings(Read<Vec<String>>);

        impl<'de> Deserialize<'de> for Strings {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Visitor).map(Strings)
            }
        }

        /// One item: a string, or any other value.
        enum Item {
            Text(String),
            Other(Value),
        }

        impl<'de> Deserialize<'de> for Item {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(match deserializer.deserialize_any(Loose::<String>(PhantomData))? {
                    Read::Fit(Some(text)) => Item::Text(text),
                    Read::Fit(None) => Item::Other(Value::Null),
                    Read::Misfit(value) => Item::Other(value),
                })
            }
        }

        struct Visitor;

        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Read<Vec<String>>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut strings = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                let mut others: Option<Vec<Value>> = None;
                while let Some(item) = seq.next_element::<Item>()? {
                    match (item, &mut others) {
                        (Item::Text(text), None) => strings.push(text),
                        (Item::Text(text), Some(values)) => values.push(Value::String(text)),
                        (Item::Other(value), others) => {
                            let values = others.get_or_insert_with(|| strings.drain(..).map(Value::String).collect());
                            values.push(value);
                        }
                    }
                }
                Ok(match others {
                    None => Read::Fit(Some(strings)),
                    Some(values) => Read::Misfit(Value::Array(values)),
                })
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Read::Fit(None))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Read::Misfit(Value::from(text)))
            }

            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Self::Value, E> {
                Ok(Read::Misfit(Value::from(flag)))
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
                Ok(Read::Misfit(Value::from(number)))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
                Ok(Read::Misfit(Value::from(number)))
            }

            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
                Ok(Read::Misfit(Value::from(number)))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(Read::Misfit(Value::deserialize(de::value::MapAccessDeserializer::new(map))?))
            }
        }
    }

    /// An optional number of a guessed type: a value that is not a number
    /// (`"12500.00"`), or an integer beyond what an `f64` holds exactly
    /// (2^53), reads as `None` and is kept in `extra` under the field's name.
    pub(crate) mod loose_number {
        use super::*;

        /// Every integer of at most this magnitude (2^53) is exactly an f64.
        const EXACT_INT: u64 = 1 << 53;

        pub(crate) fn next<'de, A: MapAccess<'de>>(
            map: &mut A,
            slot: &mut Option<Option<f64>>,
            field: &'static str,
            extra: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            let read = match read::<_, Number>(map)? {
                Read::Fit(Some(Number(Ok(value)))) => Read::Fit(Some(value)),
                Read::Fit(Some(Number(Err(integer)))) => Read::Misfit(integer),
                Read::Fit(None) => Read::Fit(None),
                Read::Misfit(value) => Read::Misfit(value),
            };
            store(read, slot, field, extra);
            Ok(())
        }

        /// A number, or an integer an `f64` would round (as a [`Value`]).
        struct Number(Result<f64, Value>);

        impl<'de> Deserialize<'de> for Number {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl de::Visitor<'_> for Visitor {
                    type Value = Number;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a number")
                    }

                    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Number, E> {
                        // Exact up to 2^53; `as` rounds beyond, which is why it is refused there.
                        // (The integer is compared, not its rounded float: 2^53 + 1 rounds to 2^53.)
                        #[allow(clippy::cast_precision_loss)]
                        Ok(Number(if number <= EXACT_INT { Ok(number as f64) } else { Err(Value::from(number)) }))
                    }

                    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Number, E> {
                        #[allow(clippy::cast_precision_loss)]
                        Ok(Number(if number.unsigned_abs() <= EXACT_INT {
                            Ok(number as f64)
                        } else {
                            Err(Value::from(number))
                        }))
                    }

                    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Number, E> {
                        Ok(Number(Ok(number)))
                    }
                }

                deserializer.deserialize_any(Visitor)
            }
        }

        pub(crate) use super::optional::finish;
    }

    /// An optional timestamp of a guessed type: a value that is not a
    /// timestamp reads as `None` and is kept in `extra` under the field's name.
    pub(crate) mod loose_time {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>>(
            map: &mut A,
            slot: &mut Option<Option<DateTime<Utc>>>,
            field: &'static str,
            extra: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            let read = match read::<_, super::time::At>(map)? {
                Read::Fit(at) => Read::Fit(at.map(|at| at.0)),
                Read::Misfit(value) => Read::Misfit(value),
            };
            store(read, slot, field, extra);
            Ok(())
        }

        pub(crate) use super::optional::finish;
    }

    /// A required string, borrowed from the body when it has no escape.
    pub(crate) mod name {
        use super::*;

        pub(crate) fn next<'de, A: MapAccess<'de>>(
            map: &mut A,
            slot: &mut Option<Cow<'de, str>>,
            field: &'static str,
            _: &mut Extra,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(field));
            }
            *slot = Some(map.next_value::<Name<'de>>()?.0);
            Ok(())
        }

        pub(crate) use super::required::finish;
    }
}

/// Writes the `Deserialize` of a struct whose every other key is kept in its
/// `extra: Extra`: what `#[derive(Deserialize)]` with `#[serde(flatten)]
/// extra` does, without buffering the other keys through serde's `Content`
/// (their JSON text goes straight into `extra`). Each field names its wire
/// key and how it is read (a module of [`field`]). It reads JSON text
/// (`serde_json::from_str` or `from_slice`). Errors are those of a derived
/// `Deserialize` (missing, duplicate and mistyped fields).
macro_rules! object_deserialize {
    ($name:ident $(<$lt:lifetime>)? { $( $wire:literal => $field:ident: $how:ident, )* }) => {
        impl<'de> ::serde::Deserialize<'de> for $name $(<$lt>)? {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = $name $(<$lt>)?;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        $( let mut $field = None; )*
                        let mut extra = $crate::Extra::new();
                        while let Some($crate::event::Name(key)) = map.next_key()? {
                            match &*key {
                                $( $wire => $crate::event::field::$how::next(&mut map, &mut $field, $wire, &mut extra)?, )*
                                _ => extra.push_raw(key, map.next_value()?),
                            }
                        }
                        Ok($name {
                            $( $field: $crate::event::field::$how::finish::<_, A::Error>($field, $wire)?, )*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(Visitor)
            }
        }
    };
}

pub(crate) use object_deserialize;

/// A map key or string, borrowed from the body when it has no escape.
///
/// Read with `deserialize_str` itself (not as a newtype), so that
/// `serde_path_to_error` sees map keys read this way and can name the path.
pub(crate) struct Name<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Name<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(text)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

/// Parses JSON text into `T`; on failure, parses again to name the JSON path.
///
/// The happy path pays nothing for path tracking.
pub(crate) fn parse_json<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, BodyError> {
    parse_json_at("", text)
}

/// Like [`parse_json`] for a nested value whose path starts with `prefix`.
pub(crate) fn parse_json_at<'de, T: Deserialize<'de>>(prefix: &str, text: &'de str) -> Result<T, BodyError> {
    serde_json::from_str(text).map_err(|err| {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(traced) => traced.path().to_string(),
            Ok(_) => String::new(),
        };
        let path = match (prefix.is_empty(), path.as_str()) {
            (true, _) => path,
            (false, "" | ".") => prefix.to_owned(),
            (false, _) => format!("{prefix}.{path}"),
        };
        BodyError::from_json(path, &err)
    })
}

/// Timestamps: parsed leniently, written the way each provider writes them.
pub(crate) mod timestamp {
    use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
    use serde::{Deserializer, Serializer, de};

    /// Why a timestamp was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Refused {
        /// Not RFC 3339 (nor RFC 3339 without its offset).
        Malformed,
        /// Valid, but in UTC it falls outside the years 0000 to 9999, which
        /// RFC 3339 cannot write (`9999-12-31T23:30:00-01:00` is
        /// `10000-01-01T00:30:00Z`): refused, so that every timestamp
        /// accepted is written back by `to_json` in a form read again.
        OutOfRange,
    }

    /// RFC 3339 with any offset; a timestamp without offset is taken as UTC.
    /// The instant must fall in the years 0000 to 9999 in UTC.
    pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, Refused> {
        if let Some(time) = parse_utc(text) {
            return Ok(time); // four digits and `Z`: always in range
        }
        let time = DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
            .map_err(|_| Refused::Malformed)?;
        if (0..=9999).contains(&time.year()) { Ok(time) } else { Err(Refused::OutOfRange) }
    }

    /// The form every provider sends, `YYYY-MM-DDTHH:MM:SS[.1 to 9 digits]Z`,
    /// read directly (chrono's general RFC 3339 parser costs several times
    /// more); `None` for anything else, which [`parse`] hands to chrono. Where
    /// it answers, it answers exactly as chrono does (checked by a test).
    pub(super) fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
        let bytes = text.as_bytes();
        let (&b'Z', body) = bytes.split_last()? else {
            return None;
        };
        let (fixed, fraction) = body.split_at_checked(19)?;
        if fixed[4] != b'-' || fixed[7] != b'-' || fixed[10] != b'T' || fixed[13] != b':' || fixed[16] != b':' {
            return None;
        }
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
        };
        let nanos = match fraction {
            [] => 0,
            [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
                // At most 9 digits: below 10^9, and the scale is at most 10^8.
                number(digits)? * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
            }
            _ => return None,
        };
        let second = number(&fixed[17..19])?;
        if second > 59 {
            return None; // a leap second: chrono's rules apply
        }
        let year = i32::try_from(number(&fixed[0..4])?).ok()?;
        let date = NaiveDate::from_ymd_opt(year, number(&fixed[5..7])?, number(&fixed[8..10])?)?;
        let time = NaiveTime::from_hms_nano_opt(number(&fixed[11..13])?, number(&fixed[14..16])?, second, nanos)?;
        Some(date.and_time(time).and_utc())
    }

    struct Visitor;

    impl de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an ISO 8601 timestamp")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            parse(text).map_err(|refused| {
                let what = match refused {
                    Refused::Malformed => "a malformed timestamp",
                    Refused::OutOfRange => "a timestamp outside the years 0000 to 9999 in UTC",
                };
                E::invalid_value(de::Unexpected::Other(what), &self)
            })
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        deserializer.deserialize_str(Visitor)
    }

    /// `2026-07-01T12:00:00.000Z`: JavaScript's `toISOString`.
    pub(crate) mod millis {
        use super::*;

        /// Milliseconds, as the providers write them; a finer fraction that a
        /// body carried is kept (else the event would not survive `to_json`).
        pub(crate) fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
            let format = match time.timestamp_subsec_nanos() % 1_000_000 {
                0 => SecondsFormat::Millis,
                _ => SecondsFormat::AutoSi,
            };
            serializer.collect_str(&time.to_rfc3339_opts(format, true))
        }

        /// The same, for an optional timestamp (`None` is written `null`).
        pub(crate) fn serialize_option<S: Serializer>(
            time: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => serialize(time, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub(crate) use super::deserialize;
    }

    /// `2026-04-15T12:00:00Z`, with a fraction only when there is one.
    pub(crate) mod auto {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&render(time))
        }

        pub(crate) fn render(time: &DateTime<Utc>) -> String {
            time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        }

        pub(crate) use super::deserialize;
    }
}

/// Numbers that are integers in practice but may arrive as floats: written
/// back without a fraction when they have none, as JavaScript senders do.
pub(crate) mod number {
    use serde::{Serialize, Serializer};

    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

    fn as_integer(value: f64) -> Option<i64> {
        // Both bounds are exactly representable; the cast is exact up to them.
        #[allow(clippy::cast_possible_truncation)]
        (value.fract() == 0.0 && value.abs() <= EXACT).then_some(value as i64)
    }

    pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        match as_integer(*value) {
            Some(int) => serializer.serialize_i64(int),
            None => serializer.serialize_f64(*value),
        }
    }

    pub(crate) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
            match value.map(|v| (v, as_integer(v))) {
                Some((_, Some(int))) => Some(int).serialize(serializer),
                Some((float, None)) => Some(float).serialize(serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

/// `skip_serializing_if` for flags that are only written when set.
#[allow(clippy::trivially_copy_pass_by_ref)]
pub(crate) fn is_false(flag: &bool) -> bool {
    !*flag
}

/// Declares an enum over a closed set of wire strings that still keeps any
/// other value in `Other`, so a provider adding a value never breaks parsing.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every value this version knows, as written on the wire.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The value as written on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        Ok($name::from(text))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

pub(crate) use open_enum;

/// For the providers whose envelope visitor reads `data` straight into the
/// named event when the name comes first: every sample of `provider` parses
/// into the same known event with its keys sorted, so that `data` comes
/// before `name_field`.
#[cfg(test)]
pub(crate) fn assert_parses_whatever_the_key_order<E: WebhookEvent>(
    provider: crate::ProviderId,
    name_field: &str,
    is_unknown: impl Fn(&E) -> bool,
) {
    for sample in crate::samples::for_provider(provider) {
        let in_order = E::from_slice(sample.body).unwrap();
        assert!(!is_unknown(&in_order), "{}", sample.name);
        let value: serde_json::Value = serde_json::from_slice(sample.body).unwrap();
        let data_first = serde_json::to_string(&value).unwrap();
        assert!(data_first.find("\"data\"") < data_first.find(&format!("\"{name_field}\"")), "{data_first}");
        assert_eq!(E::from_json(&data_first).unwrap(), in_order, "{}", sample.name);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

    use super::timestamp;

    /// What `timestamp::parse` answered before its fast path (and answers
    /// now, with its range check).
    fn chrono_only(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()).ok())
            .filter(|t| (0..=9999).contains(&t.year()))
    }

    #[test]
    fn the_timestamp_fast_path_answers_as_chrono_does() {
        let mut texts: Vec<String> = [
            "2026-05-06T14:22:31Z",
            "2026-07-02T15:31:08.245Z",
            "2026-07-02T15:31:08.2Z",
            "2026-07-02T15:31:08.123456789Z",
            "2026-07-02T15:31:08.1234567891Z",
            "2026-07-02T15:31:08.Z",
            "2024-02-29T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-04-30T24:00:00Z",
            "2026-04-30T23:60:00Z",
            "2026-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "2026-05-06t14:22:31z",
            "2026-05-06 14:22:31Z",
            "2026-05-06T14:22:31+02:00",
            "2026-05-06T14:22:31",
            "2026-05-06T14:22:31.5",
            "2026-5-06T14:22:31Z",
            "+2026-05-06T14:22:31Z",
            "2026-05-06T14:22:3aZ",
            "2026-05-06T14:22:31.1a3Z",
            "2026-05-06T14:22:31.-1Z",
            "2026-05-06T14:22Z",
            // Each separator wrong on its own.
            "2026/05-06T14:22:31Z",
            "2026-05/06T14:22:31Z",
            "2026-05-06T14.22:31Z",
            "2026-05-06T14:22.31Z",
            "Z",
            "",
        ]
        .map(String::from)
        .to_vec();
        let listed = texts.len();
        // Every month's last days, hours and fraction lengths, over leap and common years.
        for year in [1970, 2000, 2023, 2024, 2100] {
            for month in 1..=12 {
                for day in [1, 28, 29, 30, 31] {
                    for (i, fraction) in ["", ".5", ".07", ".123", ".000001", ".987654321"].iter().enumerate() {
                        let (hour, minute, second) = (i * 4 + 1, i * 9 + 3, i * 11 + 4);
                        texts.push(format!(
                            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z"
                        ));
                    }
                }
            }
        }
        let mut fast = 0;
        for text in &texts {
            assert_eq!(timestamp::parse(text).ok(), chrono_only(text), "{text:?}");
            fast += usize::from(timestamp::parse_utc(text).is_some());
        }
        // The generated ones are all in the fast form; the valid ones must take the fast path.
        let valid = texts.iter().skip(listed).filter(|text| chrono_only(text).is_some()).count();
        assert!(valid > 1000 && fast >= valid, "{fast} fast of {valid} valid");
    }
}
