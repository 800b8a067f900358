//! [`Extra`]: the keys of an object that hookseal does not type, kept as sent;
//! [`Text`]: a field whose type the provider does not document, read as text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::event::Name;

/// A field whose type the provider does not document, read as text and kept
/// as sent.
///
/// Providers document few of their field types, and a guessed type must
/// never refuse an authentic event: an id may arrive as `"84712093456"` or
/// as `84712093456` (Zoom's meeting ids are numbers). A string reads as its
/// text; a number as its JSON text (`84712093456`: every digit of an integer
/// that fits 64 bits; any other number as the shortest text of the same
/// `f64`, `1.50` as `1.5`); any other value (`true`, an object, an array,
/// `null` where the field is required) as its compact JSON text.
/// [`kind`](Self::kind) says which, and [`WebhookEvent::to_json`] writes it
/// back as the same JSON value: a number stays a number.
///
/// The one limit is serde_json's: an array or object nested more than 128
/// levels deep in the whole body is refused (the unknown keys in [`Extra`]
/// have no such limit: their text is kept, never built into a tree), and so
/// is a string that is not Unicode (a lone surrogate escape, `"\ud800"`).
///
/// ```
/// use hookseal_core::{Text, TextKind, WebhookEvent, connectgain};
///
/// let body = r#"{"event":"zoom.recording.completed","timestamp":"2026-04-23T15:58:02Z",
///     "data":{"id":"r1","meeting_id":84712093456,"topic":"Discovery call"}}"#;
/// let connectgain::Event::ZoomRecordingCompleted(recording) = connectgain::Event::from_json(body)? else {
///     unreachable!()
/// };
/// let meeting: &Text = recording.data.meeting_id.as_ref().expect("sent");
/// assert_eq!(meeting, "84712093456");
/// assert_eq!(meeting.kind(), TextKind::Number);
/// assert_eq!(recording.data.topic.as_deref(), Some("Discovery call"));
/// let json = String::from_utf8(connectgain::Event::ZoomRecordingCompleted(recording).to_json())?;
/// assert!(json.contains(r#""meeting_id":84712093456"#), "{json}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`WebhookEvent::to_json`]: crate::WebhookEvent::to_json
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text {
    /// The string's text, or the JSON text of any other value (boxed: a
    /// `Text` is no bigger than a `String`).
    text: Box<str>,
    kind: TextKind,
}

/// What JSON value a [`Text`] was sent as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TextKind {
    /// A JSON string: the text is the string, unescaped.
    #[default]
    String,
    /// A JSON number: the text is its JSON text (see [`Text`]).
    Number,
    /// Any other JSON value (`true`, `false`, `null`, an object, an array):
    /// the text is its compact JSON text.
    Json,
}

impl Text {
    /// A string.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into().into_boxed_str(), kind: TextKind::String }
    }

    /// The text: the string, or the JSON text of any other value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What JSON value it was sent as.
    #[must_use]
    pub fn kind(&self) -> TextKind {
        self.kind
    }

    /// Whether it was sent as a JSON string.
    #[must_use]
    pub fn is_string(&self) -> bool {
        self.kind == TextKind::String
    }

    /// The text, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.text.into_string()
    }

    /// The value as a [`Value`] (`None` only for JSON a [`Value`] cannot
    /// hold: a number beyond `f64`, or nesting deeper than 128 levels).
    #[must_use]
    pub fn to_value(&self) -> Option<Value> {
        match self.kind {
            TextKind::String => Some(Value::String(self.text.to_string())),
            TextKind::Number | TextKind::Json => serde_json::from_str(&self.text).ok(),
        }
    }

    /// A number or any other non-string value, from its JSON text.
    fn json(text: String, kind: TextKind) -> Self {
        Self { text: text.into_boxed_str(), kind }
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A string as a string (`"abc"`); any other value as its JSON text (`123`).
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TextKind::String => fmt::Debug::fmt(&self.text, f),
            TextKind::Number | TextKind::Json => f.write_str(&self.text),
        }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.text.into_string()
    }
}

