//! Bearer tokens: taken from the environment and/or a file, kept only as SHA-256 digests,
//! and compared in constant time. No token, nor any part of one, is ever logged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The environment variable holding a token.
pub const ENV_TOKEN: &str = "RECIBO_SERVE_TOKEN";

/// Shorter tokens can be guessed by whoever can reach the port.
pub const MIN_TOKEN_LEN: usize = 16;

/// Where tokens come from; read again on SIGHUP so a token can be rotated.
#[derive(Clone, Debug, Default)]
pub struct TokenSources {
    /// The value of [`ENV_TOKEN`] at start (the environment does not change later).
    pub env: Option<String>,
    /// One token per line; blank lines and lines starting with `#` are skipped.
    pub file: Option<PathBuf>,
}

/// The accepted tokens.
pub struct Tokens {
    sources: TokenSources,
    digests: RwLock<Arc<Vec<[u8; 32]>>>,
}

impl Tokens {
    pub fn load(sources: TokenSources) -> Result<Tokens> {
        let digests = read_tokens(&sources)?;
        Ok(Tokens {
            sources,
            digests: RwLock::new(Arc::new(digests)),
        })
    }

    /// Reads the token file again; on error the tokens in use stay.
    pub fn reload(&self) -> Result<usize> {
        let digests = read_tokens(&self.sources)?;
        let count = digests.len();
        *self.digests.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(digests);
        Ok(count)
    }

    /// Whether an `Authorization` header value carries an accepted bearer token. Every
    /// accepted token is compared, whatever the earlier ones gave, so the time taken says
    /// nothing about which bytes matched.
    pub fn allows(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = authorization.and_then(bearer) else {
            return false;
        };
        self.accepts_digest(&Sha256::digest(token).into())
    }

    /// The digest of `token` when it is accepted: what a web session keeps, so that a
    /// session ends when its token is taken out of the token file.
    pub fn digest_if_accepted(&self, token: &[u8]) -> Option<[u8; 32]> {
        let presented: [u8; 32] = Sha256::digest(token.trim_ascii()).into();
        self.accepts_digest(&presented).then_some(presented)
    }

    /// Whether a token with this digest is accepted, comparing every accepted one.
    pub fn accepts_digest(&self, presented: &[u8; 32]) -> bool {
        let digests = Arc::clone(&self.digests.read().unwrap_or_else(|p| p.into_inner()));
        let mut any = 0u8;
        for accepted in digests.iter() {
            any |= equal(presented, accepted);
        }
        any == 1
    }
}

/// The token of `Bearer <token>` (the scheme is case-insensitive).
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// 1 when equal, else 0, looking at every byte. Both sides are digests, so their length
/// is fixed and reveals nothing about the token's.
fn equal(a: &[u8; 32], b: &[u8; 32]) -> u8 {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // Keeps the optimiser from turning the loop into an early-exit comparison.
    let diff = std::hint::black_box(diff);
    u8::from(diff == 0)
}

fn read_tokens(sources: &TokenSources) -> Result<Vec<[u8; 32]>> {
    let mut tokens: Vec<(String, String)> = Vec::new();
    if let Some(value) = &sources.env {
        let value = value.trim();
        if !value.is_empty() {
            tokens.push((ENV_TOKEN.to_string(), value.to_string()));
        }
    }
    if let Some(path) = &sources.file {
        tokens.extend(read_file(path)?);
    }
    if tokens.is_empty() {
        return Err(Error::usage(format!(
            "no bearer token: set {ENV_TOKEN} or give --token-file (one token per line)"
        )));
    }
    for (origin, token) in &tokens {
        if token.len() < MIN_TOKEN_LEN {
            return Err(Error::usage(format!(
                "{origin}: a token must be at least {MIN_TOKEN_LEN} characters long"
            )));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::usage(format!(
                "{origin}: a token may hold only visible ASCII characters (no spaces)"
            )));
        }
    }
    Ok(tokens
        .iter()
        .map(|(_, t)| Sha256::digest(t.as_bytes()).into())
        .collect())
}

fn read_file(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--token-file {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, line)| (i, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            (
                format!("--token-file {} line {}", path.display(), i + 1),
                line.to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "s3cret-token-0123456789";

    fn tokens(env: &str) -> Tokens {
        Tokens::load(TokenSources {
            env: Some(env.into()),
            file: None,
        })
        .unwrap()
    }

    #[test]
    fn only_an_accepted_bearer_token_passes() {
        let t = tokens(GOOD);
        assert!(t.allows(Some(format!("Bearer {GOOD}").as_bytes())));
        assert!(t.allows(Some(format!("bearer  {GOOD} ").as_bytes())));
        assert!(!t.allows(None));
        assert!(!t.allows(Some(b"Bearer ")));
        assert!(!t.allows(Some(GOOD.as_bytes())));
        assert!(!t.allows(Some(format!("Basic {GOOD}").as_bytes())));
        assert!(!t.allows(Some(format!("Bearer {GOOD}x").as_bytes())));
        assert!(!t.allows(Some(b"Bearer s3cret-token-012345678")));
    }

    #[test]
    fn files_hold_several_tokens_and_short_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(
            &path,
            format!("# rotated monthly\n\n{GOOD}\nanother-token-abcdefgh\n"),
        )
        .unwrap();
        let t = Tokens::load(TokenSources {
            env: None,
            file: Some(path.clone()),
        })
        .unwrap();
        assert!(t.allows(Some(b"Bearer another-token-abcdefgh")));
        assert!(t.allows(Some(format!("Bearer {GOOD}").as_bytes())));

        std::fs::write(&path, "short\n").unwrap();
        let err = t.reload().unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("16"), "{err}");
        assert!(
            t.allows(Some(format!("Bearer {GOOD}").as_bytes())),
            "a failed reload keeps the tokens"
        );
        assert!(
            !err.contains("short"),
            "messages never quote a token: {err}"
        );
        assert!(Tokens::load(TokenSources::default()).is_err());
    }
}
