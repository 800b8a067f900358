//! The web dashboard over an inbox store, on a listener of its own: for
//! `hookseal inbox ui` and `hookseal listen --ui ADDR`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use hookseal_dashboard::{Dashboard, DashboardOptions, UiToken, check_addr};
use hookseal_inbox::Inbox;
use zeroize::Zeroizing;

use crate::{Failure, Outcome, line};

/// The environment variable holding the dashboard's token.
pub(crate) const TOKEN_VAR: &str = "HOOKSEAL_UI_TOKEN";
/// The dashboard's default address.
pub(crate) const DEFAULT_UI_ADDR: &str = "127.0.0.1:8025";

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

/// Serves the dashboard for `inbox` at `addr` until `shutdown`: refuses a
/// non-loopback address without a token before anything is bound, then
/// prints where it is.
pub(crate) async fn serve(
    inbox: Inbox,
    addr: SocketAddr,
    token: Option<UiToken>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Outcome {
    check_addr(addr, token.is_some()).map_err(|err| Failure(err.to_string()))?;
    let has_token = token.is_some();
    let dashboard = Dashboard::new(inbox, DashboardOptions::for_addr(addr).maybe_token(token))
        .map_err(|err| Failure(err.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| Failure(format!("cannot listen on {addr} for the dashboard: {err}")))?;
    let local = listener.local_addr()?;
    line(format_args!("dashboard on http://{local}/{}", if has_token { " (log in with the token)" } else { "" }))?;
    dashboard.serve(listener, shutdown).await.map_err(|err| Failure(err.to_string()))
}
