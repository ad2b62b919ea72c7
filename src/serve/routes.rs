//! The router, what every request goes through (limits, authentication, logs, metrics),
//! the operational endpoints, and the process's signals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::App;
use super::metrics::Gauges;
use super::state::Reloaded;
use crate::error::{Error, Result};

/// Route templates, which are also the `route` label of the metrics.
pub const RECEIPT: &str = "/v1/refunds/{id}/receipt.pdf";
pub const EXPORT: &str = "/v1/transactions/export";
pub const TRANSACTIONS: &str = "/v1/transactions";
pub const HEALTHZ: &str = "/healthz";
pub const METRICS: &str = "/metrics";
/// A receipt's verification, by the code in its QR code: no token.
pub const VERIFY_PAGE: &str = "/v/{code}";
pub const VERIFY_JSON: &str = "/v1/receipts/{code}";
pub const RECEIPTS_ZIP: &str = "/v1/receipts.zip";
/// The web page's routes.
pub const WEB_INDEX: &str = "/";
pub const WEB_SIGNIN: &str = "/signin";
pub const WEB_SIGNOUT: &str = "/signout";
pub const WEB_LANG: &str = "/lang";
pub const WEB_SEARCH: &str = "/search";
pub const WEB_TRANSACTION: &str = "/t";
/// A transaction's page by the ID in its path: the form of earlier links.
pub const WEB_TRANSACTION_AT: &str = "/t/{id}";
pub const WEB_EXPORT: &str = "/export";
pub const WEB_STYLESHEET: &str = "/assets/recibo.css";
const ROUTES: [&str; 17] = [
    RECEIPT,
    EXPORT,
    TRANSACTIONS,
    HEALTHZ,
    METRICS,
    VERIFY_PAGE,
    VERIFY_JSON,
    RECEIPTS_ZIP,
    WEB_INDEX,
    WEB_SIGNIN,
    WEB_SIGNOUT,
    WEB_LANG,
    WEB_SEARCH,
    WEB_TRANSACTION,
    WEB_TRANSACTION_AT,
    WEB_EXPORT,
    WEB_STYLESHEET,
];

/// Longest request target accepted (path and query).
pub(crate) const MAX_URI: usize = 8 * 1024;
/// No endpoint takes a body; this only bounds what a client can make the server read.
const MAX_BODY: usize = 16 * 1024;
/// Unsent bytes a connection's socket may hold before a writer waits (`TCP_NOTSENT_LOWAT`).
const UNSENT_LOW_WATER: u32 = 128 * 1024;
/// How long requests in flight may go on after SIGTERM, beyond the request timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An error answer: a status and a JSON body `{error, message, ...}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable, machine-readable code (`not_found`, `not_eligible`, ...).
    pub code: &'static str,
    pub message: String,
    /// More fields of the body (e.g. a transaction's type and status).
    pub extra: Map<String, Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn busy(what: &str) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("too many {what} in progress; try again shortly"),
        );
        e.retry_after = Some(1);
        e
    }

    /// A store that cannot be read: logged in full (its URL without the password), answered
    /// without detail.
    pub fn store(e: crate::error::Error) -> ApiError {
        tracing::warn!(error = %e, "store read failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_error",
            "the store cannot be read just now",
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_string(), value.into());
        self
    }
}

/// The crate's errors as answers: what the user asked wrongly is a 400, a refusal a 409,
/// anything else the server's fault.
impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Usage(m) => ApiError::bad_request(m),
            Error::Setting { code, .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, e.to_string())
            }
            Error::Refused(m) => ApiError::new(StatusCode::CONFLICT, "refused", m),
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::internal(other.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), Value::from(self.code));
        body.insert("message".into(), Value::from(self.message));
        body.extend(self.extra);
        let mut response = (self.status, axum::Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"recibo\""),
            );
        }
        response
    }
}

