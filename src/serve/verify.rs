//! `GET /v/{code}` and `GET /v1/receipts/{code}`: what a customer who scanned a receipt's
//! QR code sees, without a token. A small localized HTML page, or JSON: the refund's ID,
//! receipt number, amount, currency, status and time, and nothing more.
//!
//! The code is an HMAC of the refund under the server's receipt key
//! ([`crate::receipt::template::ReceiptKey`]), so it cannot be worked out from IDs a
//! stranger may know. Every code that names no successful refund (malformed, unknown, or
//! of a refund that has no receipt) gets the same 404, and lookups are limited per client
//! address, so codes cannot be guessed by trying.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::App;
use super::export::client_address;
use super::receipts::receipt_query;
use super::routes::ApiError;
use crate::model::Transaction;
use crate::receipt::content::receipt_number;

/// Lookups one client address may make a minute; more get 429.
pub(crate) const LOOKUPS_PER_MINUTE: u32 = 30;

/// A code as receipts print it: 24 characters of lower-case base32.
fn well_formed(code: &str) -> bool {
    code.len() == 24
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// The successful refund `code` names, after the rate limit. The lookup is a read of the
/// data like a listing's, and waits its turn with them ([`App::read`]).
async fn lookup(
    app: &App,
    code: &str,
    extensions: &Extensions,
) -> Result<Option<Transaction>, ApiError> {
    if let Err(wait) = app.lookups.admit(client_address(extensions)) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many receipt checks from this address; try again shortly",
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let code = code.trim().to_ascii_lowercase();
    let Some(key) = app.branding.key() else {
        return Ok(None);
    };
    if !well_formed(&code) {
        return Ok(None);
    }
    let key = key.clone();
    if let Some(pool) = &app.db {
        let pool = Arc::clone(pool);
        return app
            .read(move || pool.with_code(&key, &code).map_err(ApiError::store))
            .await;
    }
    let Some(store) = &app.store else {
        return Ok(None);
    };
    // The first lookup of a snapshot computes every refund's code.
    let snapshot = store.current();
    app.read(move || Ok(snapshot.with_code(&key, &code).cloned()))
        .await
}

fn unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no receipt has this code",
    )
}

/// `GET /v1/receipts/{code}`.
pub async fn json(
    State(app): State<Arc<App>>,
    Path(code): Path<String>,
    extensions: Extensions,
) -> Result<Response, ApiError> {
    let refund = lookup(&app, &code, &extensions)
        .await?
        .ok_or_else(unknown)?;
    let body = json!({
        "refundId": refund.transaction_id.trim(),
        "receiptNumber": receipt_number(&refund),
        "amount": refund.amount.abs().to_major_string(),
        "currency": refund.amount.currency.code(),
        "status": refund.status.as_str(),
        "refundedAt": refund.payment_time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    });
    let mut response = axum::Json(body).into_response();
    private(response.headers_mut());
    Ok(response)
}

/// `GET /v/{code}`: the same, as a page in the reader's language.
pub async fn page(
    State(app): State<Arc<App>>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
) -> Result<Response, ApiError> {
    let (lang, zone, _) = receipt_query(&uri, &headers, false)?;
    let refund = lookup(&app, &code, &extensions).await?;
    let l = &app.locales;
    let text = |id: &str| escape(&l.message(lang, id));
    let mut body = format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        lang.tag(),
        text("verify-page-title"),
        text("verify-page-title"),
    );
    let status = match &refund {
        Some(refund) => {
            body.push_str(&format!(
                "<p class=\"ok\">{}</p>\n<table>\n",
                text("verify-page-genuine")
            ));
            let rows = [
                ("label-refund-id", refund.transaction_id.trim().to_string()),
                ("label-receipt-number", receipt_number(refund)),
                (
                    "label-refunded-amount",
                    l.money_with_code(lang, refund.amount.abs()),
                ),
                // Only a successful refund has a code.
                ("label-status", l.message(lang, "status-success")),
                (
                    "label-refund-time",
                    l.datetime_with_zone(lang, refund.payment_time, zone),
                ),
            ];
            for (label, value) in rows {
                let label = text(label);
                body.push_str(&format!(
                    "<tr><th scope=\"row\">{label}</th><td>{}</td></tr>\n",
                    escape(&value)
                ));
            }
            body.push_str("</table>\n");
            StatusCode::OK
        }
        None => {
            body.push_str(&format!(
                "<p class=\"unknown\">{}</p>\n",
                text("verify-page-unknown")
            ));
            StatusCode::NOT_FOUND
        }
    };
    body.push_str("</main>\n</body>\n</html>\n");
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No script at all, no outside resources; the page's only style is its own.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    private(h);
    Ok(response)
}

/// A check is about one customer's refund: no shared cache keeps it, and no page of
/// another site may frame it.
fn private(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// Text as HTML: the five characters that could open markup or end an attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#171a1f}\
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}\
h1{font-size:1.3rem;margin-top:0}.ok{color:#1b5e20;font-weight:600}.unknown{color:#8a1c1c}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .2rem;\
border-top:1px solid #d8dce1;vertical-align:top}th{color:#555b63;font-weight:normal;width:45%}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_for_form_and_text_is_escaped() {
        assert!(well_formed("abcdefghijklmnopqrstuv23"));
        assert!(!well_formed("abcdefghijklmnopqrstuv2"));
        assert!(!well_formed("abcdefghijklmnopqrstuv01"));
        assert!(!well_formed("ABCDEFGHIJKLMNOPQRSTUV23"));
        assert_eq!(
            escape("<img onerror='x'>&\""),
            "&lt;img onerror=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
