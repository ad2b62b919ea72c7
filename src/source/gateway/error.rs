//! What can go wrong fetching one order or refund. Every error names what was asked for and
//! how many times it was retried; none carries the secret or the token.

use std::fmt;

/// What a request asked the gateway for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Order(String),
    Refund(String),
}

impl Target {
    pub fn id(&self) -> &str {
        match self {
            Target::Order(id) | Target::Refund(id) => id,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Order(id) => write!(f, "order {id:?}"),
            Target::Refund(id) => write!(f, "refund {id:?}"),
        }
    }
}

/// Formats " (after N retries)" when the request was retried.
struct Retried(u32);

impl fmt::Display for Retried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => f.write_str(" (after 1 retry)"),
            n => write!(f, " (after {n} retries)"),
        }
    }
}

fn retried(n: &u32) -> Retried {
    Retried(*n)
}

fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// errorCode 36: the gateway has no such transaction.
    #[error("{target}: not found at the gateway (errorCode 36{}){}", colon(.message), retried(.retries))]
    NotFound {
        target: Target,
        message: String,
        retries: u32,
    },
    /// A non-zero `errorCode` other than 36.
    #[error("{target}: gateway errorCode {code}{}{}", colon(.message), retried(.retries))]
    Api {
        target: Target,
        code: i64,
        message: String,
        retries: u32,
    },
    /// An HTTP status other than 2xx and 401.
    #[error("{target}: HTTP {status}{}{}", colon(.message), retried(.retries))]
    Http {
        target: Target,
        status: u16,
        message: String,
        retries: u32,
    },
    /// HTTP 401 even with a freshly signed token: the credentials are wrong.
    #[error(
        "{target}: the gateway rejected the token (HTTP 401{}){}; check the partner code, API key and secret key",
        colon(.message), retried(.retries)
    )]
    Unauthorized {
        target: Target,
        message: String,
        retries: u32,
    },
    #[error("{target}: no complete answer within the request timeout{}", retried(.retries))]
    Timeout { target: Target, retries: u32 },
    /// The connection failed or dropped.
    #[error("{target}: cannot reach the gateway: {message}{}", retried(.retries))]
    Connection {
        target: Target,
        message: String,
        retries: u32,
    },
    /// The body is not the JSON the API documents.
    #[error("{target}: malformed response: {message}{}", retried(.retries))]
    Malformed {
        target: Target,
        message: String,
        retries: u32,
    },
    /// Well-formed JSON whose values cannot be taken as they are (a fractional VND amount).
    #[error("{target}: unusable data: {message}")]
    InvalidData {
        target: Target,
        message: String,
        retries: u32,
    },
    /// Nothing was sent: the configuration, the ID or the HTTP client is unusable.
    #[error("{target}: {message}")]
    Setup { target: Target, message: String },
}

impl GatewayError {
    pub fn target(&self) -> &Target {
        match self {
            GatewayError::NotFound { target, .. }
            | GatewayError::Api { target, .. }
            | GatewayError::Http { target, .. }
            | GatewayError::Unauthorized { target, .. }
            | GatewayError::Timeout { target, .. }
            | GatewayError::Connection { target, .. }
            | GatewayError::Malformed { target, .. }
            | GatewayError::InvalidData { target, .. }
            | GatewayError::Setup { target, .. } => target,
        }
    }

    /// errorCode 36: the order or refund does not exist (for this partner).
    pub fn is_not_found(&self) -> bool {
        matches!(self, GatewayError::NotFound { .. })
    }

    /// How many times the request was repeated before giving up.
    pub fn retries(&self) -> u32 {
        match self {
            GatewayError::NotFound { retries, .. }
            | GatewayError::Api { retries, .. }
            | GatewayError::Http { retries, .. }
            | GatewayError::Unauthorized { retries, .. }
            | GatewayError::Timeout { retries, .. }
            | GatewayError::Connection { retries, .. }
            | GatewayError::Malformed { retries, .. }
            | GatewayError::InvalidData { retries, .. } => *retries,
            GatewayError::Setup { .. } => 0,
        }
    }

    /// Whether the failure was of a kind that may pass (busy, maintenance, 5xx, 429, timeout,
    /// connection): a later run may succeed where this one ran out of retries.
    pub fn is_transient(&self) -> bool {
        match self {
            GatewayError::Api { code, .. } => is_retryable_code(*code),
            GatewayError::Http { status, .. } => *status == 429 || *status >= 500,
            GatewayError::Timeout { .. } | GatewayError::Connection { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn set_retries(&mut self, n: u32) {
        match self {
            GatewayError::NotFound { retries, .. }
            | GatewayError::Api { retries, .. }
            | GatewayError::Http { retries, .. }
            | GatewayError::Unauthorized { retries, .. }
            | GatewayError::Timeout { retries, .. }
            | GatewayError::Connection { retries, .. }
            | GatewayError::Malformed { retries, .. }
            | GatewayError::InvalidData { retries, .. } => *retries = n,
            GatewayError::Setup { .. } => {}
        }
    }
}

/// errorCode 91 (system busy), 94 (maintenance) and 500 (system error) pass with time.
pub(crate) fn is_retryable_code(code: i64) -> bool {
    matches!(code, 91 | 94 | 500)
}

/// errorCode 36: transaction not found.
pub(crate) const NOT_FOUND_CODE: i64 = 36;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_target_and_the_retries() {
        let e = GatewayError::Api {
            target: Target::Order("A/1".into()),
            code: 91,
            message: "busy".into(),
            retries: 4,
        };
        assert_eq!(
            e.to_string(),
            "order \"A/1\": gateway errorCode 91: busy (after 4 retries)"
        );
        assert!(e.is_transient() && !e.is_not_found());
        let e = GatewayError::NotFound {
            target: Target::Refund("R".into()),
            message: String::new(),
            retries: 0,
        };
        assert_eq!(
            e.to_string(),
            "refund \"R\": not found at the gateway (errorCode 36)"
        );
        assert!(e.is_not_found());
    }
}
