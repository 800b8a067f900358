#![doc = include_str!("../README.md")]

mod config;
mod extract;
pub mod receiver;
mod rejection;

pub use config::{DEFAULT_READ_TIMEOUT, WebhookConfig};
pub use extract::{Tagged, VerifiedBody, VerifiedWebhook, Webhook, WebhookJson};
pub use rejection::{FromRejection, RejectionContext, WebhookRejection};
