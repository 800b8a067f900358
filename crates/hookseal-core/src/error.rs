//! Every way a webhook request can be refused, and the HTTP status each maps to.

use std::fmt;

/// Why a request was refused.
///
/// Every variant maps to one HTTP status through [`Error::status`], so that
/// every adapter answers the same way: `401` for any signature problem, `400`
/// for an authentic body that cannot be used, `413` for a body over the limit.
/// No variant carries a secret, and attacker-controlled text is truncated.
///
/// | variant | status | when |
/// |---|---|---|
/// | [`MissingSignature`](Self::MissingSignature) | `401` | the signature header is absent |
/// | [`MalformedSignature`](Self::MalformedSignature) | `401` | it is not written as the scheme writes it (`sha256=<64 hex>`, `<64 hex>`, `v1,<base64>`, `t=…,v1=…`) |
/// | [`DuplicateSignature`](Self::DuplicateSignature) | `401` | it appears more than once |
/// | [`MissingSignedHeader`](Self::MissingSignedHeader) | `401` | a header the scheme signs (id, timestamp) is absent |
/// | [`SignatureMismatch`](Self::SignatureMismatch) | `401` | no configured secret produced it |
/// | [`InvalidBody`](Self::InvalidBody) | `400` | authentic, but not UTF-8 JSON of the provider's shape |
/// | [`EventMismatch`](Self::EventMismatch) | `400` | authentic, but the event header names another event |
/// | [`TimestampTooOld`](Self::TimestampTooOld) | `400` | authentic, but older than the replay window |
/// | [`TimestampTooNew`](Self::TimestampTooNew) | `400` | authentic, but further ahead than the replay window |
/// | [`MissingTimestamp`](Self::MissingTimestamp) | `400` | authentic, but no signed timestamp for the replay window |
/// | [`BodyTooLarge`](Self::BodyTooLarge) | `413` | over the body limit (refused before any signature check) |
///
/// The replay-window failures are `400`, not `401`: they are only checked
/// once the signature holds, so the request is authentic and only its
/// signed timestamp is unusable (a provider that retries on `401` would be
/// told its secret is wrong, which it is not).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The signature header is absent.
    #[error("missing signature header `{header}`")]
    MissingSignature {
        /// The header that was expected.
        header: &'static str,
    },
    /// The signature header is present but is not a well-formed signature.
    #[error("malformed signature in `{header}`: {fault}")]
    MalformedSignature {
        /// The header that was read.
        header: &'static str,
        /// What is wrong with its value.
        fault: SignatureFault,
    },
    /// The signature header appears more than once.
    #[error("signature header `{header}` appears {count} times; exactly one is expected")]
    DuplicateSignature {
        /// The header that was repeated.
        header: &'static str,
        /// How many times it appeared.
        count: usize,
    },
    /// The signature is well formed but no configured secret produced it.
    #[error("signature does not match")]
    SignatureMismatch,
    /// The body is authentic but is not valid JSON or does not fit the schema.
    #[error("unusable body: {0}")]
    InvalidBody(BodyError),
    /// The (unsigned) event header names a different event than the signed body.
    #[error("event header `{header}` says `{in_header}` but the signed body says `{in_body}`")]
    EventMismatch {
        /// The event header that was read.
        header: &'static str,
        /// Its value (lossily decoded and truncated).
        in_header: String,
        /// The event name in the signed body.
        in_body: String,
    },
    /// The signed timestamp is older than the replay window allows.
    #[error("signed timestamp is {age_secs} s old, over the {tolerance_secs} s window")]
    TimestampTooOld {
        /// How old the timestamp is, in seconds.
        age_secs: i64,
        /// The window's tolerance, in seconds.
        tolerance_secs: i64,
    },
    /// The signed timestamp is further in the future than the replay window allows.
    #[error("signed timestamp is {ahead_secs} s in the future, over the {tolerance_secs} s window")]
    TimestampTooNew {
        /// How far ahead the timestamp is, in seconds.
        ahead_secs: i64,
        /// The window's tolerance, in seconds.
        tolerance_secs: i64,
    },
    /// A replay window is configured but the signed body carries no usable timestamp.
    #[error("replay window is enabled but the signed body has no timestamp")]
    MissingTimestamp,
    /// A header that the signature covers (a message id or a timestamp) is
    /// absent, so the signature cannot be checked.
    #[error("missing signed header `{header}`")]
    MissingSignedHeader {
        /// The header that was expected.
        header: &'static str,
    },
    /// The body is larger than the configured limit.
    #[error("body exceeds the {limit} byte limit")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl Error {
    /// The HTTP status code for this rejection: `401`, `400` or `413`.
    ///
    /// ```
    /// use hookseal_core::Error;
    /// assert_eq!(Error::SignatureMismatch.status(), 401);
    /// assert_eq!(Error::BodyTooLarge { limit: 10 }.status(), 413);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingSignature { .. }
            | Self::MalformedSignature { .. }
            | Self::DuplicateSignature { .. }
            | Self::MissingSignedHeader { .. }
            | Self::SignatureMismatch => 401,
            Self::BodyTooLarge { .. } => 413,
            Self::InvalidBody(_)
            | Self::EventMismatch { .. }
            | Self::TimestampTooOld { .. }
            | Self::TimestampTooNew { .. }
            | Self::MissingTimestamp => 400,
        }
    }

    /// A short, fixed text that is safe to send back to the caller.
    ///
    /// Unlike `Display`, it never echoes request content.
    #[must_use]
    pub fn public_message(&self) -> &'static str {
        match self {
            Self::MissingSignature { .. } => "missing signature",
            Self::MalformedSignature { .. } => "malformed signature",
            Self::DuplicateSignature { .. } => "duplicate signature header",
            Self::SignatureMismatch => "invalid signature",
            Self::InvalidBody(_) => "invalid body",
            Self::EventMismatch { .. } => "event header does not match body",
            Self::TimestampTooOld { .. } => "timestamp too old",
            Self::TimestampTooNew { .. } => "timestamp too far in the future",
            Self::MissingTimestamp => "missing timestamp",
            Self::MissingSignedHeader { .. } => "missing signed header",
            Self::BodyTooLarge { .. } => "body too large",
        }
    }

    /// Whether this is a signature problem (status `401`).
    #[must_use]
    pub fn is_signature_error(&self) -> bool {
        self.status() == 401
    }
}

