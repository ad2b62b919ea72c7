//! Where the gateway is and how to talk to it: credentials from the environment or a TOML
//! file, timeouts, concurrency and the retry policy.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Environment variables read by [`GatewayConfig::from_env`] and [`GatewayConfig::from_file`].
pub const ENV_URL: &str = "RECIBO_GATEWAY_URL";
pub const ENV_PARTNER_CODE: &str = "RECIBO_PARTNER_CODE";
pub const ENV_API_KEY: &str = "RECIBO_API_KEY";
pub const ENV_SECRET_KEY: &str = "RECIBO_SECRET_KEY";

/// The partner's signing secret. Never printed: `Debug` and `Display` show `***`, and it is
/// deliberately not `Serialize`, so a config dump or an error message cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(secret: impl Into<String>) -> SecretKey {
        SecretKey(secret.into())
    }

    /// The secret itself, for signing. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach the gateway API and how hard to try.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Scheme, host and an optional path prefix, e.g. `https://gateway.example.com`.
    pub base_url: String,
    pub partner_code: String,
    pub api_key: String,
    pub secret_key: SecretKey,
    /// Lifetime written into each JWT's `exp`.
    pub token_ttl: Duration,
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub request_timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Further attempts after the first one for a transient failure.
    pub max_retries: u32,
    /// First backoff delay; doubles on each retry, with jitter.
    pub retry_base: Duration,
    /// Longest backoff delay between two attempts.
    pub retry_cap: Duration,
    /// Sent as `X-Language` (`vi` or `en`) when set.
    pub language: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("gateway configuration incomplete: set {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("cannot read gateway configuration {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("gateway configuration {path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("gateway configuration: {0}")]
    Invalid(String),
}

impl GatewayConfig {
    /// A configuration with the default timeouts, concurrency and retry policy.
    pub fn new(
        base_url: impl Into<String>,
        partner_code: impl Into<String>,
        api_key: impl Into<String>,
        secret_key: SecretKey,
    ) -> GatewayConfig {
        GatewayConfig {
            base_url: base_url.into(),
            partner_code: partner_code.into(),
            api_key: api_key.into(),
            secret_key,
            token_ttl: Duration::from_secs(5 * 60),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            concurrency: 8,
            max_retries: 4,
            retry_base: Duration::from_millis(200),
            retry_cap: Duration::from_secs(10),
            language: None,
        }
    }

    /// Reads `RECIBO_GATEWAY_URL`, `RECIBO_PARTNER_CODE`, `RECIBO_API_KEY` and
    /// `RECIBO_SECRET_KEY`. The error names every missing variable, never a value.
    pub fn from_env() -> Result<GatewayConfig, ConfigError> {
        Self::from_lookup(FileValues::default(), |name| std::env::var(name).ok())
    }

    /// Reads a TOML file with keys `url`, `partner_code`, `api_key`, `secret_key` (and
    /// optionally `language`); each of the four environment variables, when set, overrides
    /// its key, so a secret can stay out of the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<GatewayConfig, ConfigError> {
        Self::from_file_with(path.as_ref(), |name| std::env::var(name).ok())
    }

    fn from_file_with(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file = parse_file(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        Self::from_lookup(file, env)
    }

    fn from_lookup(
        file: FileValues,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, ConfigError> {
        let pick = |var: &str, from_file: Option<String>| {
            env(var)
                .filter(|v| !v.trim().is_empty())
                .or(from_file.filter(|v| !v.trim().is_empty()))
        };
        let url = pick(ENV_URL, file.url);
        let partner = pick(ENV_PARTNER_CODE, file.partner_code);
        let api_key = pick(ENV_API_KEY, file.api_key);
        let secret = pick(ENV_SECRET_KEY, file.secret_key);
        let missing: Vec<String> = [
            (ENV_URL, "url", url.is_none()),
            (ENV_PARTNER_CODE, "partner_code", partner.is_none()),
            (ENV_API_KEY, "api_key", api_key.is_none()),
            (ENV_SECRET_KEY, "secret_key", secret.is_none()),
        ]
        .iter()
        .filter(|(_, _, absent)| *absent)
        .map(|(var, key, _)| format!("{var} (or `{key}` in the config file)"))
        .collect();
        match (url, partner, api_key, secret) {
            (Some(url), Some(partner), Some(api_key), Some(secret)) => {
                let mut config = GatewayConfig::new(
                    url.trim(),
                    partner.trim(),
                    api_key.trim(),
                    SecretKey::new(secret.trim()),
                );
                config.language = file.language;
                config.validate()?;
                Ok(config)
            }
            _ => Err(ConfigError::Missing(missing)),
        }
    }

    /// Checks what can be checked without a request: the URL, non-empty credentials, a
    /// non-zero concurrency and TTL, and a language the gateway knows.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| {
            ConfigError::Invalid(format!("gateway URL {:?} is not a URL: {e}", self.base_url))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(ConfigError::Invalid(format!(
                "gateway URL {:?} must start with https:// (or http://)",
                self.base_url
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::Invalid(format!(
                "gateway URL {:?} must not have a query or fragment",
                self.base_url
            )));
        }
        for (name, value) in [
            ("partner code", self.partner_code.as_str()),
            ("API key", self.api_key.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Invalid(format!("the {name} is empty")));
            }
        }
        if self.secret_key.is_empty() {
            return Err(ConfigError::Invalid("the secret key is empty".into()));
        }
        if self.concurrency == 0 {
            return Err(ConfigError::Invalid(
                "concurrency must be at least 1".into(),
            ));
        }
        if self.token_ttl < Duration::from_secs(1) {
            return Err(ConfigError::Invalid(
                "token TTL must be at least 1 s".into(),
            ));
        }
        if let Some(lang) = &self.language
            && !matches!(lang.as_str(), "vi" | "en")
        {
            return Err(ConfigError::Invalid(format!(
                "language {lang:?} is not one the gateway accepts (vi or en)"
            )));
        }
        Ok(())
    }
}

/// Deliberately not `Debug`: it holds the secret as read.
#[derive(Default, Deserialize)]
struct FileValues {
    url: Option<String>,
    partner_code: Option<String>,
    #[serde(default, deserialize_with = "credential")]
    api_key: Option<String>,
    #[serde(default, deserialize_with = "credential")]
    secret_key: Option<String>,
    language: Option<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// A credential of the file: a string. serde's type error would quote the value given
/// (`invalid type: integer `12345``), so a credential of another type is refused without it.
fn credential<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    match toml::Value::deserialize(de)? {
        toml::Value::String(text) => Ok(Some(text)),
        other => Err(serde::de::Error::custom(format!(
            "a credential must be a string in quotes, not {} {}",
            if other.type_str().starts_with(['a', 'i']) {
                "an"
            } else {
                "a"
            },
            other.type_str()
        ))),
    }
}

fn parse_file(text: &str) -> Result<FileValues, String> {
    // The parser's message quotes the offending line, which may hold the secret: keep only
    // its first line, which says what is wrong and where.
    let values: FileValues = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {message}")
            }
            None => message,
        }
    })?;
    if !values.other.is_empty() {
        let keys: Vec<&str> = values.other.keys().map(String::as_str).collect();
        return Err(format!(
            "unknown key(s) {}; expected url, partner_code, api_key, secret_key, language",
            keys.join(", ")
        ));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn debug_and_display_hide_the_secret() {
        let config = GatewayConfig::new(
            "https://gw.example",
            "TEST",
            "key",
            SecretKey::new("s3cr3t-value"),
        );
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert!(debug.contains("***"));
        assert_eq!(config.secret_key.to_string(), "***");
        assert_eq!(format!("{:#?}", config.secret_key), "***");
    }

    #[test]
    fn missing_variables_are_all_named_and_no_value_printed() {
        let err = GatewayConfig::from_lookup(
            FileValues::default(),
            env_of(&[
                (ENV_SECRET_KEY, "topsecret"),
                (ENV_URL, "https://gw.example"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(ENV_PARTNER_CODE) && text.contains(ENV_API_KEY),
            "{text}"
        );
        assert!(
            !text.contains(ENV_SECRET_KEY) && !text.contains("topsecret"),
            "{text}"
        );
    }

    #[test]
    fn env_overrides_the_file() {
        let file = parse_file(
            "url = \"https://file.example\"\npartner_code = \"FILE\"\napi_key = \"k\"\n\
             secret_key = \"from-file\"\nlanguage = \"en\"\n",
        )
        .unwrap();
        let config = GatewayConfig::from_lookup(
            file,
            env_of(&[(ENV_SECRET_KEY, "from-env"), (ENV_PARTNER_CODE, "ENV")]),
        )
        .unwrap();
        assert_eq!(config.base_url, "https://file.example");
        assert_eq!(config.partner_code, "ENV");
        assert_eq!(config.api_key, "k");
        assert_eq!(config.secret_key.expose(), "from-env");
        assert_eq!(config.language.as_deref(), Some("en"));
    }

    #[test]
    fn reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        std::fs::write(
            &path,
            "url = \"https://gw.example\"\npartner_code = \"P\"\napi_key = \"K\"\n",
        )
        .unwrap();
        let err = GatewayConfig::from_file_with(&path, env_of(&[])).unwrap_err();
        assert!(err.to_string().contains(ENV_SECRET_KEY), "{err}");
        let config =
            GatewayConfig::from_file_with(&path, env_of(&[(ENV_SECRET_KEY, " s \n")])).unwrap();
        assert_eq!(config.secret_key.expose(), "s");
        let missing = GatewayConfig::from_file_with(&dir.path().join("nope.toml"), env_of(&[]));
        assert!(matches!(missing, Err(ConfigError::Read { .. })));
    }

    #[test]
    fn file_errors_do_not_quote_the_secret() {
        let err = parse_file("secret_key = \"hunter2\" oops\n").err().unwrap();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.starts_with("line 1"), "{err}");
        let err = parse_file("url = \"x\"\nsecret = \"hunter2\"\n")
            .err()
            .unwrap();
        assert!(err.contains("secret") && !err.contains("hunter2"), "{err}");
        // A secret of digits is not a string; the type error must not echo it.
        for text in [
            "secret_key = 918273645\n",
            "api_key = 918273645\n",
            "secret_key = 9.18273645\n",
        ] {
            let err = parse_file(text).err().unwrap();
            assert!(!err.contains("918273645"), "{err}");
            assert!(err.contains("string in quotes"), "{err}");
        }
        assert_eq!(
            parse_file("secret_key = \"918273645\"\n")
                .ok()
                .unwrap()
                .secret_key
                .as_deref(),
            Some("918273645")
        );
    }

    #[test]
    fn validation() {
        let ok = GatewayConfig::new("http://127.0.0.1:1/p", "P", "K", SecretKey::new("s"));
        assert!(ok.validate().is_ok());
        for bad in ["ftp://x", "not a url", "mailto:a@b", "https://x/?q=1"] {
            let config = GatewayConfig {
                base_url: bad.into(),
                ..ok.clone()
            };
            assert!(config.validate().is_err(), "{bad}");
        }
        let config = GatewayConfig {
            language: Some("fr".into()),
            ..ok.clone()
        };
        assert!(config.validate().is_err());
        let config = GatewayConfig {
            concurrency: 0,
            ..ok
        };
        assert!(config.validate().is_err());
    }
}
