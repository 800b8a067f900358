//! Placeholder: written by the axum_receiver issue.
fn main() {}
