//! `recibo serve`: receipts and exports over HTTP (see [`crate::serve`]).

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use super::Outcome;
use super::args::InputArgs;
use crate::error::{Error, Result};
use crate::serve::auth::{ENV_TOKEN, TokenSources};

/// Serve receipts and exports over HTTP, and a web page for them.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  RECIBO_SERVE_TOKEN=... recibo serve -i samples/transactions.csv --listen 127.0.0.1:8080
  curl -H \"Authorization: Bearer $T\" -o r.pdf \\
      \"http://127.0.0.1:8080/v1/refunds/2026110100042/receipt.pdf?lang=zh-CN&tz=Asia/Shanghai\"
  curl -H \"Authorization: Bearer $T\" -o x.xlsx \\
      \"http://127.0.0.1:8080/v1/transactions/export?format=xlsx&columns=accounting&type=REFUND&from=2026-10-01&to=2026-11-01\"

Endpoints: GET /v1/refunds/{id}/receipt.pdf?lang=&tz= (any of the refund's IDs; lang or
Accept-Language), GET /v1/transactions/export?format=csv|xlsx|jsonl&columns=&<filters>,
GET /v1/transactions?limit=&cursor=&<filters> (JSON pages), GET /v1/receipts.zip?lang=&<filters>
(every receipt of a view, streamed), GET /healthz, GET /metrics.
Filters are the export command's flags without dashes: from, to, tz, currency, type, method,
acquirer, status, id, related, shard.

A web page at / lets support agents and accountants sign in with a token, find a transaction
by any ID, filter, and download receipts and exports from a browser; its session cookie
ends on sign-out or after --session-idle minutes unused.

Every endpoint but /healthz needs `Authorization: Bearer <token>` (or the web page's
session), a token from RECIBO_SERVE_TOKEN or --token-file. SIGHUP reloads the input files and the token file (a
reload that fails keeps the old ones); SIGTERM stops after the requests in flight.
The first line on standard output is `listening on http://ADDRESS`.")]
pub struct ServeArgs {
    /// Address to listen on. The default is reachable from this machine only; port 0 picks
    /// a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// File of accepted bearer tokens, one per line (# comments); read again on SIGHUP.
    /// Adds to RECIBO_SERVE_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Receipt template: `default`, a NAME in templates/receipts/, or a FILE.toml; repeat
    /// it for several (a template with a `merchants` list is for those merchants).
    #[arg(long = "template", value_name = "NAME|FILE")]
    pub receipt_templates: Vec<String>,

    /// Put a QR code of this URL on each receipt, `{code}` standing for its verification
    /// code; a template's `verify_url` wins. Needs RECIBO_RECEIPT_KEY.
    #[arg(long, value_name = "URL")]
    pub verify_url: Option<String>,

    #[command(flatten)]
    pub sign: super::args::SignArgs,

    /// Receipts rendering or queued at once; more get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_renders: usize,

    /// Threads rendering receipts (default: one per core).
    #[arg(long, value_name = "N")]
    pub render_threads: Option<usize>,

    /// Exports written at once; more get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_exports: usize,

    /// Exports one client address may have running at once (within --max-exports); more
    /// get 503. Clients behind one proxy share an address.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub max_exports_per_client: usize,

    /// Seconds an export or a receipts ZIP waits for a client to take its next 16 KiB before
    /// it gives up and frees its slot: a client that keeps reading at least that keeps its
    /// download.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub send_timeout: u64,

    /// Seconds a request may take to its response head; longer ones get 503.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub request_timeout: u64,

    /// Largest page of GET /v1/transactions.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_page: usize,

    /// Minutes a web page session may go unused before it ends (signing in again).
    #[arg(long, value_name = "MINUTES", default_value_t = 30)]
    pub session_idle: u64,

    /// Where people reach the web page, as scheme, host and port
    /// (https://receipts.example.com). Its forms are then accepted only from that origin,
    /// whatever Host a proxy in front sends; without it, from the request's own Host.
    #[arg(long, value_name = "URL")]
    pub public_origin: Option<String>,

    /// Folder of extra column sets (NAME.toml) for `columns=`.
    #[arg(long, value_name = "DIR", env = "RECIBO_TEMPLATES")]
    pub templates: Option<PathBuf>,

    // Report files (-i), and/or --gateway: the gateway is asked for refunds the files do not
    // hold, per request, through a small cache.
    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    /// IANA zone of spreadsheet date cells read without an offset (requests choose the zone
    /// of their own output with `tz=`).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    /// Refunds fetched from the gateway that are kept for reuse.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1024,
        help_heading = "Gateway"
    )]
    pub gateway_cache: usize,

    /// Seconds a refund fetched from the gateway is reused before it is asked for again.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        help_heading = "Gateway"
    )]
    pub gateway_cache_ttl: u64,
}

pub fn run(args: &ServeArgs) -> Result<Outcome> {
    let config = validate(args)?;
    let requests = crate::serve::run(config)?;
    Ok(Outcome {
        summary: format!("stopped after {requests} requests"),
        skipped: 0,
    })
}

