//! The web page of `recibo serve`, for support agents and accountants: sign in with a
//! serve token, find a transaction by any of its IDs, filter and page through the
//! transactions, download receipts (one, or every one of a view as a ZIP) and exports.
//!
//! Pages are rendered on the server from the templates in `templates/web/` (compiled into
//! the binary), with every value from the data escaped by the template engine. No script
//! runs: the Content-Security-Policy allows none, and every action is a plain form. A form
//! that changes something (sign in, sign out, language) is a POST, from this site only;
//! every GET only reads. The receipts and exports a page links to are the API's endpoints,
//! which take the session cookie as well as a bearer token.

pub mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use fluent_bundle::FluentArgs;
use minijinja::Value;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::App;
use super::export::{Data, Family, client_address, data, export_request, view_request};
use super::limit::PerAddress;
use super::receipts::preferred_lang;
use super::routes::{ApiError, MAX_URI, query_pairs};
use crate::columns::{self, COLUMNS, Cell, Column, HeaderLang};
use crate::error::{Error, Result};
use crate::locale::{Lang, Locales};
use crate::model::{Transaction, TxType};
use crate::receipt::work::original_among;
pub use session::Sessions;

/// Rows a page of the table shows.
const PAGE_ROWS: usize = 50;
/// Transactions a search's list shows.
const MATCHES_SHOWN: usize = crate::serve::db::MATCHES_KEPT - 1;
/// Sign-in attempts one address may make a minute.
const SIGNINS_PER_MINUTE: u32 = 10;
/// The cookie remembering the page's language.
const LANG_COOKIE: &str = "recibo_lang";
/// The table's columns after the transaction ID, by key.
const TABLE_COLUMNS: [&str; 8] = [
    "transactionType",
    "status",
    "paymentTime",
    "transactionAmountValue",
    "paymentMethodType",
    "acquirer",
    "referenceTransactionId",
    "orderDescription",
];
/// Columns of free text, which the table wraps; every other cell stays on one line.
const FREE_TEXT: [&str; 3] = ["orderDescription", "reason", "rejectReason"];
const TYPES: [&str; 7] = [
    "PAYMENT",
    "REFUND",
    "CAPTURE",
    "CANCEL",
    "AUTHORIZATION",
    "VOID",
    "DISPUTE",
];
const STATUSES: [&str; 5] = ["SUCCESS", "FAIL", "PROCESSING", "CANCELLED", "PENDING"];
/// The filters a view's URL carries, in the order the form lists them.
const FILTERS: [&str; 8] = [
    "from", "to", "tz", "type", "status", "currency", "method", "acquirer",
];
/// Zones offered as the time zone field's suggestions (any IANA name is accepted).
const ZONES: [&str; 8] = [
    "UTC",
    "America/Sao_Paulo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Lisbon",
    "America/New_York",
    "Asia/Tokyo",
];
/// No script, no frame, nothing from elsewhere: the page's own stylesheet, and forms that
/// post back to it.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";
const STYLESHEET: &str = include_str!("../../../templates/web/recibo.css");
const TEMPLATES: [(&str, &str); 6] = [
    (
        "base.html",
        include_str!("../../../templates/web/base.html"),
    ),
    (
        "signin.html",
        include_str!("../../../templates/web/signin.html"),
    ),
    (
        "rows.html",
        include_str!("../../../templates/web/rows.html"),
    ),
    (
        "transactions.html",
        include_str!("../../../templates/web/transactions.html"),
    ),
    (
        "transaction.html",
        include_str!("../../../templates/web/transaction.html"),
    ),
    (
        "matches.html",
        include_str!("../../../templates/web/matches.html"),
    ),
];
const MESSAGE_TEMPLATE: (&str, &str) = (
    "message.html",
    include_str!("../../../templates/web/message.html"),
);

/// What the page's handlers share.
pub(crate) struct Web {
    pub sessions: Sessions,
    signins: PerAddress,
    pages: minijinja::Environment<'static>,
    /// The page's words without arguments in each language, by their id without `web-`
    /// and with `_` for `-` (`t.search_button`).
    words: [Value; 3],
    /// `--public-origin`: the scheme, host and port the page is reached at.
    pub public_origin: Option<String>,
}

