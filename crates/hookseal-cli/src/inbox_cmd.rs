//! `hookseal inbox list|show|stats|replay|purge|ui --store URL`: a gateway's store, for people and scripts.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Subcommand};
use hookseal_inbox::{EventSummary, Inbox, ListQuery, State, StoredEvent};
use serde_json::{Value, json};

use crate::gateway::{parse_duration, shown_store};
use crate::{Failure, Outcome, line};

#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    /// The store: sqlite://PATH or postgres://….
    #[arg(long, value_name = "URL", env = "HOOKSEAL_STORE", default_value = hookseal_gateway::DEFAULT_STORE, global = true)]
    store: String,
    /// One JSON object a line, for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: InboxCommand,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// List events, newest first.
    List(ListArgs),
    /// Show one event: its headers, body and attempt history.
    Show {
        /// The event's id.
        id: i64,
    },
    /// Count the events in each state.
    Stats,
    /// Put an event back to be forwarded again, or every dead event (--dead, narrowed by --provider/--event).
    Replay(ReplayArgs),
    /// Delete done events older than the retention.
    Purge {
        /// Delete done events finished longer ago than this.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "720h")]
        older_than: Duration,
    },
    /// Serve the inbox dashboard.
    Ui {
        /// The dashboard's address; a non-loopback one needs a token.
        #[arg(long, value_name = "ADDR", default_value = crate::ui::DEFAULT_UI_ADDR)]
        addr: SocketAddr,
        #[command(flatten)]
        token: crate::ui::TokenArgs,
    },
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only this provider's events.
    #[arg(long)]
    provider: Option<String>,
    /// Only events in this state: ready, running, done or dead.
    #[arg(long, value_parser = parse_state)]
    state: Option<State>,
    /// Only events with this name.
    #[arg(long)]
    event: Option<String>,
    /// Only events whose idempotency key contains this text.
    #[arg(long, value_name = "TEXT")]
    key: Option<String>,
    /// At most this many (up to 500).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Only events older than this id (the cursor printed after a full page).
    #[arg(long, value_name = "ID")]
    before: Option<i64>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "dead"])))]
struct ReplayArgs {
    /// The event's id.
    id: Option<i64>,
    /// Every dead event (narrowed by --provider and --event).
    #[arg(long)]
    dead: bool,
    /// With --dead: only this provider's.
    #[arg(long, requires = "dead")]
    provider: Option<String>,
    /// With --dead: only events with this name.
    #[arg(long, requires = "dead")]
    event: Option<String>,
}

fn parse_state(text: &str) -> Result<State, String> {
    text.parse()
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn summary_json(e: &EventSummary) -> Value {
    json!({
        "id": e.id,
        "provider": e.provider,
        "event": e.event_name,
        "idempotency_key": e.idempotency_key,
        "state": e.state.as_str(),
        "attempts": e.attempts,
        "received_at": time(e.received_at),
        "last_tried_at": e.last_tried_at.map(time),
        "times_seen": e.times_seen,
        "last_error": e.last_error,
    })
}

fn stored_json(e: &StoredEvent) -> Value {
    json!({
        "id": e.id,
        "provider": e.provider,
        "event": e.event_name,
        "idempotency_key": e.idempotency_key,
        "state": e.state.as_str(),
        "attempts": e.attempts,
        "received_at": time(e.received_at),
        "last_error": e.last_error,
        "times_seen": e.times_seen,
        "last_seen_at": time(e.last_seen_at),
        "finished_at": e.finished_at.map(time),
        "headers": e.headers,
        "body": String::from_utf8_lossy(&e.body),
    })
}

/// Opens an existing store (an SQLite path that does not exist is an error here, not a new file).
async fn open(url: &str) -> Result<Inbox, Failure> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or_default();
        if !path.is_empty() && path != ":memory:" && !std::path::Path::new(path).exists() {
            return Err(Failure(format!("no store at {path} (pass --store URL)")));
        }
    }
    hookseal_gateway::open_inbox(url)
        .await
        .map_err(|err| Failure(format!("cannot open the store {}: {err}", shown_store(url))))
}

fn store_failed(err: hookseal_inbox::StoreError) -> Failure {
    Failure(err.to_string())
}

