//! The pages, as maud templates: every value is HTML-escaped unless marked otherwise (nothing is).

use chrono::{DateTime, Utc};
use hookseal_inbox::{Attempt, EventSummary, State as EventState, StoredEvent};
use maud::{DOCTYPE, Markup, html};

use crate::chart;
use crate::routes::{AppState, Filter, Listing};
use crate::{CHART_MINUTES, pretty_json};

/// Names offered in the provider filter (any other name can be typed).
const KNOWN_PROVIDERS: &[&str] =
    &["tocc", "toran", "zapito", "tuco", "connectgain", "standard-webhooks", "github", "stripe"];
const STATES: [EventState; 4] = [EventState::Ready, EventState::Running, EventState::Done, EventState::Dead];

fn time(at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) title=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S")) } }
}

fn maybe_time(at: Option<DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { span.muted { "–" } },
    }
}

fn badge(state: EventState) -> Markup {
    html! { span class={ "badge " (state.as_str()) } { (state.as_str()) } }
}

fn csrf(state: &AppState) -> Markup {
    html! { input type="hidden" name="csrf" value=(state.csrf); }
}

fn layout(state: &AppState, title: &str, body: Markup) -> Markup {
    page(state, title, body, state.token.is_some())
}

fn page(state: &AppState, title: &str, body: Markup, logout: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                title { (title) " · hookseal" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { span.seal { "◆" } " hookseal " span.muted { "inbox" } }
                    @if logout {
                        form.logout method="post" action="/logout" {
                            (csrf(state))
                            button.link type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page with one message (errors).
pub(crate) fn message(title: &str, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · hookseal" }
                link rel="stylesheet" href="/static/app.css";
            }
            body { main { h1 { (title) } p { (text) } p { a href="/" { "Back to the inbox" } } } }
        }
    }
}

pub(crate) fn login(state: &AppState, next: &str, wrong: bool) -> Markup {
    page(
        state,
        "Log in",
        html! {
            section.card.narrow {
                h1 { "Log in" }
                p.muted { "This dashboard is guarded by a token (HOOKSEAL_UI_TOKEN or --ui-token-file on the server)." }
                @if wrong { p.notice.bad role="alert" { "That token is not right." } }
                form method="post" action="/login" {
                    (csrf(state))
                    input type="hidden" name="next" value=(next);
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="current-password" required autofocus;
                    button type="submit" { "Log in" }
                }
            }
        },
        false,
    )
}

pub(crate) fn index(state: &AppState, listing: &Listing, replayed: Option<u64>) -> Markup {
    let filter = &listing.filter;
    let live_src = filter.before.is_none().then(|| {
        let qs = filter.query_string();
        if qs.is_empty() { "/live".to_owned() } else { format!("/live?{qs}") }
    });
    layout(
        state,
        "Inbox",
        html! {
            @if let Some(n) = replayed {
                p.notice.good role="status" #replayed {
                    (n) @if n == 1 { " dead event" } @else { " dead events" } " put back to ready."
                }
            }
            @if let Some(problem) = &filter.problem { p.notice.bad role="alert" { (problem) } }
            form.filters method="get" action="/" {
                label { "Provider"
                    input name="provider" list="providers" value=[filter.provider.as_deref()] placeholder="any";
                }
                datalist #providers { @for p in KNOWN_PROVIDERS { option value=(p) {} } }
                label { "State"
                    select name="state" {
                        option value="" { "any" }
                        @for s in STATES {
                            option value=(s.as_str()) selected[filter.state == Some(s)] { (s.as_str()) }
                        }
                    }
                }
                label { "Event"
                    input name="event" value=[filter.event.as_deref()] placeholder="e.g. lead.captured";
                }
                label.grow { "Key contains"
                    input type="search" name="key" value=[filter.key.as_deref()] placeholder="idempotency key";
                }
                div.buttons {
                    button type="submit" { "Filter" }
                    @if !filter.is_empty() { a.button.secondary href="/" { "Clear" } }
                }
            }
            div #live data-src=[live_src.as_deref()] data-every=(state.refresh_ms) { (live(state, listing)) }
            p.muted.small #live-status aria-live="polite" {
                @if live_src.is_some() { "Live: this list refreshes itself." } @else { "Older page: not refreshed." }
            }
        },
    )
}

/// The part of the events page that refreshes itself.
pub(crate) fn live(state: &AppState, listing: &Listing) -> Markup {
    let filter = &listing.filter;
    let counts = &listing.counts;
    let count_of = |s: EventState| match s {
        EventState::Ready => counts.ready,
        EventState::Running => counts.running,
        EventState::Done => counts.done,
        _ => counts.dead,
    };
    html! {
        div.overview {
            nav.counts aria-label="events per state" {
                a.count.all[filter.state.is_none()] href=(filter.with_state(None).href("")) {
                    span.n #count-all { (counts.total()) } span.what { "all" }
                }
                @for s in STATES {
                    a class={ "count " (s.as_str()) @if filter.state == Some(s) { " all" } }
                        href=(filter.with_state(Some(s)).href("")) {
                        span.n id={ "count-" (s.as_str()) } { (count_of(s)) } span.what { (s.as_str()) }
                    }
                }
            }
            (chart::chart(&listing.rate, listing.now, CHART_MINUTES))
        }
        @if !filter.is_empty() {
            p.muted.small #whole-inbox { "The counts and the chart are the whole inbox's; the list below is filtered." }
        }
        @if listing.page.events.is_empty() {
            p.empty #no-events { @if filter.is_empty() { "No events yet." } @else { "No events match this filter." } }
        } @else {
            div.table-wrap {
                table.events #events {
                    thead { tr {
                        th { "#" } th { "Provider" } th { "Event" } th { "State" } th.num { "Attempts" }
                        th { "Received (UTC)" } th { "Last tried (UTC)" } th { "Idempotency key" }
                    } }
                    tbody { @for e in &listing.page.events { (row(e)) } }
                }
            }
        }
        div.below {
            div.pager {
                @if filter.before.is_some() { a href=(filter.href("")) { "← Newest" } }
                @if let Some(next) = listing.page.next { a #older href=(filter.href(&format!("before={next}"))) { "Older →" } }
            }
            @if filter.state.is_none_or(|s| s == EventState::Dead) {
                form.replay-dead method="post" action="/replay-dead" data-confirm="Put every dead event under this filter back to ready?" {
                    (csrf(state))
                    @if let Some(p) = &filter.provider { input type="hidden" name="provider" value=(p); }
                    @if let Some(s) = filter.state { input type="hidden" name="state" value=(s.as_str()); }
                    @if let Some(e) = &filter.event { input type="hidden" name="event" value=(e); }
                    @if let Some(k) = &filter.key { input type="hidden" name="key" value=(k); }
                    button.secondary #replay-dead type="submit" disabled[counts.dead == 0] {
                        "Replay dead events" @if !filter.is_empty() { " under this filter" }
                    }
                }
            }
        }
    }
}

