//! Who may look: the token, the session cookie, the CSRF token, the host check
//! and the security headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::routes::AppState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "hookseal_ui";

/// The policy for every answer: only this server's own script and style, no frames, no plugins.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                              connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Constant-time equality (lengths are not secret).
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// 32 random bytes, hex.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The session cookie's value: derived from a per-process key, never the token itself
/// (a restart logs everybody out).
pub(crate) fn session_value(key: &str) -> String {
    hex::encode(Sha256::digest(format!("hookseal-ui-session:{key}").as_bytes()))
}

/// The `Set-Cookie` value that logs in.
pub(crate) fn login_cookie(session: &str) -> String {
    format!("{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that logs out.
pub(crate) fn logout_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Whether the request carries the session cookie or the bearer token.
pub(crate) fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.token else { return true };
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
    {
        return token.matches(bearer.trim().as_bytes());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && same(value.as_bytes(), state.session.as_bytes()))
}

/// Whether `host` (a `Host` header) names this machine's loopback.
pub(crate) fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(ip, _)| ip)
    } else {
        host.rsplit_once(':')
            .map_or(host, |(name, port)| if port.chars().all(|c| c.is_ascii_digit()) { name } else { host })
    };
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Security headers on every answer.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The host check (without a token) and the token check (with one).
pub(crate) async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if state.token.is_none() {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !loopback_host(host) {
            return (
                StatusCode::FORBIDDEN,
                "this dashboard has no token, so it answers only for localhost and loopback addresses\n",
            )
                .into_response();
        }
        return next.run(request).await;
    }
    if path == "/login" || path.starts_with("/static/") || authorized(&state, request.headers()) {
        return next.run(request).await;
    }
    let html = request.method() == axum::http::Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
        && !path.starts_with("/live");
    if html {
        let next_path = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let target = format!("/login?next={}", crate::routes::encode(next_path));
        return Redirect::to(&target).into_response();
    }
    (StatusCode::UNAUTHORIZED, "log in first (or send Authorization: Bearer TOKEN)\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "localhost:8025", "127.0.0.1:1", "127.0.0.2", "[::1]:80", "[::1]", "a.localhost:9"] {
            assert!(loopback_host(host), "{host}");
        }
        for host in ["", "example.com", "evil.com:80", "10.0.0.1:80", "localhost.evil.com", "[2001:db8::1]:80"] {
            assert!(!loopback_host(host), "{host}");
        }
    }

    #[test]
    fn constant_time_equality() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
