//! TODO
pub type Result<T, E = Error> = std::result::Result<T, E>;
#[derive(Debug, thiserror::Error)]
pub enum Error { #[error("{0}")] Usage(String) }
