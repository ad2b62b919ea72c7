//! The report columns a source understands, and how one record's raw text fields become a
//! [`Transaction`]. Shared by the CSV and XLSX readers, which differ only in how they get
//! the text of a field.

use crate::model::time::parse_instant;
use crate::model::{Currency, Money, Transaction, TxStatus, TxType};
// The readers name fields through this module.
pub use crate::model::{Field, FieldSet};

/// Which field sits in which position of a record, read once from the header row.
#[derive(Clone, Debug)]
pub struct FieldMap {
    positions: [Option<usize>; Field::ALL.len()],
    width: usize,
}

impl FieldMap {
    /// Maps header cells to fields. Unknown headers are ignored; a missing required column
    /// is an error naming every missing one.
    pub fn from_headers<'h>(
        headers: impl IntoIterator<Item = &'h str>,
    ) -> Result<FieldMap, String> {
        let mut positions = [None; Field::ALL.len()];
        let mut width = 0;
        for (i, header) in headers.into_iter().enumerate() {
            width = i + 1;
            if let Some(field) = Field::from_header(header) {
                let slot = &mut positions[field as usize];
                if slot.is_some() {
                    return Err(format!(
                        "column {} appears twice in the header",
                        field.key()
                    ));
                }
                *slot = Some(i);
            }
        }
        let missing: Vec<&str> = Field::REQUIRED
            .iter()
            .filter(|f| positions[**f as usize].is_none())
            .map(|f| f.key())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing required column(s): {}",
                missing.join(", ")
            ));
        }
        Ok(FieldMap { positions, width })
    }

    pub fn position(&self, field: Field) -> Option<usize> {
        self.positions[field as usize]
    }

    /// The field at a record position, if the header's cell there is a known column.
    pub fn field_at(&self, position: usize) -> Option<Field> {
        self.present()
            .find(|(_, p)| *p == position)
            .map(|(field, _)| field)
    }

    /// The fields the header has, with their positions.
    pub fn present(&self) -> impl Iterator<Item = (Field, usize)> + '_ {
        Field::ALL
            .into_iter()
            .filter_map(|f| self.position(f).map(|p| (f, p)))
    }

    /// Number of cells in the header row.
    pub fn width(&self) -> usize {
        self.width
    }
}

/// A field that could not be read, named by its column key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn field_error(field: Field, message: impl ToString) -> FieldError {
    FieldError {
        field: field.key(),
        message: message.to_string(),
    }
}

/// Options that change how a field's text is read.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Amounts use `,` as the decimal mark (Brazilian spreadsheets with `;` separators).
    pub decimal_comma: bool,
    /// Free-text fields to copy into the transaction; the others are left empty. Parsed
    /// fields (type, status, time, amounts and currencies) and the transaction ID are read
    /// and checked whatever this says, so leaving out a text field nobody looks at changes
    /// nothing but the work done: a report of 11 columns need not copy 28 strings a row.
    pub text_fields: FieldSet,
    /// Text may carry the `'` recibo's CSV writer puts before a formula start (see
    /// [`undo_formula_guard`]). XLSX exports store text as string cells, which never run,
    /// and add no quote: a workbook's text is read as it is.
    pub formula_guard: bool,
}

/// Fields every record is checked on, whatever [`ReadOptions::text_fields`] says.
pub const PARSED_FIELDS: FieldSet = FieldSet::EMPTY
    .with(Field::TransactionId)
    .with(Field::TransactionType)
    .with(Field::PaymentTime)
    .with(Field::TransactionAmountValue)
    .with(Field::TransactionCurrency)
    .with(Field::SettlementAmountValue)
    .with(Field::SettlementCurrency)
    .with(Field::FeeAmountValue)
    .with(Field::FeeCurrency)
    .with(Field::Status);

impl ReadOptions {
    /// The fields [`fill_transaction`] looks at with these options.
    pub fn fields_read(&self) -> FieldSet {
        PARSED_FIELDS.union(self.text_fields)
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            decimal_comma: false,
            text_fields: FieldSet::ALL,
            formula_guard: true,
        }
    }
}

