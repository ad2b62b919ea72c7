//! A fake of the gateway API on 127.0.0.1 for tests and benchmarks: both refund endpoints,
//! real JWT verification, deterministic order data and scripted faults.
//!
//! ```ignore
//! #[path = "support/gateway_server.rs"]
//! mod gateway_server;
//! let server = gateway_server::GatewayServer::start();
//! server.inject("ORD-0007", gateway_server::Fault::http(500), 2);
//! let config = server.config(); // a GatewayConfig with the test credentials
//! ```
//!
//! Orders it knows: the API documentation's example (`61a4919ca5b23`), every `ORD-<n>`
//! (generated from `n`: 0 to 3 refunds, mixed statuses, amounts as numbers and as
//! strings) and any added with [`GatewayServer::add_order`]. Others get errorCode 36.
//!
//! The server runs on its own tokio runtime in a background thread, so synchronous tests
//! can use it; dropping it stops it.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use recibo::source::gateway::{GatewayConfig, SecretKey};
use serde::Deserialize;
use serde_json::{Value, json};

pub const TEST_PARTNER: &str = "TEST";
pub const TEST_API_KEY: &str = "test-api-key-7f3a";
pub const TEST_SECRET: &str = "test-secret-9b8c7d6e5f4a3b2c1d0e";

/// The API documentation's example.
pub const SEED_ORDER: &str = "61a4919ca5b23";
pub const SEED_PAYMENT: &str = "AP211338083228";
/// The seed's refund: `refundId` is the same string as the payment's ID.
pub const SEED_REFUND_ID: &str = "AP211338083228";
pub const SEED_REFUND_ORIGINAL_ID: &str = "237052c887614019bedfd1851a287d9c";

/// `times` value for a fault that never wears off.
pub const ALWAYS: u32 = u32::MAX;

/// What the server does instead of answering normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This HTTP status, with a `Retry-After` (seconds) when given.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// HTTP 200 with `{errorCode: code, message}`.
    ErrorCode(i64),
    /// Waits this long, then answers normally (or not at all, if the client gave up).
    Slow(Duration),
    /// HTTP 200 with a truncated JSON body.
    Malformed,
    /// HTTP 401 as for an expired token, whatever the token.
    Unauthorized,
    /// HTTP 302 to this URL.
    Redirect(String),
}

impl Fault {
    pub fn http(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Fault {
        Fault::Status {
            status: 429,
            retry_after: Some(retry_after_secs),
        }
    }

    pub fn not_found() -> Fault {
        Fault::ErrorCode(36)
    }

    pub fn busy() -> Fault {
        Fault::ErrorCode(91)
    }
}

/// Faults per ID (an order ID or a refund ID), each script consumed one request at a time:
/// `[(http(500), 2), (busy(), 1)]` answers 500, 500, errorCode 91, then normally.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    scripts: HashMap<String, VecDeque<(Fault, u32)>>,
}

impl FaultPlan {
    pub fn new() -> FaultPlan {
        FaultPlan::default()
    }

    /// Appends `fault` for the next `times` requests for `id` (after the faults before it).
    pub fn add(&mut self, id: impl Into<String>, fault: Fault, times: u32) -> &mut FaultPlan {
        if times > 0 {
            self.scripts
                .entry(id.into())
                .or_default()
                .push_back((fault, times));
        }
        self
    }

    /// The fault for the next request for `id`, consuming it.
    fn next(&mut self, id: &str) -> Option<Fault> {
        let script = self.scripts.get_mut(id)?;
        let (fault, times) = script.front_mut()?;
        let fault = fault.clone();
        if *times != ALWAYS {
            *times -= 1;
            if *times == 0 {
                script.pop_front();
            }
        }
        Some(fault)
    }
}

/// Credentials the server accepts, and its initial faults.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub partner_code: String,
    pub api_key: String,
    pub secret: String,
    pub faults: FaultPlan,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            partner_code: TEST_PARTNER.into(),
            api_key: TEST_API_KEY.into(),
            secret: TEST_SECRET.into(),
            faults: FaultPlan::default(),
        }
    }
}