/// What is wrong with a signature header's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFault {
    /// The value is empty (or only whitespace).
    Empty,
    /// The provider requires the `sha256=` prefix and it is absent.
    MissingPrefix,
    /// The provider sends bare hex but the value has a prefix.
    UnexpectedPrefix,
    /// The hex part is not 64 characters long.
    WrongLength,
    /// The hex part holds a character that is not a hex digit.
    NotHex,
    /// The signature is not canonical base64 of 32 bytes.
    NotBase64,
    /// No entry of a signature list has a version this scheme honours (`v1`).
    UnsupportedVersion,
    /// The signed timestamp is not canonical Unix seconds (digits only, no
    /// sign, no leading zero, no fraction, within the representable range).
    InvalidTimestamp,
    /// The signature header carries no timestamp (`t=`), or more than one.
    MissingTimestamp,
}

impl fmt::Display for SignatureFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty value",
            Self::MissingPrefix => "expected the `sha256=` prefix",
            Self::UnexpectedPrefix => "expected bare hex without a prefix",
            Self::WrongLength => "expected 64 hex characters",
            Self::NotHex => "not hexadecimal",
            Self::NotBase64 => "expected base64 of 32 bytes",
            Self::UnsupportedVersion => "no signature of a supported version (v1)",
            Self::InvalidTimestamp => "timestamp is not canonical Unix seconds",
            Self::MissingTimestamp => "expected exactly one timestamp `t=`",
        })
    }
}

/// What kind of problem an authentic body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyErrorKind {
    /// The body is not UTF-8.
    Utf8,
    /// The body is not syntactically valid JSON (or ends early).
    Syntax,
    /// The body is JSON but does not fit the provider's schema.
    Schema,
}

