//! `tuco::Event::from_slice` on arbitrary bytes: never panics; a parsed event
//! round-trips through its wire JSON (see `hookseal_fuzz::check_parse`).

#![no_main]

use hookseal_core::{ProviderId, Tuco, tuco};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hookseal_fuzz::check_parse::<Tuco>(data, ProviderId::Tuco.events(), |event| {
        matches!(event, tuco::Event::Unknown(_))
    });
});
