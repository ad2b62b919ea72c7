//! What a refund receipt says: every label, amount and time, localized, as a
//! [`ReceiptPage`] the renderer lays out without formatting anything itself.
//!
//! Row policy: the rows every receipt must answer (which merchant, which refund of which
//! payment, how much, in what currency, its status and time) always appear, with the
//! placeholder `—` when the data lacks the value. Every other row appears only when its
//! value is known, so a sparse source gives a shorter receipt, never a page of dashes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::FluentArgs;
use sha2::{Digest, Sha256};

use super::page::{ReceiptPage, Row, Section, Verify};
use super::stamp::Stamp;
use super::template::Branding;
use crate::locale::{Lang, Locales};
use crate::model::{Transaction, TxStatus};

/// One receipt to build.
pub struct ReceiptInput<'a> {
    /// The refund the receipt is proof of.
    pub refund: &'a Transaction,
    /// The payment it refunds, when the source has it: gives the original amount and fills
    /// in what the refund's own record lacks (payment method, merchant order ID, ...).
    pub original: Option<&'a Transaction>,
    pub lang: Lang,
    /// Zone the times are shown in; the receipt names it.
    pub zone: Tz,
    /// When the receipt is produced (shown in the footer).
    pub generated_at: DateTime<Utc>,
    /// The templates to pick the refund's from, and the key of its verification code.
    pub branding: &'a Branding,
}

