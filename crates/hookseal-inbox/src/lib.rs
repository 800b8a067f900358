#![doc = include_str!("../README.md")]

mod any_worker;
mod backoff;
mod clock;
mod error;
mod group;
mod inbox;
mod memory;
pub mod metrics;
mod postgres;
mod postgres_query;
mod query;
mod record;
mod sql;
mod sqlite;
mod sqlite_query;
mod store;
mod worker;

pub use any_worker::{AnyJob, AnyWorker, DEFAULT_CONCURRENCY, Settled};
pub use backoff::{Backoff, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AcceptError, StoreError};
pub use inbox::{DEFAULT_INGEST_TIMEOUT, DEFAULT_MAX_BATCH, DEFAULT_RETENTION, Inbox, InboxBuilder, Receipt};
pub use memory::MemoryStore;
pub use postgres::{DEFAULT_ACQUIRE_TIMEOUT, PgStore, migrator as pg_migrator};
pub use query::{
    Attempt, AttemptOutcome, DEFAULT_PAGE, EventSummary, ListQuery, MAX_ERROR_LEN, MAX_HEADERS, MAX_HEADERS_BYTES,
    MAX_PAGE, MAX_RATE_MINUTES, Page, RatePoint, Settlement, Verdict, bounded, keep_headers,
};
pub use record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, State, StoredEvent};
pub use sqlite::{DEFAULT_BUSY_TIMEOUT, SqliteStore, migrator as sqlite_migrator};
pub use store::Store;
pub use worker::{DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, HandlerError, Job, Report, TxDatabase, Worker};

/// Re-exported so that handlers and stores can name sqlx types without adding the dependency.
pub use sqlx;