/// Why an authentic body could not be used: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    kind: BodyErrorKind,
    path: String,
    line: usize,
    column: usize,
    message: String,
}

/// Longest message or echoed value kept in an error, in bytes.
pub(crate) const MAX_ECHO: usize = 160;

/// Truncates attacker-controlled text to [`MAX_ECHO`] bytes on a char boundary.
pub(crate) fn truncate(mut text: String) -> String {
    if text.len() > MAX_ECHO {
        let mut end = MAX_ECHO;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

impl BodyError {
    pub(crate) fn new(kind: BodyErrorKind, path: String, line: usize, column: usize, message: String) -> Self {
        Self { kind, path, line, column, message: truncate(message) }
    }

    pub(crate) fn utf8(err: std::str::Utf8Error) -> Self {
        Self::new(BodyErrorKind::Utf8, String::new(), 0, 0, format!("invalid UTF-8 at byte {}", err.valid_up_to()))
    }

    pub(crate) fn from_json(path: String, err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Data => BodyErrorKind::Schema,
            _ => BodyErrorKind::Syntax,
        };
        // serde_json appends " at line L column C"; keep the message without it.
        let text = err.to_string();
        let message = match text.rfind(" at line ") {
            Some(cut) => text[..cut].to_owned(),
            None => text,
        };
        Self::new(kind, path, err.line(), err.column(), message)
    }

    /// A body that is JSON but does not fit your schema: for the
    /// [`WebhookEvent::from_json`](crate::WebhookEvent::from_json) of your
    /// own event type (see [`own_provider`](crate::own_provider)).
    ///
    /// `path` is the JSON path of the offending value (such as
    /// `data.amount`; empty for the whole body), `message` says what is
    /// wrong. Both are kept to 160 bytes, since they may echo the request.
    /// The kind is [`BodyErrorKind::Schema`], line and column are 0.
    ///
    /// ```
    /// use hookseal_core::{BodyError, BodyErrorKind, Error};
    ///
    /// let err = BodyError::schema("data.amount", "must be positive");
    /// assert_eq!(err.kind(), BodyErrorKind::Schema);
    /// assert_eq!(err.to_string(), "must be positive at `data.amount`");
    /// // Through a verifier, it is a `400`:
    /// assert_eq!(Error::from(err).status(), 400);
    /// ```
    #[must_use]
    pub fn schema(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(BodyErrorKind::Schema, truncate(path.into()), 0, 0, message.into())
    }

    /// Parses `body` into `T` with `serde_json`, and on failure says where:
    /// the JSON path (`data.customerId`), line and column, and what was
    /// wrong (as the built-in events do). The parser for the
    /// [`WebhookEvent::from_json`](crate::WebhookEvent::from_json) of your
    /// own event type.
    ///
    /// ```
    /// use hookseal_core::{BodyError, BodyErrorKind};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Payment {
    ///     data: Data,
    /// }
    /// #[derive(serde::Deserialize)]
    /// struct Data {
    ///     amount: u64,
    /// }
    ///
    /// let err = BodyError::parse_json::<Payment>(r#"{"data":{"amount":"ten"}}"#).err().unwrap();
    /// assert_eq!((err.kind(), err.path()), (BodyErrorKind::Schema, "data.amount"));
    /// assert_eq!(BodyError::parse_json::<Payment>("{").err().unwrap().kind(), BodyErrorKind::Syntax);
    /// assert_eq!(BodyError::parse_json::<Payment>(r#"{"data":{"amount":10}}"#)?.data.amount, 10);
    /// # Ok::<(), BodyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`BodyError`] of kind [`Syntax`](BodyErrorKind::Syntax) or
    /// [`Schema`](BodyErrorKind::Schema).
    pub fn parse_json<'de, T: serde::Deserialize<'de>>(body: &'de str) -> Result<T, Self> {
        crate::event::parse_json(body)
    }

    /// What kind of problem this is.
    #[must_use]
    pub fn kind(&self) -> BodyErrorKind {
        self.kind
    }

    /// The JSON path of the offending value, such as `data.customerId` (empty at the top level).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The 1-based line of the problem (0 when unknown).
    #[must_use]
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column of the problem (0 when unknown).
    #[must_use]
    pub fn column(&self) -> usize {
        self.column
    }

    /// What was wrong, truncated.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.path.is_empty() && self.path != "." {
            write!(f, " at `{}`", self.path)?;
        }
        if self.line > 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for BodyError {}

/// A `serde_json` error as a [`BodyError`] (syntax or schema, with its line
/// and column; without the JSON path, which [`BodyError::parse_json`] adds),
/// so that `?` works in your own
/// [`WebhookEvent::from_json`](crate::WebhookEvent::from_json).
impl From<serde_json::Error> for BodyError {
    fn from(err: serde_json::Error) -> Self {
        Self::from_json(String::new(), &err)
    }
}

impl From<BodyError> for Error {
    fn from(err: BodyError) -> Self {
        Self::InvalidBody(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each variant (the match in `name` makes a new variant a
    /// compile error here until it is added, and then to the table).
    fn every_variant() -> Vec<Error> {
        let body = BodyError::new(BodyErrorKind::Schema, "data.id".into(), 1, 2, "bad".into());
        vec![
            Error::MissingSignature { header: "X-Toran-Signature" },
            Error::MalformedSignature { header: "X-Toran-Signature", fault: SignatureFault::NotHex },
            Error::DuplicateSignature { header: "X-Toran-Signature", count: 2 },
            Error::MissingSignedHeader { header: "webhook-id" },
            Error::SignatureMismatch,
            Error::InvalidBody(body),
            Error::EventMismatch { header: "X-Toran-Event", in_header: "a".into(), in_body: "b".into() },
            Error::TimestampTooOld { age_secs: 400, tolerance_secs: 300 },
            Error::TimestampTooNew { ahead_secs: 400, tolerance_secs: 300 },
            Error::MissingTimestamp,
            Error::BodyTooLarge { limit: 10 },
        ]
    }

    fn name(err: &Error) -> &'static str {
        match err {
            Error::MissingSignature { .. } => "MissingSignature",
            Error::MalformedSignature { .. } => "MalformedSignature",
            Error::DuplicateSignature { .. } => "DuplicateSignature",
            Error::MissingSignedHeader { .. } => "MissingSignedHeader",
            Error::SignatureMismatch => "SignatureMismatch",
            Error::InvalidBody(_) => "InvalidBody",
            Error::EventMismatch { .. } => "EventMismatch",
            Error::TimestampTooOld { .. } => "TimestampTooOld",
            Error::TimestampTooNew { .. } => "TimestampTooNew",
            Error::MissingTimestamp => "MissingTimestamp",
            Error::BodyTooLarge { .. } => "BodyTooLarge",
        }
    }

    /// The rows of the status table in `Error`'s documentation: (variant, status).
    fn documented() -> Vec<(String, u16)> {
        include_str!("error.rs")
            .lines()
            .filter_map(|line| line.trim().strip_prefix("/// | [`"))
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let variant = cells[0].split('`').next().unwrap_or_default().to_owned();
                let status = cells[1].trim_matches('`').parse().unwrap_or_else(|_| panic!("status of {variant}"));
                (variant, status)
            })
            .collect()
    }

    #[test]
    fn the_documented_status_table_is_what_status_answers() {
        let table = documented();
        let variants = every_variant();
        assert_eq!(table.len(), variants.len(), "{table:?}");
        for err in &variants {
            let row = table.iter().find(|(variant, _)| variant == name(err));
            assert_eq!(row.map(|(_, status)| *status), Some(err.status()), "{}", name(err));
            assert_eq!(err.is_signature_error(), err.status() == 401);
        }
        // The replay window's refusals are not signature problems.
        for err in &variants[7..10] {
            assert!(name(err).contains("Timestamp") && err.status() == 400, "{}", name(err));
        }
    }
}