#[derive(Default)]
struct Counters {
    /// Requests per order ID, refused ones included.
    orders: HashMap<String, u32>,
    /// Requests per refund ID.
    refunds: HashMap<String, u32>,
    request_ids: HashSet<String>,
    /// Tokens seen, by their `jti`+`exp`, to tell renewals apart.
    tokens: HashSet<String>,
    last_language: Option<String>,
    unauthorized_reasons: Vec<String>,
}

struct Shared {
    options: ServerOptions,
    faults: Mutex<FaultPlan>,
    extra_orders: Mutex<HashMap<String, Value>>,
    counters: Mutex<Counters>,
    total: AtomicU64,
    unauthorized: AtomicU64,
    bad_headers: AtomicU64,
    in_flight: AtomicI64,
    max_in_flight: AtomicI64,
}

impl Shared {
    fn lock_counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake gateway. Dropping it shuts it down.
pub struct GatewayServer {
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GatewayServer {
    /// Starts with the test credentials and no faults.
    pub fn start() -> GatewayServer {
        GatewayServer::start_with(ServerOptions::default())
    }

    pub fn start_with(options: ServerOptions) -> GatewayServer {
        let shared = Arc::new(Shared {
            faults: Mutex::new(options.faults.clone()),
            options,
            extra_orders: Mutex::new(HashMap::new()),
            counters: Mutex::new(Counters::default()),
            total: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            bad_headers: AtomicU64::new(0),
            in_flight: AtomicI64::new(0),
            max_in_flight: AtomicI64::new(0),
        });
        let app = Router::new()
            .route(
                "/api/v1/transaction/refund/{refund_id}",
                get(refund_handler),
            )
            .route("/api/v1/transaction/{order_id}/refund", get(order_handler))
            .with_state(Arc::clone(&shared));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-gateway".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("fake gateway runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind 127.0.0.1:0");
                    addr_tx
                        .send(listener.local_addr().expect("local addr"))
                        .ok();
                    tokio::select! {
                        result = axum::serve(listener, app) => {
                            result.expect("fake gateway serve");
                        }
                        _ = stop_rx => {}
                    }
                });
                // Handlers still sleeping (slow faults) are dropped, not awaited.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("spawn fake gateway thread");
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("fake gateway did not start");
        GatewayServer {
            base_url: format!("http://{addr}"),
            shared,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client configuration for this server with its credentials, short timeouts and
    /// millisecond backoffs, so that retry tests run fast.
    pub fn config(&self) -> GatewayConfig {
        let o = &self.shared.options;
        let mut config = GatewayConfig::new(
            self.base_url.clone(),
            o.partner_code.clone(),
            o.api_key.clone(),
            SecretKey::new(o.secret.clone()),
        );
        config.connect_timeout = Duration::from_secs(2);
        config.request_timeout = Duration::from_secs(5);
        config.retry_base = Duration::from_millis(5);
        config.retry_cap = Duration::from_millis(50);
        config
    }

    /// Adds `fault` for the next `times` requests for `id` (an order or a refund ID).
    pub fn inject(&self, id: &str, fault: Fault, times: u32) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(id, fault, times);
    }

    /// Replaces every pending fault.
    pub fn set_faults(&self, plan: FaultPlan) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    /// Serves `data` (the `data` object of a response; its `orderId` is the key) as an order.
    pub fn add_order(&self, data: Value) {
        let id = data["orderId"].as_str().expect("orderId").to_string();
        self.shared
            .extra_orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, data);
    }

    /// The `data` object served for `order_id`, if the order exists.
    pub fn order_data(&self, order_id: &str) -> Option<Value> {
        let extra = self
            .shared
            .extra_orders
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        extra
            .get(order_id)
            .cloned()
            .or_else(|| order_data(order_id))
    }

