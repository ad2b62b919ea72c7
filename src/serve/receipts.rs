//! `GET /v1/refunds/{id}/receipt.pdf`: one refund's receipt, by any of its IDs.
//!
//! The bytes depend only on the refund, the language, the zone and the data's load time,
//! so a repeated request gets the same bytes and the ETag (their SHA-256) lets a client or
//! a cache skip the download. Conditional requests that match an ETag already computed
//! from the current data are answered without rendering.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::App;
use super::export::query_error;
use super::gateway::Lookup;
use super::routes::{ApiError, query_pairs};
use super::state::Snapshot;
use crate::locale::Lang;
use crate::model::Transaction;
use crate::output::sha256_hex;
use crate::receipt::bulk::safe_file_name;
use crate::receipt::content::{ReceiptInput, receipt_number};
use crate::receipt::template::Branding;
use crate::receipt::work::{NoReceipt, original_among, receipt_refund};
use crate::request::{Zone, single_lang};

/// A refund found, with what its receipt needs.
struct Found {
    refund: Transaction,
    original: Option<Transaction>,
    generated_at: DateTime<Utc>,
    /// The data it came from, when it came from the files (for the ETag memo).
    snapshot: Option<Arc<Snapshot>>,
}

struct Rendered {
    bytes: Vec<u8>,
    etag: String,
}

pub async fn receipt(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let id = id.trim().to_string();
    let (lang, zone, template) = receipt_query(&uri, &headers, true)?;
    let branding = match &template {
        None => app.branding.clone(),
        Some(name) => app.branding.pick(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "template: no receipt template {name:?} is served (give it with --template)"
            ))
            .with("supported", app.branding.names())
        })?,
    };
    // The ETag memo knows one receipt per ID, language and zone: a template is part of
    // what the ID names here.
    let memo = match &template {
        None => id.clone(),
        Some(name) => format!("{id}\u{1f}{name}"),
    };
    let found = find(&app, &id).await?;
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let (Some(snapshot), Some(wanted)) = (&found.snapshot, &if_none_match)
        && let Some(etag) = snapshot.etag(&memo, lang, zone)
        && etag_matches(wanted, &etag)
    {
        return Ok(not_modified(&etag, lang));
    }

    let file_name = safe_file_name(&found.refund.transaction_id, lang);
    let number = receipt_number(&found.refund);
    let snapshot = found.snapshot.clone();
    let rendered = render(&app, found, lang, zone, branding).await?;
    if let Some(snapshot) = snapshot {
        snapshot.remember_etag(&memo, lang, zone, &rendered.etag);
    }
    if if_none_match.is_some_and(|wanted| etag_matches(&wanted, &rendered.etag)) {
        return Ok(not_modified(&rendered.etag, lang));
    }
    let mut response = rendered.bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    set(
        h,
        header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{file_name}\""),
    );
    set(h, header::ETAG, &rendered.etag);
    common_headers(h, lang);
    set(h, "x-receipt-number", &number);
    Ok(response)
}

/// `lang` wins; else the best offered language of `Accept-Language`; else English. Only
/// an explicit `lang` the server does not offer is an error: `Accept-Language` lists what
/// a reader would like, not what they insist on. `template` only where `with_template`.
pub(crate) fn receipt_query(
    uri: &Uri,
    headers: &HeaderMap,
    with_template: bool,
) -> Result<(Lang, Tz, Option<String>), ApiError> {
    let mut lang = None;
    let mut tz = None;
    let mut template = None;
    for (key, value) in query_pairs(uri)? {
        let slot = match key.as_str() {
            "lang" => &mut lang,
            "tz" => &mut tz,
            "template" if with_template => &mut template,
            other => {
                let takes = if with_template {
                    "a receipt takes lang, tz and template"
                } else {
                    "this page takes lang and tz"
                };
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}; {takes}"
                )));
            }
        };
        if slot.replace(value).is_some() {
            return Err(ApiError::bad_request(format!("{key} is given twice")));
        }
    }
    let lang = match lang {
        Some(l) => single_lang(&l).map_err(|e| {
            query_error(e).with(
                "supported",
                Lang::ALL.iter().map(|l| l.tag()).collect::<Vec<_>>(),
            )
        })?,
        None => preferred_lang(headers),
    };
    let zone = match tz {
        Some(z) => z.parse::<Zone>().map_err(query_error)?.0,
        None => Tz::UTC,
    };
    Ok((lang, zone, template))
}

/// The best offered language of a request's `Accept-Language`; else English.
pub(crate) fn preferred_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

