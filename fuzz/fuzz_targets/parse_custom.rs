//! `custom::Event::from_slice` on arbitrary bytes: never panics; a parsed
//! event round-trips through its wire JSON and keeps the body's bytes.

#![no_main]

use hookseal_core::{Custom, WebhookEvent, custom};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A custom event has no typed variants: every name is "unknown".
    hookseal_fuzz::check_parse::<Custom>(data, &[], |_| true);
    if let Ok(event) = custom::Event::from_slice(data) {
        // The raw JSON is the body minus surrounding whitespace, byte for byte.
        let text = std::str::from_utf8(data).expect("a parsed body is UTF-8");
        assert_eq!(event.raw().get(), text.trim_matches([' ', '\t', '\n', '\r']));
    }
});