impl Web {
    pub fn new(locales: &Locales, idle: Duration, public_origin: Option<String>) -> Result<Web> {
        let mut pages = minijinja::Environment::new();
        for (name, source) in TEMPLATES.into_iter().chain([MESSAGE_TEMPLATE]) {
            pages
                .add_template(name, source)
                .map_err(|e| Error::System(format!("templates/web/{name}: {e}")))?;
        }
        let words = Lang::ALL.map(|lang| {
            let map: std::collections::BTreeMap<String, String> = locales
                .message_ids(lang)
                .into_iter()
                .filter_map(|id| {
                    let short = id.strip_prefix("web-")?.replace('-', "_");
                    Some((short, locales.message(lang, &id)))
                })
                .collect();
            Value::from(Serde(&map))
        });
        Ok(Web {
            sessions: Sessions::new(idle),
            signins: PerAddress::per_minute(SIGNINS_PER_MINUTE),
            pages,
            words,
            public_origin,
        })
    }
}

/// Who is asking and in which language, for every page.
struct Visit {
    lang: Lang,
    signed_in: bool,
    /// The page's own path and query: where the language switch comes back to.
    back: String,
    secure: bool,
}

impl Visit {
    fn of(app: &App, uri: &Uri, headers: &HeaderMap) -> Visit {
        let lang = session::cookie(headers, LANG_COOKIE)
            .and_then(|tag| Lang::negotiate(tag).ok())
            .unwrap_or_else(|| preferred_lang(headers));
        Visit {
            lang,
            signed_in: app.web.sessions.check(headers, &app.tokens),
            back: uri
                .path_and_query()
                .map_or("/".to_string(), |pq| pq.as_str().to_string()),
            secure: served_over_tls(app, headers),
        }
    }
}

/// Whether the request reached the server through TLS (an https `--public-origin`, or a
/// proxy in front that terminated it and says so in `X-Forwarded-Proto`): then cookies
/// are marked Secure. The header can only make a cookie stricter, so a client sending it
/// gains nothing.
fn served_over_tls(app: &App, headers: &HeaderMap) -> bool {
    let public = app.web.public_origin.as_deref();
    public.is_some_and(|origin| origin.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

#[derive(Serialize)]
struct LangChoice {
    tag: &'static str,
    name: &'static str,
}

/// Each language in its own name.
fn languages() -> Vec<LangChoice> {
    Lang::ALL
        .iter()
        .map(|&l| LangChoice {
            tag: l.tag(),
            name: match l {
                Lang::En => "English",
                Lang::ZhCn => "中文",
                Lang::PtBr => "Português",
            },
        })
        .collect()
}

/// Renders page `name` with the context every page has, then `ctx`.
fn page(app: &App, visit: &Visit, status: StatusCode, name: &str, ctx: Value) -> Response {
    let base = minijinja::context! {
        lang => visit.lang.tag(),
        t => app.web.words[visit.lang.index()].clone(),
        languages => Value::from(Serde(languages())),
        signed_in => visit.signed_in,
        back => visit.back.clone(),
    };
    let rendered = app
        .web
        .pages
        .get_template(name)
        .and_then(|t| t.render(minijinja::context! { ..ctx, ..base }));
    match rendered {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, page = name, "page cannot be rendered");
            ApiError::internal("the page cannot be rendered").into_response()
        }
    }
}

/// An HTML answer with the headers every page carries.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h);
    response
}

fn secure_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages show payment data: no cache keeps them.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A 303 to `location`, with `cookies` set.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    secure_headers(h);
    response
}

