//! Group commit: concurrent ingests share one transaction and one fsync.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::StoreError;
use crate::record::{Ingested, NewEvent};
use crate::store::Store;

/// One caller waiting for its row to be committed.
pub(crate) struct Pending {
    pub(crate) row: NewEvent,
    pub(crate) reply: oneshot::Sender<Result<Ingested, StoreError>>,
}

/// The committer: takes what is queued (up to `max_batch`, waiting at most
/// `max_wait` for more), commits it in one transaction, answers each caller.
/// Up to `parallel` batches are in flight at once (one per connection).
pub(crate) fn spawn(
    store: Arc<dyn Store>,
    mut queue: mpsc::Receiver<Pending>,
    max_batch: usize,
    max_wait: Duration,
    parallel: usize,
) {
    let slots = Arc::new(Semaphore::new(parallel.max(1)));
    let max_batch = max_batch.max(1);
    tokio::spawn(async move {
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else { return };
            let Some(first) = queue.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            if batch.len() < max_batch && !max_wait.is_zero() {
                let deadline = tokio::time::Instant::now() + max_wait;
                while batch.len() < max_batch {
                    match tokio::time::timeout_at(deadline, queue.recv()).await {
                        Ok(Some(next)) => batch.push(next),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (rows, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|p| (p.row, p.reply)).unzip();
                match store.ingest_batch(rows).await {
                    Ok(done) => {
                        for (reply, ingested) in replies.into_iter().zip(done) {
                            let _ = reply.send(Ok(ingested));
                        }
                    }
                    Err(err) => {
                        for reply in replies {
                            let _ = reply.send(Err(err.clone()));
                        }
                    }
                }
                drop(slot);
            });
        }
    });
}
