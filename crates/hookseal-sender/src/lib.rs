//! hookseal sender: work in progress.
