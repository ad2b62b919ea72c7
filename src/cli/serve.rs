//! `recibo serve` (in progress).

use super::Outcome;
use crate::error::{Error, Result};

/// Serve receipts and exports over HTTP.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: &ServeArgs) -> Result<Outcome> {
    Err(Error::usage("serve is not available yet"))
}