impl From<&Value> for Text {
    /// A string as a string; any other value as its JSON text.
    fn from(value: &Value) -> Self {
        match value {
            Value::String(text) => Self::new(text.as_str()),
            Value::Number(number) => Self::json(number.to_string(), TextKind::Number),
            other => Self::json(other.to_string(), TextKind::Json),
        }
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.text == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.text == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        &*self.text == other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.text
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.text
    }
}

/// Written back as sent: a string as a string, any other value as its JSON text.
impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.kind {
            TextKind::String => serializer.serialize_str(&self.text),
            TextKind::Number | TextKind::Json => match serde_json::from_str::<&RawValue>(&self.text) {
                Ok(raw) => raw.serialize(serializer),
                // Only reachable for a `Text` built from invalid JSON, which no constructor does.
                Err(_) => serializer.serialize_str(&self.text),
            },
        }
    }
}

/// Any JSON value: a string in one pass, as a `String` field reads it.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
                Ok(Text::new(text))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Text, E> {
                Ok(Text::new(text))
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Text, E> {
                Ok(Text::json(number.to_string(), TextKind::Number))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Text, E> {
                Ok(Text::json(number.to_string(), TextKind::Number))
            }

            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Text, E> {
                // serde_json reads every finite JSON number (`float_roundtrip`).
                Ok(Text::json(Value::from(number).to_string(), TextKind::Number))
            }

            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Text, E> {
                Ok(Text::json(flag.to_string(), TextKind::Json))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text::json("null".to_owned(), TextKind::Json))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Text::json(value.to_string(), TextKind::Json))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text::json(value.to_string(), TextKind::Json))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// The keys of a provider's object that this version of hookseal does not
/// type, kept exactly as sent. Every object of every event has one (the
/// envelope, `data`, Toran's `metadata`, Zapito's `bot`, and so on), so
/// [`WebhookEvent::to_json`] loses nothing a provider adds.
///
/// A typed field whose type no provider documents, other than text, such as
/// ConnectGain's deal `value`, is read when it has the shape it is guessed to
/// have (a number); a value of another shape (`"12500.00"`) is not an error:
/// the field reads `None` and the value is kept here under its own key.
///
/// Each value is the JSON text received, so nothing is lost or rounded: a
/// 30-digit number keeps every digit, and [`WebhookEvent::to_json`] writes
/// it back byte for byte. All the members live in one buffer, filled while
/// the body is parsed (one allocation however many keys there are, none when
/// there is no unknown key); they are parsed again only when read:
///
/// ```
/// use hookseal_core::{Extra, WebhookEvent, toran};
///
/// let body = r#"{"event":"lead.captured","lead_id":"l1","widget_id":"w1","timestamp":"2026-05-06T14:22:31Z",
///     "metadata":{"notes":"hi","landing_variant":"pricing-b","visits":3}}"#;
/// let toran::Event::LeadCaptured(lead) = toran::Event::from_json(body)? else { unreachable!() };
/// let extra: &Extra = &lead.metadata.extra;
/// assert_eq!(extra.len(), 2);
/// assert_eq!(extra.get("landing_variant"), Some("pricing-b".into()));
/// assert_eq!(extra.get_raw("visits").map(|raw| raw.get()), Some("3"));
/// assert_eq!(extra.json(), r#"{"landing_variant":"pricing-b","visits":3}"#);
/// # Ok::<(), hookseal_core::BodyError>(())
/// ```
///
/// A key sent twice is kept twice, as sent; [`get`](Self::get) and
/// [`to_map`](Self::to_map) see the last one, as a JSON object read into a
/// map does. Two `Extra`s are equal when they hold the same keys with equal
/// JSON values, whatever their order and spacing.
///
/// [`WebhookEvent::to_json`]: crate::WebhookEvent::to_json
#[derive(Clone, Default)]
pub struct Extra {
    /// `{"key":value,...}` with the members in the order received, or empty
    /// when there is none.
    json: String,
}

impl Extra {
    /// No key.
    #[must_use]
    pub const fn new() -> Self {
        Self { json: String::new() }
    }

