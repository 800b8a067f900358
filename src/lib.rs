#![doc = include_str!("../README.md")]

pub use hookseal_core::*;

/// The axum extractors ([`hookseal_axum`]).
#[cfg(feature = "axum")]
pub use hookseal_axum as axum;

/// The actix-web extractors ([`hookseal_actix`]).
#[cfg(feature = "actix")]
pub use hookseal_actix as actix;

/// The sender: sign and deliver webhooks ([`hookseal_sender`]).
#[cfg(feature = "sender")]
pub use hookseal_sender as sender;

/// The durable inbox: store before acknowledging, dedupe, process exactly once ([`hookseal_inbox`]).
#[cfg(feature = "inbox")]
pub use hookseal_inbox as inbox;

/// The tower layer: verification before any tower service ([`hookseal_tower`]).
#[cfg(feature = "tower")]
pub use hookseal_tower as tower;
