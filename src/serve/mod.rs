//! `recibo serve`: refund receipts and transaction exports over HTTP, for dashboards and
//! support tools that need them on a click.
//!
//! The data is the report files, loaded whole at start into a [`state::Snapshot`] indexed
//! by every ID and swapped whole on SIGHUP, or a store asked per request through its
//! indexes ([`db`]), and/or the gateway, asked per request through a
//! small cache ([`gateway`]). Requests are answered by [`routes`] on a tokio runtime;
//! receipts are rendered (a few at a time) and exports written on tokio's blocking
//! threads, so a slow render or a long export never holds up other requests.
//!
//! Endpoints (all but `/healthz` and the verification pages need `Authorization: Bearer
//! <token>` or a web session's cookie):
//!
//! | | |
//! |---|---|
//! | `GET /` | the web page ([`web`]): sign in, search, filter, receipts, exports |
//! | `GET /v1/receipts.zip?lang=&<filters>` | every receipt of a view, streamed as a ZIP |
//! | `GET /v1/refunds/{id}/receipt.pdf?lang=&tz=` | one refund's receipt, by any of its IDs |
//! | `GET /v1/transactions/export?format=&columns=&<filters>` | a CSV, XLSX or JSONL report |
//! | `GET /v1/transactions?limit=&cursor=&<filters>` | JSON pages of transactions |
//! | `GET /healthz` | liveness and what data is served |
//! | `GET /metrics` | Prometheus text |

pub mod auth;
pub mod db;
pub(crate) mod export;
pub mod gateway;
mod limit;
pub mod metrics;
pub(crate) mod receipts;
pub(crate) mod routes;
pub mod state;
mod verify;
pub(crate) mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::locale::Locales;
use crate::receipt::pdf::Renderer;
use crate::receipt::template::Branding;
use crate::source::FileSource;
use crate::source::gateway::{GatewayClient, GatewayConfig};

/// A server's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Report files to serve from; `None` serves from a store or the gateway alone.
    pub source: Option<FileSource>,
    /// A store to serve from, asked per request (instead of report files).
    pub db: Option<crate::store::DbUrl>,
    /// The gateway, asked for refunds the files do not hold.
    pub gateway: Option<GatewayConfig>,
    /// Refunds the gateway cache holds, and for how long.
    pub gateway_cache: usize,
    pub gateway_ttl: Duration,
    pub tokens: auth::TokenSources,
    /// Receipts rendering or waiting for a render thread; past this, 503.
    pub max_renders: usize,
    pub render_threads: usize,
    /// Exports being written at once; past this, 503.
    pub max_exports: usize,
    /// Exports one client address may run at once.
    pub max_exports_per_client: usize,
    /// Longest wait for a client to take the next part of an export.
    pub send_timeout: Duration,
    /// Longest time to the response head (an export's body may take longer).
    pub request_timeout: Duration,
    /// Folder of extra column sets for `columns=`.
    pub templates: Option<PathBuf>,
    /// Largest `limit` of a JSON page.
    pub max_page: usize,
    /// The templates receipts are printed with.
    pub branding: Branding,
    /// How long a web session lasts unused.
    pub session_idle: Duration,
    /// The scheme, host and port the web page is reached at (`--public-origin`).
    pub public_origin: Option<String>,
}

/// What the request handlers share.
pub(crate) struct App {
    store: Option<state::Store>,
    db: Option<Arc<db::StorePool>>,
    gateway: Option<gateway::Gateway>,
    tokens: auth::Tokens,
    metrics: metrics::Metrics,
    locales: Locales,
    renderer: Renderer,
    /// Receipts admitted: rendering or waiting for a slot.
    renders: Arc<Semaphore>,
    /// Receipts rendering at once, each on one of tokio's blocking threads. Idle blocking
    /// threads sleep, where a work-stealing pool's would spin and take CPU from the renders.
    render_slots: Arc<Semaphore>,
    exports: Arc<Semaphore>,
    /// Listings and lookups reading the data at once (two a core); more wait their turn,
    /// within the request timeout, so a burst of costly listings cannot take every thread.
    reads: Arc<Semaphore>,
    /// Exports running per client address.
    exports_by_client: Arc<export::PerClient>,
    send_timeout: Duration,
    templates: Option<PathBuf>,
    request_timeout: Duration,
    max_page: usize,
    branding: Branding,
    /// Verification lookups per client address.
    lookups: limit::PerAddress,
    /// The web page: sessions, sign-in limits, templates.
    web: web::Web,
}

