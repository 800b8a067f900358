//! hookseal cli: work in progress.
fn main() {}
