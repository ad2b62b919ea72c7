//! Sources of transactions: report files (CSV, XLSX, JSONL) and the gateway API.

pub mod gateway;