    /// Requests received for this order ID, refused and faulted ones included.
    pub fn order_requests(&self, order_id: &str) -> u32 {
        self.shared
            .lock_counters()
            .orders
            .get(order_id)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received for this refund ID.
    pub fn refund_requests(&self, refund_id: &str) -> u32 {
        self.shared
            .lock_counters()
            .refunds
            .get(refund_id)
            .copied()
            .unwrap_or(0)
    }

    /// Every request on either endpoint.
    pub fn total_requests(&self) -> u64 {
        self.shared.total.load(Ordering::Relaxed)
    }

    /// Requests answered 401 (bad token or an `Unauthorized` fault).
    pub fn unauthorized(&self) -> u64 {
        self.shared.unauthorized.load(Ordering::Relaxed)
    }

    /// Why tokens were refused, in order.
    pub fn unauthorized_reasons(&self) -> Vec<String> {
        self.shared.lock_counters().unauthorized_reasons.clone()
    }

    /// Requests lacking `Content-Type: application/json` or a fresh UUID v4 `X-Request-ID`.
    pub fn bad_headers(&self) -> u64 {
        self.shared.bad_headers.load(Ordering::Relaxed)
    }

    /// Distinct valid tokens seen.
    pub fn distinct_tokens(&self) -> usize {
        self.shared.lock_counters().tokens.len()
    }

    /// The `X-Language` of the last request that had one.
    pub fn last_language(&self) -> Option<String> {
        self.shared.lock_counters().last_language.clone()
    }

    /// Requests being handled right now.
    pub fn in_flight(&self) -> i64 {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// Most requests handled at the same time.
    pub fn max_in_flight(&self) -> i64 {
        self.shared.max_in_flight.load(Ordering::Relaxed)
    }
}

impl Drop for GatewayServer {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// The seed order, or a generated `ORD-<n>`; `None` for anything else.
pub fn order_data(order_id: &str) -> Option<Value> {
    if order_id == SEED_ORDER {
        return Some(seed_data());
    }
    generated_number(order_id).map(|n| generated_data(order_id, n))
}

fn seed_data() -> Value {
    json!({
        "appotapayTransId": SEED_PAYMENT,
        "orderId": SEED_ORDER,
        "orderInfo": "test thanh toan",
        "partnerCode": "TEST",
        "applicationId": 316869,
        "amount": 10000,
        "bankCode": "SHB",
        "paymentMethod": "ATM",
        "refundType": "total",
        "transactionTs": 1638175132,
        "refundTransactions": [{
            "appotapayTransId": SEED_PAYMENT,
            "refundId": SEED_REFUND_ID,
            "refundOriginalId": SEED_REFUND_ORIGINAL_ID,
            "amount": 10000,
            "reason": "Test refund",
            "status": "processing",
            "transactionTs": 1638180805
        }]
    })
}

fn generated_number(order_id: &str) -> Option<u32> {
    let digits = order_id.strip_prefix("ORD-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Payment ID of generated order `n`.
pub fn generated_payment_id(n: u32) -> String {
    format!("AP9{n:011}")
}

/// Gateway refund ID of the `k`th refund (from 0) of generated order `n`.
pub fn generated_refund_id(n: u32, k: u32) -> String {
    format!("RF{n:08}{k}")
}

/// Order `n` has `n % 4` refunds; the `k`th has status `STATUSES[(n + k) % 4]` and its
/// amount is a JSON number when `n + k` is even, a string when odd.
pub const STATUSES: [&str; 4] = ["success", "processing", "pending", "error"];

fn generated_data(order_id: &str, n: u32) -> Value {
    let amount = 100_000 + i64::from(n % 50) * 1_000;
    let refunds = n % 4;
    let ts = 1_700_000_000 + i64::from(n) * 3_600;
    let methods = ["ATM", "CC", "EWALLET", "VA"];
    let banks = ["SHB", "VCB", "TCB", "ACB"];
    let refund_transactions: Vec<Value> = (0..refunds)
        .map(|k| {
            let part = amount / 4;
            let status = STATUSES[((n + k) % 4) as usize];
            let amount_value = if (n + k).is_multiple_of(2) {
                json!(part)
            } else {
                json!(part.to_string())
            };
            let mut refund = json!({
                "appotapayTransId": generated_payment_id(n),
                "refundId": generated_refund_id(n, k),
                "refundOriginalId": format!("req-{n}-{k}"),
                "amount": amount_value,
                "reason": format!("Hoàn tiền lần {}", k + 1),
                "status": status,
                "transactionTs": ts + 600 * i64::from(k + 1),
                "unknownField": {"ignored": true}
            });
            if status == "error" {
                refund["reject_reason"] = json!("Số dư không đủ");
            }
            refund
        })
        .collect();
    json!({
        "appotapayTransId": generated_payment_id(n),
        "orderId": order_id,
        "orderInfo": format!("Đơn hàng số {n}"),
        "partnerCode": TEST_PARTNER,
        "applicationId": 316869,
        "amount": amount,
        "bankCode": banks[(n % 4) as usize],
        "paymentMethod": methods[(n % 4) as usize],
        "refundType": if refunds > 1 { "partial" } else { "total" },
        "transactionTs": ts,
        "refundTransactions": refund_transactions
    })
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    jti: String,
    api_key: String,
    exp: u64,
}

/// Checks the JWT as the gateway would; the error says why it is refused.
fn verify_token(options: &ServerOptions, headers: &HeaderMap) -> Result<String, String> {
    let value = headers
        .get("x-appotapay-auth")
        .ok_or("no X-APPOTAPAY-AUTH header")?
        .to_str()
        .map_err(|_| "X-APPOTAPAY-AUTH is not text")?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or("X-APPOTAPAY-AUTH is not `Bearer <token>`")?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("header: {e}"))?;
    if header.typ.as_deref() != Some("JWT")
        || header.alg != Algorithm::HS256
        || header.cty.as_deref() != Some("appotapay-api;v=1")
        || header.kid.is_some()
        || !header.extras.is_empty()
    {
        return Err(format!("unexpected JWT header {header:?}"));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&[&options.partner_code]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(options.secret.as_bytes()),
        &validation,
    )
    .map_err(|e| format!("token: {e}"))?;
    let claims = data.claims;
    if claims.iss != options.partner_code {
        return Err("iss is not the partner code".into());
    }
    if claims.api_key != options.api_key {
        return Err("api_key is not the partner's".into());
    }
    let issued: u64 = claims
        .jti
        .strip_prefix(&format!("{}-", options.api_key))
        .and_then(|t| t.parse().ok())
        .ok_or("jti is not `<api_key>-<unix time>`")?;
    let now = unix_now();
    if issued > now + 5 {
        return Err("jti is in the future".into());
    }
    if claims.exp <= issued {
        return Err("exp is not after the issue time".into());
    }
    Ok(format!("{}:{}", claims.jti, claims.exp))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_uuid_v4(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn error_body(code: i64, message: &str) -> Value {
    json!({"errorCode": code, "message": message})
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

enum Endpoint {
    Order,
    Refund,
}

async fn order_handler(
    State(shared): State<Arc<Shared>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle(&shared, Endpoint::Order, order_id, headers).await
}

async fn refund_handler(
    State(shared): State<Arc<Shared>>,
    Path(refund_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle(&shared, Endpoint::Refund, refund_id, headers).await
}

async fn handle(shared: &Shared, endpoint: Endpoint, id: String, headers: HeaderMap) -> Response {
    shared.total.fetch_add(1, Ordering::Relaxed);
    let now_in_flight = shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    shared
        .max_in_flight
        .fetch_max(now_in_flight, Ordering::Relaxed);
    let _guard = InFlight(shared);

    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type_ok = headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/json");
    {
        let mut counters = shared.lock_counters();
        match endpoint {
            Endpoint::Order => *counters.orders.entry(id.clone()).or_default() += 1,
            Endpoint::Refund => *counters.refunds.entry(id.clone()).or_default() += 1,
        }
        let fresh_id = is_uuid_v4(&request_id) && counters.request_ids.insert(request_id);
        if !fresh_id || !content_type_ok {
            shared.bad_headers.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(lang) = headers.get("x-language").and_then(|v| v.to_str().ok()) {
            counters.last_language = Some(lang.to_string());
        }
    }

    match verify_token(&shared.options, &headers) {
        Ok(token_key) => {
            shared.lock_counters().tokens.insert(token_key);
        }
        Err(reason) => {
            shared.unauthorized.fetch_add(1, Ordering::Relaxed);
            shared.lock_counters().unauthorized_reasons.push(reason);
            return json_response(StatusCode::UNAUTHORIZED, error_body(401, "Unauthorized"));
        }
    }

    let fault = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .next(&id);
    match fault {
        None => {}
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = if status.is_server_error() {
                json_response(status, error_body(500, "System error"))
            } else if status == StatusCode::TOO_MANY_REQUESTS {
                json_response(status, error_body(91, "Too many requests"))
            } else {
                Response::builder()
                    .status(status)
                    .header("content-type", "text/plain")
                    .body(Body::from(status.canonical_reason().unwrap_or("error")))
                    .expect("response")
            };
            if let Some(secs) = retry_after {
                response.headers_mut().insert(
                    "retry-after",
                    secs.to_string().parse().expect("header value"),
                );
            }
            return response;
        }
        Some(Fault::Redirect(location)) => {
            return Response::builder()
                .status(StatusCode::FOUND)
                .header("location", location)
                .body(Body::empty())
                .expect("response");
        }
        Some(Fault::ErrorCode(code)) => {
            let message = match code {
                36 => "Transaction not found",
                91 => "System busy",
                94 => "System maintenance",
                _ => "Error",
            };
            return json_response(StatusCode::OK, error_body(code, message));
        }
        Some(Fault::Malformed) => {
            return Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"errorCode":0,"message":"OK","data":{"appotapayTransId":"#,
                ))
                .expect("response");
        }
        Some(Fault::Unauthorized) => {
            shared.unauthorized.fetch_add(1, Ordering::Relaxed);
            shared
                .lock_counters()
                .unauthorized_reasons
                .push("fault: expired".into());
            return json_response(StatusCode::UNAUTHORIZED, error_body(401, "Token expired"));
        }
    }

    let data = match endpoint {
        Endpoint::Order => lookup_order(shared, &id),
        Endpoint::Refund => lookup_refund(shared, &id),
    };
    match data {
        Some(data) => json_response(
            StatusCode::OK,
            json!({"errorCode": 0, "message": "Thành công", "data": data}),
        ),
        None => json_response(StatusCode::OK, error_body(36, "Transaction not found")),
    }
}

fn lookup_order(shared: &Shared, order_id: &str) -> Option<Value> {
    let extra = shared
        .extra_orders
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    extra
        .get(order_id)
        .cloned()
        .or_else(|| order_data(order_id))
}

/// The payment holding refund `refund_id` (the gateway's or the partner's ID), with only
/// that refund in `refundTransactions`.
fn lookup_refund(shared: &Shared, refund_id: &str) -> Option<Value> {
    let mut candidates: Vec<Value> = vec![seed_data()];
    if let Some(rest) = refund_id.strip_prefix("RF")
        && rest.len() == 9
        && let Ok(n) = rest[..8].parse::<u32>()
    {
        candidates.extend(order_data(&format!("ORD-{n:04}")));
    }
    if let Some(rest) = refund_id.strip_prefix("req-")
        && let Some((n, _)) = rest.split_once('-')
        && let Ok(n) = n.parse::<u32>()
    {
        candidates.extend(order_data(&format!("ORD-{n:04}")));
    }
    candidates.extend(
        shared
            .extra_orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned(),
    );
    candidates.into_iter().find_map(|mut data| {
        let refunds = data["refundTransactions"].as_array()?;
        let refund = refunds
            .iter()
            .find(|r| r["refundId"] == refund_id || r["refundOriginalId"] == refund_id)?
            .clone();
        data["refundTransactions"] = json!([refund]);
        Some(data)
    })
}
