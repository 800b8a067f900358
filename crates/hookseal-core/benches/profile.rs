//! A fixed-work driver for instruction-count profiling, which is repeatable
//! on a loaded machine where wall-clock time is not:
//!
//! ```sh
//! cargo bench -p hookseal-core --bench profile --no-run   # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=cg.out <binary> hookseal toran 1000
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! Arguments: `<who> <provider> <iterations>`, with `who` one of `hookseal`,
//! `verify` (signature only), `parse` (`Event::from_slice` only), `lower_bound`,
//! `lower_parse` (its borrowed parse only), `owned_bound`, `owned_parse`
//! (the same with `String` fields), `value_parse` (`serde_json::Value`
//! only), `hand_rolled`, `hand_rolled_prekeyed`; `provider` one of tocc, toran, zapito, tuco, connectgain.
//! Run it with two iteration counts and subtract to get the cost of one.
//! `cargo bench` without arguments runs nothing.

mod common;

use std::hint::black_box;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use common::{HmacSha256, Request, hand_rolled, lower_bound, owned_shapes, prekeyed, secret, shapes};
use hookseal_core::{ConnectGain, Provider, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito};

fn run<P: Provider>(
    who: &str,
    request: &Request,
    iterations: usize,
    lower: impl Fn(Option<&HmacSha256>, &Request) -> bool,
    owned: impl Fn(Option<&HmacSha256>, &Request) -> bool,
) -> bool {
    let verifier = Verifier::<P>::new(secret());
    let now = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("in range");
    let key = prekeyed();
    for _ in 0..iterations {
        let ok = match who {
            "hookseal" => verifier.verify_event_at(black_box(&request.headers), black_box(&request.body), now).is_ok(),
            "verify" => verifier.verify(black_box(&request.headers), black_box(&request.body)).is_ok(),
            "parse" => P::Event::from_slice(black_box(&request.body)).is_ok(),
            "lower_bound" => lower(Some(&key), black_box(request)),
            "lower_parse" => lower(None, black_box(request)),
            "owned_bound" => owned(Some(&key), black_box(request)),
            "owned_parse" => owned(None, black_box(request)),
            "value_parse" => serde_json::from_slice::<serde_json::Value>(black_box(&request.body)).is_ok(),
            "hand_rolled" => hand_rolled(None, black_box(request), black_box(&request.body)).is_some(),
            "hand_rolled_prekeyed" => hand_rolled(Some(&key), black_box(request), black_box(&request.body)).is_some(),
            _ => return false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The lower bound (with a key) or its parse alone (without); `owned` for the owned bound.
macro_rules! lower {
    ($shape:ident) => {
        |key: Option<&HmacSha256>, r: &Request| match key {
            Some(key) => lower_bound::<shapes::$shape<'_>>(key, r, &r.body),
            None => common::parse_borrowed::<shapes::$shape<'_>>(&r.body).map(|v| drop(black_box(v))).is_ok(),
        }
    };
    (owned $shape:ident) => {
        |key: Option<&HmacSha256>, r: &Request| match key {
            Some(key) => lower_bound::<owned_shapes::$shape>(key, r, &r.body),
            None => common::parse_borrowed::<owned_shapes::$shape>(&r.body).map(|v| drop(black_box(v))).is_ok(),
        }
    };
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [who, provider, iterations] = args.as_slice() else {
        return ExitCode::SUCCESS; // `cargo bench` runs every bench: nothing to do here.
    };
    let Ok(iterations) = iterations.parse::<usize>() else {
        eprintln!("iterations must be a number");
        return ExitCode::FAILURE;
    };
    let ok = match provider.as_str() {
        "tocc" => run::<Tocc>(who, &common::tocc(), iterations, lower!(Tocc), lower!(owned Tocc)),
        "toran" => run::<Toran>(who, &common::toran(), iterations, lower!(Toran), lower!(owned Toran)),
        "zapito" => run::<Zapito>(who, &common::zapito(), iterations, lower!(Zapito), lower!(owned Zapito)),
        "tuco" => run::<Tuco>(who, &common::tuco(), iterations, lower!(Tuco), lower!(owned Tuco)),
        "connectgain" => {
            run::<ConnectGain>(who, &common::connectgain(), iterations, lower!(ConnectGain), lower!(owned ConnectGain))
        }
        _ => false,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("unknown arguments, or the request was refused");
        ExitCode::FAILURE
    }
}
