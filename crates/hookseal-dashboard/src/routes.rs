//! The routes, their state and the filter in the query string.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hookseal_inbox::{Inbox, ListQuery, MAX_PAGE, State as EventState, StoreError};
use serde::Deserialize;

use crate::auth;
use crate::pages;
use crate::{CHART_MINUTES, DashboardOptions, UiToken};

/// The longest filter value kept (longer ones are cut).
const MAX_FILTER_LEN: usize = 200;
/// The most pages of dead events one "replay under this filter" walks (with a key filter).
const MAX_REPLAY_PAGES: usize = 200;

pub(crate) struct AppState {
    pub(crate) inbox: Inbox,
    pub(crate) token: Option<UiToken>,
    pub(crate) loopback: bool,
    pub(crate) session: String,
    pub(crate) csrf: String,
    pub(crate) refresh_ms: u32,
}

impl AppState {
    pub(crate) fn new(inbox: Inbox, options: DashboardOptions) -> Self {
        let key = auth::random_hex();
        Self {
            inbox,
            token: options.token,
            loopback: options.loopback,
            session: auth::session_value(&key),
            csrf: auth::random_hex(),
            refresh_ms: options.refresh_ms,
        }
    }
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/live", get(live))
        .route("/events/{id}", get(event))
        .route("/events/{id}/replay", post(replay_one))
        .route("/replay-dead", post(replay_dead))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/static/icon.svg", get(icon))
        .route("/favicon.ico", get(icon))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), auth::guard))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

/// The filter as it arrives in the query string (every field optional, lenient).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FilterParams {
    provider: Option<String>,
    state: Option<String>,
    event: Option<String>,
    key: Option<String>,
    before: Option<String>,
    replayed: Option<String>,
}

/// The filter, parsed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    pub(crate) provider: Option<String>,
    pub(crate) state: Option<EventState>,
    pub(crate) event: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) before: Option<i64>,
    /// A note about a value that was ignored.
    pub(crate) problem: Option<String>,
}

fn clean(value: Option<String>) -> Option<String> {
    let value = value?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(hookseal_inbox::bounded(value.to_owned(), MAX_FILTER_LEN))
}

impl Filter {
    fn parse(params: FilterParams) -> Self {
        let mut problem = None;
        let state = clean(params.state).and_then(|s| match s.parse::<EventState>() {
            Ok(state) => Some(state),
            Err(_) => {
                problem = Some("unknown state ignored: choose ready, running, done or dead".to_owned());
                None
            }
        });
        let before = clean(params.before).and_then(|b| b.parse::<i64>().ok());
        Self {
            provider: clean(params.provider),
            state,
            event: clean(params.event),
            key: clean(params.key),
            before,
            problem,
        }
    }

    /// The inbox query for this filter.
    pub(crate) fn query(&self) -> ListQuery {
        let mut query = ListQuery::new();
        if let Some(p) = &self.provider {
            query = query.provider(p.clone());
        }
        if let Some(s) = self.state {
            query = query.state(s);
        }
        if let Some(e) = &self.event {
            query = query.event_name(e.clone());
        }
        if let Some(k) = &self.key {
            query = query.key_contains(k.clone());
        }
        if let Some(b) = self.before {
            query = query.before(b);
        }
        query
    }

    /// The query string for this filter (without the page cursor), `a=b&c=d` or empty.
    pub(crate) fn query_string(&self) -> String {
        let mut out = String::new();
        let mut add = |name: &str, value: &str| {
            if !out.is_empty() {
                out.push('&');
            }
            let _ = write!(out, "{name}={}", encode(value));
        };
        if let Some(p) = &self.provider {
            add("provider", p);
        }
        if let Some(s) = self.state {
            add("state", s.as_str());
        }
        if let Some(e) = &self.event {
            add("event", e);
        }
        if let Some(k) = &self.key {
            add("key", k);
        }
        out
    }

