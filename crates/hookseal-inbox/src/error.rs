//! What can go wrong with the store, and what the receiver answers then.

use std::time::Duration;

/// The store could not take, or give back, what was asked.
///
/// Every variant means "not stored" to a webhook sender: a receiver answers
/// it with [`status`](Self::status) `503`, so the providers that retry do.
/// `Display` names the cause for your logs (never a secret, never a body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached (connection refused, pool exhausted, I/O error).
    #[error("inbox store unavailable: {0}")]
    Unavailable(String),
    /// The store did not answer within the configured time.
    #[error("inbox store did not answer within {0:?}")]
    Timeout(Duration),
    /// The database refused a statement.
    #[error("inbox store error: {0}")]
    Database(String),
    /// The migrations could not be applied on open.
    #[error("inbox migrations failed: {0}")]
    Migrate(String),
    /// The inbox's committer has shut down (its runtime ended).
    #[error("inbox is shut down")]
    Closed,
    /// This store does not implement the operation (a wrapper that forwards only part of [`Store`](crate::Store)).
    #[error("inbox store does not support `{0}`")]
    Unsupported(&'static str),
}

impl StoreError {
    /// The HTTP status a receiver answers with: always `503 Service Unavailable`.
    ///
    /// ```
    /// use hookseal_inbox::StoreError;
    /// assert_eq!(StoreError::Closed.status(), 503);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        503
    }

    /// A short, fixed text that is safe to send back to the caller.
    #[must_use]
    pub fn public_message(&self) -> &'static str {
        "webhook store unavailable, retry later"
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Self::Unavailable(err.to_string()),
            other => Self::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(err.to_string())
    }
}

/// Why [`Inbox::accept`](crate::Inbox::accept) did not store a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// Verification refused it: `401`, `400` or `413` (see [`hookseal_core::Error::status`]).
    /// An authentic body that merely fails the typed parse is *not* refused: it is stored dead-lettered.
    #[error(transparent)]
    Rejected(hookseal_core::Error),
    /// It is authentic but could not be stored: `503`.
    #[error(transparent)]
    Store(StoreError),
}

impl AcceptError {
    /// The HTTP status to answer with: the verifier's `401`/`400`/`413`, or `503`.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Rejected(err) => err.status(),
            Self::Store(err) => err.status(),
        }
    }

    /// A short, fixed text that is safe to send back to the caller.
    #[must_use]
    pub fn public_message(&self) -> &'static str {
        match self {
            Self::Rejected(err) => err.public_message(),
            Self::Store(err) => err.public_message(),
        }
    }
}

impl From<StoreError> for AcceptError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<hookseal_core::Error> for AcceptError {
    fn from(err: hookseal_core::Error) -> Self {
        Self::Rejected(err)
    }
}
