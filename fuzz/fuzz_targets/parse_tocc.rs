//! `tocc::Event::from_slice` on arbitrary bytes: never panics; a parsed event
//! round-trips through its wire JSON (see `hookseal_fuzz::check_parse`).

#![no_main]

use hookseal_core::{ProviderId, Tocc, tocc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hookseal_fuzz::check_parse::<Tocc>(data, ProviderId::Tocc.events(), |event| {
        matches!(event, tocc::Event::Unknown(_))
    });
});