    /// `/` with this filter, and `extra` (already encoded) appended.
    pub(crate) fn href(&self, extra: &str) -> String {
        let mut qs = self.query_string();
        if !extra.is_empty() {
            if !qs.is_empty() {
                qs.push('&');
            }
            qs.push_str(extra);
        }
        if qs.is_empty() { "/".to_owned() } else { format!("/?{qs}") }
    }

    /// This filter with another state (or none).
    pub(crate) fn with_state(&self, state: Option<EventState>) -> Self {
        Self { state, before: None, problem: None, ..self.clone() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.provider.is_none() && self.state.is_none() && self.event.is_none() && self.key.is_none()
    }
}

/// Percent-encodes everything but the unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A store failure, answered 503 without its details (they go to the log).
fn unavailable(err: &StoreError) -> Response {
    tracing::warn!(error = %err, "dashboard: the store failed");
    let page = pages::message("Store unavailable", "The inbox's store did not answer. See the server's log.");
    (StatusCode::SERVICE_UNAVAILABLE, Html(page.into_string())).into_response()
}

/// What the events page and its live fragment show.
pub(crate) struct Listing {
    pub(crate) filter: Filter,
    pub(crate) page: hookseal_inbox::Page,
    pub(crate) counts: hookseal_inbox::Counts,
    pub(crate) rate: Vec<hookseal_inbox::RatePoint>,
    pub(crate) now: chrono::DateTime<chrono::Utc>,
}

async fn listing(state: &AppState, filter: Filter) -> Result<Listing, StoreError> {
    let page = state.inbox.list(filter.query()).await?;
    let counts = state.inbox.counts().await?;
    let rate = state.inbox.rate(CHART_MINUTES).await?;
    Ok(Listing { filter, page, counts, rate, now: state.inbox.now() })
}

async fn index(State(state): State<Arc<AppState>>, Query(params): Query<FilterParams>) -> Response {
    let replayed = params.replayed.as_deref().and_then(|n| n.parse::<u64>().ok());
    let filter = Filter::parse(params);
    match listing(&state, filter).await {
        Ok(listing) => Html(pages::index(&state, &listing, replayed).into_string()).into_response(),
        Err(err) => unavailable(&err),
    }
}

async fn live(State(state): State<Arc<AppState>>, Query(params): Query<FilterParams>) -> Response {
    let filter = Filter::parse(params);
    match listing(&state, filter).await {
        Ok(listing) => Html(pages::live(&state, &listing).into_string()).into_response(),
        Err(err) => unavailable(&err),
    }
}

async fn event(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<FilterParams>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return not_found().await };
    let stored = match state.inbox.get(id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return not_found().await,
        Err(err) => return unavailable(&err),
    };
    let attempts = match state.inbox.attempts(id).await {
        Ok(attempts) => attempts,
        Err(err) => return unavailable(&err),
    };
    let replayed = params.replayed.as_deref().map(|r| r == "1");
    Html(pages::event(&state, &stored, &attempts, replayed).into_string()).into_response()
}

/// The fields every POST carries.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    provider: Option<String>,
    state: Option<String>,
    event: Option<String>,
    key: Option<String>,
    token: Option<String>,
    next: Option<String>,
}

/// Refuses (403) a POST without the right CSRF token, or sent from another origin.
#[allow(clippy::result_large_err)]
fn checked(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<ActionForm, Response> {
    let forbidden = |why: &str| {
        let page = pages::message("Forbidden", why);
        (StatusCode::FORBIDDEN, Html(page.into_string())).into_response()
    };
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(forbidden("This request came from another site."));
        }
    }
    let Ok(Form(form)) = form else { return Err(forbidden("This request carries no CSRF token.")) };
    if !auth::same(form.csrf.as_bytes(), state.csrf.as_bytes()) {
        return Err(forbidden("This request's CSRF token is missing or wrong: reload the page and try again."));
    }
    Ok(form)
}

