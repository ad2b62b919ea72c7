//! One request to the gateway, with the token, the retries and the error classification.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::api::{Envelope, PaymentData};
use super::config::{ConfigError, GatewayConfig, SecretKey};
use super::error::{GatewayError, NOT_FOUND_CODE, Target, is_retryable_code};
use super::map;
use super::token::{Token, TokenSource};
use crate::model::Transaction;

/// Header carrying `Bearer <JWT>`.
pub const AUTH_HEADER: &str = "X-APPOTAPAY-AUTH";
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";
pub const LANGUAGE_HEADER: &str = "X-Language";

/// A larger body is not an answer of this API; reading it whole would only waste memory.
const MAX_BODY: usize = 8 << 20;
/// Longest `Retry-After` obeyed: a server asking for more than this stalls the whole batch.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How much of a non-JSON error body goes into an error message.
const SNIPPET: usize = 200;

/// An async client of the gateway API, shareable across tasks (`Arc`), counting what it
/// sends. [`super::fetch_orders`] wraps it for synchronous callers.
#[derive(Debug)]
pub struct GatewayClient {
    http: reqwest::Client,
    base: Url,
    tokens: TokenSource,
    secret: SecretKey,
    language: Option<HeaderValue>,
    max_retries: u32,
    retry_base: Duration,
    retry_cap: Duration,
    requests: AtomicU64,
    retries: AtomicU64,
}

/// How one attempt ended, short of success.
enum Failure {
    /// Worth another attempt after a backoff (at least `retry_after` when the server said).
    Transient(GatewayError, Option<Duration>),
    /// 401: the token may have expired; renew it and try once more.
    Unauthorized(GatewayError),
    Final(GatewayError),
}