pub fn router(app: Arc<App>) -> Router {
    let protected = Router::new()
        .route(RECEIPT, get(super::receipts::receipt))
        .route(EXPORT, get(super::export::export))
        .route(TRANSACTIONS, get(super::export::page))
        .route(RECEIPTS_ZIP, get(super::export::receipts_zip))
        .route(METRICS, get(metrics))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            authenticate,
        ));
    // The web page's handlers see whether a session is open themselves: a page without
    // one sends the browser to sign in, rather than answering 401.
    let web = Router::new()
        .route(WEB_INDEX, get(super::web::index))
        .route(
            WEB_SIGNIN,
            get(super::web::signin_page).post(super::web::signin),
        )
        .route(WEB_SIGNOUT, post(super::web::signout))
        .route(WEB_LANG, post(super::web::set_lang))
        .route(WEB_SEARCH, get(super::web::search))
        .route(WEB_TRANSACTION, get(super::web::transaction))
        .route(WEB_TRANSACTION_AT, get(super::web::transaction_at))
        .route(WEB_EXPORT, get(super::web::export_form))
        .route(WEB_STYLESHEET, get(super::web::stylesheet));
    Router::new()
        .merge(web)
        .route(HEALTHZ, get(healthz))
        .route(VERIFY_PAGE, get(super::verify::page))
        .route(VERIFY_JSON, get(super::verify::json))
        .merge(protected)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), limits))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), observe))
        .with_state(app)
}

/// Binds, prints the address, and serves until SIGTERM or SIGINT; SIGHUP reloads.
pub async fn serve(app: Arc<App>, listen: SocketAddr, request_timeout: Duration) -> Result<u64> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::System(format!("cannot listen on {listen}: {e}")))?;
    // Before the address is announced: until then a SIGHUP or SIGTERM would end the
    // process with the default action.
    let signals =
        Signals::install().map_err(|e| Error::System(format!("cannot listen for signals: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::System(format!("cannot listen on {listen}: {e}")))?;
    // On stdout, first, so whoever started the server (a test, a supervisor) learns the
    // port it got for `--listen 127.0.0.1:0`.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{bound}");
        let _ = out.flush();
    }
    tracing::info!(address = %bound, "listening");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(signals.run(Arc::clone(&app), stop_tx));
    let served = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&served);
    let router = router(app).layer(middleware::from_fn(move |req: Request, next: Next| {
        let counted = Arc::clone(&counted);
        async move {
            counted.fetch_add(1, Ordering::Relaxed);
            next.run(req).await
        }
    }));
    let mut stopping = stop_rx.clone();
    let mut stopped = stop_rx;
    // With each connection's peer address, for the limits kept per client.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    // The kernel wakes a writer when a socket's buffer has room again; with the large
    // buffers a connection grows, that can be megabytes later, and an export to a client
    // that reads slowly but steadily would look stalled for longer than `--send-timeout`.
    // Capping the unsent bytes makes room show as soon as the client takes data.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = socket2::SockRef::from(&*tcp).set_tcp_notsent_lowat(UNSENT_LOW_WATER);
    });
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    let grace = request_timeout + SHUTDOWN_GRACE;
    tokio::select! {
        result = std::future::IntoFuture::into_future(server) => {
            result.map_err(|e| Error::System(format!("the server stopped: {e}")))?;
        }
        () = async {
            let _ = stopped.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("requests still running {}s after the signal to stop; stopping anyway", grace.as_secs());
        }
    }
    Ok(served.load(Ordering::Relaxed))
}

/// The signals the server acts on.
struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// SIGHUP reloads (in the background: a stop request is not held up behind a long
    /// reload); the first SIGTERM or SIGINT stops gracefully, a second one at once.
    async fn run(mut self, app: Arc<App>, stop: tokio::sync::watch::Sender<bool>) {
        loop {
            tokio::select! {
                _ = self.hup.recv() => {
                    let app = Arc::clone(&app);
                    tokio::task::spawn_blocking(move || reload(&app));
                }
                _ = self.term.recv() => break,
                _ = self.int.recv() => break,
            }
        }
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        let _ = stop.send(true);
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        tracing::warn!("stopping at once: asked twice");
        std::process::exit(1);
    }
}