/// Fills `tx` from one record. `get` returns a field's text, `None` when the column is
/// absent. Every string of `tx` is cleared and refilled in place, so a reader that reuses
/// one `Transaction` allocates nothing per row once its buffers have grown.
pub fn fill_transaction<'r>(
    tx: &mut Transaction,
    get: impl Fn(Field) -> Option<&'r str>,
    options: ReadOptions,
) -> Result<(), FieldError> {
    let text = |f: Field| get(f).unwrap_or("");
    let unguard = |t: &'r str| {
        if options.formula_guard {
            undo_formula_guard(t)
        } else {
            t
        }
    };
    let set = |dst: &mut String, f: Field| {
        dst.clear();
        if options.text_fields.contains(f) {
            dst.push_str(unguard(text(f).trim_ascii()));
        }
    };
    set(&mut tx.customer_id, Field::CustomerId);
    set(&mut tx.acquirer, Field::Acquirer);
    set(&mut tx.acquirer_reference_no, Field::AcquirerReferenceNo);
    set(&mut tx.reference_merchant_id, Field::ReferenceMerchantId);
    set(&mut tx.reference_store_id, Field::ReferenceStoreId);
    tx.transaction_id.clear();
    tx.transaction_id
        .push_str(unguard(text(Field::TransactionId).trim_ascii()));
    set(
        &mut tx.original_transaction_id,
        Field::OriginalTransactionId,
    );
    set(&mut tx.transaction_request_id, Field::TransactionRequestId);
    set(
        &mut tx.reference_transaction_id,
        Field::ReferenceTransactionId,
    );
    tx.order_description.clear();
    if options.text_fields.contains(Field::OrderDescription) {
        // Free text keeps its spaces; only our own formula guard is undone.
        tx.order_description
            .push_str(unguard(text(Field::OrderDescription)));
    }
    set(&mut tx.payment_method_type, Field::PaymentMethodType);
    set(&mut tx.psp_name, Field::PspName);
    set(&mut tx.product_code, Field::ProductCode);
    set(&mut tx.reason, Field::Reason);
    set(&mut tx.order_id, Field::OrderId);
    set(&mut tx.bank_code, Field::BankCode);
    set(&mut tx.refund_type, Field::RefundType);
    set(&mut tx.reject_reason, Field::RejectReason);
    set(&mut tx.merchant_name, Field::MerchantName);

    if tx.transaction_id.is_empty() {
        return Err(field_error(Field::TransactionId, "is empty"));
    }
    // Known values are unit variants: parsing them allocates nothing.
    tx.transaction_type = TxType::parse(text(Field::TransactionType));
    if tx.transaction_type == TxType::Unknown {
        return Err(field_error(Field::TransactionType, "is empty"));
    }
    // A details report without a status column lists settled transactions only.
    tx.status = match get(Field::Status) {
        None => TxStatus::Success,
        Some(s) => TxStatus::parse(s),
    };
    tx.payment_time =
        parse_instant(text(Field::PaymentTime)).map_err(|e| field_error(Field::PaymentTime, e))?;
    tx.amount = parse_money(
        text(Field::TransactionAmountValue),
        text(Field::TransactionCurrency),
        Field::TransactionAmountValue,
        Field::TransactionCurrency,
        options,
    )?
    .ok_or_else(|| field_error(Field::TransactionAmountValue, "is empty"))?;
    tx.settlement = parse_money(
        text(Field::SettlementAmountValue),
        text(Field::SettlementCurrency),
        Field::SettlementAmountValue,
        Field::SettlementCurrency,
        options,
    )?;
    tx.fee = parse_money(
        text(Field::FeeAmountValue),
        text(Field::FeeCurrency),
        Field::FeeAmountValue,
        Field::FeeCurrency,
        options,
    )?;
    Ok(())
}

fn parse_money(
    value: &str,
    currency: &str,
    value_field: Field,
    currency_field: Field,
    options: ReadOptions,
) -> Result<Option<Money>, FieldError> {
    let value = value.trim_ascii();
    if value.is_empty() {
        return Ok(None);
    }
    let currency = Currency::parse(currency).map_err(|e| field_error(currency_field, e))?;
    let parsed = if options.decimal_comma && value.contains(',') {
        Money::parse_major(&value.replacen(',', ".", 1), currency)
    } else {
        Money::parse_major(value, currency)
    };
    parsed.map(Some).map_err(|e| field_error(value_field, e))
}

/// Characters that make a spreadsheet read a text cell as a formula: the ASCII ones, and
/// the full-width forms of `= + - @`, which spreadsheet apps take for the same.
pub const FORMULA_TRIGGERS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// True when text must get a leading `'` in a CSV cell: a spreadsheet would run it as a
/// formula (a trigger first, or after spaces, which spreadsheets skip), or it is quotes
/// followed by such a start (so that [`undo_formula_guard`], which removes one quote, gives
/// it back unchanged).
pub fn needs_formula_guard(text: &str) -> bool {
    // Every text cell of every row passes here: skip quotes and spaces as bytes (both are
    // ASCII, so `start` is a char boundary) and decode one char at most.
    let bytes = text.as_bytes();
    let mut start = bytes
        .iter()
        .position(|&b| b != b'\'')
        .unwrap_or(bytes.len());
    start += bytes[start..].iter().take_while(|&&b| b == b' ').count();
    text[start..].starts_with(FORMULA_TRIGGERS)
}

/// recibo's CSV writer prefixes `'` to text that a spreadsheet would run as a formula;
/// reading such a cell back removes that one quote, so exports re-import unchanged. For
/// every text `t`, this gives back `t` from `'` + `t` when [`needs_formula_guard`] says
/// `t` needs the quote, and from `t` itself when it does not.
pub fn undo_formula_guard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_formula_guard(rest) => rest,
        _ => text,
    }
}
