#![doc = include_str!("../README.md")]

mod delivery;
mod endpoint;
mod fresh;
mod log;
mod redact;
mod retry;
mod sender;
mod subscription;

pub use delivery::{Delivery, DeliveryBuilder, PrepareError, Target};
pub use endpoint::{AddressClass, EndpointError, EndpointPolicy, ResolvedEndpoint, classify};
pub use fresh::{FreshError, fresh_delivery, fresh_delivery_at, fresh_sample};
pub use log::{Attempt, AttemptError, DeliveryLog, Outcome, SkipReason};
pub use retry::{Backoff, DEFAULT_TIMEOUT, RetryPolicy, SleepFuture, Sleeper, TokioSleeper, parse_retry_after};
pub use sender::{DEFAULT_RESPONSE_BODY_LIMIT, SendError, Sender};
pub use subscription::WebhookConfig;

/// Re-exported so that `url::Url` can be named without adding `url`.
pub use url;
