//! The column registry: every column an export can show, with a stable key, a type, a
//! header in each language, and how to get its value from a transaction. Named column sets
//! live in [`sets`].

pub mod sets;

use chrono::{DateTime, Utc};

use crate::model::{Currency, Field, FieldSet, Money, Transaction, TxType};

/// What kind of value a column holds; sinks write each kind in its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Amount,
    Currency,
    Time,
    Integer,
}

/// One cell's value, borrowed from the transaction: building it allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Amount(Money),
    Currency(Currency),
    Time(DateTime<Utc>),
    Integer(i64),
}

/// A column: key, type, headers, value.
pub struct Column {
    /// Stable key: the reference report's field name, or a derived name.
    pub key: &'static str,
    pub kind: Kind,
    /// Headers in `en`, `zh-CN`, `pt-BR`.
    pub headers: [&'static str; 3],
    pub description: &'static str,
    /// The fields `value` looks at. A reader copies only the free-text fields some column
    /// or the filter reads, so a field missing here would show as empty.
    pub reads: FieldSet,
    pub value: for<'a> fn(&'a Transaction) -> Cell<'a>,
}

impl Column {
    /// The header in a language tag (`en`, `zh-CN`, `pt-BR`); `key` gives the key itself.
    pub fn header(&self, lang: HeaderLang) -> &'static str {
        match lang {
            HeaderLang::Key => self.key,
            HeaderLang::En => self.headers[0],
            HeaderLang::ZhCn => self.headers[1],
            HeaderLang::PtBr => self.headers[2],
        }
    }
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key)
    }
}

/// The language of an export's header row; `Key` heads each column with its key, which is
/// what the gateway's own report does and what re-imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HeaderLang {
    #[default]
    Key,
    En,
    ZhCn,
    PtBr,
}

impl HeaderLang {
    pub fn parse(text: &str) -> Option<HeaderLang> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "key" | "keys" => Some(HeaderLang::Key),
            "en" | "en-us" | "en-gb" => Some(HeaderLang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Some(HeaderLang::ZhCn),
            "pt" | "pt-br" => Some(HeaderLang::PtBr),
            _ => None,
        }
    }
}

fn text(s: &str) -> Cell<'_> {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

fn opt_amount(m: Option<Money>) -> Cell<'static> {
    m.map_or(Cell::Empty, Cell::Amount)
}

macro_rules! columns {
    ($($key:literal, $kind:ident, [$en:literal, $zh:literal, $pt:literal], $desc:literal, [$($field:ident),+], |$t:ident| $value:expr;)+) => {
        /// Every column, the reference layout first, in its order.
        pub static COLUMNS: &[Column] = &[
            $(Column {
                key: $key,
                kind: Kind::$kind,
                headers: [$en, $zh, $pt],
                description: $desc,
                reads: FieldSet::EMPTY$(.with(Field::$field))+,
                value: |$t| $value,
            },)+
        ];
    };
}

