#![doc = include_str!("../README.md")]

mod extract;
pub mod receiver;
mod rejection;

pub use extract::{Tagged, VerifiedBody, Webhook, WebhookJson};
pub use rejection::WebhookRejection;
