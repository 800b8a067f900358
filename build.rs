//! Generates one known-answer test per fixture file under `tests/fixtures/`.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let fixtures = Path::new("tests/fixtures");
    println!("cargo::rerun-if-changed={}", fixtures.display());
    let mut cases = Vec::new();
    if let Ok(providers) = fs::read_dir(fixtures) {
        for provider in providers.flatten().filter(|e| e.path().is_dir()) {
            println!("cargo::rerun-if-changed={}", provider.path().display());
            for file in fs::read_dir(provider.path()).into_iter().flatten().flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".json").filter(|s| !s.ends_with(".expect")) {
                    cases.push((provider.file_name().to_string_lossy().into_owned(), stem.to_owned()));
                }
            }
        }
    }
    cases.sort();
    let mut out = String::new();
    for (provider, stem) in &cases {
        let ident = format!("{provider}_{stem}").replace(['.', '-'], "_");
        let _ = writeln!(out, "#[test]\nfn {ident}() {{\n    check({provider:?}, {stem:?});\n}}\n");
    }
    let _ = writeln!(out, "const FIXTURE_COUNT: usize = {};", cases.len());
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("known_answers.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
