//! The fields of a transaction as the gateway's reference report names them: what a
//! column shows, what a reader copies, what a filter looks at.

/// A column of the reference report layout (plus the gateway API's extra fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    CustomerId,
    Acquirer,
    AcquirerReferenceNo,
    ReferenceMerchantId,
    ReferenceStoreId,
    TransactionId,
    OriginalTransactionId,
    TransactionRequestId,
    ReferenceTransactionId,
    OrderDescription,
    PaymentMethodType,
    PspName,
    TransactionType,
    PaymentTime,
    ProductCode,
    TransactionAmountValue,
    TransactionCurrency,
    SettlementAmountValue,
    SettlementCurrency,
    FeeAmountValue,
    FeeCurrency,
    Status,
    Reason,
    OrderId,
    BankCode,
    RefundType,
    RejectReason,
    MerchantName,
}

impl Field {
    pub const ALL: [Field; 28] = [
        Field::CustomerId,
        Field::Acquirer,
        Field::AcquirerReferenceNo,
        Field::ReferenceMerchantId,
        Field::ReferenceStoreId,
        Field::TransactionId,
        Field::OriginalTransactionId,
        Field::TransactionRequestId,
        Field::ReferenceTransactionId,
        Field::OrderDescription,
        Field::PaymentMethodType,
        Field::PspName,
        Field::TransactionType,
        Field::PaymentTime,
        Field::ProductCode,
        Field::TransactionAmountValue,
        Field::TransactionCurrency,
        Field::SettlementAmountValue,
        Field::SettlementCurrency,
        Field::FeeAmountValue,
        Field::FeeCurrency,
        Field::Status,
        Field::Reason,
        Field::OrderId,
        Field::BankCode,
        Field::RefundType,
        Field::RejectReason,
        Field::MerchantName,
    ];

    /// Without these a record is not a transaction.
    pub const REQUIRED: [Field; 5] = [
        Field::TransactionId,
        Field::TransactionType,
        Field::PaymentTime,
        Field::TransactionAmountValue,
        Field::TransactionCurrency,
    ];

    /// The column key, as in the gateway's report header.
    pub fn key(self) -> &'static str {
        match self {
            Field::CustomerId => "customerId",
            Field::Acquirer => "acquirer",
            Field::AcquirerReferenceNo => "acquirerReferenceNo",
            Field::ReferenceMerchantId => "referenceMerchantId",
            Field::ReferenceStoreId => "referenceStoreId",
            Field::TransactionId => "transactionId",
            Field::OriginalTransactionId => "originalTransactionId",
            Field::TransactionRequestId => "transactionRequestId",
            Field::ReferenceTransactionId => "referenceTransactionId",
            Field::OrderDescription => "orderDescription",
            Field::PaymentMethodType => "paymentMethodType",
            Field::PspName => "pspName",
            Field::TransactionType => "transactionType",
            Field::PaymentTime => "paymentTime",
            Field::ProductCode => "productCode",
            Field::TransactionAmountValue => "transactionAmountValue",
            Field::TransactionCurrency => "transactionCurrency",
            Field::SettlementAmountValue => "settlementAmountValue",
            Field::SettlementCurrency => "settlementCurrency",
            Field::FeeAmountValue => "feeAmountValue",
            Field::FeeCurrency => "feeCurrency",
            Field::Status => "status",
            Field::Reason => "reason",
            Field::OrderId => "orderId",
            Field::BankCode => "bankCode",
            Field::RefundType => "refundType",
            Field::RejectReason => "rejectReason",
            Field::MerchantName => "merchantName",
        }
    }

    /// Matches a header cell: case-insensitive, surrounding spaces and a BOM ignored.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = header.trim_start_matches('\u{feff}').trim();
        Field::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(h))
    }
}

/// A set of fields, one bit each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSet(u32);

impl FieldSet {
    pub const ALL: FieldSet = FieldSet((1 << Field::ALL.len()) - 1);
    pub const EMPTY: FieldSet = FieldSet(0);

    pub const fn with(self, field: Field) -> FieldSet {
        FieldSet(self.0 | 1 << field as u32)
    }

    pub const fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }

    pub const fn contains(self, field: Field) -> bool {
        self.0 & 1 << field as u32 != 0
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> FieldSet {
        fields.into_iter().fold(FieldSet::EMPTY, FieldSet::with)
    }
}