async fn replay_one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    if let Err(refused) = checked(&state, &headers, form) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else { return not_found().await };
    match state.inbox.replay(id).await {
        Ok(done) => {
            tracing::info!(id, replayed = done, "dashboard: replay");
            Redirect::to(&format!("/events/{id}?replayed={}", u8::from(done))).into_response()
        }
        Err(err) => unavailable(&err),
    }
}

async fn replay_dead(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let form = match checked(&state, &headers, form) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let filter = Filter::parse(FilterParams {
        provider: form.provider,
        state: form.state,
        event: form.event,
        key: form.key,
        before: None,
        replayed: None,
    });
    match replay_under(&state.inbox, &filter).await {
        Ok(n) => {
            tracing::info!(replayed = n, "dashboard: replay of dead events");
            Redirect::to(&filter.href(&format!("replayed={n}"))).into_response()
        }
        Err(err) => unavailable(&err),
    }
}

/// Replays every dead event under `filter`; how many.
pub(crate) async fn replay_under(inbox: &Inbox, filter: &Filter) -> Result<u64, StoreError> {
    if filter.state.is_some_and(|s| s != EventState::Dead) {
        return Ok(0);
    }
    if filter.key.is_none() {
        return inbox.replay_dead(filter.provider.as_deref(), filter.event.as_deref()).await;
    }
    // The store's bulk replay knows no key filter: walk the matching dead events (bounded).
    let mut query = Filter { state: Some(EventState::Dead), before: None, ..filter.clone() }.query().limit(MAX_PAGE);
    let mut replayed = 0;
    for _ in 0..MAX_REPLAY_PAGES {
        let page = inbox.list(query.clone()).await?;
        for event in &page.events {
            if inbox.replay(event.id).await? {
                replayed += 1;
            }
        }
        match page.next {
            Some(next) => query = query.before(next),
            None => break,
        }
    }
    Ok(replayed)
}

/// `next` if it is a path on this server, else `/`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.contains(['\r', '\n']) => {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct LoginParams {
    next: Option<String>,
}

async fn login_form(State(state): State<Arc<AppState>>, Query(params): Query<LoginParams>) -> Response {
    if state.token.is_none() {
        return Redirect::to("/").into_response();
    }
    Html(pages::login(&state, &local_path(params.next.as_deref()), false).into_string()).into_response()
}

async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let form = match checked(&state, &headers, form) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let next = local_path(form.next.as_deref());
    let Some(token) = &state.token else { return Redirect::to(&next).into_response() };
    if !token.matches(form.token.as_deref().unwrap_or("").trim().as_bytes()) {
        tracing::warn!("dashboard: a login with a wrong token");
        return (StatusCode::UNAUTHORIZED, Html(pages::login(&state, &next, true).into_string())).into_response();
    }
    let mut response = Redirect::to(&next).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::login_cookie(&state.session)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    if let Err(refused) = checked(&state, &headers, form) {
        return refused;
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::logout_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/app.css"))
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../assets/app.js"))
}

async fn icon() -> Response {
    asset("image/svg+xml", include_str!("../assets/icon.svg"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn not_found() -> Response {
    let page = pages::message("Not found", "There is nothing here.");
    (StatusCode::NOT_FOUND, Html(page.into_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd/%C3%A9");
    }

    #[test]
    fn only_local_redirects() {
        assert_eq!(local_path(Some("/events/3")), "/events/3");
        assert_eq!(local_path(Some("//evil.com")), "/");
        assert_eq!(local_path(Some("https://evil.com")), "/");
        assert_eq!(local_path(Some("/\\evil.com")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn filter_round_trip() {
        let filter = Filter::parse(FilterParams {
            provider: Some(" toran ".into()),
            state: Some("dead".into()),
            event: Some(String::new()),
            key: Some("a&b".into()),
            before: Some("x".into()),
            replayed: None,
        });
        assert_eq!(filter.query_string(), "provider=toran&state=dead&key=a%26b");
        assert_eq!(filter.before, None);
        let bad = Filter::parse(FilterParams { state: Some("<x>".into()), ..FilterParams::default() });
        assert!(bad.state.is_none() && bad.problem.is_some());
    }
}
