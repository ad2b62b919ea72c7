//! Entry points for the fuzz targets in `fuzz/` and the corpus replay test: the parsers
//! that are otherwise reached only through an HTTP server or a gateway connection, taken
//! from bytes in memory. Not part of the command line's behaviour; nothing else calls them.

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use chrono_tz::Tz;

use crate::filter::Filter;
use crate::locale::Lang;
use crate::model::Transaction;
use crate::sink::{ExportOptions, Format};
use crate::source::gateway::{api, map};

/// A request `recibo serve` refuses: the HTTP status and the body's `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn refusal(e: crate::serve::routes::ApiError) -> Refusal {
    Refusal {
        status: e.status.as_u16(),
        code: e.code,
        message: e.message,
    }
}

/// `GET /v1/transactions/export?...`: the filter, options and format the query asks for.
pub fn export_query(uri: &Uri) -> Result<(Filter, ExportOptions, Format), Refusal> {
    crate::serve::export::export_request(uri, None).map_err(refusal)
}

/// `GET /v1/transactions?...`: the filter, and `limit` and `cursor` as given.
pub fn page_query(uri: &Uri) -> Result<(Filter, Option<String>, Option<String>), Refusal> {
    crate::serve::export::page_request(uri).map_err(refusal)
}

/// `GET /v1/refunds/{id}/receipt.pdf?...`: the language, zone and template name, with
/// `Accept-Language` as the fallback for the language.
pub fn receipt_query(
    uri: &Uri,
    accept_language: Option<&[u8]>,
) -> Result<(Lang, Tz, Option<String>), Refusal> {
    let mut headers = HeaderMap::new();
    if let Some(value) = accept_language.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(header::ACCEPT_LANGUAGE, value);
    }
    crate::serve::receipts::receipt_query(uri, &headers, true).map_err(refusal)
}

/// A gateway answer with HTTP 200, as the client reads it: the JSON envelope, its
/// `errorCode`, and the payment with its refunds mapped to transactions.
pub fn gateway_order(requested_id: &str, body: &[u8]) -> Result<Vec<Transaction>, String> {
    let envelope = serde_json::from_slice::<api::Envelope>(body)
        .map_err(|e| format!("not the API's JSON ({e})"))?;
    let code = envelope
        .error_code
        .as_ref()
        .ok_or("no errorCode")?
        .value()
        .ok_or("errorCode is not an integer")?;
    if code != 0 {
        return Err(format!("errorCode {code}: {}", envelope.message_text()));
    }
    let data = match envelope.data {
        Some(data) if data.is_object() => data,
        _ => return Err("errorCode 0 without a data object".into()),
    };
    let data =
        serde_json::from_value::<api::PaymentData>(data).map_err(|e| format!("data: {e}"))?;
    map::order_transactions(requested_id, data)
}
