//! What a `WebhookEvent` of your own needs from the core: public `BodyError` constructors.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use hookseal_core::{BodyError, BodyErrorKind, Error};

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // only parsed
struct Order {
    id: String,
    lines: Vec<Line>,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // only parsed
struct Line {
    qty: u32,
}

/// A `from_json` of your own, written with `?` on a plain serde_json call.
fn with_question_mark(body: &str) -> Result<Order, BodyError> {
    Ok(serde_json::from_str(body)?)
}

#[test]
fn a_serde_json_error_converts_with_its_kind_line_and_column() {
    let err = with_question_mark("{\n  \"id\": 7}").unwrap_err();
    assert_eq!(err.kind(), BodyErrorKind::Schema);
    assert_eq!((err.line(), err.column()), (2, 9));
    assert_eq!(err.path(), "");
    assert!(err.message().starts_with("invalid type: integer `7`, expected a string"), "{}", err.message());
    let err = with_question_mark("{\"id\":").unwrap_err();
    assert_eq!(err.kind(), BodyErrorKind::Syntax);
    assert_eq!(Error::from(err).status(), 400);
}

#[test]
fn parse_json_names_the_path_inside_arrays() {
    let err = BodyError::parse_json::<Order>(r#"{"id":"o1","lines":[{"qty":1},{"qty":-1}]}"#).unwrap_err();
    assert_eq!((err.kind(), err.path()), (BodyErrorKind::Schema, "lines[1].qty"));
    assert!(err.to_string().contains("at `lines[1].qty` (line 1, column "), "{err}");
    assert_eq!(BodyError::parse_json::<Order>(r#"{"id":"o1","lines":[]}"#).unwrap().id, "o1");
}

#[test]
fn schema_errors_keep_hostile_text_short() {
    let hostile = "x".repeat(10_000);
    let err = BodyError::schema(hostile.clone(), hostile);
    assert_eq!(err.kind(), BodyErrorKind::Schema);
    assert!(err.path().len() <= 164 && err.message().len() <= 164, "{} {}", err.path().len(), err.message().len());
    assert_eq!((err.line(), err.column()), (0, 0));
    let plain = BodyError::schema("", "total does not match the lines");
    assert_eq!(plain.to_string(), "total does not match the lines");
}