fn validate(args: &ServeArgs) -> Result<crate::serve::Config> {
    let zone = args
        .tz
        .parse::<crate::request::Zone>()
        .map_err(super::config::flag_error)?
        .0;
    if args.input.db_query.is_some() {
        // serve looks rows up by every ID through recibo's own indexes.
        return Err(Error::usage(
            "--db-query: serve answers from recibo's own store; load the query's rows with \
             `recibo export --db URL --db-query FILE.sql -o rows.jsonl` and `recibo import`",
        ));
    }
    // `--db`, or `RECIBO_DB` when neither files nor the gateway are named.
    let db = match args.input.request().db {
        Some(url) if !args.input.inputs.is_empty() => {
            return Err(Error::usage(format!(
                "--db {}: serve reads a store or report files (-i), not both",
                crate::store::DbUrl::parse(&url)?
            )));
        }
        Some(url) => Some(crate::store::DbUrl::parse(&url)?),
        None => None,
    };
    let source = if args.input.inputs.is_empty() {
        None
    } else {
        if args.input.inputs.iter().any(|i| i == "-") {
            return Err(Error::usage(
                "serve reads its inputs again on SIGHUP: name files, not standard input",
            ));
        }
        Some(args.input.validate(zone)?)
    };
    if args.input.orders.is_some() || args.input.orders_from.is_some() {
        return Err(Error::usage(
            "--orders and --orders-from are for batch commands; serve asks the gateway for each refund requested",
        ));
    }
    let gateway = if args.input.gateway {
        Some(args.input.gateway_config()?)
    } else {
        None
    };
    if args.max_renders == 0 || args.max_exports == 0 || args.max_exports_per_client == 0 {
        return Err(Error::usage(
            "--max-renders, --max-exports and --max-exports-per-client must be at least 1",
        ));
    }
    if args.request_timeout == 0 || args.send_timeout == 0 {
        return Err(Error::usage(
            "--request-timeout and --send-timeout must be at least 1 second",
        ));
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let branding = crate::receipt::template::Branding::new(
        &args.receipt_templates,
        None,
        args.verify_url.as_deref(),
    )?
    .with_signer(args.sign.signer()?);
    if let Some(signer) = branding.signer() {
        signer
            .check_time(chrono::Utc::now())
            .map_err(|e| Error::usage(e.to_string()))?;
    }
    Ok(crate::serve::Config {
        branding,
        listen: listen_address(&args.listen)?,
        source,
        db,
        gateway,
        gateway_cache: args.gateway_cache,
        gateway_ttl: Duration::from_secs(args.gateway_cache_ttl),
        tokens: TokenSources {
            env: std::env::var(ENV_TOKEN).ok(),
            file: args.token_file.clone(),
        },
        max_renders: args.max_renders,
        render_threads: args.render_threads.unwrap_or(cores).max(1),
        max_exports: args.max_exports,
        max_exports_per_client: args.max_exports_per_client,
        send_timeout: Duration::from_secs(args.send_timeout),
        request_timeout: Duration::from_secs(args.request_timeout),
        templates: args.templates.clone(),
        max_page: args.max_page.max(1),
        session_idle: Duration::from_secs(args.session_idle.max(1).saturating_mul(60)),
        public_origin: args
            .public_origin
            .as_deref()
            .map(public_origin)
            .transpose()?,
    })
}

/// `--public-origin`: `http(s)://host[:port]`, as a browser's `Origin` header writes it.
fn public_origin(text: &str) -> Result<String> {
    let origin = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    // A host name, an IPv4 address or a bracketed IPv6 address, then an optional port.
    let well_formed = |host: &str| {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !name.ends_with(':') && !port.contains(']') => (name, Some(port)),
            _ => (host, None),
        };
        let name_ok = if let Some(v6) = name.strip_prefix('[') {
            v6.strip_suffix(']')
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        };
        let port_ok =
            port.is_none_or(|p| !p.starts_with('0') && p.parse::<u16>().is_ok_and(|n| n > 0));
        name_ok && port_ok
    };
    match host {
        Some(host) if well_formed(host) => {
            // As a browser writes it: without the scheme's default port.
            let origin = origin
                .strip_suffix(":443")
                .filter(|o| o.starts_with("https://"))
                .or_else(|| {
                    origin
                        .strip_suffix(":80")
                        .filter(|o| o.starts_with("http://"))
                })
                .unwrap_or(&origin);
            Ok(origin.to_string())
        }
        _ => Err(Error::usage(format!(
            "--public-origin {text:?}: give a scheme and host (and port), such as https://receipts.example.com"
        ))),
    }
}

fn listen_address(text: &str) -> Result<SocketAddr> {
    let bad = |why: String| Error::usage(format!("--listen {text:?}: {why}; e.g. 127.0.0.1:8080"));
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .next()
        .ok_or_else(|| bad("names no address".into()))
}

#[cfg(test)]
mod tests {
    use super::public_origin;

    #[test]
    fn a_public_origin_is_written_as_a_browser_sends_it() {
        for (given, origin) in [
            (
                "https://Receipts.Example.com/",
                "https://receipts.example.com",
            ),
            (
                "https://receipts.example.com:443",
                "https://receipts.example.com",
            ),
            ("http://10.0.0.5:80", "http://10.0.0.5"),
            (
                "https://receipts.example.com:8443",
                "https://receipts.example.com:8443",
            ),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(public_origin(given).unwrap(), origin, "{given}");
        }
        for bad in [
            "https://:",
            "https://a:b:c",
            "https://receipts.example.com:0443",
            "https://receipts.example.com:70000",
            "https://recibos.exemplo.com.br:",
            "https://bücher.example",
            "receipts.example.com",
            "https://",
            "https://receipts.example.com/path",
            "https://user@receipts.example.com",
            "ftp://receipts.example.com",
            "https://receipts.example.com?x",
        ] {
            assert!(public_origin(bad).is_err(), "{bad}");
        }
    }
}