/// The receipt number of a refund: `RR-` and the first 16 hex digits of a SHA-256 over the
/// merchant ID and refund ID, grouped by four (`RR-3F2A-91C0-77B1-0C4D`).
///
/// It depends on nothing but those two IDs, so the same refund gets the same number in
/// every run and every language, and a receipt re-issued later carries the number of the
/// first. The merchant ID is included because refund IDs are only unique per merchant at
/// some acquirers. 64 bits keep collisions negligible (about 1 in 3,700 among 100 million
/// refunds), where 48 bits would already collide more often than not at that scale.
pub fn receipt_number(refund: &Transaction) -> String {
    let mut hash = Sha256::new();
    hash.update(b"recibo refund receipt v1");
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    for part in [refund.customer_id.trim(), refund.transaction_id.trim()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut number = String::with_capacity(23);
    number.push_str("RR");
    for (i, byte) in digest[..8].iter().enumerate() {
        if i % 2 == 0 {
            number.push('-');
        }
        number.push_str(&format!("{byte:02X}"));
    }
    number
}

/// Builds the localized page for `input`. Amounts and times go through `locales` only.
pub fn build_page(locales: &Locales, input: &ReceiptInput) -> ReceiptPage {
    let lang = input.lang;
    let refund = input.refund;
    let original = input.original;
    let text = |id: &str| locales.message(lang, id);
    let either = |field: fn(&Transaction) -> &str| either(refund, original, field);

    let mut rows = Rows::new(locales, lang);
    rows.required("label-refund-id", known(&refund.transaction_id));
    rows.optional(
        "label-refund-request-id",
        known(&refund.transaction_request_id),
    );
    rows.required(
        "label-refunded-amount",
        Some(locales.money_with_code(lang, refund.amount.abs())),
    );
    rows.required(
        "label-currency",
        Some(refund.amount.currency.code().to_string()),
    );
    rows.optional("label-refund-type", refund_type(locales, input));
    rows.optional("label-reason", known(&refund.reason));
    if refund.status != TxStatus::Success {
        rows.optional("label-reject-reason", known(&refund.reject_reason));
    }
    rows.required("label-status", status(locales, lang, &refund.status));
    let refund_time = known_time(refund.payment_time);
    rows.required(
        "label-refund-time",
        refund_time.map(|t| locales.datetime_with_zone(lang, t, input.zone)),
    );
    let zone_at = refund_time.unwrap_or(input.generated_at);
    rows.required(
        "label-time-zone",
        Some(locales.zone_with_offset(lang, zone_at, input.zone)),
    );
    let refund_rows = rows.take();

    rows.required(
        "label-original-payment-id",
        known(&refund.original_transaction_id)
            .or_else(|| original.and_then(|o| known(&o.transaction_id))),
    );
    rows.optional(
        "label-merchant-order-id",
        either(|t| &t.reference_transaction_id).or_else(|| either(|t| &t.order_id)),
    );
    rows.optional(
        "label-payment-method",
        payment_method(locales, lang, refund, original),
    );
    if let Some(o) = original {
        rows.optional(
            "label-original-amount",
            Some(locales.money_with_code(lang, o.amount.abs())),
        );
        rows.optional(
            "label-payment-time",
            known_time(o.payment_time).map(|t| locales.datetime_with_zone(lang, t, input.zone)),
        );
    }
    rows.optional("label-order-description", either(|t| &t.order_description));
    let original_rows = rows.take();

    rows.optional("label-merchant-name", either(|t| &t.merchant_name));
    rows.required("label-merchant-id", either(|t| &t.customer_id));
    rows.optional(
        "label-sub-merchant-id",
        either(|t| &t.reference_merchant_id),
    );
    rows.optional("label-store-id", either(|t| &t.reference_store_id));
    rows.optional("label-acquirer", either(|t| &t.acquirer));
    // The refund's own acquirer reference: the payment's would name another transaction.
    rows.optional(
        "label-acquirer-reference",
        known(&refund.acquirer_reference_no),
    );
    let merchant_rows = rows.take();

    let mut args = FluentArgs::new();
    args.set("number", receipt_number(refund));
    let subtitle = locales.message_args(lang, "receipt-number", &args);

    let mut args = FluentArgs::new();
    args.set(
        "time",
        locales.datetime_with_zone(lang, input.generated_at, input.zone),
    );
    let template = input.branding.template_for(refund);
    // The template's own words replace the note on validity, which only its issuer can give.
    let note = template
        .footer
        .get(lang.tag())
        .cloned()
        .unwrap_or_else(|| text("footer-validity"));
    let footer = vec![
        locales.message_args(lang, "footer-generated-at", &args),
        note,
    ];
    let mut issuer: Vec<String> = template.issuer.iter().cloned().collect();
    issuer.extend(template.address.iter().cloned());
    if let Some(tax) = &template.tax_id {
        issuer.push(format!("{}: {}", tax.label.trim(), tax.value.trim()));
    }
    if let Some(contact) = &template.support {
        let mut args = FluentArgs::new();
        args.set("contact", contact.as_str());
        issuer.push(locales.message_args(lang, "issuer-support", &args));
    }
    let verify = input
        .branding
        .verify_symbol(template, refund)
        .map(|(url, width, modules)| Verify {
            url,
            caption: text("verify-caption"),
            width,
            modules,
        });

    ReceiptPage {
        lang: lang.tag(),
        brand: brand(refund, original),
        title: text("receipt-title"),
        subtitle,
        sections: vec![
            Section {
                heading: text("section-refund"),
                rows: refund_rows,
            },
            Section {
                heading: text("section-original"),
                rows: original_rows,
            },
            Section {
                heading: text("section-merchant"),
                rows: merchant_rows,
            },
        ],
        footer,
        refund_id: refund.transaction_id.trim().to_string(),
        issuer,
        logo: template.logo.clone(),
        accent: template.accent,
        paper: template.paper,
        verify,
        stamp: Some(Stamp {
            refund_id: refund.transaction_id.clone(),
            merchant_id: refund.customer_id.clone(),
            lang: lang.tag().to_string(),
            zone: input.zone.name().to_string(),
            generated_at: input.generated_at,
            template: template.name.clone(),
            // Set by the renderer, which knows.
            pdfa: false,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }),
    }
}

/// The name at the head of the page: the merchant's, or else its merchant ID, from the
/// refund or else the payment. Never the acquirer's or another party's name: a receipt
/// from a source without merchant names (a `reference` export read back) would otherwise
/// present the acquirer as the merchant.
fn brand(refund: &Transaction, original: Option<&Transaction>) -> String {
    either(refund, original, |t| &t.merchant_name)
        .or_else(|| either(refund, original, |t| &t.customer_id))
        .unwrap_or_default()
}

/// A text field of the refund, or else of the original payment.
fn either(
    refund: &Transaction,
    original: Option<&Transaction>,
    field: fn(&Transaction) -> &str,
) -> Option<String> {
    known(field(refund)).or_else(|| original.and_then(|o| known(field(o))))
}

/// Collects the rows of one section.
struct Rows<'l> {
    locales: &'l Locales,
    lang: Lang,
    rows: Vec<Row>,
}

