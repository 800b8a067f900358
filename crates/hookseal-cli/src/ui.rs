//! `hookseal inbox ui`: the web dashboard over an inbox store, on a listener of its own;
//! and [`UiFlags`] + [`start`] for `hookseal listen --ui ADDR`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use hookseal_dashboard::{Dashboard, DashboardOptions, UiToken, check_addr};
use hookseal_inbox::{Inbox, PgStore, SqliteStore};
use zeroize::Zeroizing;

use crate::{Failure, Outcome, line};

/// The environment variable holding the dashboard's token.
pub(crate) const TOKEN_VAR: &str = "HOOKSEAL_UI_TOKEN";
/// The dashboard's default address.
pub(crate) const DEFAULT_UI_ADDR: &str = "127.0.0.1:8025";

/// `hookseal inbox …` (on this branch only `ui`; the gateway adds list, show, stats, replay, purge).
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    #[command(subcommand)]
    command: InboxCommand,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// Serve the web dashboard over an inbox store: events, filters, rates,
    /// attempt history and replay.
    Ui(UiArgs),
}

pub(crate) fn run_inbox(args: InboxArgs) -> Outcome {
    match args.command {
        InboxCommand::Ui(args) => run(args),
    }
}

/// Where the dashboard's token comes from: `--ui-token-file PATH` or `HOOKSEAL_UI_TOKEN`
/// (never a plain argument, which anyone could read in the process list).
#[derive(Debug, Clone, Args)]
pub(crate) struct TokenArgs {
    /// Read the dashboard's token from this file (its first line); without it,
    /// from the environment variable HOOKSEAL_UI_TOKEN. Required for a
    /// non-loopback address.
    #[arg(long, value_name = "PATH")]
    pub(crate) ui_token_file: Option<PathBuf>,
}

impl TokenArgs {
    /// The token, if one is given.
    pub(crate) fn load(&self) -> Result<Option<UiToken>, Failure> {
        let text = match &self.ui_token_file {
            Some(path) => Zeroizing::new(read_token_file(path)?),
            None => match std::env::var(TOKEN_VAR) {
                Ok(text) => Zeroizing::new(text),
                Err(std::env::VarError::NotPresent) => return Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Failure(format!("{TOKEN_VAR} is not valid Unicode")));
                }
            },
        };
        match UiToken::new(text.as_str()) {
            Some(token) => Ok(Some(token)),
            None => Err(Failure(match &self.ui_token_file {
                Some(path) => format!("the dashboard token is empty (--ui-token-file {})", path.display()),
                None => format!("the dashboard token is empty ({TOKEN_VAR})"),
            })),
        }
    }
}

fn read_token_file(path: &std::path::Path) -> Result<String, Failure> {
    use std::io::Read as _;
    const MAX: u64 = 64 * 1024;
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX + 1).read_to_end(&mut bytes))
        .map_err(|err| Failure(format!("cannot read token file {}: {err}", path.display())))?;
    if bytes.len() as u64 > MAX {
        return Err(Failure(format!("cannot read token file {}: larger than {MAX} bytes", path.display())));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Failure(format!("cannot read token file {}: not UTF-8 text", path.display())))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[derive(Debug, Args)]
pub(crate) struct UiArgs {
    /// The inbox store: sqlite://PATH (the file must exist) or postgres://…
    #[arg(long, value_name = "URL")]
    store: String,
    /// The dashboard's address; a non-loopback one needs a token.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_UI_ADDR)]
    addr: SocketAddr,
    #[command(flatten)]
    token: TokenArgs,
}

// Used by `hookseal listen --ui` once the gateway branch is merged.
#[allow(dead_code)]
/// The flags `hookseal listen` flattens in: `--ui ADDR` and `--ui-token-file PATH`.
#[derive(Debug, Clone, Args)]
pub(crate) struct UiFlags {
    /// Also serve the web dashboard at this address, on a listener of its own
    /// (never the webhook listener); a non-loopback one needs a token.
    #[arg(long, value_name = "ADDR")]
    pub(crate) ui: Option<SocketAddr>,
    #[command(flatten)]
    pub(crate) token: TokenArgs,
}

/// Opens an inbox store URL: `sqlite://PATH` (which must exist: a typo must not show an
/// empty dashboard) or `postgres://…`/`postgresql://…`.
///
/// (A private parser: the gateway branch has its own; keep one at the merge.)
async fn open_store(url: &str) -> Result<Inbox, Failure> {
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || !std::path::Path::new(path).exists() {
            return Err(Failure(format!("no inbox store at {path:?} (--store {url})")));
        }
        let store =
            SqliteStore::connect(url).await.map_err(|err| Failure(format!("cannot open --store {url}: {err}")))?;
        return Ok(Inbox::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The URL may carry a password: never print it.
        let store =
            PgStore::connect(url).await.map_err(|err| Failure(format!("cannot open the PostgreSQL store: {err}")))?;
        return Ok(Inbox::new(store));
    }
    Err(Failure::from("--store must be sqlite://PATH or postgres://…"))
}

/// Binds the dashboard for `inbox` at `addr` (refusing a non-loopback address without a
/// token before anything is bound), prints where it is, and spawns it on the current
/// runtime until `shutdown` completes. For `hookseal listen --ui ADDR`.
pub(crate) async fn start(
    inbox: Inbox,
    addr: SocketAddr,
    token: Option<UiToken>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<Outcome>, Failure> {
    check_addr(addr, token.is_some()).map_err(|err| Failure(err.to_string()))?;
    let has_token = token.is_some();
    let dashboard = Dashboard::new(inbox, DashboardOptions::for_addr(addr).maybe_token(token))
        .map_err(|err| Failure(err.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| Failure(format!("cannot listen on {addr} for the dashboard: {err}")))?;
    let local = listener.local_addr()?;
    line(format_args!("dashboard on http://{local}/{}", if has_token { " (log in with the token)" } else { "" }))?;
    Ok(tokio::spawn(async move { dashboard.serve(listener, shutdown).await.map_err(|err| Failure(err.to_string())) }))
}

/// `hookseal inbox ui`.
pub(crate) fn run(args: UiArgs) -> Outcome {
    let token = args.token.load()?;
    // Refuse before opening anything.
    check_addr(args.addr, token.is_some()).map_err(|err| Failure(err.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let inbox = open_store(&args.store).await?;
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let server = start(inbox, args.addr, token, async {
            let _ = stopping.await;
        })
        .await?;
        let mut server = std::pin::pin!(server);
        tokio::select! {
            joined = &mut server => return joined.map_err(|err| Failure(format!("dashboard failed: {err}")))?,
            _ = shutdown_signal() => {}
        }
        let _ = stop.send(());
        let _ = line(format_args!("stopping"));
        server.await.map_err(|err| Failure(format!("dashboard failed: {err}")))??;
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