fn row(e: &EventSummary) -> Markup {
    let href = format!("/events/{}", e.id);
    html! {
        tr data-id=(e.id) {
            td.num { a href=(href) { (e.id) } }
            td { (e.provider) }
            td { a href=(href) { code { (e.event_name) } } }
            td { (badge(e.state)) }
            td.num { (e.attempts) }
            td { (time(e.received_at)) }
            td { (maybe_time(e.last_tried_at)) }
            td.key { code title=(e.idempotency_key) { (e.idempotency_key) } }
        }
    }
}

pub(crate) fn event(state: &AppState, e: &StoredEvent, attempts: &[Attempt], replayed: Option<bool>) -> Markup {
    let title = format!("Event #{}", e.id);
    let back = Filter { provider: Some(e.provider.clone()), ..Filter::default() };
    layout(
        state,
        &title,
        html! {
            p.crumbs { a href="/" { "← All events" } " · " a href=(back.href("")) { "All " (e.provider) " events" } }
            @match replayed {
                Some(true) => p.notice.good role="status" #replayed { "Put back to ready: a worker will take it again." },
                Some(false) => p.notice.bad role="alert" { "Not replayed: only a dead or done event can be replayed." },
                None => {},
            }
            div.headline {
                h1 { (title) " " code { (e.event_name) } " " span #state { (badge(e.state)) } }
                @if matches!(e.state, EventState::Dead | EventState::Done) {
                    form method="post" action={ "/events/" (e.id) "/replay" } {
                        (csrf(state))
                        button #replay type="submit" { "Replay" }
                    }
                }
            }
            section.card {
                dl.facts {
                    dt { "Provider" } dd { (e.provider) }
                    dt { "Idempotency key" } dd { code { (e.idempotency_key) } }
                    dt { "State" } dd { (badge(e.state)) }
                    dt { "Attempts" } dd #attempts {
                        (e.attempts)
                        // A replay starts counting again; the history keeps every attempt.
                        @if attempts.len() > e.attempts as usize {
                            span.muted { " since the last replay (" (attempts.len()) " recorded in all)" }
                        }
                    }
                    dt { "Times received" } dd { (e.times_seen) }
                    dt { "First received" } dd { (time(e.received_at)) }
                    dt { "Last received" } dd { (time(e.last_seen_at)) }
                    @if matches!(e.state, EventState::Ready | EventState::Running) {
                        dt { "Next try not before" } dd { (time(e.available_at)) }
                    }
                    dt { "Finished" } dd { (maybe_time(e.finished_at)) }
                    dt { "Body" } dd { (e.body.len()) " bytes" }
                }
            }
            @if let Some(err) = &e.last_error {
                section.card {
                    h2 { "Last error" @if e.state == EventState::Done { span.muted { " (before it succeeded)" } } }
                    pre.error #last-error { (err) }
                }
            }
            section.card {
                h2 { "Body" }
                pre.body #body { (pretty_json(&e.body)) }
            }
            section.card {
                h2 { "Request headers" }
                @if e.headers.is_empty() {
                    p.muted { "No headers were kept with this event." }
                } @else {
                    table.headers #headers {
                        tbody { @for (name, value) in &e.headers { tr { th { code { (name) } } td { code { (value) } } } } }
                    }
                    p.muted.small { "Credential headers (Authorization, Cookie, X-Api-Key, …) are never stored." }
                }
            }
            section.card {
                h2 { "Attempts" }
                @if attempts.is_empty() {
                    p.muted #no-attempts { "No attempt recorded yet." }
                } @else {
                    table.attempts #attempt-list {
                        thead { tr { th.num { "#" } th { "Started (UTC)" } th { "Finished (UTC)" } th { "Outcome" } th { "Error" } } }
                        tbody {
                            @for (i, a) in attempts.iter().enumerate() {
                                // Attempt numbers start again after a replay: say so.
                                @if i > 0 && a.attempt <= attempts[i - 1].attempt {
                                    tr.replay-mark { td colspan="5" { "replayed" } }
                                }
                                tr {
                                    td.num { (a.attempt) }
                                    td { (time(a.started_at)) }
                                    td { (time(a.finished_at)) }
                                    td { span class={ "badge " (a.outcome.as_str()) } { (a.outcome.as_str()) } }
                                    td { @if let Some(err) = &a.error { code.error { (err) } } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