    /// Whether there is no unknown key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// How many members were sent (a key sent twice counts twice).
    #[must_use]
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// The value of `key` (the last one if it was sent twice); `None` if it
    /// was not sent, or if it is valid JSON that a [`Value`] cannot hold (a
    /// number beyond `f64`, or nesting deeper than 128 levels): its text is
    /// still in [`get_raw`](Self::get_raw).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Value> {
        serde_json::from_str(self.get_raw(key)?.get()).ok()
    }

    /// The JSON text of `key`'s value, exactly as sent (the last one if it was sent twice).
    #[must_use]
    pub fn get_raw(&self, key: &str) -> Option<&RawValue> {
        self.members().into_iter().rev().find(|(name, _)| name == key).map(|(_, raw)| raw)
    }

    /// Whether `key` was sent.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_raw(key).is_some()
    }

    /// Every member in the order received: the key (unescaped) and the value's JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (Cow<'_, str>, &RawValue)> {
        self.members().into_iter()
    }

    /// The members as a JSON object text, `{}` when there is none.
    #[must_use]
    pub fn json(&self) -> &str {
        if self.is_empty() { "{}" } else { &self.json }
    }

    /// The members as a map of JSON values (the last one of a key sent twice),
    /// leaving out any value a [`Value`] cannot hold (see [`get`](Self::get)).
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        self.last_wins()
            .into_iter()
            .filter_map(|(key, raw)| Some((key.into_owned(), serde_json::from_str(raw.get()).ok()?)))
            .collect()
    }

    /// Each key once, with the last value sent for it.
    fn last_wins(&self) -> BTreeMap<Cow<'_, str>, &RawValue> {
        self.members().into_iter().collect()
    }

    /// Sets `key` to `value`, replacing any member named `key`.
    pub fn insert(&mut self, key: &str, value: &Value) {
        if self.contains_key(key) {
            let kept: Vec<(String, String)> = self
                .iter()
                .filter(|(name, _)| name != key)
                .map(|(name, raw)| (name.into_owned(), raw.get().to_owned()))
                .collect();
            self.json.clear();
            for (name, raw) in &kept {
                self.push(name, raw);
            }
        }
        self.push(key, &value.to_string());
    }

    /// Appends a member read into a [`Value`] (a typed field's value of another shape).
    pub(crate) fn push_value(&mut self, key: &str, value: &Value) {
        self.push(key, &value.to_string());
    }

    /// Appends a member received in a body: `raw` is its value's JSON text.
    ///
    /// A key that serde_json could borrow from the body had no escape in it,
    /// so it is written back as it was; any other key is escaped again.
    pub(crate) fn push_raw(&mut self, key: Cow<'_, str>, raw: &RawValue) {
        match key {
            Cow::Borrowed(plain) => self.push_plain(plain, raw.get()),
            Cow::Owned(key) => self.push(&key, raw.get()),
        }
    }

    /// Appends `"key":value`; `value` is valid JSON text.
    fn push(&mut self, key: &str, value: &str) {
        if key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            // The unescaped key always serializes, as a JSON string.
            self.push_plain_quoted(&Value::from(key).to_string(), value);
        } else {
            self.push_plain(key, value);
        }
    }

    /// Appends `"key":value` for a key that needs no escape.
    fn push_plain(&mut self, key: &str, value: &str) {
        self.open_member(key.len() + value.len());
        self.json.push('"');
        self.json.push_str(key);
        self.json.push_str("\":");
        self.json.push_str(value);
        self.json.push('}');
    }

    /// Appends `key:value` for a key already written as a JSON string.
    fn push_plain_quoted(&mut self, quoted_key: &str, value: &str) {
        self.open_member(quoted_key.len() + value.len());
        self.json.push_str(quoted_key);
        self.json.push(':');
        self.json.push_str(value);
        self.json.push('}');
    }

    /// Makes room for one more member: opens the object, or reopens it after the last member.
    fn open_member(&mut self, len: usize) {
        if self.json.is_empty() {
            // Room for a few more members: providers add keys a few at a time.
            self.json.reserve(len.saturating_add(8).max(128));
            self.json.push('{');
        } else {
            self.json.pop(); // the closing brace
            self.json.push(',');
        }
    }

    /// The members, parsed from the buffer (always valid: only whole JSON
    /// values and escaped keys are ever written to it).
    fn members(&self) -> Vec<(Cow<'_, str>, &RawValue)> {
        if self.json.is_empty() {
            return Vec::new();
        }
        serde_json::from_str::<Members<'_>>(&self.json).map(|members| members.0).unwrap_or_default()
    }
}