/// The refund `id` names: in the files first, then at the gateway.
async fn find(app: &App, id: &str) -> Result<Found, ApiError> {
    if id.is_empty() {
        return Err(ApiError::bad_request("empty refund ID"));
    }
    if let Some(pool) = &app.db {
        let (pool, wanted) = (Arc::clone(pool), id.to_string());
        let looked_up = tokio::task::spawn_blocking(move || pool.refund(&wanted))
            .await
            .map_err(|_| ApiError::internal("the store lookup stopped"))?;
        match looked_up {
            Ok(Ok(found)) => {
                return Ok(Found {
                    refund: found.refund,
                    original: found.original,
                    generated_at: found.generated_at,
                    snapshot: None,
                });
            }
            // Not in the store: the gateway may know it.
            Ok(Err(NoReceipt::NotFound { .. })) => {}
            Ok(Err(refused)) => return Err(refusal(refused)),
            Err(e) => return Err(ApiError::store(e)),
        }
    }
    if let Some(store) = &app.store {
        let snapshot = store.current();
        match receipt_refund(id, snapshot.with_id(id)) {
            Ok(refund) => {
                let (refund, original) = (refund.clone(), snapshot.original_of(refund).cloned());
                return Ok(Found {
                    refund,
                    original,
                    generated_at: snapshot.loaded_at,
                    snapshot: Some(snapshot),
                });
            }
            // Not in the files: the gateway may know it.
            Err(NoReceipt::NotFound { .. }) => {}
            Err(refused) => return Err(refusal(refused)),
        }
    }
    let not_found = || refusal(NoReceipt::NotFound { id: id.to_string() });
    let Some(gateway) = &app.gateway else {
        return Err(not_found());
    };
    let fetched = match gateway.refund(id).await {
        Ok(Lookup::Hit(f)) => {
            app.metrics.gateway_hits.fetch_add(1, Ordering::Relaxed);
            f
        }
        Ok(Lookup::Miss(f)) => {
            app.metrics.gateway_misses.fetch_add(1, Ordering::Relaxed);
            f
        }
        Err(e) if e.is_not_found() => return Err(not_found()),
        Err(e) => {
            tracing::warn!(error = %e, "gateway lookup failed");
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "gateway_error",
                e.to_string(),
            ));
        }
    };
    let refund = receipt_refund(id, fetched.transactions.iter()).map_err(refusal)?;
    Ok(Found {
        refund: refund.clone(),
        original: original_among(refund, &fetched.transactions).cloned(),
        generated_at: fetched.fetched_at,
        snapshot: None,
    })
}

/// A refusal as JSON: 404 for an unknown ID, 409 for an ID that names no receipt, with
/// what the ID does name.
fn refusal(refused: NoReceipt) -> ApiError {
    let status = match refused {
        NoReceipt::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    let error = ApiError::new(status, refused.code(), refused.to_string());
    match refused {
        NoReceipt::NotFound { .. } => error,
        NoReceipt::NotARefund {
            transaction_id,
            tx_type,
            status,
            ..
        }
        | NoReceipt::NotSuccessful {
            transaction_id,
            tx_type,
            status,
            ..
        } => error
            .with("transactionId", transaction_id)
            .with("type", tx_type.as_str())
            .with("status", status.as_str()),
        NoReceipt::Ambiguous { refunds, .. } => error.with("refunds", refunds),
    }
}

/// Renders on a blocking thread once a render slot is free. Refuses at once when
/// `max_renders` receipts are already rendering or waiting, rather than letting waits pile
/// up behind them.
async fn render(
    app: &Arc<App>,
    found: Found,
    lang: Lang,
    zone: Tz,
    branding: Branding,
) -> Result<Rendered, ApiError> {
    let Ok(admitted) = Arc::clone(&app.renders).try_acquire_owned() else {
        app.metrics.renders_rejected.fetch_add(1, Ordering::Relaxed);
        return Err(ApiError::busy("receipts"));
    };
    let in_flight = InFlight::new(Arc::clone(app));
    let slot = Arc::clone(&app.render_slots)
        .acquire_owned()
        .await
        .map_err(|_| ApiError::internal("the render slots are closed"))?;
    let worker = Arc::clone(app);
    // Once started, a render runs to its end even if the client leaves; it keeps its place
    // in the cap until then.
    tokio::task::spawn_blocking(move || {
        let _held = (admitted, slot, in_flight);
        render_now(&worker, &found, lang, zone, &branding)
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::internal("the receipt renderer failed")))
}

/// Counts a receipt in `recibo_renders_in_flight` for as long as it lives.
struct InFlight(Arc<App>);

impl InFlight {
    fn new(app: Arc<App>) -> InFlight {
        app.metrics
            .renders_in_flight
            .fetch_add(1, Ordering::Relaxed);
        InFlight(app)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .metrics
            .renders_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

fn render_now(
    app: &App,
    found: &Found,
    lang: Lang,
    zone: Tz,
    branding: &Branding,
) -> Result<Rendered, ApiError> {
    let start = Instant::now();
    let refund = &found.refund;
    let input = ReceiptInput {
        refund,
        original: found.original.as_ref(),
        lang,
        zone,
        generated_at: found.generated_at,
        branding,
    };
    let pdf = app
        .renderer
        .receipt(&app.locales, &input, false)
        .1
        .map_err(|e| ApiError::internal(format!("refund {}: {e}", refund.transaction_id)))?;
    for missing in &pdf.missing_glyphs {
        tracing::warn!(
            refund = %missing.refund_id,
            "no shipped font has U+{:04X}; a replacement mark is printed",
            u32::from(missing.character)
        );
    }
    let etag = format!("\"{}\"", sha256_hex(&pdf.bytes));
    app.metrics.receipt_rendered(lang, start.elapsed());
    Ok(Rendered {
        bytes: pdf.bytes,
        etag,
    })
}

/// `If-None-Match`: `*`, or a list of tags compared weakly (a `W/` prefix is ignored), as
/// RFC 9110 asks for this header.
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

fn not_modified(etag: &str, lang: Lang) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let h = response.headers_mut();
    set(h, header::ETAG, etag);
    common_headers(h, lang);
    response
}

fn common_headers(h: &mut HeaderMap, lang: Lang) {
    // Stored by browsers and caches, but checked with the server before each use: a reload
    // may change the data behind the same URL.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
}

fn set(h: &mut HeaderMap, name: impl axum::http::header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let tag = "\"abc\"";
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("\"x\", W/\"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("\"abcd\"", tag));
        assert!(!etag_matches("abc", tag));
    }
}