impl<'l> Rows<'l> {
    fn new(locales: &'l Locales, lang: Lang) -> Rows<'l> {
        Rows {
            locales,
            lang,
            rows: Vec::new(),
        }
    }

    /// A row every receipt has: the placeholder stands in for an unknown value.
    fn required(&mut self, label: &str, value: Option<String>) {
        let value = value.unwrap_or_else(|| self.locales.message(self.lang, "value-not-provided"));
        self.push(label, value);
    }

    /// A row shown only when its value is known.
    fn optional(&mut self, label: &str, value: Option<String>) {
        if let Some(value) = value {
            self.push(label, value);
        }
    }

    fn push(&mut self, label: &str, value: String) {
        self.rows.push(Row {
            label: self.locales.message(self.lang, label),
            value,
        });
    }

    fn take(&mut self) -> Vec<Row> {
        std::mem::take(&mut self.rows)
    }
}

/// A text field's value, `None` when empty or blank.
fn known(field: &str) -> Option<String> {
    let trimmed = field.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A time, `None` when it is the epoch a blank transaction starts with.
fn known_time(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (t != DateTime::<Utc>::UNIX_EPOCH).then_some(t)
}

fn status(locales: &Locales, lang: Lang, status: &TxStatus) -> Option<String> {
    let id = match status {
        TxStatus::Success => "status-success",
        TxStatus::Fail => "status-fail",
        TxStatus::Processing => "status-processing",
        TxStatus::Pending => "status-pending",
        TxStatus::Cancelled => "status-cancelled",
        // The gateway API's word for a failed refund.
        TxStatus::Other(s) if s == "ERROR" => "status-fail",
        TxStatus::Other(s) => return Some(s.clone()),
        TxStatus::Unknown => return None,
    };
    Some(locales.message(lang, id))
}

/// `total` / `partial` as the source says, localized; when it says nothing and the
/// original payment is known in the same currency, total when the whole amount came back.
/// A value outside the two is shown as given.
fn refund_type(locales: &Locales, input: &ReceiptInput) -> Option<String> {
    let given = input.refund.refund_type.trim();
    let total = if given.eq_ignore_ascii_case("total") || given.eq_ignore_ascii_case("full") {
        true
    } else if given.eq_ignore_ascii_case("partial") {
        false
    } else if !given.is_empty() {
        return Some(given.to_string());
    } else {
        let original = input.original?;
        let (refunded, paid) = (input.refund.amount, original.amount);
        if refunded.currency != paid.currency {
            return None;
        }
        refunded.minor.unsigned_abs() == paid.minor.unsigned_abs()
    };
    let id = if total {
        "refund-type-total"
    } else {
        "refund-type-partial"
    };
    Some(locales.message(input.lang, id))
}

/// The payment method's localized name with the wallet, PSP or bank that carried it:
/// `Card (VISA)`, `支付宝`, `Cartão ATM (VCB)`. Taken from the refund's record, or the
/// payment's when the refund's says nothing about it.
fn payment_method(
    locales: &Locales,
    lang: Lang,
    refund: &Transaction,
    original: Option<&Transaction>,
) -> Option<String> {
    let says_something = |t: &Transaction| {
        [&t.payment_method_type, &t.psp_name, &t.bank_code]
            .iter()
            .any(|f| !f.trim().is_empty())
    };
    let source = if says_something(refund) {
        refund
    } else {
        original.filter(|o| says_something(o))?
    };
    let method_type = source.payment_method_type.trim().to_ascii_uppercase();
    let method = (!method_type.is_empty()).then(|| {
        let mut args = FluentArgs::new();
        args.set("method", method_type.as_str());
        locales.message_args(lang, "payment-method", &args)
    });
    let mut providers: Vec<&str> = Vec::new();
    for p in [source.psp_name.trim(), source.bank_code.trim()] {
        let repeats = p.eq_ignore_ascii_case(&method_type)
            || providers.iter().any(|q| q.eq_ignore_ascii_case(p));
        if !p.is_empty() && !repeats {
            providers.push(p);
        }
    }
    let provider = (!providers.is_empty()).then(|| providers.join(", "));
    match (method, provider) {
        (Some(method), Some(provider)) => {
            let mut args = FluentArgs::new();
            args.set("method", method);
            args.set("provider", provider);
            Some(locales.message_args(lang, "payment-method-via", &args))
        }
        (method, provider) => method.or(provider),
    }
}
