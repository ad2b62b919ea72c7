//! What one receipt page shows, already localized and formatted. The renderer only lays
//! it out; it never formats an amount or a date itself.

/// One page of a receipt document.
#[derive(Clone, Debug, PartialEq, Eq)]
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
