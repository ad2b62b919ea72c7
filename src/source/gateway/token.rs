//! The gateway's short-lived HS256 JWT, minted from the partner's credentials and shared by
//! every request in flight.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::config::GatewayConfig;

/// The `cty` the gateway expects in the JWT header.
pub const CONTENT_TYPE: &str = "appotapay-api;v=1";

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    jti: String,
    api_key: &'a str,
    exp: u64,
}

/// A signed token. `Debug` hides it: it is a bearer credential for its whole lifetime.
#[derive(Clone)]
pub(crate) struct Token {
    value: Arc<str>,
    /// Bumped on every renewal, so that a 401 renews a given token only once however many
    /// requests carried it.
    pub(crate) generation: u64,
}

impl Token {
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(***, generation {})", self.generation)
    }
}

struct Cached {
    token: Token,
    renew_at: Instant,
}

/// Mints tokens and caches the current one until it nears expiry.
pub(crate) struct TokenSource {
    partner_code: String,
    api_key: String,
    key: EncodingKey,
    ttl: Duration,
    cached: Mutex<Option<Cached>>,
    generation: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("partner_code", &self.partner_code)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot sign the gateway token: {0}")]
pub(crate) struct SignError(String);

impl TokenSource {
    pub(crate) fn new(config: &GatewayConfig) -> TokenSource {
        TokenSource {
            partner_code: config.partner_code.clone(),
            api_key: config.api_key.clone(),
            key: EncodingKey::from_secret(config.secret_key.expose().as_bytes()),
            ttl: config.token_ttl.max(Duration::from_secs(1)),
            cached: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The current token, minted anew when there is none or it is close to expiry.
    pub(crate) fn get(&self) -> Result<Token, SignError> {
        self.get_at(Instant::now())
    }

    /// Drops `stale` (the gateway said 401 to it) unless another request already renewed
    /// it, then returns the current token.
    pub(crate) fn renew(&self, stale: &Token) -> Result<Token, SignError> {
        {
            let mut cached = self.lock();
            if cached
                .as_ref()
                .is_some_and(|c| c.token.generation == stale.generation)
            {
                *cached = None;
            }
        }
        self.get()
    }

    /// The cached token, if any, without minting one.
    pub(crate) fn current(&self) -> Option<Token> {
        self.lock().as_ref().map(|c| c.token.clone())
    }

    fn get_at(&self, now: Instant) -> Result<Token, SignError> {
        let mut cached = self.lock();
        if let Some(c) = cached.as_ref()
            && now < c.renew_at
        {
            return Ok(c.token.clone());
        }
        let token = self.mint()?;
        *cached = Some(Cached {
            token: token.clone(),
            renew_at: now + self.ttl - renewal_margin(self.ttl),
        });
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // A panic while holding the lock leaves at worst a stale cache entry, which the
        // next `get` replaces: the data cannot be inconsistent.
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mint(&self) -> Result<Token, SignError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = Claims {
            iss: &self.partner_code,
            jti: format!("{}-{now}", self.api_key),
            api_key: &self.api_key,
            exp: now + self.ttl.as_secs().max(1),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.cty = Some(CONTENT_TYPE.to_string());
        let value = jsonwebtoken::encode(&header, &claims, &self.key)
            // The crate's errors name a kind, never the key.
            .map_err(|e| SignError(e.to_string()))?;
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        Ok(Token {
            value: value.into(),
            generation,
        })
    }
}

/// How long before expiry a token is replaced: long enough that a token does not expire
/// while a slow request carrying it is still in transit (a fifth of the TTL, at least 30 s),
/// yet never more than half the TTL, so that short-lived tokens are still reused.
fn renewal_margin(ttl: Duration) -> Duration {
    (ttl / 5).max(Duration::from_secs(30)).min(ttl / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::gateway::config::SecretKey;
    use jsonwebtoken::{DecodingKey, Validation};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Decoded {
        iss: String,
        jti: String,
        api_key: String,
        exp: u64,
    }

    fn config(ttl: Duration) -> GatewayConfig {
        let mut c = GatewayConfig::new(
            "http://127.0.0.1:1",
            "PARTNER",
            "KEY-1",
            SecretKey::new("the-secret"),
        );
        c.token_ttl = ttl;
        c
    }

    #[test]
    fn header_and_claims_as_the_gateway_documents() {
        let source = TokenSource::new(&config(Duration::from_secs(300)));
        let token = source.get().unwrap();
        let head = token.expose().split('.').next().unwrap();
        assert_eq!(
            base64_free_decode(head),
            r#"{"typ":"JWT","alg":"HS256","cty":"appotapay-api;v=1"}"#
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["PARTNER"]);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Decoded>(
            token.expose(),
            &DecodingKey::from_secret(b"the-secret"),
            &validation,
        )
        .unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(data.claims.iss, "PARTNER");
        assert_eq!(data.claims.api_key, "KEY-1");
        let issued: u64 = data
            .claims
            .jti
            .strip_prefix("KEY-1-")
            .unwrap()
            .parse()
            .unwrap();
        assert!(issued.abs_diff(now) <= 2);
        assert_eq!(data.claims.exp, issued + 300);
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn cached_until_near_expiry_then_renewed() {
        let source = TokenSource::new(&config(Duration::from_secs(300)));
        let t0 = Instant::now();
        let a = source.get_at(t0).unwrap();
        let b = source.get_at(t0 + Duration::from_secs(200)).unwrap();
        assert_eq!(a.generation, b.generation);
        // 60 s (a fifth of 300 s) before expiry the token is replaced.
        let c = source.get_at(t0 + Duration::from_secs(241)).unwrap();
        assert_ne!(a.generation, c.generation);
    }

    #[test]
    fn renewal_margin_bounds() {
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(60)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(10)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_401_renews_a_token_once() {
        let source = TokenSource::new(&config(Duration::from_secs(300)));
        let stale = source.get().unwrap();
        let fresh = source.renew(&stale).unwrap();
        assert_ne!(stale.generation, fresh.generation);
        // A second request that also got 401 with the stale token keeps the fresh one.
        let again = source.renew(&stale).unwrap();
        assert_eq!(again.generation, fresh.generation);
    }

    /// Decodes unpadded base64url without pulling a base64 crate into the tests.
    fn base64_free_decode(text: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for b in text.bytes() {
            let v = ALPHABET.iter().position(|&a| a == b).unwrap() as u32;
            bits = (bits << 6) | v;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
