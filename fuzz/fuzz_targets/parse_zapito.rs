//! `zapito::Event::from_slice` on arbitrary bytes: never panics; a parsed event
//! round-trips through its wire JSON (see `hookseal_fuzz::check_parse`).

#![no_main]

use hookseal_core::{ProviderId, Zapito, zapito};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hookseal_fuzz::check_parse::<Zapito>(data, ProviderId::Zapito.events(), |event| {
        matches!(event, zapito::Event::Unknown(_))
    });
});
