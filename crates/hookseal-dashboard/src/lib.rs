//! A web dashboard for the hookseal inbox, served by your own binary.
//!
//! Server-side rendered pages (axum and [maud], HTML-escaped by default) over a
//! [`hookseal_inbox::Inbox`]: the events newest first with filters by
//! provider, state, event and key (plain GET query parameters, so a URL can be
//! shared), the counts per state, a chart of the events per minute per
//! provider, live updates (the page polls a bounded HTML fragment), and each
//! event's headers, pretty-printed body, attempt history and last error, with
//! replay of one event and of all dead events under the current filter.
//!
//! Everything is embedded in the binary (CSS, JavaScript, the chart is inline
//! SVG): it works on a machine with no internet.
//!
//! # Security
//!
//! - A non-loopback address needs a token ([`UiToken`]):
//!   [`Dashboard::new`] refuses to build without one ([`DashboardError::TokenRequired`]).
//!   With a token, a browser logs in once with a form that sets an
//!   `HttpOnly`, `SameSite=Strict` session cookie (never the token itself);
//!   scripts may send `Authorization: Bearer TOKEN` instead. The token never
//!   appears in a URL or a page.
//! - Without a token, only loopback host names are answered (a `Host` that is
//!   not `localhost` or a loopback IP gets `403`), which defeats DNS rebinding.
//! - Every state-changing action is a POST carrying a CSRF token (`403` without it).
//! - A strict `Content-Security-Policy` (no inline script or style, `frame-ancestors 'none'`),
//!   `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`
//!   and `Cache-Control: no-store` on every answer.
//! - Bodies are shown as text, never as HTML: they carry visitors' free text.
//!
//! # Example
//!
//! ```
//! use hookseal_dashboard::{Dashboard, DashboardOptions};
//! use hookseal_inbox::{Inbox, MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let inbox = Inbox::new(MemoryStore::new());
//! let addr: std::net::SocketAddr = "127.0.0.1:0".parse()?;
//! let dashboard = Dashboard::new(inbox, DashboardOptions::for_addr(addr))?;
//! let listener = tokio::net::TcpListener::bind(addr).await?;
//! // Serve until the future completes (here: at once).
//! dashboard.serve(listener, async {}).await?;
//!
//! // A public address without a token is refused.
//! let public: std::net::SocketAddr = "0.0.0.0:8025".parse()?;
//! let refused = Dashboard::new(Inbox::new(MemoryStore::new()), DashboardOptions::for_addr(public));
//! assert!(refused.is_err());
//! # Ok(())
//! # }
//! ```

mod auth;
mod chart;
mod pages;
mod pretty;
mod routes;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hookseal_inbox::Inbox;

pub use pretty::pretty_json;

/// How many minutes the chart shows: the last hour.
pub const CHART_MINUTES: u32 = 60;
/// How often the page asks for fresh rows by default, in milliseconds.
pub const DEFAULT_REFRESH_MS: u32 = 3000;

/// The token that guards a dashboard on a non-loopback address.
///
/// Its `Debug` never shows it. Compared in constant time.
#[derive(Clone)]
pub struct UiToken(String);

impl UiToken {
    /// A token; `None` if it is empty or only whitespace (surrounding whitespace is trimmed).
    #[must_use]
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        let trimmed = token.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        auth::same(self.0.as_bytes(), candidate)
    }
}

impl fmt::Debug for UiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UiToken(redacted)")
    }
}

/// How a [`Dashboard`] is guarded.
#[derive(Debug, Clone)]
#[must_use]
pub struct DashboardOptions {
    token: Option<UiToken>,
    loopback: bool,
    refresh_ms: u32,
}

impl DashboardOptions {
    /// Options for a dashboard served on `addr`: loopback or not, no token yet.
    pub fn for_addr(addr: SocketAddr) -> Self {
        Self { token: None, loopback: addr.ip().is_loopback(), refresh_ms: DEFAULT_REFRESH_MS }
    }

    /// Options for a dashboard on a loopback address, no token.
    pub fn loopback() -> Self {
        Self { token: None, loopback: true, refresh_ms: DEFAULT_REFRESH_MS }
    }

    /// Requires this token (a login form, or `Authorization: Bearer`).
    pub fn token(mut self, token: UiToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Requires this token if given.
    pub fn maybe_token(mut self, token: Option<UiToken>) -> Self {
        self.token = token;
        self
    }

    /// How often the events page refreshes itself, in milliseconds (at least 500; default [`DEFAULT_REFRESH_MS`]).
    pub fn refresh_ms(mut self, ms: u32) -> Self {
        self.refresh_ms = ms.max(500);
        self
    }

    /// Whether the address is loopback.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// Whether a token is required.
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }
}

/// Why a dashboard cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// A non-loopback address without a token: anyone who can reach it could replay events.
    #[error(
        "the dashboard address {0} is not loopback: a token is required (set HOOKSEAL_UI_TOKEN or pass \
         --ui-token-file PATH), or listen on 127.0.0.1"
    )]
    TokenRequired(String),
    /// The listener failed.
    #[error("dashboard server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The dashboard: an axum [`Router`](axum::Router) over an [`Inbox`].
#[derive(Clone)]
pub struct Dashboard {
    state: Arc<routes::AppState>,
}

impl fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dashboard")
            .field("loopback", &self.state.loopback)
            .field("token", &self.state.token.is_some())
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard over `inbox`.
    ///
    /// # Errors
    ///
    /// [`DashboardError::TokenRequired`] if the options are for a non-loopback address without a token.
    pub fn new(inbox: Inbox, options: DashboardOptions) -> Result<Self, DashboardError> {
        if !options.loopback && options.token.is_none() {
            return Err(DashboardError::TokenRequired("(non-loopback)".to_owned()));
        }
        Ok(Self { state: Arc::new(routes::AppState::new(inbox, options)) })
    }

    /// The router: mount it on a listener of its own (never on the public webhook listener).
    pub fn router(&self) -> axum::Router {
        routes::router(Arc::clone(&self.state))
    }

    /// Serves on `listener` until `shutdown` completes, then lets the requests in flight finish.
    ///
    /// # Errors
    ///
    /// [`DashboardError::TokenRequired`] if the listener's address is not loopback and no token
    /// was given (whatever the options said), [`DashboardError::Io`] if serving failed.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DashboardError> {
        let local = listener.local_addr()?;
        check_addr(local, self.state.token.is_some())?;
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }
}

/// Refuses a non-loopback `addr` without a token, before anything is bound.
///
/// # Errors
///
/// [`DashboardError::TokenRequired`] for a non-loopback address without a token.
pub fn check_addr(addr: SocketAddr, has_token: bool) -> Result<(), DashboardError> {
    if !addr.ip().is_loopback() && !has_token {
        return Err(DashboardError::TokenRequired(addr.to_string()));
    }
    Ok(())
}

/// Binds `addr` (refusing a non-loopback one without a token) and serves the
/// dashboard over `inbox` until `shutdown` completes.
///
/// # Errors
///
/// [`DashboardError::TokenRequired`], or [`DashboardError::Io`] if the address cannot be bound.
pub async fn serve(
    inbox: Inbox,
    addr: SocketAddr,
    token: Option<UiToken>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DashboardError> {
    check_addr(addr, token.is_some())?;
    let dashboard = Dashboard::new(inbox, DashboardOptions::for_addr(addr).maybe_token(token))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    dashboard.serve(listener, shutdown).await
}
