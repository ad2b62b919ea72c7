//! Refund receipts: localized content, laid out and rendered to PDF.

pub mod bulk;
pub mod compare;
pub mod content;
pub mod fonts;
pub mod layout;
pub mod lines;
pub mod page;
pub mod pdf;
pub mod read;
pub mod sign;
pub mod slim_font;
pub mod stamp;
pub mod svg;
pub mod template;
pub mod work;