/// Reads the inputs and the token file again. Whatever fails keeps what was in use.
fn reload(app: &App) {
    if let Some(store) = &app.store {
        match store.reload() {
            Ok(Reloaded::Changed {
                generation,
                transactions,
            }) => {
                app.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
                tracing::info!(generation, transactions, "data reloaded");
            }
            Ok(Reloaded::Unchanged { generation }) => {
                app.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    generation,
                    "data reloaded: unchanged, still serving the same receipts"
                );
            }
            Err(e) => {
                app.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "reload failed; still serving the data loaded before");
            }
        }
    }
    match app.tokens.reload() {
        Ok(count) => tracing::info!(tokens = count, "tokens reloaded"),
        Err(e) => tracing::error!(error = %e, "token reload failed; the tokens in use stay"),
    }
}

/// Counts and logs every request once it has its response head. Logs name the route,
/// path, status and time; never a header, so no token reaches a log.
async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| ROUTES.iter().find(|r| **r == m.as_str()).copied())
        .unwrap_or("unmatched");
    let method = request.method().clone();
    // A verification code lets whoever holds it see its refund: logs never show one, even
    // in a path no route matched.
    let raw = request.uri().path();
    let path = if raw.starts_with("/v/") || raw.starts_with("/v1/receipts/") {
        format!(
            "{}/…",
            &raw[..raw[1..].find('/').map_or(raw.len(), |i| i + 1)]
        )
    } else {
        raw.to_string()
    };
    let mut response = next.run(request).await;
    guard_headers(&mut response);
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    app.metrics.request(route, status, elapsed);
    tracing::info!(
        method = %method,
        route,
        path,
        status,
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// What every answer carries, the ones the framework writes itself included (a body too
/// large, a form of the wrong type): no content sniffing, and an error answer that may be
/// shown to a browser runs nothing and is framed by nobody.
fn guard_headers(response: &mut Response) {
    let failed = response.status().is_client_error() || response.status().is_server_error();
    let h = response.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    if failed {
        h.entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'",
            ));
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
}

/// Bounds the request target and the time to the response head.
async fn limits(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let target_len = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if target_len > MAX_URI {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is {target_len} bytes; at most {MAX_URI} are accepted"),
        )
        .into_response();
    }
    match tokio::time::timeout(app.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!("no answer within {}s", app.request_timeout.as_secs_f64()),
            );
            e.retry_after = Some(1);
            e.into_response()
        }
    }
}

async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    if !app.tokens.allows(header) && !app.web.sessions.check(request.headers(), &app.tokens) {
        let message = if header.is_some() {
            "the bearer token is not accepted"
        } else {
            "send Authorization: Bearer <token>"
        };
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    }
    next.run(request).await
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let mut body = json!({ "status": "ok", "gateway": app.gateway.is_some() });
    if let Some(store) = &app.store {
        let s = store.current();
        body["generation"] = json!(s.generation);
        body["transactions"] = json!(s.transactions.len());
        body["loadedAt"] = json!(s.loaded_at.to_rfc3339());
        body["lastReloadFailed"] = json!(store.last_error().is_some());
    }
    axum::Json(body).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let snapshot = app.store.as_ref().map(|s| s.current());
    let gauges = Gauges {
        transactions: snapshot.as_ref().map(|s| s.transactions.len()),
        generation: snapshot.as_ref().map(|s| s.generation),
        loaded_at: snapshot.as_ref().map(|s| s.loaded_at.timestamp()),
    };
    let text = app.metrics.render_text(&gauges);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method",
    )
}

/// The pairs of a request's query string, percent-decoded.
pub fn query_pairs(uri: &axum::http::Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("the query string cannot be read: {e}")))
}