/// An object's members, borrowed from its text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(Name(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(Visitor)
    }
}

impl PartialEq for Extra {
    /// The same keys, each with the same text or equal JSON values.
    fn eq(&self, other: &Self) -> bool {
        if self.json == other.json {
            return true;
        }
        let value = |raw: &RawValue| serde_json::from_str::<Value>(raw.get()).ok();
        let (ours, theirs) = (self.last_wins(), other.last_wins());
        ours.len() == theirs.len()
            && ours.iter().all(|(key, raw)| {
                theirs.get(key).is_some_and(|other| {
                    raw.get() == other.get() || value(raw).is_some_and(|v| value(other) == Some(v))
                })
            })
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A value's JSON text, shown as is.
        struct Json<'a>(&'a str);

        impl fmt::Debug for Json<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }

        f.debug_map().entries(self.iter().map(|(key, raw)| (key, Json(raw.get())))).finish()
    }
}

/// Writes the members as sent (a flattened `extra` puts them beside the typed fields).
impl Serialize for Extra {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let members = self.members();
        let mut map = serializer.serialize_map(Some(members.len()))?;
        for (key, raw) in &members {
            map.serialize_entry(key, raw)?;
        }
        map.end()
    }
}

impl From<Map<String, Value>> for Extra {
    fn from(map: Map<String, Value>) -> Self {
        map.into_iter().collect()
    }
}

impl FromIterator<(String, Value)> for Extra {
    /// Later members replace earlier ones with the same key, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(members: I) -> Self {
        let mut extra = Self::new();
        for (key, value) in members {
            extra.insert(&key, &value);
        }
        extra
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(members: &[(&str, &str)]) -> Extra {
        let mut extra = Extra::new();
        for (key, raw) in members {
            let raw: &RawValue = serde_json::from_str(raw).unwrap();
            // As the parser hands keys over: borrowed unless they had an escape.
            let key: Cow<'_, str> =
                if key.contains(['"', '\\', '\n']) { Cow::Owned((*key).to_owned()) } else { Cow::Borrowed(key) };
            extra.push_raw(key, raw);
        }
        extra
    }

