//! What one receipt page shows, already localized and formatted. The renderer only lays
//! it out; it never formats an amount or a date itself.

use super::layout::Rgb;
use super::template::{Logo, Paper};

/// One page of a receipt document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptPage {
    /// BCP 47 tag of the page's language (`en`, `zh-CN`, `pt-BR`): the document language.
    pub lang: &'static str,
    /// Small line above the title: the merchant's name, or the acquirer.
    pub brand: String,
    /// `Refund receipt`, `退款凭证`, `Comprovante de estorno`.
    pub title: String,
    /// Line under the title, e.g. the receipt number.
    pub subtitle: String,
    /// Labelled values in sections ("Refund", "Original payment", ...).
    pub sections: Vec<Section>,
    /// Small print at the bottom: generation time, validity note.
    pub footer: Vec<String>,
    /// The refund ID, named in warnings (e.g. a character no shipped font can draw).
    pub refund_id: String,
    /// The issuer's block at the head of the page, from its template: legal name first,
    /// then address, tax ID and support lines. Empty with the default template.
    pub issuer: Vec<String>,
    pub logo: Option<Logo>,
    /// Headings and the header rule in the template's colour; recibo's own when `None`.
    pub accent: Option<Rgb>,
    pub paper: Paper,
    /// The verification QR code, when the template asks for one.
    pub verify: Option<Verify>,
    /// What the page was made from, written into a one-receipt document's metadata.
    pub stamp: Option<super::stamp::Stamp>,
}

/// A QR code of the receipt's verification address, already encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verify {
    pub url: String,
    /// One localized line under the code.
    pub caption: String,
    /// Modules per side.
    pub width: usize,
    /// Row by row, `true` for a dark module; shared by the refund's receipts in every
    /// language.
    pub modules: std::sync::Arc<Vec<bool>>,
}

/// A heading and its rows of a two-column table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub rows: Vec<Row>,
}

/// One label and its value. Either may be long; the renderer wraps, never clips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
}
