//! Placeholder: written by the quickstart issue.
fn main() {}
