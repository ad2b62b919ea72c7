//! recibo: transaction detail reports and localized refund receipts.
//!
//! The modules follow the data flow: a [`source`] yields [`model::Transaction`]s, a
//! [`filter`] keeps some, and a sink writes them: [`sink`] for CSV/XLSX/JSONL exports,
//! [`receipt`] for PDF refund receipts. [`columns`] names what an export can show;
//! [`locale`] owns every localized string, number and date; [`cli`] turns flags into
//! validated configuration and runs one subcommand.

pub mod cli;
pub mod columns;
pub mod error;
pub mod filter;
pub mod fuzzing;
pub mod job;
pub mod locale;
pub mod model;
pub mod output;
pub mod receipt;
pub mod request;
pub mod sample;
pub mod serve;
pub mod sink;
pub mod source;
pub mod store;

pub use error::{Error, Result};
