//! `hookseal inbox ui`: the real binary, its refusals, and a page served over an SQLite store.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Command, Stdio};

fn hookseal() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookseal"));
    command.env_remove("HOOKSEAL_UI_TOKEN");
    command
}

fn temp_store(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hookseal-ui-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inbox.db");
    // An empty file is an empty SQLite database: the store applies its migrations.
    std::fs::write(&path, b"").unwrap();
    path
}

#[test]
fn a_public_address_without_a_token_refuses_to_start() {
    let store = temp_store("public");
    let out = hookseal()
        .args(["inbox", "ui", "--store", &format!("sqlite://{}", store.display()), "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not loopback: a token is required"), "{stderr}");

    let out = hookseal()
        .args(["inbox", "ui", "--store", &format!("sqlite://{}", store.display()), "--addr", "0.0.0.0:0"])
        .env("HOOKSEAL_UI_TOKEN", "   ")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the dashboard token is empty (HOOKSEAL_UI_TOKEN)"));
    std::fs::remove_dir_all(store.parent().unwrap()).unwrap();
}

#[test]
fn a_missing_store_is_refused() {
    let out = hookseal().args(["inbox", "ui", "--store", "sqlite:///nonexistent/dir/inbox.db"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store at"));
    let out = hookseal().args(["inbox", "ui", "--store", "mysql://x"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("the store URL must start with sqlite:// or postgres://"));
}

#[test]
fn serves_the_page_on_loopback() {
    let store = temp_store("serve");
    let mut child = hookseal()
        .args(["inbox", "ui", "--store", &format!("sqlite://{}", store.display()), "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let addr = first.trim().strip_prefix("dashboard on http://").and_then(|a| a.strip_suffix('/'));
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("unexpected first line: {first:?}");
    };
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let read = stream.read_to_string(&mut answer);
    child.kill().unwrap();
    child.wait().unwrap();
    read.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-security-policy: default-src 'none'"));
    assert!(answer.contains("No events yet."));
    std::fs::remove_dir_all(store.parent().unwrap()).unwrap();
}

#[test]
fn listen_with_a_public_ui_and_no_token_refuses_before_creating_its_store() {
    let dir = std::env::temp_dir().join(format!("hookseal-ui-test-{}-listen", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("never.db");
    let out = hookseal()
        .args(["listen", "--addr", "127.0.0.1:0", "--store", &format!("sqlite://{}", store.display())])
        .args(["--ui", "0.0.0.0:0"])
        .env("HOOKSEAL_SECRET", "whsec_test_shared")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not loopback: a token is required"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    assert!(!store.exists(), "the store was created before the dashboard's address was refused");
    std::fs::remove_dir_all(&dir).unwrap();
}
