#![doc = include_str!("../README.md")]

mod backoff;
mod clock;
mod error;
mod group;
mod inbox;
mod memory;
mod postgres;
mod record;
mod sql;
mod sqlite;
mod store;
mod worker;

pub use backoff::{Backoff, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AcceptError, StoreError};
pub use inbox::{DEFAULT_INGEST_TIMEOUT, DEFAULT_MAX_BATCH, DEFAULT_RETENTION, Inbox, InboxBuilder, Receipt};
pub use memory::MemoryStore;
pub use postgres::{DEFAULT_ACQUIRE_TIMEOUT, PgStore, migrator as pg_migrator};
pub use record::{Claim, ClaimRequest, Counts, Ingested, NewEvent, ReplayFilter, State, StoredEvent};
pub use sqlite::{DEFAULT_BUSY_TIMEOUT, SqliteStore, migrator as sqlite_migrator};
pub use store::Store;
pub use worker::{DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, HandlerError, Job, Report, TxDatabase, Worker};

/// Re-exported so that handlers and stores can name sqlx types without adding the dependency.
pub use sqlx;