impl GatewayClient {
    /// Checks the configuration and builds the HTTP client. Sends nothing.
    pub fn new(config: &GatewayConfig) -> Result<GatewayClient, ConfigError> {
        config.validate()?;
        // reqwest is built without a default rustls provider; installing one twice is a
        // harmless error, so whoever comes first wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = Url::parse(&config.base_url)
            .map_err(|e| ConfigError::Invalid(format!("gateway URL: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(config.concurrency)
            // Retrying is done here, where the gateway's error codes are understood.
            .retry(reqwest::retry::never())
            // A redirect would carry the signed token to wherever it points and hand back
            // that host's JSON as the order's data: the gateway's API never redirects, so
            // a 3xx is answered as the error it is.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("recibo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        let language = match &config.language {
            Some(lang) => Some(HeaderValue::from_str(lang).map_err(|_| {
                ConfigError::Invalid(format!("language {lang:?} is not a header value"))
            })?),
            None => None,
        };
        Ok(GatewayClient {
            http,
            base,
            tokens: TokenSource::new(config),
            secret: config.secret_key.clone(),
            language,
            max_retries: config.max_retries,
            retry_base: config.retry_base,
            retry_cap: config.retry_cap,
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests sent again after a failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// An order's payment followed by its refunds.
    pub async fn fetch_order(&self, order_id: &str) -> Result<Vec<Transaction>, GatewayError> {
        self.fetch(Target::Order(order_id.to_string())).await
    }

    /// One refund with its payment: the payment first, then the refund (or refunds) the
    /// gateway returned for that ID.
    ///
    /// The API documents this endpoint's path but not its answer. It is taken to have the
    /// same shape as the order endpoint's: `data` is the payment, and `refundTransactions`
    /// holds the refund asked for.
    pub async fn fetch_refund(&self, refund_id: &str) -> Result<Vec<Transaction>, GatewayError> {
        let mut txs = self.fetch(Target::Refund(refund_id.to_string())).await?;
        // Should the gateway list every refund of the payment here, keep the one asked for,
        // whichever of its two IDs was given; if none matches, keep what came.
        let matches = |t: &Transaction| {
            t.transaction_id == refund_id || t.transaction_request_id == refund_id
        };
        if txs.iter().skip(1).any(matches) {
            let mut i = 0;
            txs.retain(|t| {
                i += 1;
                i == 1 || matches(t)
            });
        }
        Ok(txs)
    }

    /// `{base}/api/v1/transaction/{orderId}/refund`, or for a refund
    /// `{base}/api/v1/transaction/refund/{refundId}`. Each ID is one escaped path segment.
    fn url(&self, target: &Target) -> Result<Url, GatewayError> {
        let id = target.id();
        // `.` and `..` would be resolved away by URL normalisation and reach another
        // endpoint; an empty ID would name the collection.
        if id.is_empty() || id == "." || id == ".." {
            return Err(GatewayError::Setup {
                target: target.clone(),
                message: "not a usable ID".into(),
            });
        }
        let mut url = self.base.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|_| GatewayError::Setup {
                target: target.clone(),
                message: "the gateway URL cannot take a path".into(),
            })?;
            segments.pop_if_empty().extend(["api", "v1", "transaction"]);
            match target {
                Target::Order(id) => segments.push(id).push("refund"),
                Target::Refund(id) => segments.push("refund").push(id),
            };
        }
        Ok(url)
    }

    async fn fetch(&self, target: Target) -> Result<Vec<Transaction>, GatewayError> {
        let url = self.url(&target)?;
        let mut retries = 0u32;
        let mut transient_retries = 0u32;
        let mut renewed = false;
        loop {
            let token = self.tokens.get().map_err(|e| GatewayError::Setup {
                target: target.clone(),
                message: e.to_string(),
            })?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let failure = match self.attempt(&url, &token, &target).await {
                Ok(data) => {
                    let asked_order = match &target {
                        Target::Order(id) => id.as_str(),
                        Target::Refund(_) => "",
                    };
                    return map::order_transactions(asked_order, data).map_err(|message| {
                        GatewayError::InvalidData {
                            target: target.clone(),
                            message: self.redact(message),
                            retries,
                        }
                    });
                }
                Err(f) => f,
            };
            match failure {
                Failure::Final(mut e) => {
                    e.set_retries(retries);
                    return Err(e);
                }
                Failure::Unauthorized(mut e) => {
                    if renewed {
                        e.set_retries(retries);
                        return Err(e);
                    }
                    renewed = true;
                    tracing::info!(%target, "gateway answered 401; signing a new token");
                    self.tokens.renew(&token).map_err(|e| GatewayError::Setup {
                        target: target.clone(),
                        message: e.to_string(),
                    })?;
                }
                Failure::Transient(mut e, retry_after) => {
                    if transient_retries >= self.max_retries {
                        e.set_retries(retries);
                        return Err(e);
                    }
                    let delay = self
                        .backoff(transient_retries)
                        .max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER));
                    transient_retries += 1;
                    tracing::warn!(
                        %target,
                        error = %e,
                        delay_ms = delay.as_millis() as u64,
                        attempt = transient_retries + 1,
                        "gateway request failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
            retries += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random, so that
    /// concurrent requests failing together do not come back together.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .retry_base
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.retry_cap);
        let half = exp / 2;
        let jitter_ns = fastrand::u64(0..=half.as_nanos().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_nanos(jitter_ns)
    }

    async fn attempt(
        &self,
        url: &Url,
        token: &Token,
        target: &Target,
    ) -> Result<PaymentData, Failure> {
        let mut headers = HeaderMap::with_capacity(4);
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Failure::Final(self.setup(target, "the token is not a header value")))?;
        // Keeps the token out of any Debug print of the request.
        auth.set_sensitive(true);
        headers.insert(AUTH_HEADER, auth);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(id) = HeaderValue::from_str(&uuid_v4()) {
            headers.insert(REQUEST_ID_HEADER, id);
        }
        if let Some(lang) = &self.language {
            headers.insert(LANGUAGE_HEADER, lang.clone());
        }
        let mut response = self
            .http
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| self.transport_failure(target, e))?;
        let status = response.status();
        let retry_after = match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
            _ => None,
        };
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(target, e))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(Failure::Final(GatewayError::Malformed {
                    target: target.clone(),
                    message: format!("response larger than {} MiB", MAX_BODY >> 20),
                    retries: 0,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        let envelope = serde_json::from_slice::<Envelope>(&body);

        if status == StatusCode::UNAUTHORIZED {
            return Err(Failure::Unauthorized(GatewayError::Unauthorized {
                target: target.clone(),
                message: self.describe_body(envelope.as_ref().ok(), &body),
                retries: 0,
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Failure::Transient(
                GatewayError::Http {
                    target: target.clone(),
                    status: status.as_u16(),
                    message: self.describe_body(envelope.as_ref().ok(), &body),
                    retries: 0,
                },
                retry_after,
            ));
        }
        if !status.is_success() {
            // A 4xx with the API's error envelope says more than its status (a 404 with
            // errorCode 36 is a missing order, not a wrong URL).
            if let Ok(env) = &envelope
                && let Some(code) = env.error_code.as_ref().and_then(|c| c.value())
                && code != 0
            {
                // Whatever the code says, a 4xx is not retried: the same request would be
                // refused the same way.
                return Err(match self.api_failure(target, code, env) {
                    Failure::Transient(e, _) | Failure::Unauthorized(e) | Failure::Final(e) => {
                        Failure::Final(e)
                    }
                });
            }
            return Err(Failure::Final(GatewayError::Http {
                target: target.clone(),
                status: status.as_u16(),
                message: self.describe_body(None, &body),
                retries: 0,
            }));
        }

        let envelope = envelope.map_err(|e| {
            Failure::Final(GatewayError::Malformed {
                target: target.clone(),
                message: format!("not the API's JSON ({e}): {}", self.snippet(&body)),
                retries: 0,
            })
        })?;
        let code = match &envelope.error_code {
            Some(c) => c.value().ok_or_else(|| {
                Failure::Final(GatewayError::Malformed {
                    target: target.clone(),
                    message: format!("errorCode {} is not an integer", c.describe()),
                    retries: 0,
                })
            })?,
            None => {
                return Err(Failure::Final(GatewayError::Malformed {
                    target: target.clone(),
                    message: "no errorCode".into(),
                    retries: 0,
                }));
            }
        };
        if code != 0 {
            return Err(self.api_failure(target, code, &envelope));
        }
        match envelope.data {
            Some(data) if data.is_object() => {
                serde_json::from_value::<PaymentData>(data).map_err(|e| {
                    Failure::Final(GatewayError::Malformed {
                        target: target.clone(),
                        message: format!("data: {e}"),
                        retries: 0,
                    })
                })
            }
            _ => Err(Failure::Final(GatewayError::Malformed {
                target: target.clone(),
                message: "errorCode 0 without a data object".into(),
                retries: 0,
            })),
        }
    }

    fn api_failure(&self, target: &Target, code: i64, envelope: &Envelope) -> Failure {
        let message = self.redact(envelope.message_text());
        if code == NOT_FOUND_CODE {
            return Failure::Final(GatewayError::NotFound {
                target: target.clone(),
                message,
                retries: 0,
            });
        }
        let error = GatewayError::Api {
            target: target.clone(),
            code,
            message,
            retries: 0,
        };
        if is_retryable_code(code) {
            Failure::Transient(error, None)
        } else {
            Failure::Final(error)
        }
    }

    fn transport_failure(&self, target: &Target, error: reqwest::Error) -> Failure {
        let target = target.clone();
        if error.is_builder() {
            return Failure::Final(GatewayError::Setup {
                target,
                message: self.redact(error_chain(&error)),
            });
        }
        if error.is_timeout() {
            return Failure::Transient(GatewayError::Timeout { target, retries: 0 }, None);
        }
        Failure::Transient(
            GatewayError::Connection {
                target,
                message: self.redact(error_chain(&error)),
                retries: 0,
            },
            None,
        )
    }

    fn setup(&self, target: &Target, message: &str) -> GatewayError {
        GatewayError::Setup {
            target: target.clone(),
            message: message.to_string(),
        }
    }

    /// The envelope's `errorCode: message` when there is one, else the start of the body.
    fn describe_body(&self, envelope: Option<&Envelope>, body: &[u8]) -> String {
        if let Some(env) = envelope {
            let message = self.redact(env.message_text());
            return match env.error_code.as_ref() {
                Some(code) if message.is_empty() => format!("errorCode {}", code.describe()),
                Some(code) => format!("errorCode {}: {message}", code.describe()),
                None => message,
            };
        }
        self.snippet(body)
    }

    /// The start of a body for an error message, redacted before it is cut, so a secret
    /// that straddles the cut cannot leave its first part behind.
    fn snippet(&self, body: &[u8]) -> String {
        let text = self.redact(String::from_utf8_lossy(body).trim().to_string());
        let cut: String = text.chars().take(SNIPPET).collect();
        let more = if cut.len() < text.len() { "…" } else { "" };
        format!("{cut}{more}")
    }

    /// Whatever a server echoes back, the secret and the live token never reach an error:
    /// neither as given nor in the encodings a server may echo them in (URL-encoded, as a
    /// form value, JSON-escaped).
    fn redact(&self, text: String) -> String {
        let mut text = text;
        let token = self.tokens.current();
        let values = [
            Some(self.secret.expose()),
            token.as_ref().map(|t| t.expose()),
        ];
        for value in values.into_iter().flatten().filter(|v| v.len() >= 4) {
            for form in encodings(value) {
                if text.contains(&form) {
                    text = text.replace(&form, "***");
                }
            }
        }
        text
    }
}

/// `value` as written plain, percent-encoded (upper- and lower-case hex), as a form value
/// (space as `+`) and JSON-escaped.
fn encodings(value: &str) -> Vec<String> {
    let percent = |lower: bool, plus: bool| {
        let mut out = String::with_capacity(value.len() * 3);
        for &b in value.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else if plus && b == b' ' {
                out.push('+');
            } else if lower {
                out.push_str(&format!("%{b:02x}"));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut forms = vec![
        value.to_string(),
        percent(false, false),
        percent(true, false),
        percent(false, true),
        json.trim_matches('"').to_string(),
    ];
    forms.sort();
    forms.dedup();
    // Longest first: a plain value inside its own encoding is not left half replaced.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// The error and its causes, which say what really failed (refused, reset, DNS...). The URL
/// is left out: the target already names the ID.
fn error_chain(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = String::new();
    let mut current: Option<&dyn std::error::Error> = error.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        current = e.source();
    }
    if text.is_empty() {
        text = error.to_string();
    }
    text
}

/// A random (version 4) UUID for `X-Request-ID`.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    fastrand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> GatewayClient {
        GatewayClient::new(&GatewayConfig::new(
            base,
            "P",
            "K",
            SecretKey::new("secret-value"),
        ))
        .unwrap()
    }

    #[test]
    fn ids_are_escaped_as_one_path_segment() {
        let c = client("https://gw.example/prefix/");
        let url = c.url(&Target::Order("a/b c?d#e%".into())).unwrap();
        assert_eq!(
            url.as_str(),
            "https://gw.example/prefix/api/v1/transaction/a%2Fb%20c%3Fd%23e%25/refund"
        );
        let url = c.url(&Target::Refund("R 1".into())).unwrap();
        assert_eq!(
            url.as_str(),
            "https://gw.example/prefix/api/v1/transaction/refund/R%201"
        );
        for bad in ["", ".", ".."] {
            assert!(c.url(&Target::Order(bad.into())).is_err());
        }
    }

    #[test]
    fn request_ids_are_uuid_v4() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(a, uuid_v4());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let c = client("http://127.0.0.1:9");
        for retry in 0..40 {
            let d = c.backoff(retry);
            let exp =
                (Duration::from_millis(200) * 2u32.pow(retry.min(16))).min(Duration::from_secs(10));
            assert!(d >= exp / 2 && d <= exp, "{retry}: {d:?}");
        }
    }

    #[test]
    fn redacts_secret_and_token() {
        let c = client("http://127.0.0.1:9");
        let token = c.tokens.get().unwrap();
        let text = c.redact(format!("bad token {} with secret-value", token.expose()));
        assert_eq!(text, "bad token *** with ***");
        assert!(!format!("{c:?}").contains("secret-value"));
    }

    #[test]
    fn redacts_encoded_secrets_and_before_cutting() {
        let secret = "s3cr3t/v@lue y+1";
        let c = GatewayClient::new(&GatewayConfig::new(
            "http://127.0.0.1:9",
            "P",
            "K",
            SecretKey::new(secret),
        ))
        .unwrap();
        let text = c.redact(
            "url s3cr3t%2Fv%40lue%20y%2B1 lower s3cr3t%2fv%40lue%20y%2b1 form s3cr3t%2Fv%40lue+y%2B1"
                .to_string(),
        );
        assert!(!text.contains("s3cr3t"), "{text}");
        // The secret starts just before the cut: no part of it may survive.
        let body = format!("{}{secret}", "x".repeat(SNIPPET - 4));
        let snippet = c.snippet(body.as_bytes());
        assert!(!snippet.contains("s3cr"), "{snippet}");
    }
}
