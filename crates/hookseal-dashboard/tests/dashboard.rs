//! The dashboard through its router: pages, filters, escaping, auth, CSRF and replay.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone as _, Utc};
use hookseal_dashboard::{Dashboard, DashboardError, DashboardOptions, UiToken, check_addr};
use hookseal_inbox::{Inbox, ManualClock, MemoryStore, NewEvent, State};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

fn inbox() -> Inbox {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().expect("time"));
    Inbox::builder(MemoryStore::new()).clock(clock).build()
}

async fn put(inbox: &Inbox, provider: &str, event: &str, key: &str, body: &str, dead: bool) -> i64 {
    let row = NewEvent {
        provider: provider.to_owned(),
        event_name: event.to_owned(),
        idempotency_key: key.to_owned(),
        body: body.as_bytes().to_vec(),
        event_header: Some(event.to_owned()),
        timestamp_header: None,
        received_at: inbox.now(),
        dead_letter: dead.then(|| "downstream said 500".to_owned()),
        headers: vec![("x-test-header".to_owned(), "<i>hdr</i>".to_owned())],
    };
    inbox.ingest(row).await.expect("ingest").id
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

async fn send(dashboard: &Dashboard, request: Request<Body>) -> Answer {
    let response = dashboard.router().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "127.0.0.1:8025")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request")
}

fn post(uri: &str, form: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, "127.0.0.1:8025")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("request")
}

/// The CSRF token rendered in a page's forms.
fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().expect("value").to_owned()
}

fn rows(page: &str) -> usize {
    page.matches("<tr data-id=").count()
}