fn cookie(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(secs) = max_age {
        text.push_str(&format!("; Max-Age={secs}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

/// A POST from a page of this server. The session cookie is SameSite=Strict, so another
/// site's form never carries it; this also turns away a cross-site post where the
/// browser says so (`Sec-Fetch-Site`, `Origin`), the sign-in and language forms included.
/// The page's own origin is `--public-origin` when given (behind a proxy that rewrites
/// `Host`, or to refuse a page reached under another name); else the request's `Host`.
fn from_this_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let value = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (value(header::ORIGIN), public_origin, value(header::HOST)) {
        (None, _, _) => true,
        (Some(origin), Some(public), _) => origin.eq_ignore_ascii_case(public),
        (Some(origin), None, Some(host)) => {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        (Some(_), None, None) => false,
    }
}

fn cross_site() -> Response {
    let mut response = (
        StatusCode::FORBIDDEN,
        "this form may be sent only from recibo's own pages\n",
    )
        .into_response();
    secure_headers(response.headers_mut());
    response
}

/// A path of this server to go back to: never another host (`//host`, `/\host`).
fn local_path(back: &str) -> &str {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.bytes().any(|b| b.is_ascii_control());
    if ok { back } else { "/" }
}

/// To the sign-in page, which comes back to this page afterwards.
fn to_signin(uri: &Uri) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let signin = match here {
        "/" => None,
        here => fitting(format!(
            "/signin?{}",
            query(&[("next".into(), here.into())])
        )),
    };
    see_other(signin.as_deref().unwrap_or("/signin"), &[])
}

/// Where a sign-in goes on to: the `next` page it was given, when that is this server's.
fn next_page(next: &str) -> &str {
    // The links this server makes are ASCII (percent-encoded); anything else could not
    // be a Location header.
    if next.is_empty() || !next.is_ascii() {
        "/"
    } else {
        local_path(next)
    }
}

/// Percent-encodes one path segment; `None` for `.` and `..`, which a browser resolves
/// away however they are encoded.
fn segment(text: &str) -> Option<String> {
    (!matches!(text, "" | "." | "..")).then(|| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    })
}

/// A link of this server, or `None` when it would be longer than a request may be.
fn fitting(href: String) -> Option<String> {
    (href.len() <= MAX_URI).then_some(href)
}

/// The link to a transaction's page. It names the row by ID and type, which tell apart
/// every stored transaction (a refund may carry its payment's ID), and carries the ID in
/// the query, where any text survives the browser; `None` for an ID too long for a link.
fn transaction_href(tx: &Transaction) -> Option<String> {
    fitting(format!(
        "/t?{}",
        query(&[
            ("id".into(), tx.transaction_id.clone()),
            ("type".into(), tx.transaction_type.as_str().into()),
        ])
    ))
}

fn query(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn message(locales: &Locales, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        fluent.set(*name, value.clone());
    }
    locales.message_args(lang, id, &fluent)
}

#[derive(Serialize)]
struct TextCell {
    text: String,
    /// How the table lays it out: `num` (right-aligned, one line), `text` (free text,
    /// wrapped), or `""` (one line).
    class: &'static str,
}

#[derive(Serialize)]
struct Row {
    id: String,
    /// None when the ID cannot be part of a link (see [`transaction_href`]).
    href: Option<String>,
    cells: Vec<TextCell>,
}

fn header_lang(lang: Lang) -> HeaderLang {
    match lang {
        Lang::En => HeaderLang::En,
        Lang::ZhCn => HeaderLang::ZhCn,
        Lang::PtBr => HeaderLang::PtBr,
    }
}

/// A cell as the page shows it: amounts and times in the page's language, times in
/// `zone`, text as it is.
/// `with_zone`: a time names its zone (a field of one transaction); a table's times leave
/// it to the caption.
fn cell_text(
    locales: &Locales,
    lang: Lang,
    zone: Tz,
    with_zone: bool,
    column: &Column,
    tx: &Transaction,
) -> TextCell {
    let (text, number) = match (column.value)(tx) {
        Cell::Empty => (String::new(), false),
        Cell::Text(s) => (s.to_string(), false),
        Cell::Amount(m) => (locales.money(lang, m), true),
        Cell::Currency(c) => (c.code().to_string(), false),
        Cell::Time(t) => {
            let zone = if columns::always_utc(column) {
                Tz::UTC
            } else {
                zone
            };
            let text = if with_zone {
                locales.datetime_with_zone(lang, t, zone)
            } else {
                locales.datetime(lang, t, zone)
            };
            (text, false)
        }
        Cell::Integer(i) => (i.to_string(), true),
    };
    let class = if number {
        "num"
    } else if FREE_TEXT.contains(&column.key) {
        "text"
    } else {
        ""
    };
    TextCell { text, class }
}

fn table_columns() -> Vec<&'static Column> {
    TABLE_COLUMNS
        .iter()
        .filter_map(|key| columns::find(key))
        .collect()
}

/// The table's headers and rows for `transactions`.
fn table(
    locales: &Locales,
    lang: Lang,
    zone: Tz,
    transactions: &[Transaction],
) -> (Vec<&'static str>, Vec<Row>) {
    let shown = table_columns();
    let mut headers =
        vec![columns::find("transactionId").map_or("", |c| c.header(header_lang(lang)))];
    headers.extend(shown.iter().map(|c| c.header(header_lang(lang))));
    let rows = transactions
        .iter()
        .map(|tx| Row {
            id: tx.transaction_id.clone(),
            href: transaction_href(tx),
            cells: shown
                .iter()
                .map(|c| cell_text(locales, lang, zone, false, c, tx))
                .collect(),
        })
        .collect();
    (headers, rows)
}

/// The view's filters as its URL gives them: non-empty values of the known keys.
/// Query pairs, in order.
type Pairs = Vec<(String, String)>;

fn view_filters(uri: &Uri) -> Result<(Pairs, Option<String>), ApiError> {
    let mut filters = Vec::new();
    let mut cursor = None;
    for (key, value) in query_pairs(uri)? {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        if key == "cursor" {
            cursor = Some(value);
        } else {
            filters.push((key, value));
        }
    }
    Ok((filters, cursor))
}

/// The first value of the query parameter `name`.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    query_pairs(uri)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn zone_of(filters: &[(String, String)]) -> Tz {
    filters
        .iter()
        .find(|(k, _)| k == "tz")
        .and_then(|(_, v)| v.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

#[derive(Serialize)]
struct Hidden {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct SetChoice {
    name: String,
    description: String,
}

#[derive(Serialize)]
struct ColumnChoice {
    key: &'static str,
    label: &'static str,
}

/// `GET /`: the filter panel over a page of the transactions, with the view's export and
/// receipt archive.
pub async fn index(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let visit = Visit::of(&app, &uri, &headers);
    if !visit.signed_in {
        return to_signin(&uri);
    }
    let (filters, cursor) = match view_filters(&uri) {
        Ok(v) => v,
        Err(e) => return error_page(&app, &visit, e),
    };
    let zone = zone_of(&filters);
    let lang = visit.lang;
    let f: std::collections::BTreeMap<&str, String> = FILTERS
        .iter()
        .map(|&k| {
            let v = filters
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(",");
            (k, v)
        })
        .collect();
    let listed = match view_request(
        filters
            .iter()
            .cloned()
            .chain(cursor.clone().map(|c| ("cursor".to_string(), c)))
            .collect(),
    ) {
        Ok((filter, cursor)) => match data(&app) {
            Ok(data) => {
                app.read(move || data.listing(&filter, cursor.as_deref(), PAGE_ROWS))
                    .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (status, error, listing) = match listed {
        Ok(listing) => (StatusCode::OK, None, Some(listing)),
        Err(e) => (e.status, Some(e.message), None),
    };
    let items = listing.as_ref().map_or(&[][..], |l| l.items.as_slice());
    let (headers_row, rows) = table(&app.locales, lang, zone, items);
    let next_href = listing.as_ref().and_then(|l| l.next.as_ref()).map(|next| {
        let mut pairs = filters.clone();
        pairs.push(("cursor".into(), next.clone()));
        format!("/?{}", query(&pairs))
    });
    let first_href = cursor.is_some().then(|| format!("/?{}", query(&filters)));
    let hidden: Vec<Hidden> = filters
        .iter()
        .map(|(name, value)| Hidden {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    let column_sets: Vec<SetChoice> = columns::sets::names(app.templates.as_deref())
        .into_iter()
        .filter_map(|name| columns::sets::resolve(&name, app.templates.as_deref()).ok())
        .map(|set| SetChoice {
            name: set.name,
            description: set.description,
        })
        .collect();
    let columns: Vec<ColumnChoice> = COLUMNS
        .iter()
        .map(|c| ColumnChoice {
            key: c.key,
            label: c.header(header_lang(lang)),
        })
        .collect();
    let rows_caption = message(
        &app.locales,
        lang,
        "web-rows",
        &[("count", rows.len().to_string())],
    );
    let times_in = message(
        &app.locales,
        lang,
        "web-times-in",
        &[("zone", zone.name().to_string())],
    );
    let ctx = minijinja::context! {
        f => Value::from(Serde(&f)),
        types => Value::from(Serde(TYPES)),
        statuses => Value::from(Serde(STATUSES)),
        zones => Value::from(Serde(ZONES)),
        headers => Value::from(Serde(&headers_row)),
        rows => Value::from(Serde(&rows)),
        rows_caption,
        times_in,
        next_href,
        first_href,
        hidden => Value::from(Serde(&hidden)),
        column_sets => Value::from(Serde(&column_sets)),
        columns => Value::from(Serde(&columns)),
        error,
    };
    page(&app, &visit, status, "transactions.html", ctx)
}

fn error_page(app: &App, visit: &Visit, e: ApiError) -> Response {
    page(
        app,
        visit,
        e.status,
        "message.html",
        minijinja::context! { error => e.message },
    )
}

/// `GET /signin`.
pub async fn signin_page(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let visit = Visit::of(&app, &uri, &headers);
    let next = query_param(&uri, "next").map_or_else(|| "/".into(), |v| next_page(&v).to_string());
    if visit.signed_in {
        return see_other(&next, &[]);
    }
    // A value shaped like one of this server's cookies: junk set by someone else is no
    // session that ended.
    let had_session = session::cookie(&headers, session::COOKIE)
        .is_some_and(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let failure = had_session.then(|| app.locales.message(visit.lang, "web-signin-expired"));
    page(
        &app,
        &visit,
        StatusCode::OK,
        "signin.html",
        minijinja::context! { failure, next },
    )
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    token: String,
    /// The page to go on to (see [`to_signin`]).
    #[serde(default)]
    next: String,
}

/// `POST /signin`: a token this server accepts opens a session.
pub async fn signin(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<SignIn>,
) -> Response {
    if !from_this_site(&headers, app.web.public_origin.as_deref()) {
        return cross_site();
    }
    let next = next_page(&form.next).to_string();
    let mut visit = Visit::of(&app, &uri, &headers);
    visit.back = fitting(format!(
        "/signin?{}",
        query(&[("next".into(), next.clone())])
    ))
    .unwrap_or_else(|| "/signin".into());
    let failed = |status: StatusCode, failure: String| {
        page(
            &app,
            &visit,
            status,
            "signin.html",
            minijinja::context! { failure, next => next.clone() },
        )
    };
    if let Err(wait) = app.web.signins.admit(client_address(&extensions)) {
        let text = message(
            &app.locales,
            visit.lang,
            "web-signin-limited",
            &[("seconds", wait.to_string())],
        );
        let mut response = failed(StatusCode::TOO_MANY_REQUESTS, text);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let Some(digest) = app.tokens.digest_if_accepted(form.token.as_bytes()) else {
        tracing::info!("web sign-in refused");
        let text = app.locales.message(visit.lang, "web-signin-wrong");
        return failed(StatusCode::UNAUTHORIZED, text);
    };
    let Some(value) = app.web.sessions.open(digest) else {
        return ApiError::internal("no session can be opened").into_response();
    };
    tracing::info!("web sign-in");
    see_other(
        &next,
        &[cookie(session::COOKIE, &value, None, visit.secure)],
    )
}

/// `POST /signout`: ends the session; the cookie is cleared.
pub async fn signout(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !from_this_site(&headers, app.web.public_origin.as_deref()) {
        return cross_site();
    }
    app.web.sessions.close(&headers);
    see_other(
        "/signin",
        &[cookie(
            session::COOKIE,
            "",
            Some(0),
            served_over_tls(&app, &headers),
        )],
    )
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /lang`: the page's language, remembered in a cookie for a year.
pub async fn set_lang(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    if !from_this_site(&headers, app.web.public_origin.as_deref()) {
        return cross_site();
    }
    let back = local_path(&form.back);
    match Lang::negotiate(&form.lang) {
        Ok(lang) => see_other(
            back,
            &[cookie(
                LANG_COOKIE,
                lang.tag(),
                Some(365 * 24 * 3600),
                served_over_tls(&app, &headers),
            )],
        ),
        Err(_) => see_other(back, &[]),
    }
}

/// `GET /search?q=ID`: straight to the transaction an ID names; a list when it names
/// several.
pub async fn search(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let visit = Visit::of(&app, &uri, &headers);
    if !visit.signed_in {
        return to_signin(&uri);
    }
    let q = query_param(&uri, "q")
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    if q.is_empty() {
        return see_other("/", &[]);
    }
    // An ID that is a transaction's own names it, whatever else carries it (its refunds
    // carry a payment's ID as their original transaction ID).
    let own = match family(&app, &q).await {
        Ok(family) => family.own,
        Err(e) => return error_page(&app, &visit, e),
    };
    let found = if own.is_empty() {
        match with_id(&app, &q).await {
            Ok(found) => found,
            Err(e) => return error_page(&app, &visit, e),
        }
    } else {
        own
    };
    if let [tx] = found.as_slice()
        && let Some(href) = transaction_href(tx)
    {
        return see_other(&href, &[]);
    }
    matches_page(&app, &visit, &q, &found)
}

/// The transactions carrying `id`, as a list.
fn matches_page(app: &App, visit: &Visit, id: &str, found: &[Transaction]) -> Response {
    let lang = visit.lang;
    let heading = message(&app.locales, lang, "web-matches", &[("id", id.to_string())]);
    let not_found = message(
        &app.locales,
        lang,
        "web-not-found",
        &[("id", id.to_string())],
    );
    let shown = &found[..found.len().min(MATCHES_SHOWN)];
    let more = (found.len() > MATCHES_SHOWN).then(|| {
        message(
            &app.locales,
            lang,
            "web-matches-more",
            &[("count", MATCHES_SHOWN.to_string())],
        )
    });
    let (headers_row, rows) = table(&app.locales, lang, Tz::UTC, shown);
    let status = if rows.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let ctx = minijinja::context! {
        q => id,
        heading,
        not_found,
        more,
        headers => Value::from(Serde(&headers_row)),
        rows => Value::from(Serde(&rows)),
    };
    page(app, visit, status, "matches.html", ctx)
}

/// The transactions carrying `id` among any of their IDs (a few more than a list shows,
/// to tell that there are more), read off the async threads.
async fn with_id(app: &Arc<App>, id: &str) -> Result<Vec<Transaction>, ApiError> {
    let data: Data = data(app)?;
    let id = id.to_string();
    app.read(move || data.with_id(&id)).await
}

/// `id`'s own rows and the rows referring to it, read off the async threads.
async fn family(app: &Arc<App>, id: &str) -> Result<Family, ApiError> {
    let data: Data = data(app)?;
    let id = id.to_string();
    app.read(move || data.family(&id)).await
}

#[derive(Serialize)]
struct FieldRow {
    key: &'static str,
    label: &'static str,
    text: String,
}

#[derive(Serialize)]
struct ReceiptLink {
    tag: &'static str,
    name: &'static str,
    href: String,
}

/// `GET /t?id=ID&type=TYPE` (and `/t/ID`, the form of earlier links): one transaction's
/// fields, its related transactions, and its receipts. Without a type, an ID that names
/// several transactions (a payment and a refund sharing it) gives their list.
pub async fn transaction(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let id = query_param(&uri, "id").unwrap_or_default();
    transaction_page(app, uri, headers, id).await
}

/// `GET /t/{id}`: as [`transaction`], the ID in the path.
pub async fn transaction_at(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    transaction_page(app, uri, headers, id).await
}

async fn transaction_page(app: Arc<App>, uri: Uri, headers: HeaderMap, id: String) -> Response {
    let visit = Visit::of(&app, &uri, &headers);
    if !visit.signed_in {
        return to_signin(&uri);
    }
    let lang = visit.lang;
    let zone = query_pairs(&uri)
        .ok()
        .map(|pairs| zone_of(&pairs))
        .unwrap_or(Tz::UTC);
    let family_of_id = match family(&app, &id).await {
        Ok(found) => found,
        Err(e) => return error_page(&app, &visit, e),
    };
    let kind = query_param(&uri, "type")
        .filter(|k| !k.trim().is_empty())
        .map(|k| TxType::parse(&k));
    let candidates: Vec<&Transaction> = family_of_id
        .own
        .iter()
        .filter(|tx| kind.as_ref().is_none_or(|k| tx.transaction_type == *k))
        .collect();
    let tx = match candidates.as_slice() {
        [] => {
            let e = ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                message(&app.locales, lang, "web-not-found", &[("id", id.clone())]),
            );
            return error_page(&app, &visit, e);
        }
        [tx] => (*tx).clone(),
        // Several rows of one ID and type come only from report files listing a
        // transaction twice: the first is the one every other lookup takes.
        [tx, ..] if kind.is_some() => (*tx).clone(),
        _ => return matches_page(&app, &visit, &id, &family_of_id.own),
    };
    let same = |r: &Transaction| {
        r.transaction_id == tx.transaction_id && r.transaction_type == tx.transaction_type
    };
    // A payment's related transactions carry its ID as their original; a refund's are its
    // payment and the payment's other refunds.
    let (related, more) = if tx.original_transaction_id.is_empty() {
        let related = family_of_id
            .own
            .iter()
            .chain(&family_of_id.others)
            .filter(|r| r.original_transaction_id == tx.transaction_id && !same(r))
            .cloned()
            .collect::<Vec<_>>();
        (related, family_of_id.more)
    } else {
        match family(&app, &tx.original_transaction_id).await {
            Ok(parent) => {
                let payment = original_among(&tx, &parent.own).cloned();
                let related = payment
                    .into_iter()
                    .chain(
                        parent
                            .own
                            .iter()
                            .chain(&parent.others)
                            .filter(|r| {
                                r.original_transaction_id == tx.original_transaction_id && !same(r)
                            })
                            .cloned(),
                    )
                    .collect();
                // The rows left out may count this refund itself.
                let read = parent.own.iter().chain(&parent.others).any(same);
                let more = if read {
                    parent.more
                } else {
                    parent.more.saturating_sub(1)
                };
                (related, more)
            }
            Err(e) => return error_page(&app, &visit, e),
        }
    };
    let related_more = (more > 0).then(|| {
        message(
            &app.locales,
            lang,
            "web-related-more",
            &[("count", more.to_string())],
        )
    });
    let fields: Vec<FieldRow> = COLUMNS
        .iter()
        .filter(|c| !matches!((c.value)(&tx), Cell::Empty))
        .map(|c| FieldRow {
            key: c.key,
            label: c.header(header_lang(lang)),
            text: cell_text(&app.locales, lang, zone, true, c, &tx).text,
        })
        .collect();
    let receipt_path = segment(&tx.transaction_id)
        .map(|id| format!("/v1/refunds/{id}/receipt.pdf"))
        .filter(|path| path.len() + 64 <= MAX_URI);
    let (receipts, no_receipt) = if tx.is_successful_refund()
        && let Some(path) = receipt_path
    {
        let links = languages()
            .into_iter()
            .map(|l| ReceiptLink {
                tag: l.tag,
                name: l.name,
                href: format!(
                    "{path}?{}",
                    query(&[
                        ("lang".into(), l.tag.into()),
                        ("tz".into(), zone.name().into())
                    ])
                ),
            })
            .collect::<Vec<_>>();
        (links, None)
    } else if tx.is_successful_refund() {
        (
            Vec::new(),
            Some(message(&app.locales, lang, "web-no-receipt-link", &[])),
        )
    } else if tx.transaction_type != TxType::Refund {
        let kind = tx.transaction_type.as_str().to_string();
        (
            Vec::new(),
            Some(message(
                &app.locales,
                lang,
                "web-no-receipt-kind",
                &[("kind", kind)],
            )),
        )
    } else {
        let status = tx.status.as_str().to_string();
        (
            Vec::new(),
            Some(message(
                &app.locales,
                lang,
                "web-no-receipt-status",
                &[("status", status)],
            )),
        )
    };
    let heading = message(
        &app.locales,
        lang,
        "web-transaction",
        &[("id", tx.transaction_id.clone())],
    );
    let (headers_row, rows) = table(&app.locales, lang, zone, &related);
    let ctx = minijinja::context! {
        heading,
        fields => Value::from(Serde(&fields)),
        receipts => Value::from(Serde(&receipts)),
        no_receipt,
        related_more,
        headers => Value::from(Serde(&headers_row)),
        rows => Value::from(Serde(&rows)),
    };
    page(&app, &visit, StatusCode::OK, "transaction.html", ctx)
}

/// `GET /export?<filters>&set=&col=&order=&format=&header_lang=&bom=`: the export form,
/// turned into the export endpoint's URL (checked first, so a mistake is shown on a page
/// rather than as JSON) and sent there.
pub async fn export_form(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let visit = Visit::of(&app, &uri, &headers);
    if !visit.signed_in {
        return to_signin(&uri);
    }
    let pairs = match query_pairs(&uri) {
        Ok(p) => p,
        Err(e) => return error_page(&app, &visit, e),
    };
    let mut api: Vec<(String, String)> = Vec::new();
    let (mut set, mut picked, mut order) = (String::new(), Vec::new(), String::new());
    for (key, value) in pairs {
        let value = value.trim().to_string();
        match key.as_str() {
            "set" => set = value,
            "col" => picked.push(value),
            "order" => order = value,
            _ if value.is_empty() => {}
            _ => api.push((key, value)),
        }
    }
    let columns = if !order.is_empty() {
        order
    } else if set == "custom" {
        picked.retain(|c| !c.is_empty());
        picked.join(",")
    } else if set.is_empty() {
        "default".to_string()
    } else {
        set
    };
    if !columns.is_empty() {
        api.push(("columns".into(), columns));
    }
    let target = format!("{}?{}", super::routes::EXPORT, query(&api));
    let checked = target
        .parse::<Uri>()
        .map_err(|_| ApiError::bad_request("the export's settings cannot form a URL"))
        .and_then(|u| export_request(&u, app.templates.as_deref()));
    match checked {
        Ok(_) => see_other(&target, &[]),
        Err(e) => error_page(&app, &visit, e),
    }
}

/// `GET /assets/recibo.css`.
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn going_back_stays_on_this_server() {
        assert_eq!(local_path("/?type=REFUND"), "/?type=REFUND");
        assert_eq!(local_path("/t/2026"), "/t/2026");
        for away in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "",
            "x",
            "/\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(local_path(away), "/", "{away:?}");
        }
    }

    #[test]
    fn a_cross_site_post_is_told_apart() {
        let mut h = HeaderMap::new();
        assert!(
            from_this_site(&h, None),
            "a client that sends neither header"
        );
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(from_this_site(&h, None));
        let public = Some("https://receipts.example.com");
        assert!(
            !from_this_site(&h, public),
            "the configured origin, not Host"
        );
        h.insert(
            header::ORIGIN,
            "https://receipts.example.com".parse().unwrap(),
        );
        assert!(
            from_this_site(&h, public),
            "through a proxy that rewrote Host"
        );
        assert!(!from_this_site(&h, None));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!from_this_site(&h, None));
        h.insert(header::HOST, "evil.example".parse().unwrap());
        assert!(from_this_site(&h, None), "a name the server does not know");
        assert!(
            !from_this_site(&h, public),
            "refused once the origin is known"
        );
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(!from_this_site(&h, None));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!from_this_site(&h, None));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(from_this_site(&h, None));
    }

    #[test]
    fn every_page_template_renders_in_every_language() {
        let locales = Locales::new().unwrap();
        let web = Web::new(&locales, Duration::from_secs(60), None).unwrap();
        for lang in Lang::ALL {
            let words = &web.words[lang.index()];
            for id in ["signin", "search_button", "transactions", "zip", "download"] {
                let word = words.get_attr(id).unwrap();
                assert!(
                    !word.is_undefined() && !word.to_string().is_empty(),
                    "{lang:?} {id}"
                );
            }
        }
    }
}