pub(crate) fn run(args: InboxArgs) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        // The dashboard's address and token are checked before the store is opened.
        let token = match &args.command {
            InboxCommand::Ui { addr, token } => {
                let token = token.load()?;
                hookseal_dashboard::check_addr(*addr, token.is_some()).map_err(|err| Failure(err.to_string()))?;
                token
            }
            _ => None,
        };
        let inbox = open(&args.store).await?;
        match args.command {
            InboxCommand::List(list) => {
                let mut query = ListQuery::new().limit(list.limit);
                query.provider = list.provider;
                query.state = list.state;
                query.event_name = list.event;
                if let Some(key) = list.key {
                    query = query.key_contains(key);
                }
                query.before_id = list.before;
                let page = inbox.list(query).await.map_err(store_failed)?;
                for e in &page.events {
                    if args.json {
                        line(format_args!("{}", summary_json(e)))?;
                    } else {
                        line(format_args!(
                            "{:>6} {} {:<7} {} {} attempts={} idempotency_key={}{}",
                            e.id,
                            time(e.received_at),
                            e.state.as_str(),
                            e.provider,
                            e.event_name,
                            e.attempts,
                            e.idempotency_key,
                            e.last_error.as_deref().map(|err| format!(" last_error={err}")).unwrap_or_default()
                        ))?;
                    }
                }
                if let (Some(next), false) = (page.next, args.json) {
                    line(format_args!("more: --before {next}"))?;
                }
                Ok(())
            }
            InboxCommand::Show { id } => {
                let event = inbox.get(id).await.map_err(store_failed)?.ok_or_else(|| Failure(format!("no event {id}")))?;
                let attempts = inbox.attempts(id).await.map_err(store_failed)?;
                if args.json {
                    let mut value = stored_json(&event);
                    value["attempt_history"] = attempts
                        .iter()
                        .map(|a| {
                            json!({
                                "attempt": a.attempt,
                                "started_at": time(a.started_at),
                                "finished_at": time(a.finished_at),
                                "outcome": a.outcome.as_str(),
                                "error": a.error,
                            })
                        })
                        .collect();
                    return line(format_args!("{value}"));
                }
                line(format_args!("id:              {}", event.id))?;
                line(format_args!("provider:        {}", event.provider))?;
                line(format_args!("event:           {}", event.event_name))?;
                line(format_args!("idempotency_key: {}", event.idempotency_key))?;
                line(format_args!("state:           {}", event.state))?;
                line(format_args!("attempts:        {}", event.attempts))?;
                line(format_args!("received_at:     {} (seen {} times)", time(event.received_at), event.times_seen))?;
                if let Some(err) = &event.last_error {
                    line(format_args!("last_error:      {err}"))?;
                }
                line(format_args!("headers:"))?;
                for (name, value) in &event.headers {
                    line(format_args!("  {name}: {value}"))?;
                }
                line(format_args!("attempt history:"))?;
                for a in &attempts {
                    line(format_args!(
                        "  #{} {} → {} {}{}",
                        a.attempt,
                        time(a.started_at),
                        time(a.finished_at),
                        a.outcome,
                        a.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                    ))?;
                }
                line(format_args!("body:"))?;
                let body = serde_json::from_slice::<Value>(&event.body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| String::from_utf8_lossy(&event.body).into_owned());
                line(format_args!("{body}"))
            }
            InboxCommand::Stats => {
                let c = inbox.counts().await.map_err(store_failed)?;
                if args.json {
                    line(format_args!(
                        "{}",
                        json!({"ready": c.ready, "running": c.running, "done": c.done, "dead": c.dead, "total": c.total()})
                    ))
                } else {
                    line(format_args!(
                        "ready={} running={} done={} dead={} total={}",
                        c.ready,
                        c.running,
                        c.done,
                        c.dead,
                        c.total()
                    ))
                }
            }
            InboxCommand::Replay(replay) => {
                let n = match replay.id {
                    Some(id) => {
                        if !inbox.replay(id).await.map_err(store_failed)? {
                            return Err(Failure(format!("event {id} is not done or dead (or does not exist)")));
                        }
                        1
                    }
                    None => inbox
                        .replay_dead(replay.provider.as_deref(), replay.event.as_deref())
                        .await
                        .map_err(store_failed)?,
                };
                if args.json { line(format_args!("{}", json!({"replayed": n}))) } else { line(format_args!("replayed {n}")) }
            }
            InboxCommand::Purge { older_than } => {
                let before = inbox.now() - chrono::TimeDelta::from_std(older_than).unwrap_or(chrono::TimeDelta::MAX);
                let mut total = 0u64;
                for _ in 0..10_000 {
                    let n = inbox.store().purge_done(before, 1000).await.map_err(store_failed)?;
                    total += n;
                    if n < 1000 {
                        break;
                    }
                }
                if args.json {
                    line(format_args!("{}", json!({"purged": total})))
                } else {
                    line(format_args!("purged {total}"))
                }
            }
            InboxCommand::Ui { addr, .. } => crate::ui::serve(inbox, addr, token, crate::gateway::interrupted()).await,
        }
    })
}
