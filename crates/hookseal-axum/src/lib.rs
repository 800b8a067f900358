//! hookseal axum: work in progress.
