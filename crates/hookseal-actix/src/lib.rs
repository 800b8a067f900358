#![doc = include_str!("../README.md")]

mod config;
mod extract;
#[cfg(feature = "inbox")]
pub mod inbox;
pub mod receiver;
mod rejection;

pub use config::{DEFAULT_READ_TIMEOUT, WebhookConfig};
pub use extract::{Tagged, VerifiedBody, Webhook, WebhookJson};
pub use rejection::WebhookRejection;
