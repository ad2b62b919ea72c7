//! The shared store: a PostgreSQL database. Only the URL handling is here so far; opening
//! one is refused with a clear message until the backend lands.

use super::{Access, Batches, DbUrl, Status};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::model::Transaction;

pub struct PgStore {
    pub(crate) url: DbUrl,
}

/// `url` with the password (in `user:password@` or a `password=` parameter) replaced by
/// `***`, and the password in every spelling it takes in `url` (as typed, percent-decoded).
pub(crate) fn redacted(url: &str) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    // The authority ends at the first '/', '?' or '#'; a password holding one of them
    // must be percent-encoded, so the last '@' before it ends the user info.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => {
                secrets.push(password.to_string());
                secrets.push(percent_decoded(password));
                format!("{user}:***@{host}")
            }
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, value)) if key.eq_ignore_ascii_case("password") => {
                        secrets.push(value.to_string());
                        secrets.push(percent_decoded(value));
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    secrets.retain(|s| !s.is_empty());
    (format!("{scheme}://{authority}{tail}"), secrets)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unsupported(url: &DbUrl) -> Error {
    Error::source(
        url,
        "PostgreSQL stores are not supported by this build yet; use sqlite:PATH",
    )
}

impl PgStore {
    pub fn open(url: &DbUrl, _config: &::postgres::Config, _access: Access) -> Result<PgStore> {
        Err(unsupported(url))
    }

    pub fn status(&mut self) -> Result<Status> {
        Err(unsupported(&self.url))
    }

    pub fn read(
        &mut self,
        _filter: &Filter,
        _each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<u64> {
        Err(unsupported(&self.url))
    }
}

impl Batches for PgStore {
    fn write_batch(&mut self, _rows: &[Transaction]) -> std::result::Result<u64, String> {
        Err(unsupported(&self.url).to_string())
    }

    fn count(&mut self) -> std::result::Result<u64, String> {
        Err(unsupported(&self.url).to_string())
    }
}
