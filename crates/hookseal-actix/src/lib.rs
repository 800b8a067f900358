//! hookseal actix: work in progress.