#[tokio::test]
async fn lists_events_newest_first_with_counts() {
    let inbox = inbox();
    put(&inbox, "toran", "lead.captured", "k-1", "{}", false).await;
    put(&inbox, "tocc", "form.submitted", "k-2", "{}", true).await;
    let dashboard = Dashboard::new(inbox, DashboardOptions::loopback()).expect("loopback");
    let page = send(&dashboard, get("/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(rows(&page.text), 2);
    let first = page.text.find("k-2").expect("k-2 listed");
    let second = page.text.find("k-1").expect("k-1 listed");
    assert!(first < second, "newest first");
    assert!(page.text.contains(r#"<span class="n" id="count-dead">1</span>"#), "dead count");
    assert!(page.text.contains(r#"<span class="n" id="count-ready">1</span>"#), "ready count");
    assert!(page.text.contains("<svg"), "the chart");
    assert!(page.text.contains("toran: 1 at 09:00 UTC"), "the chart counts toran's minute");
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let inbox = inbox();
    put(&inbox, "toran", "lead.captured", "toran-a", "{}", false).await;
    put(&inbox, "toran", "lead.updated", "toran-b", "{}", true).await;
    put(&inbox, "tocc", "lead.captured", "tocc-c", "{}", true).await;
    let dashboard = Dashboard::new(inbox, DashboardOptions::loopback()).expect("loopback");
    for (uri, keys) in [
        ("/?provider=toran", &["toran-a", "toran-b"][..]),
        ("/?state=dead", &["toran-b", "tocc-c"]),
        ("/?event=lead.captured", &["toran-a", "tocc-c"]),
        ("/?key=c-c", &["tocc-c"]),
        ("/?provider=toran&state=dead", &["toran-b"]),
        ("/live?provider=tocc", &["tocc-c"]),
    ] {
        let page = send(&dashboard, get(uri)).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert_eq!(rows(&page.text), keys.len(), "{uri}");
        for key in keys {
            assert!(page.text.contains(key), "{uri} lists {key}");
        }
    }
    let none = send(&dashboard, get("/?provider=zapito")).await;
    assert!(none.text.contains("No events match this filter."));
    let bad = send(&dashboard, get("/?state=%3Cx%3E")).await;
    assert_eq!(rows(&bad.text), 3, "an unknown state is ignored");
    assert!(bad.text.contains("unknown state ignored"));
    assert!(!bad.text.contains("<x>"));
}

#[tokio::test]
async fn live_fragment_is_bare() {
    let inbox = inbox();
    put(&inbox, "toran", "lead.captured", "k", "{}", false).await;
    let dashboard = Dashboard::new(inbox, DashboardOptions::loopback()).expect("loopback");
    let page = send(&dashboard, get("/live")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("<html"));
    assert_eq!(rows(&page.text), 1);
}

#[tokio::test]
async fn bodies_and_headers_are_text_never_html() {
    let inbox = inbox();
    let body = r#"{"metadata":{"notes":"<script>window.pwned=1</script><img src=x onerror=alert(1)>"}}"#;
    let id = put(&inbox, "toran", "lead.<b>captured</b>", "<key>", body, true).await;
    let dashboard = Dashboard::new(inbox, DashboardOptions::loopback()).expect("loopback");
    let page = send(&dashboard, get(&format!("/events/{id}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.text.contains("<script>window"));
    assert!(!page.text.contains("<img"));
    assert!(page.text.contains("&lt;i&gt;hdr&lt;/i&gt;"), "header values escaped");
    assert!(page.text.contains("lead.&lt;b&gt;captured&lt;/b&gt;"), "event names escaped");
    assert!(page.text.contains("&quot;metadata&quot;: {\n    &quot;notes&quot;"), "pretty-printed");
    assert!(page.text.contains("downstream said 500"), "last error shown");
    let list = send(&dashboard, get("/")).await;
    assert!(list.text.contains("&lt;key&gt;") && !list.text.contains("<key>"));
    // The only scripts are the served file.
    assert_eq!(page.text.matches("<script").count(), 1);
    assert!(page.text.contains(r#"<script src="/static/app.js" defer></script>"#));
}

#[tokio::test]
async fn security_headers_on_every_answer() {
    let dashboard = Dashboard::new(inbox(), DashboardOptions::loopback()).expect("loopback");
    for uri in ["/", "/static/app.js", "/nowhere", "/events/99"] {
        let answer = send(&dashboard, get(uri)).await;
        let csp = answer.headers.get(header::CONTENT_SECURITY_POLICY).expect("CSP").to_str().expect("ascii");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(answer.headers.get(header::X_FRAME_OPTIONS).expect("XFO"), "DENY");
        assert_eq!(answer.headers.get(header::X_CONTENT_TYPE_OPTIONS).expect("nosniff"), "nosniff");
    }
    let missing = send(&dashboard, get("/events/99")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let js = send(&dashboard, get("/static/app.js")).await;
    assert!(
        js.headers.get(header::CONTENT_TYPE).expect("type").to_str().expect("ascii").starts_with("text/javascript")
    );
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused() {
    let inbox = inbox();
    let id = put(&inbox, "toran", "lead.captured", "k", "{}", true).await;
    let dashboard = Dashboard::new(inbox.clone(), DashboardOptions::loopback()).expect("loopback");
    let uri = format!("/events/{id}/replay");
    let no_body = Request::post(&uri).header(header::HOST, "127.0.0.1").body(Body::empty()).expect("request");
    assert_eq!(send(&dashboard, no_body).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&dashboard, post(&uri, "")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&dashboard, post(&uri, "csrf=nope")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&dashboard, post("/replay-dead", "provider=toran")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(inbox.get(id).await.expect("get").expect("event").state, State::Dead, "nothing changed");

    // The right token, but from another site.
    let page = send(&dashboard, get(&format!("/events/{id}"))).await;
    let csrf = csrf_of(&page.text);
    let mut cross = post(&uri, &format!("csrf={csrf}"));
    cross.headers_mut().insert(header::ORIGIN, "http://evil.example".parse().expect("value"));
    assert_eq!(send(&dashboard, cross).await.status, StatusCode::FORBIDDEN);
    assert_eq!(inbox.get(id).await.expect("get").expect("event").state, State::Dead, "nothing changed");
}

#[tokio::test]
async fn replay_moves_a_dead_event_back_to_ready() {
    let inbox = inbox();
    let id = put(&inbox, "toran", "lead.captured", "k", "{}", true).await;
    let dashboard = Dashboard::new(inbox.clone(), DashboardOptions::loopback()).expect("loopback");
    let page = send(&dashboard, get(&format!("/events/{id}"))).await;
    assert!(page.text.contains(r#"id="replay""#), "a replay button for a dead event");
    let csrf = csrf_of(&page.text);
    let mut request = post(&format!("/events/{id}/replay"), &format!("csrf={csrf}"));
    request.headers_mut().insert(header::ORIGIN, "http://127.0.0.1:8025".parse().expect("value"));
    let answer = send(&dashboard, request).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers.get(header::LOCATION).expect("location"), &format!("/events/{id}?replayed=1"));
    assert_eq!(inbox.get(id).await.expect("get").expect("event").state, State::Ready);
    let after = send(&dashboard, get(&format!("/events/{id}?replayed=1"))).await;
    assert!(after.text.contains("Put back to ready"));
    assert!(!after.text.contains(r#"id="replay""#), "no replay button for a ready event");
}

#[tokio::test]
async fn replay_dead_under_the_filter_only() {
    let inbox = inbox();
    let a = put(&inbox, "toran", "lead.captured", "toran-a", "{}", true).await;
    let b = put(&inbox, "toran", "lead.updated", "toran-b", "{}", true).await;
    let c = put(&inbox, "tocc", "lead.captured", "tocc-c", "{}", true).await;
    let d = put(&inbox, "toran", "lead.captured", "toran-d", "{}", true).await;
    let dashboard = Dashboard::new(inbox.clone(), DashboardOptions::loopback()).expect("loopback");
    let csrf = csrf_of(&send(&dashboard, get("/")).await.text);
    let state = |id| {
        let inbox = inbox.clone();
        async move { inbox.get(id).await.expect("get").expect("event").state }
    };

    // By provider and event, through the store's bulk replay.
    let answer =
        send(&dashboard, post("/replay-dead", &format!("csrf={csrf}&provider=toran&event=lead.captured"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.headers.get(header::LOCATION).expect("location"),
        "/?provider=toran&event=lead.captured&replayed=2"
    );
    assert_eq!(
        (state(a).await, state(b).await, state(c).await, state(d).await),
        (State::Ready, State::Dead, State::Dead, State::Ready)
    );

    // By key, walking the matching dead events.
    let answer = send(&dashboard, post("/replay-dead", &format!("csrf={csrf}&key=c-c&state=dead"))).await;
    assert_eq!(answer.headers.get(header::LOCATION).expect("location"), "/?state=dead&key=c-c&replayed=1");
    assert_eq!((state(b).await, state(c).await), (State::Dead, State::Ready));

    // A filter on another state replays nothing.
    let answer = send(&dashboard, post("/replay-dead", &format!("csrf={csrf}&state=ready"))).await;
    assert_eq!(answer.headers.get(header::LOCATION).expect("location"), "/?state=ready&replayed=0");
    assert_eq!(state(b).await, State::Dead);
    let shown = send(&dashboard, get("/?replayed=2")).await;
    assert!(shown.text.contains("2 dead events put back to ready."));
}

#[tokio::test]
async fn a_token_guards_every_page_and_never_shows() {
    let inbox = inbox();
    let id = put(&inbox, "toran", "lead.captured", "k", "{}", true).await;
    let token = "s3cret-ui-token-0123456789";
    let options =
        DashboardOptions::for_addr("0.0.0.0:8025".parse().expect("addr")).token(UiToken::new(token).expect("token"));
    let dashboard = Dashboard::new(inbox.clone(), options).expect("with a token");

    let page = send(&dashboard, get("/?provider=toran")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.headers.get(header::LOCATION).expect("location"), "/login?next=/%3Fprovider%3Dtoran");
    for uri in ["/live", &format!("/events/{id}")] {
        let mut request = get(uri);
        request.headers_mut().insert(header::ACCEPT, "*/*".parse().expect("value"));
        assert_eq!(send(&dashboard, request).await.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let mut wrong = get("/live");
    wrong.headers_mut().insert(header::AUTHORIZATION, "Bearer nope".parse().expect("value"));
    assert_eq!(send(&dashboard, wrong).await.status, StatusCode::UNAUTHORIZED);
    let mut forged = get("/live");
    forged.headers_mut().insert(header::COOKIE, "hookseal_ui=0000".parse().expect("value"));
    assert_eq!(send(&dashboard, forged).await.status, StatusCode::UNAUTHORIZED);
    let mut bearer = get("/live");
    bearer.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().expect("value"));
    let live = send(&dashboard, bearer).await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(!live.text.contains(token));

    // Replay without logging in: refused, nothing changes.
    let login = send(&dashboard, get("/login")).await;
    assert_eq!(login.status, StatusCode::OK);
    let csrf = csrf_of(&login.text);
    let refused = send(&dashboard, post(&format!("/events/{id}/replay"), &format!("csrf={csrf}"))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(inbox.get(id).await.expect("get").expect("event").state, State::Dead);

    // The login form: CSRF and the right token needed.
    let no_csrf = send(&dashboard, post("/login", &format!("token={token}"))).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let bad = send(&dashboard, post("/login", &format!("csrf={csrf}&token=wrong&next=/"))).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.headers.get(header::SET_COOKIE).is_none());
    let good = send(&dashboard, post("/login", &format!("csrf={csrf}&token={token}&next=//evil.example"))).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert_eq!(good.headers.get(header::LOCATION).expect("location"), "/", "no open redirect");
    let cookie = good.headers.get(header::SET_COOKIE).expect("cookie").to_str().expect("ascii").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains(token), "the cookie is not the token");
    let session = cookie.split(';').next().expect("pair").to_owned();

    let mut with_cookie = get(&format!("/events/{id}"));
    with_cookie.headers_mut().insert(header::COOKIE, session.parse().expect("value"));
    let page = send(&dashboard, with_cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(token), "the token never shows");
    let mut replay = post(&format!("/events/{id}/replay"), &format!("csrf={}", csrf_of(&page.text)));
    replay.headers_mut().insert(header::COOKIE, session.parse().expect("value"));
    assert_eq!(send(&dashboard, replay).await.status, StatusCode::SEE_OTHER);
    assert_eq!(inbox.get(id).await.expect("get").expect("event").state, State::Ready);
}

#[tokio::test]
async fn without_a_token_only_loopback_hosts_are_answered() {
    let dashboard = Dashboard::new(inbox(), DashboardOptions::loopback()).expect("loopback");
    let mut rebound = get("/");
    rebound.headers_mut().insert(header::HOST, "attacker.example:8025".parse().expect("value"));
    assert_eq!(send(&dashboard, rebound).await.status, StatusCode::FORBIDDEN);
    let mut local = get("/");
    local.headers_mut().insert(header::HOST, "localhost:8025".parse().expect("value"));
    assert_eq!(send(&dashboard, local).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_public_address_needs_a_token() {
    let public = "0.0.0.0:8025".parse().expect("addr");
    let refused = Dashboard::new(inbox(), DashboardOptions::for_addr(public));
    assert!(matches!(refused, Err(DashboardError::TokenRequired(_))));
    assert!(check_addr(public, false).is_err());
    assert!(check_addr(public, true).is_ok());
    assert!(check_addr("[::1]:1".parse().expect("addr"), false).is_ok());
    let err = hookseal_dashboard::serve(inbox(), public, None, async {}).await.expect_err("refused");
    assert!(err.to_string().contains("token is required"), "{err}");
    assert!(UiToken::new("  ").is_none());
    assert_eq!(format!("{:?}", UiToken::new("hunter2").expect("token")), "UiToken(redacted)");
}

#[tokio::test]
async fn serves_on_a_real_listener_until_shutdown() {
    let inbox = inbox();
    put(&inbox, "toran", "lead.captured", "served-key", "{}", false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let dashboard = Dashboard::new(inbox, DashboardOptions::for_addr(addr)).expect("loopback");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dashboard.serve(listener, async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("served-key"));
    let _ = stop.send(());
    server.await.expect("joined").expect("served");
}
