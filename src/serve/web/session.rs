//! Web sessions: a random cookie opened by signing in with a serve token, ended by signing
//! out, by going unused for the idle time, or by its token leaving the token file.
//!
//! The cookie's value is 256 random bits; the server keeps only its SHA-256, with the
//! digest of the token that opened it, so neither a token nor a live cookie value is held.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header;
use ring::rand::SecureRandom;
use sha2::{Digest, Sha256};

use crate::serve::auth::Tokens;

/// The session cookie's name.
pub const COOKIE: &str = "recibo_session";
/// Sessions held at most; past this, the longest unused goes first.
const MAX_SESSIONS: usize = 10_000;
/// Sessions one token may hold; past this, its own longest unused goes first, so one
/// token's holder signing in again and again cannot push out everyone else's sessions.
const MAX_PER_TOKEN: usize = 100;

pub struct Sessions {
    idle: Duration,
    open: Mutex<HashMap<[u8; 32], Session>>,
    random: ring::rand::SystemRandom,
}

struct Session {
    /// The digest of the token it was opened with.
    token: [u8; 32],
    last_seen: Instant,
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            open: Mutex::new(HashMap::new()),
            random: ring::rand::SystemRandom::new(),
        }
    }

    /// Opens a session for an accepted token's digest: the cookie value to send.
    pub fn open(&self, token: [u8; 32]) -> Option<String> {
        let mut secret = [0u8; 32];
        self.random.fill(&mut secret).ok()?;
        let value = hex(&secret);
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let of_token = || open.iter().filter(|(_, s)| s.token == token);
        if of_token().count() >= MAX_PER_TOKEN
            && let Some(oldest) = of_token().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k)
        {
            open.remove(&oldest);
        }
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
            if open.len() >= MAX_SESSIONS
                && let Some(oldest) = open
                    .iter()
                    .min_by_key(|(_, s)| s.last_seen)
                    .map(|(k, _)| *k)
            {
                open.remove(&oldest);
            }
        }
        open.insert(
            key(&value),
            Session {
                token,
                last_seen: now,
            },
        );
        Some(value)
    }

    /// Whether the request's session cookie names a live session whose token is still
    /// accepted; a live one is kept alive, a dead one forgotten.
    pub fn check(&self, headers: &HeaderMap, tokens: &Tokens) -> bool {
        // Every value is tried: a cookie of the same name set for a parent domain must
        // not shadow this server's.
        cookies(headers, COOKIE).any(|value| self.check_value(value, tokens))
    }

    fn check_value(&self, value: &str, tokens: &Tokens) -> bool {
        let now = Instant::now();
        let key = key(value);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let Some(session) = open.get_mut(&key) else {
            return false;
        };
        if now.duration_since(session.last_seen) >= self.idle
            || !tokens.accepts_digest(&session.token)
        {
            open.remove(&key);
            return false;
        }
        session.last_seen = now;
        true
    }

    /// Ends the request's session, if it has one.
    pub fn close(&self, headers: &HeaderMap) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for value in cookies(headers, COOKIE) {
            open.remove(&key(value));
        }
    }
}

fn key(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The first value of the cookie `name` among a request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &'static str) -> Option<&'h str> {
    cookies(headers, name).next()
}

/// Every value of the cookie `name` among a request's `Cookie` headers, in order.
fn cookies<'h>(headers: &'h HeaderMap, name: &'static str) -> impl Iterator<Item = &'h str> + 'h {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::auth::TokenSources;

    const TOKEN: &str = "web-session-token-0123";

    /// The tokens of a token file holding `lines`.
    fn tokens_in(file: &std::path::Path, lines: &[&str]) -> Tokens {
        std::fs::write(file, lines.join("\n") + "\n").unwrap();
        Tokens::load(TokenSources {
            env: None,
            file: Some(file.to_path_buf()),
        })
        .unwrap()
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("other=1; {COOKIE}={value}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn a_session_lives_until_closed_idle_or_its_token_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        let tokens = tokens_in(&file, &[TOKEN]);
        let sessions = Sessions::new(Duration::from_secs(60));
        let digest = tokens.digest_if_accepted(TOKEN.as_bytes()).unwrap();
        assert!(tokens.digest_if_accepted(b"not-the-token-at-all").is_none());
        let value = sessions.open(digest).unwrap();
        assert_eq!(value.len(), 64);
        assert_ne!(
            sessions.open(digest).unwrap(),
            value,
            "each sign-in its own"
        );
        assert!(sessions.check(&with_cookie(&value), &tokens));
        assert!(!sessions.check(&with_cookie(&value[1..]), &tokens));
        let shadowed = with_cookie(&format!("junk; {COOKIE}={value}"));
        assert!(sessions.check(&shadowed, &tokens), "a junk value first");
        assert!(!sessions.check(&HeaderMap::new(), &tokens));
        sessions.close(&with_cookie(&value));
        assert!(!sessions.check(&with_cookie(&value), &tokens));

        let value = sessions.open(digest).unwrap();
        std::fs::write(&file, "a-rotated-token-456789\n").unwrap();
        tokens.reload().unwrap();
        assert!(
            !sessions.check(&with_cookie(&value), &tokens),
            "token revoked"
        );

        let idle = Sessions::new(Duration::ZERO);
        let digest = tokens
            .digest_if_accepted(b"a-rotated-token-456789")
            .unwrap();
        let value = idle.open(digest).unwrap();
        assert!(!idle.check(&with_cookie(&value), &tokens), "idle too long");
    }

    #[test]
    fn one_token_signing_in_again_and_again_pushes_out_only_its_own_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = tokens_in(
            &dir.path().join("tokens"),
            &[TOKEN, "second-token-9876543210"],
        );
        let sessions = Sessions::new(Duration::from_secs(600));
        let other = tokens
            .digest_if_accepted(b"second-token-9876543210")
            .unwrap();
        let kept = sessions.open(other).unwrap();
        let busy = tokens.digest_if_accepted(TOKEN.as_bytes()).unwrap();
        let first = sessions.open(busy).unwrap();
        let mut last = String::new();
        for _ in 0..MAX_SESSIONS + 10 {
            last = sessions.open(busy).unwrap();
        }
        assert!(
            sessions.check(&with_cookie(&kept), &tokens),
            "another token's session"
        );
        assert!(sessions.check(&with_cookie(&last), &tokens));
        assert!(
            !sessions.check(&with_cookie(&first), &tokens),
            "its own oldest went"
        );
        let held = sessions.open.lock().unwrap().len();
        assert_eq!(held, MAX_PER_TOKEN + 1);
    }
}
