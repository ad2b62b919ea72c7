//! Refund receipts: localized content, laid out and rendered to PDF.

pub mod page;