    #[test]
    fn text_tells_what_it_was_sent_as_and_gives_it_back() {
        let read = |json: &str| serde_json::from_str::<Text>(json).unwrap();
        let string = read(r#""id-1""#);
        assert!(string.is_string() && string.kind() == TextKind::String);
        assert_eq!(string.to_value(), Some(json!("id-1")));
        assert_eq!(string.clone().into_string(), "id-1");
        let number = read("12345678901234567890");
        assert!(!number.is_string() && number.kind() == TextKind::Number);
        assert_eq!(number.to_value(), Some(json!(12_345_678_901_234_567_890_u64)));
        assert_eq!(number.into_string(), "12345678901234567890");
        let object = read(r#"{"a":[1,true]}"#);
        assert!(!object.is_string() && object.kind() == TextKind::Json);
        assert_eq!(object.to_value(), Some(json!({"a": [1, true]})));
        assert_eq!(Text::new("x").into_string(), "x");
    }

    #[test]
    fn text_converts_formats_and_compares_as_its_text() {
        let id = Text::from("id-1");
        assert_eq!(id, Text::from(String::from("id-1")));
        assert_eq!(AsRef::<str>::as_ref(&id), "id-1");
        assert_eq!(id.to_string(), "id-1");
        assert_eq!(format!("{id:?}"), r#""id-1""#, "a string debugs quoted");
        assert_eq!(String::from(id.clone()), "id-1");
        // Equal to its text, from either side, and to nothing else.
        let (same, other) = (String::from("id-1"), String::from("id-2"));
        assert!(id == *"id-1" && id == "id-1" && id == same);
        assert!(*"id-1" == id && "id-1" == id);
        assert!(id != *"id-2" && id != "id-2" && id != other);
        assert!(*"id-2" != id && "id-2" != id);
        // From a Value: a string as a string, anything else as its JSON text.
        let number = Text::from(&json!(42));
        assert_eq!((number.as_str(), number.kind()), ("42", TextKind::Number));
        assert_eq!(format!("{number:?}"), "42", "a number debugs as its JSON text");
        let object = Text::from(&json!({"a": 1}));
        assert_eq!((object.as_str(), object.kind()), (r#"{"a":1}"#, TextKind::Json));
        assert_eq!(Text::from(&json!("s")), Text::new("s"));
    }

    #[test]
    fn text_reads_every_json_value_from_any_deserializer() {
        // From a `Value` (owned strings, numbers and the rest handed over one by one).
        let cases = [
            (json!("s"), "s", TextKind::String),
            (json!(7), "7", TextKind::Number),
            (json!(-7), "-7", TextKind::Number),
            (json!(1.5), "1.5", TextKind::Number),
            (json!(true), "true", TextKind::Json),
            (json!(null), "null", TextKind::Json),
            (json!([1, "a"]), r#"[1,"a"]"#, TextKind::Json),
            (json!({"k": [null]}), r#"{"k":[null]}"#, TextKind::Json),
        ];
        for (value, text, kind) in cases {
            let read: Text = serde_json::from_value(value.clone()).unwrap();
            assert_eq!((read.as_str(), read.kind()), (text, kind), "{value}");
            assert_eq!(read.to_value(), Some(value));
        }
    }

    #[test]
    fn extra_answers_by_key_the_last_value_sent() {
        let extra = read(&[("a", "1"), ("b", r#""x""#), ("a", "2"), ("huge", "1e400")]);
        assert!(!extra.is_empty() && Extra::new().is_empty());
        assert_eq!((extra.len(), Extra::new().len()), (4, 0), "a key sent twice counts twice");
        assert_eq!(extra.get("a"), Some(json!(2)));
        assert_eq!(extra.get_raw("a").map(RawValue::get), Some("2"));
        assert!(extra.contains_key("b") && !extra.contains_key("c"));
        assert_eq!(extra.get("c"), None);
        // Valid JSON a `Value` cannot hold: its text only.
        assert_eq!((extra.get("huge"), extra.get_raw("huge").map(RawValue::get)), (None, Some("1e400")));
        let keys: Vec<String> = extra.iter().map(|(key, _)| key.into_owned()).collect();
        assert_eq!(keys, ["a", "b", "a", "huge"]);
        let map = extra.to_map();
        assert_eq!(map.len(), 2, "{map:?}");
        assert_eq!((map.get("a"), map.get("b")), (Some(&json!(2)), Some(&json!("x"))));
        assert_eq!(Extra::new().json(), "{}");
    }

    #[test]
    fn extra_insert_replaces_and_equality_is_by_value() {
        let mut extra = read(&[("a", "1"), ("b", "2"), ("a", "3")]);
        extra.insert("a", &json!("new"));
        assert_eq!(extra.json(), r#"{"b":2,"a":"new"}"#);
        extra.insert("c", &json!(null));
        assert_eq!(extra.len(), 3);
        // Equal: the same members, whatever the spacing; not equal: another value or another key.
        let spaced = read(&[("b", "2"), ("a", r#" "new" "#.trim()), ("c", "null")]);
        assert_eq!(extra, spaced);
        assert_eq!(read(&[("n", "1.0")]), read(&[("n", "1.00")]), "equal JSON values");
        assert_ne!(read(&[("n", "1")]), read(&[("n", "2")]));
        assert_ne!(read(&[("n", "1")]), read(&[("m", "1")]));
        assert_ne!(read(&[("n", "1")]), read(&[("n", "1"), ("m", "1")]));
        // From a map or pairs: later pairs replace earlier ones.
        let pairs: Extra = [("k".to_owned(), json!(1)), ("k".to_owned(), json!(2))].into_iter().collect();
        assert_eq!(pairs.json(), r#"{"k":2}"#);
        let mut map = Map::new();
        map.insert("k".to_owned(), json!(2));
        assert_eq!(Extra::from(map), pairs);
        assert_eq!(format!("{pairs:?}"), r#"{"k": 2}"#);
    }

    #[test]
    fn any_key_is_written_back_escaped_and_read_back() {
        let keys = ["plain", "with space", "quote\"d", "back\\slash", "new\nline", "tab\t", "nul\u{0}", "\u{1f}"];
        let mut extra = Extra::new();
        for (n, key) in keys.iter().enumerate() {
            extra.insert(key, &json!(n));
        }
        assert!(serde_json::from_str::<Value>(extra.json()).is_ok(), "{}", extra.json());
        for (n, key) in keys.iter().enumerate() {
            assert_eq!(extra.get(key), Some(json!(n)), "{key:?} in {}", extra.json());
        }
        assert_eq!(extra.len(), keys.len());
    }

    #[test]
    fn keeps_every_value_as_sent() {
        let extra = read(&[("n", "123456789012345678901234567890"), ("f", "1.50"), ("a", "[1, {\"b\": null}]")]);
        assert_eq!(extra.json(), r#"{"n":123456789012345678901234567890,"f":1.50,"a":[1, {"b": null}]}"#);
        assert_eq!(extra.len(), 3);
        assert_eq!(extra.get_raw("f").unwrap().get(), "1.50");
        assert_eq!(extra.get("a"), Some(json!([1, {"b": null}])));
        assert_eq!(extra.get("missing"), None);
        assert!(extra.contains_key("n") && !extra.contains_key("N"));
    }

    #[test]
    fn keys_are_escaped_when_needed() {
        let extra = read(&[("we\"ird\\\n", "1"), ("plain", "2")]);
        assert_eq!(extra.json(), r#"{"we\"ird\\\n":1,"plain":2}"#);
        let keys: Vec<_> = extra.iter().map(|(key, _)| key.into_owned()).collect();
        assert_eq!(keys, ["we\"ird\\\n", "plain"]);
        assert_eq!(extra.get("we\"ird\\\n"), Some(json!(1)));
    }

    #[test]
    fn a_key_sent_twice_is_kept_twice_and_read_as_a_map_reads_it() {
        let extra = read(&[("k", "1"), ("k", "2")]);
        assert_eq!(extra.len(), 2);
        assert_eq!(extra.get("k"), Some(json!(2)));
        assert_eq!(extra.to_map(), json!({"k": 2}).as_object().unwrap().clone());
        assert_eq!(serde_json::to_string(&extra).unwrap(), r#"{"k":1,"k":2}"#);
    }

    #[test]
    fn insert_replaces_and_equality_ignores_order_and_spacing() {
        let mut built = Extra::from(json!({"b": [1, 2], "a": "x"}).as_object().unwrap().clone());
        assert_eq!(built, read(&[("a", "\"x\""), ("b", "[1, 2]")]));
        assert_ne!(built, read(&[("a", "\"x\"")]));
        built.insert("a", &json!(5));
        assert_eq!(built.len(), 2);
        assert_eq!(built.get("a"), Some(json!(5)));
        assert_eq!(built.to_map(), json!({"a": 5, "b": [1, 2]}).as_object().unwrap().clone());
    }

    #[test]
    fn values_no_value_can_hold_compare_by_text() {
        let (a, b) = (read(&[("n", "1e400")]), read(&[("n", "2e400")]));
        assert_eq!(a.get("n"), None);
        assert!(a.to_map().is_empty());
        assert_ne!(a, b);
        assert_eq!(a, read(&[("n", "1e400")]));
    }

    #[test]
    fn empty_is_free_and_reads_as_an_empty_object() {
        let extra = Extra::new();
        assert!(extra.is_empty() && extra.iter().next().is_none());
        assert_eq!(extra.len(), 0);
        assert_eq!(extra.json(), "{}");
        assert_eq!(serde_json::to_string(&extra).unwrap(), "{}");
        assert_eq!(format!("{extra:?}"), "{}");
        assert_eq!(format!("{:?}", read(&[("k", "[1]")])), r#"{"k": [1]}"#);
    }
}