columns! {
    "customerId", Text, ["Merchant ID", "商户号", "ID do estabelecimento"], "merchant ID assigned by the acquirer", [CustomerId], |t| text(&t.customer_id);
    "acquirer", Text, ["Acquirer", "收单机构", "Adquirente"], "who processed the transaction", [Acquirer], |t| text(&t.acquirer);
    "acquirerReferenceNo", Text, ["Acquirer transaction ID", "收单机构交易号", "ID da transação no adquirente"], "the acquirer's own transaction ID", [AcquirerReferenceNo], |t| text(&t.acquirer_reference_no);
    "referenceMerchantId", Text, ["Sub-merchant ID", "二级商户号", "ID do subestabelecimento"], "sub-merchant", [ReferenceMerchantId], |t| text(&t.reference_merchant_id);
    "referenceStoreId", Text, ["Store ID", "门店号", "ID da loja"], "store", [ReferenceStoreId], |t| text(&t.reference_store_id);
    "transactionId", Text, ["Transaction ID", "交易号", "ID da transação"], "paymentId, captureId, refundId or disputeId", [TransactionId], |t| text(&t.transaction_id);
    "originalTransactionId", Text, ["Original transaction ID", "原交易号", "ID da transação original"], "for refunds, captures, voids, disputes: the original payment", [OriginalTransactionId], |t| text(&t.original_transaction_id);
    "transactionRequestId", Text, ["Transaction request ID", "交易请求号", "ID da solicitação"], "merchant's payment or refund request ID", [TransactionRequestId], |t| text(&t.transaction_request_id);
    "referenceTransactionId", Text, ["Merchant order ID", "商户订单号", "ID do pedido"], "merchant's order ID", [ReferenceTransactionId], |t| text(&t.reference_transaction_id);
    "orderDescription", Text, ["Order description", "订单描述", "Descrição do pedido"], "free text", [OrderDescription], |t| text(&t.order_description);
    "paymentMethodType", Text, ["Payment method", "支付方式", "Forma de pagamento"], "CARD, PIX, ALIPAY_CN, ...", [PaymentMethodType], |t| text(&t.payment_method_type);
    "pspName", Text, ["Wallet / PSP", "钱包/支付机构", "Carteira / PSP"], "wallet or PSP name", [PspName], |t| text(&t.psp_name);
    "transactionType", Text, ["Transaction type", "交易类型", "Tipo de transação"], "PAYMENT, REFUND, CAPTURE, ...", [TransactionType], |t| text(t.transaction_type.as_str());
    "paymentTime", Time, ["Transaction time", "交易时间", "Data da transação"], "creation time, ISO 8601 in the export's zone", [PaymentTime], |t| Cell::Time(t.payment_time);
    "productCode", Text, ["Product code", "产品码", "Código do produto"], "e.g. CASHIER_PAYMENT", [ProductCode], |t| text(&t.product_code);
    "transactionAmountValue", Amount, ["Transaction amount", "交易金额", "Valor da transação"], "signed amount in major units (refunds negative)", [TransactionAmountValue, TransactionCurrency], |t| Cell::Amount(t.amount);
    "transactionCurrency", Currency, ["Transaction currency", "交易币种", "Moeda da transação"], "ISO 4217 code", [TransactionCurrency], |t| Cell::Currency(t.amount.currency);
    "settlementAmountValue", Amount, ["Settlement amount", "结算金额", "Valor de liquidação"], "settlement amount in major units", [SettlementAmountValue, SettlementCurrency], |t| opt_amount(t.settlement);
    "settlementCurrency", Currency, ["Settlement currency", "结算币种", "Moeda de liquidação"], "ISO 4217 code", [SettlementAmountValue, SettlementCurrency], |t| t.settlement.map_or(Cell::Empty, |m| Cell::Currency(m.currency));
    "feeAmountValue", Amount, ["Fee amount", "手续费", "Valor da tarifa"], "fee in major units", [FeeAmountValue, FeeCurrency], |t| opt_amount(t.fee);
    "feeCurrency", Currency, ["Fee currency", "手续费币种", "Moeda da tarifa"], "ISO 4217 code", [FeeAmountValue, FeeCurrency], |t| t.fee.map_or(Cell::Empty, |m| Cell::Currency(m.currency));
    "status", Text, ["Status", "状态", "Status"], "SUCCESS, FAIL, PROCESSING, ...", [Status], |t| text(t.status.as_str());
    "reason", Text, ["Reason", "原因", "Motivo"], "failure or refund reason", [Reason], |t| text(&t.reason);
    "orderId", Text, ["Gateway order ID", "网关订单号", "ID do pedido no gateway"], "the gateway API's order ID", [OrderId], |t| text(&t.order_id);
    "bankCode", Text, ["Bank code", "银行代码", "Código do banco"], "bank code (gateway API)", [BankCode], |t| text(&t.bank_code);
    "refundType", Text, ["Refund type", "退款类型", "Tipo de estorno"], "total or partial", [RefundType], |t| text(&t.refund_type);
    "rejectReason", Text, ["Reject reason", "拒绝原因", "Motivo da recusa"], "why the gateway rejected a refund", [RejectReason], |t| text(&t.reject_reason);
    "merchantName", Text, ["Merchant name", "商户名称", "Nome do estabelecimento"], "merchant's display name", [MerchantName], |t| text(&t.merchant_name);
    "refundedAmount", Amount, ["Refunded amount", "退款金额", "Valor estornado"], "for refunds: the amount refunded, positive", [TransactionType, TransactionAmountValue, TransactionCurrency], |t| if t.transaction_type == TxType::Refund { Cell::Amount(t.amount.abs()) } else { Cell::Empty };
    "transactionAmountMinor", Integer, ["Amount (minor units)", "金额（最小单位）", "Valor (centavos)"], "signed amount in minor units", [TransactionAmountValue, TransactionCurrency], |t| Cell::Integer(t.amount.minor);
    "currencyExponent", Integer, ["Currency decimals", "币种小数位", "Casas decimais"], "ISO 4217 minor-unit digits", [TransactionCurrency], |t| Cell::Integer(i64::from(t.amount.currency.exponent()));
    "paymentTimeUtc", Time, ["Transaction time (UTC)", "交易时间（UTC）", "Data da transação (UTC)"], "creation time in UTC whatever the export's zone", [PaymentTime], |t| Cell::Time(t.payment_time);
}

/// Keys of the columns whose times are always written in UTC.
pub fn always_utc(column: &Column) -> bool {
    column.key == "paymentTimeUtc"
}

/// Finds a column by key (case-insensitive).
pub fn find(key: &str) -> Option<&'static Column> {
    let key = key.trim();
    COLUMNS.iter().find(|c| c.key.eq_ignore_ascii_case(key))
}

/// Keys close to `key`, best first, for "did you mean" messages.
pub fn close_matches(key: &str) -> Vec<&'static str> {
    let lower = key.to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = COLUMNS
        .iter()
        .map(|c| {
            let k = c.key.to_ascii_lowercase();
            let mut score = strsim::jaro_winkler(&lower, &k);
            if !lower.is_empty() && (k.contains(&lower) || lower.contains(&k)) {
                score = score.max(0.9);
            }
            (score, c.key)
        })
        .filter(|(s, _)| *s >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = COLUMNS.iter().map(|c| c.key.to_ascii_lowercase()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), COLUMNS.len());
    }

    #[test]
    fn a_column_keyed_like_a_field_reads_it() {
        for column in COLUMNS {
            if let Some(field) = Field::from_header(column.key) {
                assert!(column.reads.contains(field), "{}", column.key);
            }
            assert_ne!(column.reads, FieldSet::EMPTY, "{}", column.key);
        }
    }

    #[test]
    fn every_importable_field_is_a_column() {
        for field in Field::ALL {
            assert!(find(field.key()).is_some(), "{}", field.key());
        }
    }

    #[test]
    fn close_matches_suggest_the_intended_key() {
        assert_eq!(
            close_matches("transactionAmount").first(),
            Some(&"transactionAmountValue")
        );
        assert_eq!(close_matches("acquier").first(), Some(&"acquirer"));
        assert!(close_matches("zzzzzz").is_empty());
    }
}
