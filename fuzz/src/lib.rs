//! Properties shared by the fuzz targets.
//!
//! Each target feeds bytes in and checks a property that a wrong
//! implementation would break, not only that nothing panicked.

use hookseal_core::{Error, Provider, WebhookEvent};

/// Parses `data` as `P`'s event and checks what must hold when it parses.
///
/// - an event is `Unknown` exactly when its name is not one the provider
///   module types (`unknown` says which variant it is; `known` lists the
///   typed names);
/// - its wire JSON parses back into an equal event, whose wire JSON is the
///   same bytes again, with the same name, idempotency key and timestamp.
pub fn check_parse<P: Provider>(data: &[u8], known: &[&str], unknown: impl Fn(&P::Event) -> bool) {
    let Ok(event) = P::Event::from_slice(data) else {
        return;
    };
    let name = event.name();
    assert_eq!(unknown(&event), !known.contains(&name), "Unknown iff the name is not typed: {name:?}");
    let _ = event.is_test();
    let key = event.idempotency_key();
    let at = event.occurred_at();

    let json = event.to_json();
    let again = match P::Event::from_slice(&json) {
        Ok(again) => again,
        Err(err) => panic!("to_json does not parse back: {err}\n{}", String::from_utf8_lossy(&json)),
    };
    assert_eq!(again, event, "round trip changed the event\n{}", String::from_utf8_lossy(&json));
    assert_eq!(again.to_json(), json, "to_json is not stable");
    assert_eq!(again.name(), name);
    assert_eq!(again.occurred_at(), at);
    assert_eq!(again.idempotency_key(), key);
}

/// Every rejection maps to 400, 401 or 413, and has a public text.
pub fn check_error(err: &Error) {
    assert!(matches!(err.status(), 400 | 401 | 413), "{err:?} -> {}", err.status());
    assert!(!err.public_message().is_empty());
    assert_eq!(err.is_signature_error(), err.status() == 401);
}
