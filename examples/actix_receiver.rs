//! Placeholder: written by the actix_receiver issue.
fn main() {}
