#![doc = include_str!("../README.md")]

mod config;
mod extract;
#[cfg(feature = "inbox")]
pub mod inbox;
pub mod metrics;
pub mod receiver;
mod rejection;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{DEFAULT_READ_TIMEOUT, WebhookConfig};
pub use extract::{Tagged, VerifiedBody, Webhook, WebhookJson};
pub use rejection::WebhookRejection;