impl App {
    /// Runs `work`, a read of the data (a listing, a lookup), on a blocking thread once one
    /// of the reads allowed at once is free.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, routes::ApiError> + Send + 'static,
    ) -> Result<T, routes::ApiError> {
        let permit = Arc::clone(&self.reads)
            .acquire_owned()
            .await
            .map_err(|_| routes::ApiError::internal("the server is stopping"))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| routes::ApiError::internal("the read stopped"))?
    }
}

/// Runs the server until SIGTERM or SIGINT, then lets the requests in flight finish (for
/// at most the request timeout and a few seconds more).
pub fn run(config: Config) -> Result<u64> {
    let tokens = auth::Tokens::load(config.tokens.clone())?;
    if config.source.is_none() && config.db.is_none() && config.gateway.is_none() {
        return Err(Error::usage(
            "nothing to serve: give report files with -i, a store with --db, or --gateway",
        ));
    }
    let store = match &config.source {
        Some(source) => {
            let store = state::Store::open(source.clone())?;
            let s = store.current();
            tracing::info!(
                transactions = s.transactions.len(),
                skipped = s.stats.skipped,
                "data loaded"
            );
            Some(store)
        }
        None => None,
    };
    let db = match &config.db {
        Some(url) => {
            // One idle connection per receipt that may render at once.
            let pool = db::StorePool::open(url.clone(), config.max_renders)?;
            tracing::info!(store = %url, "serving from the store");
            Some(Arc::new(pool))
        }
        None => None,
    };
    let gateway = match &config.gateway {
        Some(g) => {
            let client = GatewayClient::new(g).map_err(|e| Error::usage(e.to_string()))?;
            Some(gateway::Gateway::new(
                client,
                config.gateway_cache,
                config.gateway_ttl,
            ))
        }
        None => None,
    };
    if store.is_none() && db.is_none() && config.branding.issues_codes() {
        // Codes are looked up among the loaded files' or the store's refunds; the gateway
        // cannot be asked for one.
        tracing::warn!(
            "receipts carry verification QR codes, but only data loaded with -i or --db \
             answers GET /v/{{code}}: from --gateway alone every code gets 404"
        );
    }
    let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
    let web = web::Web::new(&locales, config.session_idle, config.public_origin.clone())?;
    let app = Arc::new(App {
        web,
        store,
        db,
        gateway,
        tokens,
        metrics: metrics::Metrics::default(),
        locales,
        renderer: Renderer::new(),
        render_slots: Arc::new(Semaphore::new(config.render_threads.max(1))),
        renders: Arc::new(Semaphore::new(config.max_renders)),
        exports: Arc::new(Semaphore::new(config.max_exports)),
        reads: Arc::new(Semaphore::new(config.render_threads.max(1) * 2)),
        exports_by_client: Arc::new(export::PerClient::new(config.max_exports_per_client)),
        send_timeout: config.send_timeout,
        templates: config.templates.clone(),
        request_timeout: config.request_timeout,
        max_page: config.max_page.max(1),
        branding: config.branding.clone(),
        lookups: limit::PerAddress::per_minute(verify::LOOKUPS_PER_MINUTE),
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("recibo-serve")
        .build()
        .map_err(|e| Error::System(format!("cannot start the async runtime: {e}")))?;
    let served = runtime.block_on(routes::serve(
        Arc::clone(&app),
        config.listen,
        config.request_timeout,
    ));
    // Renders and exports abandoned by a client that left get a moment to notice.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}
